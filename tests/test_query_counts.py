"""Pages cost the same number of queries whatever the size of the database: lists whatever their number of dossiers,
the dossier page whatever the length of its history and exchanges."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import (
    Agreement,
    Attachment,
    BudgetLine,
    Decision,
    Dossier,
    DossierStrand,
    ExpertRequest,
    JointOpinion,
    Membership,
    Message,
    Note,
    OpinionSignature,
    Organisation,
    PaymentTranche,
    Report,
    StateTransition,
    Territory,
)
from core.services.joint_opinions import committee_snapshot, snapshot_digest
from tests.factories import DossierFactory, OpinionFactory, OrganisationFactory, UserFactory, member

# The performance target for a page (docs/performance.md).
MOST = 12
# The dossier page reads the published version apart, by the key read with the dossier, for whoever reads it: one
# query by primary key costs less than compiling the reader's condition once for each of the version's fields.
DOSSIER_PAGE_MOST = MOST + 1


def queries(client, url, status: int = 200) -> int:
    """The queries of a request once warm, as the benchmark counts them: the first request after logging in also
    writes the session, which is then written at most once a minute."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == status
    return len(captured)


def add_dossiers(committee, count: int) -> None:
    for _ in range(count):
        dossier = DossierFactory(committee=committee)
        dossier.partners.add(OrganisationFactory(kind="association"))
        BudgetLine.objects.create(dossier=dossier, year=1, funder="fnavdl", amount=1000)
        OpinionFactory(dossier=dossier)


LIST_PAGES = [
    *[("dossier_list", role) for role in ("member_in_conflict", "secretariat", "landlord", "observer")],
    *[("committee_detail", role) for role in ("member_in_conflict", "secretariat", "observer")],
]


@pytest.mark.parametrize("page, role", LIST_PAGES)
def test_list_pages_cost_a_constant_number_of_queries(cast, login, role, page):
    client = login(cast.users[role])
    url = reverse(page, args=[cast.committee.pk] if page == "committee_detail" else [])
    add_dossiers(cast.committee, 2)
    few = queries(client, url)
    add_dossiers(cast.committee, 10)
    JointOpinion.objects.create(
        committee=cast.committee,
        version=1,
        source="publication",
        sha256="0" * 64,
        content={"projects": [], "call": "", "region": "", "instructed_on": "2018-11-13"},
    )
    assert queries(client, url) == few
    assert few <= 20


@pytest.fixture
def rich(cast):
    """Dossier A with a bit of everything the page shows: partners, the renewed dossier, the opinion signed by one
    institution and published, the decision, the agreement; an invited expert asked about it."""
    dossier, users = cast.dossier, cast.users
    users["expert"] = member(UserFactory(username="expert"), OrganisationFactory(kind="other"), Membership.Role.EXPERT)
    earlier = DossierFactory(lead_landlord=dossier.lead_landlord, state=Dossier.State.CLOSED)
    OpinionFactory(dossier=earlier)
    Decision.objects.create(dossier=earlier, outcome="retenu", amount_granted=1000, notified_at=timezone.now())
    Report.objects.create(dossier=earlier, year=1, state=Report.State.VALIDATED)
    dossier.renews, dossier.duration_years = earlier, 3
    dossier.save()
    dossier.partners.add(OrganisationFactory(kind=Organisation.Kind.ASSOCIATION))
    dossier.co_landlords.add(OrganisationFactory())
    OpinionSignature.objects.create(
        opinion=dossier.opinion, institution=cast.committee.institutions[0], signed_by=users["member"]
    )
    Decision.objects.create(dossier=dossier, outcome="retenu", amount_granted=1000, notified_at=timezone.now())
    Agreement.objects.create(
        dossier=dossier, amount=Decimal(1000), starts_on=date(2019, 1, 1), ends_on=date(2020, 1, 1)
    )
    content = committee_snapshot(cast.committee)
    JointOpinion.objects.create(
        committee=cast.committee, version=1, source="publication", content=content, sha256=snapshot_digest(content)
    )
    return cast


