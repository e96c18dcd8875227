"""A committee's seats: two or three co-chairing institutions, each of which signs its opinions, and advisory members,
who give their own opinion on each dossier and never sign nor decide."""

from io import BytesIO

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.template.loader import render_to_string
from django.urls import reverse
from docx import Document

from core.models import AdvisoryOpinion, AuditEvent, Call, Committee, Dossier, Membership, Organisation, Seat
from core.permissions import Access
from core.services.advisory import advisory_opinion_give
from core.services.calls import SetupRefused, committee_create, committee_member_add, seat_add
from core.services.joint_opinions import committee_snapshot
from core.services.opinions import opinion_sign
from core.workflow import ActionRefused, refusal
from documents.joint_opinion_content import joint_opinion_context
from documents.joint_opinion_docx import joint_opinion_docx
from tests.access import A_DRAFT, text
from tests.factories import OrganisationFactory, UserFactory, member

BEFORE, SEATS = ("core", "0031_call_process"), ("core", "0032_committee_seats")


@pytest.mark.django_db(transaction=True)
def test_the_migration_seats_each_committees_institutions_in_their_order():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    organisation, committee = old.get_model("core", "Organisation"), old.get_model("core", "Committee")
    call = old.get_model("core", "Call").objects.create(title="4e appel", year=2018, edition=4)
    ar_hlm = organisation.objects.create(name="AR Hlm PACA", folded_name="arhlmpaca", kind="ar_hlm")
    dreal = organisation.objects.create(name="DREAL PACA", folded_name="drealpaca", kind="etat")
    committee.objects.create(call=call, name="PACA", region="93", ar_hlm=ar_hlm, state_service=dreal)
    # An imported committee whose avis named only the State's service.
    committee.objects.create(call=call, name="Occitanie", region="76", state_service=dreal)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    paca, occitanie = Committee.objects.get(name="PACA"), Committee.objects.get(name="Occitanie")
    assert [org.name for org in paca.institutions] == ["AR Hlm PACA", "DREAL PACA"]
    assert [org.name for org in occitanie.institutions] == ["DREAL PACA"]
    assert paca.advisers == [] and set(Seat.objects.values_list("kind", flat=True)) == {Seat.Kind.CO_CHAIR}


@pytest.fixture
def three_chairs(cast, signatories) -> dict:
    """The cast's committee with a third co-chair, the DREETS, and a member not in conflict for each."""
    dreets = OrganisationFactory(name="DREETS PACA", kind=Organisation.Kind.STATE_SERVICE)
    seat_add(committee=cast.committee, organisation=dreets, kind=Seat.Kind.CO_CHAIR)
    signer = member(UserFactory(username="member_dreets"), dreets, Membership.Role.COMMITTEE_MEMBER, cast.committee)
    return {**signatories, dreets: signer}


def test_three_co_chairs_each_sign_before_the_opinion_is_signed(cast, three_chairs):
    committee = Committee.objects.get(pk=cast.committee.pk)
    assert [org.name for org in committee.institutions][-1] == "DREETS PACA"
    signers = list(three_chairs.values())
    for signer in signers[:-1]:
        opinion_sign(dossier=cast.dossier, by=signer)
        assert Dossier.objects.get(pk=cast.dossier.pk).state == Dossier.State.IN_INSTRUCTION
    opinion_sign(dossier=cast.dossier, by=signers[-1])
    assert Dossier.objects.get(pk=cast.dossier.pk).state == Dossier.State.OPINION_SIGNED
    assert cast.dossier.opinion.signatures.count() == 3


def test_the_dossier_page_lists_the_three_signatures(cast, three_chairs, login):
    opinion_sign(dossier=cast.dossier, by=three_chairs[cast.committee.institutions[0]])
    page = login(cast.users["member"]).get(reverse("dossier_detail", args=[cast.dossier.pk])).content.decode()
    assert all(str(org) in page for org in three_chairs)


def test_a_fourth_co_chair_and_a_second_seat_are_refused(cast, three_chairs):
    with pytest.raises(SetupRefused, match="au plus 3 institutions co-présidentes"):
        seat_add(committee=cast.committee, organisation=OrganisationFactory(), kind=Seat.Kind.CO_CHAIR)
    with pytest.raises(SetupRefused, match="siège déjà"):
        seat_add(committee=cast.committee, organisation=cast.committee.institutions[0], kind=Seat.Kind.ADVISORY)


