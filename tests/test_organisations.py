"""Organisations identified: SIREN, SIRET and RNA numbers checked, names compared folded, partners picked or
created, and the conflict of interest that follows the organisation a partner really is."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from core.identifiers import Identifier, read_identifier
from core.models import Dossier, Membership, Organisation
from core.permissions import Access
from core.services import calls
from core.services.dossiers import DraftRefused, dossier_save_draft
from core.services.organisations import NewOrganisation, organisation_get_or_create
from tests.access import text
from tests.factories import DossierFactory, OrganisationFactory, UserFactory, member
from tests.test_drafts import _edit_data, draft, open_call  # noqa: F401 (fixtures)

fill_folded_names = importlib.import_module("core.migrations.0018_organisation_identified").fill_folded_names


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("123 456 782", Identifier(siret="123456782")),
        ("123.456.782.00010", Identifier(siret="12345678200010")),
        ("356 000 000 00048", Identifier(siret="35600000000048")),  # La Poste's head office: the Luhn key
        ("35600000049837", Identifier(siret="35600000049837")),  # another of its SIRETs: digits adding to 45
        ("w13-100-0123", Identifier(rna="W131000123")),
        ("  ", Identifier()),
    ],
)
def test_numbers_as_they_are_printed(typed, read):
    assert read_identifier(typed) == read


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("123 456 789", "Le SIREN 123456789 n'est pas valide : sa clé de contrôle ne correspond pas."),
        ("12345678200011", "Le SIRET 12345678200011 n'est pas valide"),
        ("35600000049838", "Le SIRET 35600000049838 n'est pas valide"),
        ("1234567", "« 1234567 » n'est ni un SIREN ni un SIRET : un SIREN a 9 chiffres, un SIRET 14"),
        ("W12345", "« W12345 » n'est pas un numéro RNA : un W suivi de 9 chiffres."),
    ],
)
def test_a_wrong_number_is_refused_in_french(typed, says):
    with pytest.raises(ValidationError) as refused:
        read_identifier(typed)
    assert says in refused.value.messages[0]


@pytest.mark.django_db
def test_one_organisation_per_folded_name_in_the_database_too():
    logeo = Organisation.objects.create(name="LOGEO MÉDITERRANÉE", kind=Organisation.Kind.LANDLORD)
    assert logeo.folded_name == "logeomediterranee"
    assert organisation_get_or_create(name="Logeo  Mediterranee", kind=Organisation.Kind.LANDLORD) == (logeo, False)
    assert organisation_get_or_create(name="logeo-méditerranée", kind=Organisation.Kind.LANDLORD) == (logeo, False)
    with pytest.raises(ValidationError) as refused:
        Organisation(name="Logeo Méditerranée", kind=Organisation.Kind.LANDLORD).full_clean()
    assert refused.value.messages == [
        "Un organisme porte déjà ce nom, comparé sans majuscules, accents, espaces ni ponctuation."
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(name="Logeo Mediterranee", kind=Organisation.Kind.LANDLORD)
    assert Organisation.objects.count() == 1


@pytest.mark.django_db
def test_numbers_are_unique_and_rna_is_an_associations():
    OrganisationFactory(name="Habitat Alpes", siret="123456782")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(name="Autre", siret="123456782")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(name="Office", kind=Organisation.Kind.LANDLORD, legal_form="oph", rna="W131000123")
    association = OrganisationFactory(
        name="Accompagner", kind=Organisation.Kind.ASSOCIATION, legal_form="association", rna="W131000123"
    )
    association.full_clean()


@pytest.mark.django_db
def test_a_committee_finds_its_institutions_whatever_their_spelling(cast):
    secretariat = cast.users["secretariat"]
    existing = cast.committee.institutions[0]
    Organisation.objects.filter(pk=existing.pk).update(name="AR Hlm Occitanie", folded_name="arhlmoccitanie")
    call = cast.committee.call
    committee = calls.committee_create(
        call=call, region="76", ar_hlm_name="AR HLM  OCCITANIE", state_service_name="DREAL Occitanie", by=secretariat
    )
    assert committee.institutions[0].pk == existing.pk


@pytest.mark.django_db
def test_the_migration_fills_folded_names_and_merges_nothing():
    kept = OrganisationFactory(name="Habitat d’Azur")
    Organisation.objects.filter(pk=kept.pk).update(folded_name="")
    fill_folded_names(apps, None)
    assert Organisation.objects.get(pk=kept.pk).folded_name == "habitatdazur"

    # Two organisations stored before the names were compared folded: the migration names them and stops.
    Organisation.objects.bulk_create([Organisation(name="HABITAT D'AZUR", folded_name="x", kind="autre")])
    with pytest.raises(RuntimeError, match=r"'Habitat d’Azur' \(id \d+\) = \"HABITAT D'AZUR\" \(id \d+\)"):
        fill_folded_names(apps, None)
    assert Organisation.objects.count() == 2


# Partners -----------------------------------------------------------------------------------------


@pytest.fixture
def editable(cast):
    return DossierFactory(committee=cast.committee, lead_landlord=cast.dossier.lead_landlord, state="brouillon")


def save(cast, dossier, partners=(), new=()):
    return dossier_save_draft(
        dossier=dossier,
        by=cast.users["landlord"],
        values={"publics": [], "co_landlords": []},
        partners=list(partners),
        new_partners=list(new),
    )


def in_conflict(user, dossier) -> bool:
    dossier = Dossier.objects.prefetch_related("co_landlords", "partners").get(pk=dossier.pk)
    return Access(user).in_conflict(dossier)


@pytest.mark.django_db
def test_a_partner_known_by_its_name_or_number_is_picked_never_created_again(cast, editable):
    soliha = OrganisationFactory(name="SOLiHA Provence", kind=Organisation.Kind.ASSOCIATION, siret="12345678200010")
    for new, says in (
        (NewOrganisation("soliha  PROVENCE"), "« SOLiHA Provence » existe déjà : choisissez-le"),
        (
            NewOrganisation("Soliha 13", Identifier(siret="123456782")),
            "« SOLiHA Provence » existe déjà sous le numéro 123456782 : choisissez-le",
        ),
    ):
        with pytest.raises(DraftRefused, match=says):
            save(cast, editable, new=[new])
    assert Organisation.objects.filter(folded_name__startswith="soliha").get() == soliha
    assert not editable.partners.exists()


@pytest.mark.django_db
def test_a_co_chairing_institution_is_no_partner_under_another_name_or_by_its_number(cast, editable):
    institution = cast.committee.institutions[1]
    Organisation.objects.filter(pk=institution.pk).update(siret="12345678200028")
    with pytest.raises(DraftRefused, match="sous le numéro 12345678200028 co-préside le comité régional"):
        save(cast, editable, new=[NewOrganisation("DREAL (autre nom)", Identifier(siret="12345678200028"))])


@pytest.mark.django_db
def test_a_partner_puts_in_conflict_the_members_of_the_organisation_it_is_and_no_other(cast, editable):
    soliha = OrganisationFactory(name="SOLiHA Provence", kind=Organisation.Kind.ASSOCIATION)
    # A member of the committee who also works for SOLiHA Provence.
    colleague = member(
        UserFactory(username="member_soliha"),
        cast.committee.institutions[0],
        Membership.Role.COMMITTEE_MEMBER,
        cast.committee,
    )
    member(colleague, soliha, Membership.Role.LANDLORD_STAFF)

    # Another association, with its RNA number: created, and no one of SOLiHA is in conflict on its account.
    save(cast, editable, new=[NewOrganisation("SOLiHA Alpes", Identifier(rna="W051000123"))])
    alpes = Organisation.objects.get(folded_name="solihaalpes")
    assert (alpes.rna, alpes.legal_form, list(editable.partners.all())) == ("W051000123", "association", [alpes])
    assert not in_conflict(colleague, editable)

    # SOLiHA Provence picked from the list: its member is in conflict.
    save(cast, editable, partners=[soliha])
    assert in_conflict(colleague, editable)


def test_the_draft_form_reads_a_partner_and_its_number(cast, draft, login):  # noqa: F811
    client = login(cast.users["landlord"])
    lines = "Habitat Alpes ; 123 456 782\nhabitat-alpes\nAccompagner 04 ; W041000123"
    response = client.post(reverse("dossier_edit", args=[draft.pk]), _edit_data(new_partners=lines))
    assert response.status_code == 302, text(response)
    assert sorted(draft.partners.values_list("name", "siret", "rna")) == [
        ("Accompagner 04", "", "W041000123"),
        ("Habitat Alpes", "123456782", ""),
    ]

    response = client.post(
        reverse("dossier_edit", args=[draft.pk]), _edit_data(new_partners="Habitat Drôme ; 123 456 789")
    )
    assert response.status_code == 400
    assert "Habitat Drôme : Le SIREN 123456789 n'est pas valide" in text(response)
    assert not Organisation.objects.filter(folded_name="habitatdrome").exists()
