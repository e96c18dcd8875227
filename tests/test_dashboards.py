import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import Agreement, BudgetLine, Decision, Dossier, DossierStrand, PaymentTranche, Public
from core.permissions import Access
from core.services.dashboards import dashboard
from tests.access import LOGIN, check_refusal, text
from tests.factories import CallFactory, CommitteeFactory, DossierFactory

ROLES = [
    "anonymous", "landlord", "other_landlord", "member", "member_in_conflict", "other_committee_member",
    "secretariat", "observer", "other_committee_observer",
]  # fmt: skip
NATIONAL = {role: 403 for role in ROLES} | {"anonymous": LOGIN, "secretariat": 200, "observer": 200}
COMMITTEE = {role: 404 for role in ROLES} | {
    "anonymous": LOGIN, "member": 200, "member_in_conflict": 200, "secretariat": 200, "observer": 200,
}  # fmt: skip


@pytest.fixture
def figures(cast):
    dossier = cast.dossier
    dossier.publics.add(Public.objects.create(name="sortants de prison"))
    DossierStrand.objects.create(dossier=dossier, strand="acces", year=1, households=5)
    DossierStrand.objects.create(dossier=cast.other_dossier, strand="acces", year=1, households=7)
    BudgetLine.objects.create(dossier=dossier, year=1, funder="fsi", amount=Decimal("1000.25"))
    BudgetLine.objects.create(dossier=dossier, year=1, funder="fonds_propres", amount=Decimal("99"))
    Decision.objects.create(
        dossier=dossier, outcome="retenu", amount_granted=Decimal("800"), notified_at="2019-01-01T00:00Z"
    )
    Decision.objects.create(dossier=cast.other_dossier, outcome="retenu", amount_granted=Decimal("5"))
    for carried, paid in ((dossier, "100"), (cast.other_dossier, "200")):
        agreement = Agreement.objects.create(
            dossier=carried, amount=Decimal(paid), starts_on=date(2019, 3, 1), ends_on=date(2022, 3, 1)
        )
        PaymentTranche.objects.create(agreement=agreement, order=1, amount=Decimal(paid), paid_on=date(2019, 4, 1))
    return cast


def test_figures_are_exact(figures):
    def charts(role: str) -> dict:
        return {
            chart.title: dict(chart.rows) for chart in dashboard(Dossier.objects.all(), Access(figures.users[role]))[1]
        }

    observed = charts("observer")
    assert observed["Dossiers par état"] == {"En instruction": 2}
    assert observed["Dossiers par public"] == {"sortants de prison": 1}
    assert observed["Ménages promis par volet"] == {"Accès": 12, "Maintien": 0, "Mutation": 0}
    # Only notified decisions count as granted to an observer; own funds are not asked of the programme.
    # Payments are the landlord's and the secretariat's business (Access.can_follow): no "Versé" for the others.
    assert observed["Montants (€)"] == {"Demandé": Decimal("1000.25"), "Accordé": Decimal("800")}
    # The secretariat reads the decisions it recorded and has not notified yet, as on the national selection.
    assert charts("secretariat")["Montants (€)"] == {
        "Demandé": Decimal("1000.25"), "Accordé": Decimal("805"), "Versé": Decimal("300"),
    }  # fmt: skip
    # A landlord sums what it was paid, not what the other landlord of the same committee was.
    assert charts("landlord")["Montants (€)"]["Versé"] == Decimal("100")
    assert "Versé" not in charts("member")["Montants (€)"]


@pytest.mark.parametrize("role", ROLES)
def test_who_reads_the_dashboards(figures, login, role):
    client = login(figures.users[role])
    for url, expected in (
        (reverse("dashboard_national"), NATIONAL[role]),
        (reverse("dashboard_committee", args=[figures.committee.pk]), COMMITTEE[role]),
    ):
        response = client.get(url)
        if expected == 200:
            assert "Dossiers par état" in text(response)
            assert "<table" in response.content.decode()  # each chart's data for screen readers
        else:
            check_refusal(response, expected, secrets=())


def test_the_national_dashboard_shows_one_call_the_latest_submitted_by_default(figures, login):
    calls = {}
    # The newest call holds only a draft: it has nothing to show yet.
    for title, edition, dossiers in (
        ("Appel ancien", 0, 1),
        ("Appel le plus récent", 1000, 3),
        ("Appel ouvert", 1001, 0),
    ):
        calls[title] = CallFactory(title=title, edition=edition)
        committee = CommitteeFactory(call=calls[title])
        for _ in range(dossiers):
            DossierFactory(committee=committee, state=Dossier.State.CLOSED)
        DossierFactory(committee=committee, state=Dossier.State.DRAFT)
    client = login(figures.users["secretariat"])
    url = reverse("dashboard_national")

    def shown(query) -> tuple[str, int]:
        page = text(client.get(url, query))
        return re.search(r"<h1>Tableau de bord national — (.+?)</h1>", page)[1], int(
            re.search(r"(\d+) dossiers? \(", page)[1]
        )

    assert shown({}) == ("Appel le plus récent", 3)
    assert shown({"appel": calls["Appel ancien"].pk}) == ("Appel ancien", 1)
    assert shown({"appel": calls["Appel ouvert"].pk}) == ("Appel ouvert", 0)
    everything = Dossier.objects.exclude(state=Dossier.State.DRAFT).count()
    assert shown({"appel": "tous"}) == ("tous les appels", everything) and everything > 4
    # An unknown call: the latest, and the field says why.
    response = client.get(url, {"appel": "999999"})
    assert response.status_code == 200 and "Sélectionnez un choix valide" in text(response)
    assert f'<option value="{calls["Appel le plus récent"].pk}" selected>' in text(response)
    assert shown({"appel": "999999"}) == ("Appel le plus récent", 3)


def test_the_committee_dashboard_names_its_call_and_its_labels_whole(cast, login):
    html = login(cast.users["member"]).get(reverse("dashboard_committee", args=[cast.committee.pk])).content.decode()
    assert f"<h1>Tableau de bord — {cast.committee.name} — {cast.committee.call.title}</h1>" in html
    # Each label is whole, on its own line above its bar: none cut at 30 characters as the SVG's were.
    assert '<span class="aap-chart__label">' in html and "…" not in html
