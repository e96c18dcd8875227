import factory
from django.contrib.auth.models import User

from core.models import Call, Committee, Dossier, Membership, Opinion, Organisation, Seat


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisme {n}")
    kind = Organisation.Kind.LANDLORD


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call

    title = factory.Sequence(lambda n: f"{n}e appel à projets 10 000 logements HLM accompagnés")
    # Above the editions tests give (1 to 60), below those that stand for the newest (1000): the sequence's value
    # depends on the tests run before in the process, and a factory's call that took edition 6 turned a test's new
    # « 6e appel » into a duplicate.
    edition = factory.Sequence(lambda n: n + 61)
    year = 2018
    # No document asked, unless a test asks some: the tests that submit dossiers do not all attach files.
    required_documents = ""


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee
        skip_postgeneration_save = True

    call = factory.SubFactory(CallFactory)

    name = factory.Sequence(lambda n: f"Comité {n}")

    # Its two co-chairs, as committees had them before 2020: the AR Hlm, then the State's service (CommitteeFactory(
    # ar_hlm=org) seats a given organisation, ar_hlm__name="..." names a new one).
    @factory.post_generation
    def ar_hlm(committee, create, extracted, **kwargs):
        _co_chair(committee, extracted or OrganisationFactory(kind=Organisation.Kind.AR_HLM, **kwargs))

    @factory.post_generation
    def state_service(committee, create, extracted, **kwargs):
        _co_chair(committee, extracted or OrganisationFactory(kind=Organisation.Kind.STATE_SERVICE, **kwargs))


def _co_chair(committee: Committee, organisation: Organisation) -> None:
    committee.seats.create(organisation=organisation, kind=Seat.Kind.CO_CHAIR, position=committee.seats.count() + 1)


class DossierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dossier

    committee = factory.SubFactory(CommitteeFactory)
    call = factory.SelfAttribute("committee.call")
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Projet {n}")
    lead_landlord = factory.SubFactory(OrganisationFactory)
    state = Dossier.State.IN_INSTRUCTION


class OpinionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opinion

    dossier = factory.SubFactory(DossierFactory)
    verdict = "favorable"
    questions = "Questions du comité."
    remarks = "Remarques du comité."
    retained = True
    rank = "P1"


def member(user: User, organisation: Organisation, role: str, committee: Committee | None = None) -> User:
    Membership.objects.create(user=user, organisation=organisation, role=role, committee=committee)
    return user


IMPORTER = "importeur"


def importer() -> User:
    """A user of the national secretariat, as whom the import command writes (--by importeur); the one already made,
    for a test that imports more than once."""
    if existing := User.objects.filter(username=IMPORTER).first():
        return existing
    national = OrganisationFactory(name="Secrétariat national", kind=Organisation.Kind.NATIONAL)
    return member(UserFactory(username=IMPORTER), national, Membership.Role.SECRETARIAT)
