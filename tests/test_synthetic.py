import hashlib
import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse

from core.models import (
    Agreement,
    BudgetLine,
    Call,
    Committee,
    Decision,
    Dossier,
    DossierStrand,
    JointOpinion,
    Membership,
    Opinion,
    OpinionSignature,
    Organisation,
    PaymentTranche,
    Report,
    ReportHouseholds,
    ReportSpend,
    Seat,
    StateTransition,
    Territory,
    Verdict,
)
from core.regions import Region
from core.services.joint_opinions import committee_snapshot
from core.services.timeline import dossier_timeline
from search.models import SearchEntry
from synthetic.generate import synthetic_generate
from synthetic.reference import PRESENT, YEARS, calls_shape
from tests.factories import CommitteeFactory, DossierFactory, OrganisationFactory, UserFactory, member

N = 300
METROPOLITAN = [region for region in Region if region >= "11"]
# The natural key of a dossier, the same in any database whatever its ids.
DOSSIER = ("call__edition", "committee__region", "number")
OF_DOSSIER = tuple(f"dossier__{name}" for name in DOSSIER)
OF_OPINION = tuple(f"opinion__dossier__{name}" for name in DOSSIER)
OF_REPORT = tuple(f"report__dossier__{name}" for name in DOSSIER)


def _digest() -> str:
    """SHA-256 of the main tables' rows, by natural keys and in a fixed order."""
    tables = [
        User.objects.values_list("username", "first_name", "last_name", "password", "date_joined"),
        Organisation.objects.values_list("name", "kind", "legal_form", "short_name", "letterhead"),
        Call.objects.values_list(
            "edition", "title", "year", "status", "opens_on", "submission_deadline", "national_envelope", "uuid"
        ),
        Committee.objects.values_list("call__edition", "region", "name", "instructed_on", "uuid"),
        Seat.objects.values_list(
            "committee__call__edition", "committee__region", "organisation__name", "kind", "position"
        ),
        Dossier.objects.values_list(
            *DOSSIER,
            "title",
            "summary",
            "lead_landlord__name",
            "state",
            "created_at",
            "updated_at",
            "submitted_at",
            "duration_years",
            "households_total",
            "evaluation_plan",
            "renews__number",
            "renewal_note",
        ),
        Dossier.partners.through.objects.values_list(*OF_DOSSIER, "organisation__name"),
        Dossier.publics.through.objects.values_list(*OF_DOSSIER, "public__name"),
        DossierStrand.objects.values_list(*OF_DOSSIER, "strand", "year", "households"),
        Territory.objects.values_list(*OF_DOSSIER, "department", "commune", "qpv", "qpv_name"),
        BudgetLine.objects.values_list(*OF_DOSSIER, "year", "funder", "label", "amount"),
        StateTransition.objects.values_list(*OF_DOSSIER, "at", "from_state", "to_state", "by__username", "message"),
        Opinion.objects.values_list(*OF_DOSSIER, "verdict", "questions", "remarks", "retained", "rank"),
        OpinionSignature.objects.values_list(*OF_OPINION, "institution__name", "signed_by__username", "signed_at"),
        Decision.objects.values_list(*OF_DOSSIER, "outcome", "amount_granted", "conditions", "notified_at"),
        Agreement.objects.values_list(*OF_DOSSIER, "amount", "signed_on", "starts_on", "ends_on"),
        PaymentTranche.objects.values_list(*(f"agreement__{key}" for key in OF_DOSSIER), "order", "amount", "paid_on"),
        Report.objects.values_list(*OF_DOSSIER, "year", "is_final", "state", "comment", "submitted_at"),
        ReportHouseholds.objects.values_list(*OF_REPORT, "report__year", "report__is_final", "strand", "households"),
        ReportSpend.objects.values_list(*OF_REPORT, "report__year", "report__is_final", "funder", "amount"),
        JointOpinion.objects.values_list("committee__call__edition", "committee__region", "version", "sha256", "uuid"),
        Dossier.history.values_list(*DOSSIER, "history_type", "history_date", "history_user__username", "state"),
    ]
    digest = hashlib.sha256()
    for rows in tables:
        for row in sorted(map(repr, rows)):
            digest.update(row.encode())
    return digest.hexdigest()


def _generated_digest(seed: int) -> str:
    """Generate into the empty test database, read the digest, and leave the database empty again."""
    with transaction.atomic():
        synthetic_generate(dossiers=N, seed=seed)
        digest = _digest()
        transaction.set_rollback(True)
    return digest


@pytest.fixture
def generated(db):
    return synthetic_generate(dossiers=N, seed=8)