def test_a_committee_is_created_with_three_co_chairs_and_advisory_members(cast, login):
    client = login(cast.users["secretariat"])
    response = client.post(
        reverse("committee_new", args=[cast.committee.call_id]),
        {"region": "76", "ar_hlm_name": "AR Hlm Occitanie", "state_service_name": "DREETS Occitanie",
         "third_co_chair_name": "DREAL Occitanie", "advisory_names": "Fondation pour le logement\n\nAction Logement\n"},
    )  # fmt: skip
    assert response.status_code == 302
    committee = Committee.objects.get(call=cast.committee.call, region="76")
    assert [str(org) for org in committee.institutions] == ["AR Hlm Occitanie", "DREETS Occitanie", "DREAL Occitanie"]
    assert [str(org) for org in committee.advisers] == ["Fondation pour le logement", "Action Logement"]
    assert [org.kind for org in committee.institutions][1:] == [Organisation.Kind.STATE_SERVICE] * 2


def test_a_committee_needs_two_co_chairs(cast):
    with pytest.raises(SetupRefused, match="co-présidé par l'association régionale Hlm et un service de l'État"):
        committee_create(call=cast.committee.call, region="76", ar_hlm_name="AR Hlm Occitanie", state_service_name=" ",
                         by=cast.users["secretariat"])  # fmt: skip
    assert not Committee.objects.filter(region="76").exists()


@pytest.fixture
def adviser(cast):
    """Committee A's advisory member, the housing foundation, and its member."""
    foundation = OrganisationFactory(name="Fondation pour le logement", kind=Organisation.Kind.OTHER)
    seat_add(committee=cast.committee, organisation=foundation, kind=Seat.Kind.ADVISORY)
    return member(UserFactory(username="advisory_member"), foundation, Membership.Role.COMMITTEE_MEMBER, cast.committee)


ADVICE = "Un accompagnement solide, à articuler avec le SIAO."


def test_an_advisory_member_gives_its_opinion_and_gives_it_again(cast, adviser, login):
    client = login(adviser)
    url = reverse("advisory_give", args=[cast.dossier.pk])
    assert client.post(url, {"text": "Premier avis."}).status_code == 302
    assert client.post(url, {"text": ADVICE}).status_code == 302
    given = AdvisoryOpinion.objects.get(dossier=cast.dossier)
    assert (given.organisation.name, given.text, given.given_by) == ("Fondation pour le logement", ADVICE, adviser)
    event = AuditEvent.objects.filter(action="advisory.give").latest("pk")
    assert (event.before, event.after, event.dossier) == ({"text": "Premier avis."}, {"text": ADVICE}, cast.dossier)
    page = client.get(reverse("dossier_detail", args=[cast.dossier.pk])).content.decode()
    assert 'data-action="advisory.give"' in page and ADVICE in page
    assert client.post(url, {"text": "  "}).status_code == 400


def test_an_advisory_member_never_signs_publishes_nor_decides(cast, adviser, login):
    client = login(adviser)
    # The committee's opinion and its returns are the co-chairs': the adviser gives its own opinion, and takes notes.
    page = client.get(reverse("dossier_detail", args=[cast.dossier.pk])).content.decode()
    assert 'data-action="opinion.write"' not in page and 'data-action="dossier.return"' not in page
    for action in ("opinion.write", "dossier.return"):
        assert "co-présidentes" in refusal(Access(adviser), action, cast.dossier)
    assert refusal(Access(adviser), "exchanges.note", cast.dossier) is None
    response = client.post(reverse("opinion_sign", args=[cast.dossier.pk]))
    assert response.status_code == 403 and "institutions co-présidentes" in response.content.decode()
    page = client.get(reverse("dossier_detail", args=[cast.dossier.pk])).content.decode()
    assert 'data-action="opinion.sign"' not in page
    with pytest.raises(ActionRefused, match="co-présidentes"):
        opinion_sign(dossier=cast.dossier, by=adviser)
    assert "co-présidentes" in refusal(Access(adviser), "committee.publish", cast.committee)
    # On a regional decision's call, the co-chairs' members decide and notify; never an advisory member.
    Call.objects.filter(pk=cast.committee.call_id).update(process=Call.Process.REGIONAL)
    Dossier.objects.filter(pk=cast.dossier.pk).update(state=Dossier.State.OPINION_SIGNED)
    dossier, committee = Dossier.objects.get(pk=cast.dossier.pk), Committee.objects.get(pk=cast.committee.pk)
    assert "co-présidentes" in refusal(Access(adviser), "decision.record", dossier)
    assert "co-présidentes" in refusal(Access(adviser), "committee.notify_decisions", committee)
    assert refusal(Access(cast.users["member"]), "decision.record", dossier) is None


