"""A committee's seats: two or three co-chairing institutions, each of which signs its opinions, and advisory members,
who give their own opinion on each dossier and never sign nor decide."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from core.models import Committee, Dossier, Membership, Organisation, Seat
from core.services.calls import SetupRefused, committee_create, seat_add
from core.services.opinions import opinion_sign
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