def grow(cast, start: int, stop: int) -> None:
    """Rows start to stop of each of what the dossier accumulates: history, parts, messages with their attachment,
    attachments, notes, expert requests, payments, reports."""
    dossier, users = Dossier.objects.get(pk=cast.dossier.pk), cast.users
    opinion, agreement = dossier.opinion, dossier.agreement
    for i in range(start, stop):
        dossier.summary, dossier._history_user = f"Résumé {i}", users["landlord"]
        dossier.save()
        opinion.remarks, opinion._history_user = f"Remarques {i}", users["member"]
        opinion.revision += 1
        opinion.save()
        DossierStrand.objects.create(dossier=dossier, strand="acces", year=i + 1, households=3)
        Territory.objects.create(dossier=dossier, department=f"{i:02d}")
        BudgetLine.objects.create(dossier=dossier, year=i + 1, funder="fnavdl", amount=1000)
        StateTransition.objects.create(dossier=dossier, from_state="depose", to_state="instruction", by=users["member"])
        message = Message.objects.create(
            dossier=dossier, author=users["landlord"], body=f"Message {i}", from_committee=i % 2 == 1
        )
        Attachment.objects.create(dossier=dossier, message=message, name=f"message-{i}.pdf", kind="pdf", size=10)
        Attachment.objects.create(dossier=dossier, name=f"piece-{i}.pdf", kind="pdf", size=10)
        Note.objects.create(dossier=dossier, author=users["member"], body=f"Note {i}")
        expert = users["expert"] if i == 0 else member(UserFactory(), OrganisationFactory(kind="other"), "expert")
        ExpertRequest.objects.create(
            dossier=dossier, expert=expert, question=f"Question {i}", requested_by=users["member"]
        )
        PaymentTranche.objects.create(agreement=agreement, order=i + 1, amount=Decimal(10))
        Report.objects.create(dossier=dossier, year=i + 1, state=Report.State.SUBMITTED)


ROLES = ("member", "member_in_conflict", "secretariat", "landlord", "observer", "expert")
# The parts of the dossier page read on demand; an observer reads none of the exchanges.
SECTIONS = ("dossier_history", "dossier_exchanges", "dossier_followup")


@pytest.mark.parametrize("state", [Dossier.State.IN_INSTRUCTION, Dossier.State.REPORTING])
@pytest.mark.parametrize("role", ROLES)
def test_the_dossier_page_costs_the_same_queries_whatever_the_dossiers_size(rich, login, role, state):
    Dossier.objects.filter(pk=rich.dossier.pk).update(state=state)
    grow(rich, 0, 2)
    client = login(rich.users[role])
    pages = [reverse(name, args=[rich.dossier.pk]) for name in ("dossier_detail", *SECTIONS)]

    def costs() -> list[int]:
        return [queries(client, url, 404 if role == "observer" and "echanges" in url else 200) for url in pages]

    few = costs()
    grow(rich, 2, 20)
    assert costs() == few
    assert few[0] <= DOSSIER_PAGE_MOST


def add_work(cast, count: int) -> None:
    """Dossiers that give every role something to do: landlord A's drafts with their parts, dossiers submitted to the
    committee, asked of an expert, with a message from the committee awaiting an answer, and dossiers in follow-up
    whose reports are due."""
    landlord = cast.dossier.lead_landlord
    for _ in range(count):
        draft = DossierFactory(committee=cast.committee, lead_landlord=landlord, state=Dossier.State.DRAFT)
        DossierStrand.objects.create(dossier=draft, strand="acces", year=1, households=3)
        BudgetLine.objects.create(dossier=draft, year=1, funder="fnavdl", amount=1000)
        Territory.objects.create(dossier=draft, department="13")
        submitted = DossierFactory(committee=cast.committee, lead_landlord=landlord, state=Dossier.State.SUBMITTED)
        OpinionFactory(dossier=submitted)
        Message.objects.create(dossier=submitted, author=cast.users["member"], from_committee=True, body="Précisez ?")
        ExpertRequest.objects.create(dossier=submitted, expert=cast.users["expert"], question="Réaliste ?",
                                     requested_by=cast.users["member"])  # fmt: skip
        # A dossier in follow-up whose reports are due, one of them written.
        followed = DossierFactory(committee=cast.committee, lead_landlord=landlord, state=Dossier.State.REPORTING,
                                  duration_years=3)  # fmt: skip
        Agreement.objects.create(dossier=followed, amount=1000, starts_on=date(2020, 1, 1), ends_on=date(2023, 1, 1))
        Report.objects.create(dossier=followed, year=1, state=Report.State.VALIDATED)


@pytest.mark.parametrize("role", ["member", "landlord", "member_in_conflict", "secretariat", "observer", "expert"])
def test_the_workspace_costs_the_same_queries_whatever_the_number_of_dossiers(cast, login, role):
    cast.users["expert"] = member(UserFactory(username="expert"), OrganisationFactory(kind="other"),
                                  Membership.Role.EXPERT)  # fmt: skip
    client = login(cast.users[role])
    add_work(cast, 2)
    few = queries(client, reverse("home"))
    add_work(cast, 15)
    assert queries(client, reverse("home")) == few
    if role in {"member", "landlord"}:
        assert few <= MOST