def test_counts_as_asked(generated):
    assert generated.dossiers == Dossier.objects.count() == N
    assert Call.objects.count() == len(YEARS)
    assert list(Call.objects.order_by("edition").values_list("status", flat=True)) == [
        *["archive"] * (len(YEARS) - 4),
        *["decide"] * 3,
        "ouvert",
    ]
    per_call = Committee.objects.values("call").annotate(n=Count("pk"), regions=Count("region", distinct=True))
    assert {(row["n"], row["regions"]) for row in per_call} == {(len(METROPOLITAN), len(METROPOLITAN))}
    assert set(Committee.objects.values_list("region", flat=True)) == set(METROPOLITAN)
    # The same two institutions co-chair a region's committee year after year.
    co_chairs = Seat.objects.filter(kind=Seat.Kind.CO_CHAIR)
    assert co_chairs.values("committee__region", "organisation").distinct().count() == 2 * len(METROPOLITAN)
    assert co_chairs.count() == 2 * Committee.objects.count()
    assert Organisation.objects.filter(kind=Organisation.Kind.LANDLORD).count() >= 400
    assert not Organisation.objects.filter(kind=Organisation.Kind.LANDLORD, legal_form="").exists()
    assert Organisation.objects.filter(kind=Organisation.Kind.ASSOCIATION).exists()
    assert Dossier.objects.filter(renews__isnull=False).exists()
    assert Report.objects.filter(is_final=True).exists()
    assert JointOpinion.objects.exists()
    states = set(Dossier.objects.values_list("state", flat=True))
    assert {"brouillon", "depose", "retire", "non_retenu", "conventionne", "suivi", "clos"} <= states


def test_same_seed_same_rows_and_another_seed_other_rows(db):
    first = _generated_digest(seed=1)
    assert Dossier.objects.count() == 0
    assert _generated_digest(seed=1) == first
    assert _generated_digest(seed=2) != first


def test_rows_pass_model_validation(generated):
    for model in (
        Call,
        Committee,
        Organisation,
        Membership,
        Dossier,
        DossierStrand,
        Territory,
        BudgetLine,
        StateTransition,
        Opinion,
        OpinionSignature,
        JointOpinion,
        Decision,
        Agreement,
        PaymentTranche,
        Report,
        ReportHouseholds,
        ReportSpend,
    ):
        rows = model.objects.order_by("pk")
        assert rows.exists(), model
        for row in [*rows[:20], *rows.order_by("-pk")[:20]]:
            row.full_clean()


def test_opinions_and_decisions_follow_the_rules(generated):
    opinions = Opinion.objects.all()
    assert not opinions.filter(retained=False).exclude(rank="").exists()
    assert not opinions.filter(retained=True, rank="").exists()
    assert not opinions.filter(retained=True, verdict=Verdict.UNFAVORABLE).exists()
    assert set(opinions.filter(retained=True).values_list("rank", flat=True)) == {"P1", "P2", "P3"}
    # Every dossier past the committee has an opinion signed by both co-chairing institutions.
    signed = Dossier.objects.exclude(state__in=["brouillon", "depose", "incomplet", "instruction", "retire"])
    assert not signed.annotate(n=Count("opinion__signatures")).exclude(n=2).exists()
    assert not Opinion.objects.filter(dossier__state="instruction", signatures__isnull=False).exists()
    decisions = Decision.objects.all()
    assert not decisions.exclude(outcome="retenu").filter(amount_granted__isnull=False).exists()
    assert not decisions.filter(outcome="retenu", amount_granted__isnull=True).exists()
    assert not decisions.filter(amount_granted__gt=F("dossier__call__cap_per_project")).exists()
    published = JointOpinion.objects.all()
    assert all(project["rank"] in {None, "P1", "P2", "P3"} for jo in published for project in jo.content["projects"])


def test_budgets_add_up(generated):
    strands = Dossier.objects.annotate(promised=Sum("strands__households"))
    assert not strands.exclude(households_total=F("promised")).exists()
    assert not DossierStrand.objects.filter(year__gt=F("dossier__duration_years")).exists()
    assert not BudgetLine.objects.filter(year__gt=F("dossier__duration_years")).exists()
    programme = Q(budget_lines__funder__in=BudgetLine.PROGRAMME_FUNDERS)
    summed = Dossier.objects.annotate(lines=Coalesce(Sum("budget_lines__amount", filter=programme), Decimal(0)))
    # The amount kept on each dossier is its lines' sum, though they were inserted in bulk.
    assert summed.count() and not summed.exclude(requested=F("lines")).exists()
    assert not Dossier.objects.filter(decision__amount_granted__gt=F("requested")).exists()
    assert not Agreement.objects.exclude(amount=F("dossier__decision__amount_granted")).exists()
    tranches = Agreement.objects.annotate(total=Sum("tranches__amount"), n=Count("tranches"))
    assert not tranches.exclude(total=F("amount")).exists()
    assert set(tranches.values_list("n", flat=True)) == {3}
    assert not Agreement.objects.filter(ends_on__lte=F("starts_on")).exists()
    assert not Report.objects.filter(year__gt=F("dossier__duration_years")).exists()
    assert not ReportSpend.objects.filter(amount__lt=Decimal(0)).exists()
    reported = Dossier.objects.filter(reports__isnull=False).distinct()
    assert not reported.exclude(state__in=["suivi", "clos"]).exists()


def test_published_avis_conjoint_is_what_publication_would_write(generated):
    for joint_opinion in JointOpinion.objects.select_related("committee__call")[:5]:
        assert joint_opinion.content == committee_snapshot(joint_opinion.committee)