def test_an_advisory_member_in_conflict_neither_reads_the_draft_nor_advises(cast, adviser, login):
    cast.dossier.partners.add(Access(adviser).advisory_seat_in(cast.committee))
    client = login(adviser)
    response = client.post(reverse("advisory_give", args=[cast.dossier.pk]), {"text": ADVICE})
    assert response.status_code == 403 and "conflit d'intérêts" in text(response)
    page = client.get(reverse("dossier_detail", args=[cast.dossier.pk])).content.decode()
    assert A_DRAFT not in page and not AdvisoryOpinion.objects.exists()
    # Not in conflict on landlord B's dossier.
    assert client.post(reverse("advisory_give", args=[cast.other_dossier.pk]), {"text": ADVICE}).status_code == 302


def test_once_the_opinion_is_signed_no_advice_is_given(cast, adviser):
    Dossier.objects.filter(pk=cast.dossier.pk).update(state=Dossier.State.OPINION_SIGNED)
    with pytest.raises(ActionRefused, match="pendant l'instruction"):
        advisory_opinion_give(dossier=Dossier.objects.get(pk=cast.dossier.pk), text=ADVICE, by=adviser)


def _document(committee) -> str:
    """The avis conjoint's HTML (the page, the print view, the PDF) and its DOCX, as text."""
    context = joint_opinion_context(committee_snapshot(Committee.objects.get(pk=committee.pk)))
    docx = Document(BytesIO(joint_opinion_docx(context)))
    # A merged cell is each of the cells it spans: read once.
    cells = {cell._tc: cell.text for table in docx.tables for row in table.rows for cell in row.cells}
    return render_to_string("documents/joint_opinion.html", context) + "\n".join(cells.values())


@pytest.mark.parametrize("published", [False, True])
def test_the_avis_conjoint_prints_advisory_opinions_only_when_the_call_says_so(cast, adviser, login, published):
    advisory_opinion_give(dossier=cast.dossier, text=ADVICE, by=adviser)
    Call.objects.filter(pk=cast.committee.call_id).update(advisory_opinions_published=published)
    document = _document(cast.committee)
    assert document.count("Avis consultatif de Fondation pour le logement") == (2 if published else 0)
    assert document.count(ADVICE) == (2 if published else 0)
    # The co-chairs' member reads it while instructing, whatever the call says; the landlord never does.
    for role, reads in (("member", True), ("member_in_conflict", False), ("landlord", False)):
        page = login(cast.users[role]).get(reverse("dossier_detail", args=[cast.dossier.pk])).content.decode()
        assert (ADVICE in page) is reads, role


def test_members_are_added_for_any_seat_of_the_committee(cast, adviser, login):
    foundation = Access(adviser).advisory_seat_in(cast.committee)
    client = login(cast.users["secretariat"])
    page = client.get(reverse("call_detail", args=[cast.committee.call_id])).content.decode()
    assert "Fondation pour le logement (voix consultative)" in page
    newcomer = UserFactory(username="nouvelle")
    response = client.post(
        reverse("member_new", args=[cast.committee.pk]), {"username": "nouvelle", "institution": foundation.pk}
    )
    assert response.status_code == 302
    assert Access(newcomer).advisory_seat_in(cast.committee) == foundation
    with pytest.raises(SetupRefused, match="voix consultative"):
        committee_member_add(committee=cast.committee, user=newcomer, institution=OrganisationFactory(),
                             by=cast.users["secretariat"])  # fmt: skip