def test_history_rows_exist(generated):
    assert Dossier.history.filter(history_type="+").count() == N
    assert Opinion.history.count() == Opinion.objects.count()
    for model in (DossierStrand, Territory, BudgetLine):
        assert model.history.count() == model.objects.count()
    for name in ("partners", "co_landlords", "publics"):
        historical = apps.get_model("core", f"HistoricalDossier_{name}")
        assert historical.objects.count() == getattr(Dossier, name).through.objects.count()
    dossier = Dossier.objects.filter(state="clos").first()
    record = dossier.history.get()
    assert {row.organisation_id for row in record.partners.all()} == set(dossier.partners.values_list("pk", flat=True))
    titles = {event.title for event in dossier_timeline(dossier, with_opinion=True)}
    assert {"Ménages par volet", "Budget", "Avis du comité", "État : Clos"} <= titles


def test_pages_render_for_the_secretariat(generated, client):
    national = OrganisationFactory(kind=Organisation.Kind.NATIONAL)
    client.force_login(member(UserFactory(), national, Membership.Role.SECRETARIAT))
    committee = Committee.objects.annotate(n=Count("dossiers")).filter(joint_opinions__isnull=False).latest("n")
    assert client.get(reverse("committee_detail", args=[committee.pk])).status_code == 200
    for dossier in (
        Dossier.objects.filter(state="clos", renews__isnull=False).first() or Dossier.objects.filter(state="clos")[0],
        Dossier.objects.filter(state="brouillon")[0],
    ):
        assert client.get(reverse("dossier_detail", args=[dossier.pk])).status_code == 200


def test_adds_to_what_the_database_holds(db):
    committee = CommitteeFactory(call__edition=4, call__year=2018, call__status=Call.Status.CLOSED, region="93")
    existing = DossierFactory(committee=committee, number=7)
    for _ in range(2):
        call_command("generate_synthetic", dossiers=400, seed=3, stdout=io.StringIO())
    assert Dossier.objects.count() == 801
    assert Call.objects.filter(edition=4).get() == existing.call
    assert committee.dossiers.count() > 1
    assert committee.dossiers.filter(number__lte=7).get() == existing
    # The call was closed: its committee is still instructing, nothing is decided.
    assert not Decision.objects.filter(dossier__call=existing.call).exists()
    # Bulk inserts send no signals: the command writes the search entries at the end, two per dossier.
    assert SearchEntry.objects.count() == 2 * Dossier.objects.count()


def test_calls_of_a_size_keep_it_as_the_history_grows():
    small, large = calls_shape(1000, 220), calls_shape(100_000, 220, large_call=10_000)
    assert sum(call.dossiers for call in small) == 1000 and sum(call.dossiers for call in large) == 100_000
    # The latest calls hold 220 dossiers at both sizes, the oldest what remains; a larger history has more calls,
    # several a year.
    assert [call.dossiers for call in small] == [120, 220, 220, 220, 220]
    assert [call.year for call in small] == [2022, 2023, 2024, 2025, 2026]
    assert len(large) == 411 and {call.year for call in large} == set(YEARS)
    assert {call.dossiers for call in large[-60:]} == {220}
    # One open call, the latest; the others before it, several a year. The latest call of each year is ranked 0 in
    # its year at both sizes: its dossiers draw from the same seeds.
    assert [(call.year, call.rank) for call in large[-39:]] == [(2025, 37 - n) for n in range(38)] + [(2026, 0)]
    # The large call is decided: the first of its year, not the latest call of any kind.
    (big,) = [call for call in large if call.dossiers == 10_000]
    assert big.year == PRESENT.year - 2 and big.rank == max(c.rank for c in large if c.year == big.year)
    # By default, twelve calls whatever the number of dossiers.
    assert len(calls_shape(100_000)) == len(calls_shape(300)) == len(YEARS)


def _latest_calls(dossiers: int) -> dict:
    """The dossiers of the latest call of 2025 and 2026 once `dossiers` are written in calls of 100: by call year,
    (region, number) -> (landlord, state, title), renewals left out (they depend on the history)."""
    with transaction.atomic():
        synthetic_generate(dossiers=dossiers, seed=5, call_size=100)
        rows = {}
        for year in (2025, 2026):
            call = Call.objects.filter(year=year).order_by("-edition").first()
            rows[year] = {
                (region, number): (landlord, state, title)
                for region, number, landlord, state, title in call.dossiers.filter(renews__isnull=True).values_list(
                    "committee__region", "number", "lead_landlord__name", "state", "title"
                )
                if not title.endswith("(renouvellement)")
            }
            rows[f"{year} dossiers"] = call.dossiers.count()
        transaction.set_rollback(True)
    return rows


def test_the_latest_calls_are_the_same_in_a_larger_history(db):
    small, large = _latest_calls(200), _latest_calls(2600)
    assert small["2025 dossiers"] == large["2025 dossiers"] == 100
    assert small["2026 dossiers"] == large["2026 dossiers"] == 100
    for year in (2025, 2026):
        common = small[year].keys() & large[year].keys()
        assert len(common) >= 80
        assert {key: small[year][key] for key in common} == {key: large[year][key] for key in common}
