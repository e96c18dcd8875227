"""Every action of the workflow, for every role, on objects in every state: what its POST answers, and the buttons
the pages show.

core/workflow.py declares who may do what, and when; this file asks it (allows(), available()) and holds the
application to it. Two tables, generated tests:
- ACTION_URLS: the URL each action of ACTIONS is posted to, with its form's data. test_action posts it as every
  role of ROLES on each object World builds for the action's lifecycle, in each state it can be in. Where allows()
  says no, the answer is a refusal (403, 404, the login page for the anonymous) and the database is unchanged. Where
  it says yes, the answer is a success (302, 200) or a form's errors (400, 409); a success without an error message
  writes something, and leads the object to the action's target state.
- PAGES: the pages that carry buttons, and the actions each offers. test_page_buttons reads each as every role, for
  objects in every state, and compares its buttons (data-action, with the URL they lead to) with available() on
  the page's object and its parts. ELSEWHERE names the actions no page of PAGES offers, and where they are.
The world is built once for the module; each POST is rolled back, so that every cell starts from the same world.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from core.models import (
    OTHER_DOCUMENT,
    AdvisoryOpinion,
    Agreement,
    ArchiveImport,
    Attachment,
    AuditEvent,
    BudgetLine,
    Call,
    Committee,
    Decision,
    DepartmentalOpinion,
    Dossier,
    DossierStrand,
    ExpertRequest,
    Invitation,
    JointOpinion,
    Membership,
    Message,
    Note,
    Opinion,
    OpinionSignature,
    Organisation,
    PaymentTranche,
    Public,
    Report,
    Seat,
    StateTransition,
    Territory,
)
from core.permissions import Access
from core.services.accounts import invitation_digest
from core.services.attachments import attachment_add
from core.services.calls import seat_add
from core.workflow import ACTIONS, LIFECYCLE, allows, available
from documents.joint_opinion_corrections import document_json
from documents.joint_opinion_parser import parse
from tests.conftest import DEMO_DATA, make_cast
from tests.factories import CallFactory, CommitteeFactory, DossierFactory, OpinionFactory, UserFactory, member

State = Dossier.State
ROLES = (
    "anonymous", "landlord", "other_landlord", "member", "member_in_conflict", "other_committee_member",
    "secretariat", "observer", "other_committee_observer", "expert", "advisory_member", "departmental_instructor",
)  # fmt: skip
REFUSED = frozenset({403, 404})
ANSWERED = {200, 302, 400, 409}


# --- The table: each action's URL and form ----------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """An action taken by a POST: the URL's name (or, given the object, its name), its arguments, the form's data
    (given the world, the role and the object), whether a success leads to the action's target state, and how a
    refusal answers."""

    name: str | Callable[[object], str]
    args: Callable[[object], list] = lambda obj: [obj.pk]
    data: Callable[["World", str, object], dict] = lambda world, role, obj: {}
    reaches_target: bool = True
    # The objects it acts on, when they are not the lifecycle's (an object to be created).
    on: Callable[["World"], dict] | None = None
    refused_with: frozenset[int] = REFUSED

    def takes(self, obj) -> bool:
        """Whether the action has a URL on this object: a report still to write has its year's, not a review's."""
        return None not in self.args(obj)

    def url(self, obj) -> str:
        name = self.name(obj) if callable(self.name) else self.name
        return reverse(name, args=self.args(obj))


@dataclass(frozen=True)
class Via:
    """An action with no URL of its own, taken by another one."""

    action: str
    why: str


@dataclass(frozen=True)
class Outside:
    """An action that no POST of the app takes: where it is taken, and the tests that hold it to the table."""

    where: str


def form(**values) -> Callable:
    return lambda world, role, obj: values


def opinion_form(world, role, dossier) -> dict:
    opinion = getattr(dossier, "opinion", None)
    return {"revision": opinion.revision if opinion else 0, "verdict": "favorable", "questions": "Quel relogement ?",
            "remarks": "Un projet solide.", "retained": "on", "rank": "P2"}  # fmt: skip


def draft_form(world, role, dossier) -> dict:
    parts = {f"{prefix}-{count}_FORMS": 0 for prefix in ("strands", "territories", "budget")
             for count in ("TOTAL", "INITIAL")}  # fmt: skip
    return {**parts, "title": f"{dossier.title} (modifié)", "summary": "Un accompagnement renforcé.",
            "duration_years": 2, "evaluation_plan": "Un bilan par an."}  # fmt: skip


def new_dossier_form(world, role, committee) -> dict:
    """For one of the user's landlords; a user with none names landlord A, which its form does not offer."""
    user = world.users[role]
    landlords = sorted(Access(user).landlord_ids) if user else []
    return {"committee": committee.pk, "landlord": (landlords or [world.cast.dossier.lead_landlord_id])[0],
            "title": "Un nouveau projet"}  # fmt: skip


# Distinct from the files the world's dossiers hold: each cell's upload is new to its dossier.
NEW_PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n%%EOF\n"


def upload_form(world, role, dossier) -> dict:
    """A PDF as another document: the world's calls ask none."""
    return {"document_type": OTHER_DOCUMENT, "file": SimpleUploadedFile("piece.pdf", NEW_PDF)}


def own_document(dossier) -> list:
    """The dossier and its document, if it holds one (build_dossiers)."""
    uuid = Attachment.objects.filter(dossier=dossier, message=None).values_list("uuid", flat=True).first()
    return [dossier.pk, uuid]


REPORT = {"entries_into_housing": 4, "evictions_avoided": 2, "transfers": 1, "comment": "Une année pleine."}
CALL = {"title": "Appel à projets 2019", "year": 2019, "max_duration_years": 3}
AGREEMENT = {"amount": "1 000", "starts_on": "2019-03-01", "ends_on": "2021-02-28", "tranches-TOTAL_FORMS": 1,
             "tranches-INITIAL_FORMS": 0, "tranches-0-amount": "1 000"}  # fmt: skip


ACCEPT = {"first_name": "Nadia", "last_name": "Membre", "password": "une phrase de passe assez longue",
          "password_again": "une phrase de passe assez longue"}  # fmt: skip


def new_invitations(world) -> dict:
    """An invitation for landlord A's staff, one for a member of committee A, one for its departmental instructor of
    the Bouches-du-Rhône."""
    committee = world.cast.committee
    return {
        "porteur du bailleur A": Invitation(organisation=world.cast.dossier.lead_landlord, role="porteur"),
        "membre du comité A": Invitation(organisation=committee.institutions[1], role="membre_comite",
                                         committee=committee),
        "instructeur départemental du comité A": Invitation(
            organisation=Organisation.objects.get(kind=Organisation.Kind.DEPARTMENTAL_SERVICE),
            role="instructeur_dep", committee=committee, department="13",
        ),
    }  # fmt: skip


def invitation_form(world, role, invitation) -> dict:
    values = {"email": "invite@example.fr", "organisation": invitation.organisation_id, "role": invitation.role}
    values |= {"department": invitation.department} if invitation.department else {}
    return values | ({"committee": invitation.committee_id} if invitation.committee_id else {})


def sent_invitations(world) -> dict:
    return world.objects(Invitation)


def report_url(report: Report) -> str:
    return "final_report_edit" if report.is_final else "report_edit"


def report_args(report: Report) -> list:
    return [report.dossier_id, report.year]


def no_args(obj) -> list:
    return []


ACTION_URLS: dict[str, Post | Via | Outside] = {
    "dossier.edit": Post("dossier_edit", data=draft_form),
    "dossier.attach": Post("attachment_upload", data=upload_form),
    "dossier.replace_attachment": Post("attachment_replace", own_document, upload_form),
    "dossier.delete_attachment": Post("attachment_delete", own_document),
    "dossier.submit": Post("dossier_submit"),
    "dossier.withdraw": Post("dossier_withdraw", data=form(confirm="1")),
    "dossier.return": Post("dossier_return", data=form(message="Il manque le budget de la deuxième année.")),
    # The world's departmental instructor pre-instructs the Bouches-du-Rhône (13) for the regional committee.
    "departmental.give": Post(
        "departmental_opinion_edit",
        lambda dossier: [dossier.pk, "13"],
        form(verdict="reserve", reasons="Le relogement reste à trouver."),
    ),
    "opinion.write": Post("opinion_edit", data=opinion_form),
    # One institution signs; the opinion is signed (its target) once the other has signed too.
    "opinion.sign": Post("opinion_sign", reaches_target=False),
    "advisory.give": Post("advisory_give", data=form(text="Un accompagnement solide.")),
    "decision.record": Post("decision_edit", data=form(outcome="retenu", amount_granted="1 000", conditions="")),
    "decision.clear": Post("decision_clear"),
    "decision.notify": Via("call.notify_decisions", "the secretariat notifies a call's recorded decisions at once"),
    "agreement.create": Post("agreement_edit", data=form(**AGREEMENT)),
    "tranche.pay": Post("tranche_paid", data=form(paid_on="2020-01-15")),
    "report.save": Post(report_url, report_args, form(**REPORT)),
    "report.submit": Post(report_url, report_args, form(**REPORT, transmettre="1")),
    "report.validate": Post("report_review", data=form(decision="valider")),
    "report.return": Post("report_review", data=form(decision="renvoyer", message="Il manque les dépenses.")),
    "call.open": Post("call_advance", data=form(status=Call.Status.OPEN)),
    "call.close": Post("call_advance", data=form(status=Call.Status.CLOSED)),
    "call.decide": Post("call_advance", data=form(status=Call.Status.DECIDED)),
    "call.archive": Post("call_advance", data=form(status=Call.Status.ARCHIVED)),
    "call.create": Post("call_new", no_args, form(**CALL), on=lambda world: {"nouvel appel": Call()}),
    "call.edit": Post("call_edit", data=form(**CALL)),
    "call.notify_decisions": Post("call_notify"),
    # Call A's grantor has no SIRET: each grant is reported, none published (tests/test_grants.py publishes).
    "call.publish_grants": Post("call_publish_grants"),
    # Every dossier of the call, not retained: one the user may not decide on refuses them all (400).
    "call.decide_many": Post(
        "call_decide_many",
        data=lambda world, role, call: {"outcome": "non_retenu", "dossiers": list(call.dossiers.values_list("pk"))},
        reaches_target=False,
    ),
    "call.add_committee": Post(
        "committee_new", data=form(region="93", ar_hlm_name="AR Hlm PACA", state_service_name="DREAL PACA")
    ),
    # The committee is a choice of the form, which lists those of the open calls (call_open): another one is refused
    # as the form's error, "Ce comité n'accepte pas de dépôt." (400), the form shown again.
    "committee.create_dossier": Post("dossier_new", no_args, new_dossier_form, refused_with=REFUSED | {400}),
    "committee.publish": Post("committee_publish"),
    "committee.notify_decisions": Post("committee_notify"),
    "committee.add_member": Post(
        "member_new",
        data=lambda world, role, committee: {"username": "candidat", "institution": committee.institutions[0].pk},
    ),
    "exchanges.message": Post("message_new", data=form(body="Pouvez-vous préciser le budget ?")),
    "exchanges.note": Post("note_new", data=form(body="À revoir en séance.")),
    "exchanges.ask_expert": Post(
        "expert_request_new", data=lambda world, role, dossier: {"expert": world.consulted.pk, "question": "Réaliste ?"}
    ),
    "advice.give": Post("expert_advice", data=form(advice="Le projet est réaliste.")),
    # Whatever the form lets through, the service's check refuses: a landlord's invitation for another organisation
    # or role is the form's error (400), the form shown again.
    "invitation.send": Post(
        "invitation_new",
        no_args,
        invitation_form,
        reaches_target=False,
        on=new_invitations,
        refused_with=REFUSED | {400},
    ),
    # A spent or expired link answers 410, with the reason.
    "invitation.accept": Post(
        "invitation_accept",
        lambda invitation: [invitation.secret],
        form(**ACCEPT),
        on=sent_invitations,
        refused_with=frozenset({410}),
    ),
    "account.deactivate": Post("account_deactivate"),
    "account.reactivate": Post("account_reactivate"),
    "account.proconnect": Outside("ProConnect's callback, reached from the provider: tests/test_proconnect.py"),
    # An export is asked for by a POST; the file is a GET of its link once it is ready.
    "call.export": Post("call_export", lambda call: [call.uuid], form(format="xlsx"), reaches_target=False),
    "committee.export": Post(
        "committee_export", lambda committee: [committee.uuid], form(format="xlsx"), reaches_target=False
    ),
    "export.download": Outside("the file's link, a GET for its requester alone: tests/test_exports.py"),
    # The reading is queued once the upload is saved, after the cell's rollback: the import stays « nouveau » here.
    "import.upload": Post(
        "import_new",
        no_args,
        lambda world, role, archive: {"file": SimpleUploadedFile("avis.txt", world.seed.encode())},
        reaches_target=False,
        on=lambda world: {"nouvel import": ArchiveImport()},
    ),
    "import.correct": Post("import_review", lambda archive: [archive.uuid], form(**{"h-dossiers_received": "8"})),
    "import.confirm": Post("import_review", lambda archive: [archive.uuid], form(confirm="1")),
    "import.cancel": Post("import_cancel", lambda archive: [archive.uuid]),
    "import.download": Outside("the file's link, a GET for whoever reads the import: tests/test_imports.py"),
}
POSTED = sorted(name for name, entry in ACTION_URLS.items() if isinstance(entry, Post))


def test_every_action_has_a_url():
    assert sorted(set(ACTIONS) - set(ACTION_URLS)) == [], "Actions without a row in ACTION_URLS: say how to post them"
    assert sorted(set(ACTION_URLS) - set(ACTIONS)) == [], "Rows of ACTION_URLS for actions that no longer exist"
    for name, entry in ACTION_URLS.items():
        if isinstance(entry, Via):
            assert isinstance(ACTION_URLS.get(entry.action), Post), f"{name} is taken by an action without a URL"


# --- The world: objects in every state -------------------------------------------------------------------------


@dataclass
class World:
    """The cast and its expert, and objects of each kind in each state, by label."""

    cast: object
    users: dict
    consulted: object  # an expert nobody has asked yet
    built: dict = field(default_factory=dict)
    # An avis conjoint's text, for the imports.
    seed: str = ""

    def objects(self, kind: type) -> dict:
        return self.built[kind]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> World:
    """Built once for the module, in a transaction rolled back after its last test: each test runs in a savepoint of
    it (pytest-django's), and each POST in a savepoint of the test's."""
    with django_db_blocker.unblock(), transaction.atomic():
        cast = make_cast()
        foundation = Organisation.objects.create(name="Fondation", kind=Organisation.Kind.OTHER)
        experts = [member(UserFactory(username=name), foundation, Membership.Role.EXPERT)
                   for name in ("expert", "other_expert", "consulte")]  # fmt: skip
        UserFactory(username="candidat")
        # Dossier A's call is open: its drafts may be submitted, its committee receives new ones.
        Call.objects.filter(pk=cast.committee.call_id).update(status=Call.Status.OPEN)
        world = World(cast, {**cast.users, "expert": experts[0], "advisory_member": advisory_member(cast)},
                      consulted=experts[2])  # fmt: skip
        elsewhere = Committee.objects.exclude(pk=cast.committee.pk).get()
        regional = build_regional_committee(world)
        build_dossiers(world, other_expert=experts[1])
        build_committees(world, elsewhere)
        build_calls(world, elsewhere)
        build_regional(world, regional)
        build_accounts(world)
        build_imports(world, elsewhere)
        yield world
        transaction.set_rollback(True)


def advisory_member(cast) -> User:
    """A member of committee A for its advisory seat, a housing foundation: it gives its opinion, never signs."""
    foundation = Organisation.objects.create(name="Fondation pour le logement", kind=Organisation.Kind.OTHER)
    seat_add(committee=cast.committee, organisation=foundation, kind=Seat.Kind.ADVISORY)
    return member(UserFactory(username="advisory_member"), foundation, Membership.Role.COMMITTEE_MEMBER, cast.committee)


@pytest.fixture(autouse=True)
def quiet():
    """Refusals are what these tests expect: Django's warning for each would cost more than the request."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def build_dossiers(world: World, other_expert) -> None:
    """Landlord A's dossiers in every state (and the variants its actions' conditions read), a few of landlord B's,
    in committee A; with their tranches, reports and questions to experts."""
    cast, users = world.cast, world.users
    landlord_a, landlord_b = cast.dossier.lead_landlord, cast.other_dossier.lead_landlord
    institutions = (cast.committee.institutions[1], cast.committee.institutions[0])
    now = timezone.now()

    def make(title, state, landlord=landlord_a, opinion=True, signed=(), decision=None, notified=True):
        dossier = DossierFactory(committee=cast.committee, lead_landlord=landlord, state=state, title=title,
                                 duration_years=2)  # fmt: skip
        if opinion:
            sign(OpinionFactory(dossier=dossier), signed)
        if decision:
            amount = Decimal(1000) if decision == Decision.Outcome.RETAINED else None
            Decision.objects.create(dossier=dossier, outcome=decision, amount_granted=amount,
                                    notified_at=now if notified else None)  # fmt: skip
        return dossier

    def agreed(dossier, paid, signed_on=None):
        agreement = Agreement.objects.create(dossier=dossier, amount=Decimal(1000), starts_on=date(2019, 1, 1),
                                             ends_on=date(2021, 1, 1), signed_on=signed_on)  # fmt: skip
        return [PaymentTranche.objects.create(agreement=agreement, order=order, amount=Decimal(500),
                                              paid_on=date(2019, 6, 1) if order <= paid else None)
                for order in (1, 2)]  # fmt: skip

    retained = Decision.Outcome.RETAINED
    draft = make("Brouillon complet", State.DRAFT, opinion=False)
    complete(draft)
    incomplete = make("Incomplet, co-porté par B", State.INCOMPLETE, opinion=False)
    incomplete.co_landlords.add(landlord_b)
    signed_a = make("Avis signé", State.OPINION_SIGNED, signed=institutions)
    agreed_a = make("Conventionné", State.UNDER_AGREEMENT, signed=institutions, decision=retained)
    followed = make("En suivi", State.REPORTING, signed=institutions, decision=retained)
    closed = make("Clos", State.CLOSED, signed=institutions, decision=retained)
    followed_b = make("En suivi, B", State.REPORTING, landlord_b, signed=institutions, decision=retained)
    Dossier.objects.filter(pk=followed.pk).update(duration_years=4)
    dossiers = [
        draft, incomplete, make("Déposé", State.SUBMITTED, opinion=False), cast.dossier,
        make("En instruction, signé par l'État", State.IN_INSTRUCTION, signed=institutions[:1]), signed_a,
        make("Avis signé, décision à notifier", State.OPINION_SIGNED, signed=institutions, decision=retained,
             notified=False),
        make("Ajourné", State.DEFERRED, signed=institutions, decision=Decision.Outcome.DEFERRED),
        make("Retenu", State.RETAINED, signed=institutions, decision=retained),
        make("Non retenu", State.NOT_RETAINED, signed=institutions, decision=Decision.Outcome.NOT_RETAINED),
        agreed_a, followed, closed, make("Retiré", State.WITHDRAWN),
        cast.other_dossier, make("Brouillon, B", State.DRAFT, landlord_b, opinion=False),
        make("Avis signé, B", State.OPINION_SIGNED, landlord_b, signed=institutions), followed_b,
    ]  # fmt: skip
    # One document on each dossier that may change, and on a submitted one: the form's page offers its buttons.
    for dossier in dossiers:
        if dossier.state in (State.DRAFT, State.INCOMPLETE, State.SUBMITTED):
            upload = SimpleUploadedFile("budget.pdf", b"%PDF-1.7\n%% " + dossier.title.encode() + b"\n%%EOF\n")
            attachment_add(dossier=dossier, upload=upload, by=None, document_type=OTHER_DOCUMENT)
    # Agreement A signed, not published: call A has a grant to publish.
    tranches = (
        agreed(agreed_a, paid=1, signed_on=date(2019, 1, 1))
        + agreed(followed, paid=2)
        + agreed(closed, paid=2)
        + agreed(followed_b, 0)
    )
    reports = [Report.objects.create(dossier=followed, year=year, state=state) for year, state in enumerate(
        (Report.State.DRAFT, Report.State.RETURNED, Report.State.SUBMITTED, Report.State.VALIDATED), 1)]  # fmt: skip
    reports += [
        Report.objects.create(dossier=closed, year=1, state=Report.State.DRAFT),
        Report.objects.create(dossier=followed_b, year=1, state=Report.State.SUBMITTED),
    ]
    asked = [
        ExpertRequest.objects.create(dossier=cast.dossier, expert=users["expert"], question="Réaliste ?",
                                     requested_by=users["member"]),
        ExpertRequest.objects.create(dossier=signed_a, expert=users["expert"], question="Réaliste ?",
                                     requested_by=users["member"], advice="Oui.", answered_at=now),
        ExpertRequest.objects.create(dossier=cast.other_dossier, expert=other_expert, question="Réaliste ?",
                                     requested_by=users["member"]),
    ]  # fmt: skip
    by_pk = {d.pk: d for d in with_relations(Dossier.objects.filter(pk__in=[d.pk for d in dossiers]))}
    world.built[Dossier] = {d.title: by_pk[d.pk] for d in dossiers}
    world.built[PaymentTranche] = {
        f"{t.agreement.dossier.title}, tranche {t.order}" + (" versée" if t.paid_on else ""): t
        for t in PaymentTranche.objects.filter(pk__in=[t.pk for t in tranches]).select_related("agreement__dossier")
    }
    reports = Report.objects.filter(pk__in=[r.pk for r in reports]).select_related("dossier")
    # Reports still to write: a year of a dossier in follow-up, the final evaluation, the first of an agreement.
    to_write = [Report(dossier=followed, year=4, is_final=True), Report(dossier=agreed_a, year=1)]
    world.built[Report] = {f"{r}, {r.get_state_display() if r.pk else 'à remettre'}": r for r in [*reports, *to_write]}
    for report in world.built[Report].values():
        report.dossier = by_pk[report.dossier_id]
    world.built[ExpertRequest] = {str(r): r for r in ExpertRequest.objects.filter(pk__in=[r.pk for r in asked])}


def sign(opinion: Opinion, institutions) -> None:
    for institution in institutions:
        OpinionSignature.objects.create(opinion=opinion, institution=institution)


def complete(dossier: Dossier) -> None:
    """Everything a dossier needs to be submitted."""
    Dossier.objects.filter(pk=dossier.pk).update(summary="Accompagner vers le logement.", households_total=10,
                                                 evaluation_plan="Un bilan par an.")  # fmt: skip
    dossier.publics.add(Public.objects.create(name="Sortants de prison"))
    Territory.objects.create(dossier=dossier, department="13")
    DossierStrand.objects.create(dossier=dossier, strand="acces", year=1, households=10)
    BudgetLine.objects.create(dossier=dossier, year=1, funder=BudgetLine.Funder.FNAVDL, amount=Decimal(1000))


def with_relations(dossiers):
    """What the workflow's policies and conditions read of a dossier."""
    return dossiers.select_related("committee__call", "opinion", "decision", "agreement").prefetch_related(
        "co_landlords", "partners", "opinion__signatures"
    )


def build_committees(world: World, elsewhere: Committee) -> None:
    """Committee A, whose opinions are not all signed, and committee B, whose one dossier's is: it may publish."""
    landlord_b = world.cast.other_dossier.lead_landlord
    signed = DossierFactory(committee=elsewhere, lead_landlord=landlord_b, state=State.OPINION_SIGNED,
                            title="Avis signé, comité B")  # fmt: skip
    sign(OpinionFactory(dossier=signed), elsewhere.institutions)
    committees = (
        Committee.objects.select_related("call")
        .prefetch_related("seats")
        .in_bulk([world.cast.committee.pk, elsewhere.pk])
    )
    world.built[Committee] = {"Comité A": committees[world.cast.committee.pk], "Comité B": committees[elsewhere.pk]}


def build_regional_committee(world: World) -> Committee:
    """A regional decision's call (closed, with a departmental pre-instruction) and its committee, co-chaired by
    committee A's institutions, where the member and the member in conflict sit too, and the departmental instructor
    pre-instructs the Bouches-du-Rhône (13): before anything reads their memberships."""
    cast, users = world.cast, world.users
    call = CallFactory(title="Appel FNAVDL, décision régionale", process=Call.Process.REGIONAL,
                       status=Call.Status.CLOSED, departmental_preinstruction=True)  # fmt: skip
    committee = CommitteeFactory(call=call, name="Comité régional", ar_hlm=cast.committee.institutions[0],
                                 state_service=cast.committee.institutions[1])  # fmt: skip
    Membership.objects.create(user=users["member"], organisation=committee.institutions[1], committee=committee,
                              role=Membership.Role.COMMITTEE_MEMBER)  # fmt: skip
    Membership.objects.create(user=users["member_in_conflict"], organisation=committee.institutions[0],
                              committee=committee, role=Membership.Role.COMMITTEE_MEMBER)  # fmt: skip
    service = Organisation.objects.create(name="DDETS 13", kind=Organisation.Kind.DEPARTMENTAL_SERVICE)
    users["departmental_instructor"] = UserFactory(username="departmental_instructor")
    Membership.objects.create(user=users["departmental_instructor"], organisation=service, committee=committee,
                              role=Membership.Role.DEPARTMENTAL_INSTRUCTOR, department="13")  # fmt: skip
    return committee


def build_regional(world: World, committee: Committee) -> None:
    """On the regional call, the committee decides: dossiers of landlords A (the member in conflict works for it) and
    B, to decide, with a decision to notify, retained without an agreement. Its departmental pre-instruction: dossiers
    in the Bouches-du-Rhône (13), in instruction awaiting its opinion, submitted with it (and awaiting the Var's, 83),
    signed. No more of them: the member's workspace lists a page of opinions to write."""
    cast = world.cast
    landlord_a, landlord_b = cast.dossier.lead_landlord, cast.other_dossier.lead_landlord
    retained = Decision.Outcome.RETAINED
    made = []
    for title, state, landlord, decision, notified, signed, covered in (
        ("Régional, avis signé, A", State.OPINION_SIGNED, landlord_a, None, False, True, ()),
        ("Régional, avis signé, B, 13", State.OPINION_SIGNED, landlord_b, None, False, True, ("13",)),
        ("Régional, décision à notifier, B", State.OPINION_SIGNED, landlord_b, retained, False, True, ()),
        ("Régional, retenu, A", State.RETAINED, landlord_a, retained, True, True, ()),
        ("Régional, retenu, B", State.RETAINED, landlord_b, retained, True, True, ()),
        ("Régional, en instruction, B, 13", State.IN_INSTRUCTION, landlord_b, None, False, False, ("13",)),
        ("Régional, déposé, A, 13 donné, 83", State.SUBMITTED, landlord_a, None, False, False, ("13", "83")),
    ):
        dossier = DossierFactory(committee=committee, lead_landlord=landlord, state=state, title=title,
                                 duration_years=2)  # fmt: skip
        for department in covered:
            Territory.objects.create(dossier=dossier, department=department)
        if signed:
            sign(OpinionFactory(dossier=dossier), committee.institutions)
        elif state == State.IN_INSTRUCTION:
            # Written, to be signed once the departments' opinions are in.
            OpinionFactory(dossier=dossier)
        else:
            DepartmentalOpinion.objects.create(dossier=dossier, department="13", verdict="favorable",
                                               given_by=world.users["departmental_instructor"],
                                               given_at=timezone.now())  # fmt: skip
        if decision:
            Decision.objects.create(dossier=dossier, outcome=decision, amount_granted=Decimal(1000),
                                    notified_at=timezone.now() if notified else None)  # fmt: skip
        made.append(dossier)
    by_pk = {d.pk: d for d in with_relations(Dossier.objects.filter(pk__in=[d.pk for d in made]))}
    world.built[Dossier] |= {d.title: by_pk[d.pk] for d in made}
    world.built[Committee]["Comité régional"] = (
        Committee.objects.select_related("call").prefetch_related("seats").get(pk=committee.pk)
    )
    world.built[Call]["Appel régional, clos"] = Call.objects.get(pk=committee.call_id)


def build_calls(world: World, elsewhere: Committee) -> None:
    """Call A (open, with the dossiers and their decisions to notify), call B (in preparation), a call in each status
    with a committee, one in preparation with none."""
    calls = {
        "Appel A, ouvert": world.cast.committee.call,
        "Appel B, en préparation": elsewhere.call,
        "En préparation, sans comité": CallFactory(),
    }
    for status in Call.Status:
        calls[f"{status.label}, un comité"] = CommitteeFactory(call=CallFactory(status=status)).call
    by_pk = Call.objects.in_bulk([call.pk for call in calls.values()])
    world.built[Call] = {label: by_pk[call.pk] for label, call in calls.items()}


def build_accounts(world: World) -> None:
    """Landlord A's staff, active and deactivated; the secretariat itself. Invitations waiting, expired, accepted."""
    landlord = world.cast.dossier.lead_landlord
    departed = member(UserFactory(username="parti", is_active=False), landlord, Membership.Role.LANDLORD_STAFF)
    colleague = member(UserFactory(username="collegue"), landlord, Membership.Role.LANDLORD_STAFF)
    world.built[User] = {"collègue du bailleur A": colleague, "ancien du bailleur A, désactivé": departed,
                         "le secrétariat lui-même": world.users["secretariat"]}  # fmt: skip
    now = timezone.now()
    invitations = {}
    states = (("en attente", now + timedelta(days=7), None), ("expirée", now - timedelta(minutes=1), None),
              ("acceptée", now, now))  # fmt: skip
    for label, expires, accepted in states:
        invitation = Invitation.objects.create(
            email=f"{label}@example.fr", organisation=landlord, role=Membership.Role.LANDLORD_STAFF,
            invited_by=world.users["secretariat"], expires_at=expires, key_hash=invitation_digest(label),
            accepted_at=accepted, user=colleague if accepted else None,
        )  # fmt: skip
        invitation.secret = label
        invitations[f"invitation {label}"] = invitation
    world.built[Invitation] = invitations


def build_imports(world: World, elsewhere: Committee) -> None:
    """Committee A is Bretagne's, whose member imports Bretagne's avis conjoints; imports in every state, the member's,
    one of another region (PACA's), one the secretariat's."""
    Committee.objects.filter(pk=world.cast.committee.pk).update(region="53")
    Committee.objects.filter(pk=elsewhere.pk).update(region="76")
    paca = (DEMO_DATA / "avis-conjoint-paca-2018.txt").read_text(encoding="utf-8")
    world.seed = paca.replace("PACA & Corse", "Bretagne").replace("PROVENCE-ALPES-COTE D'AZUR", "BRETAGNE")
    member, secretariat = world.users["member"], world.users["secretariat"]
    imported = ArchiveImport.State
    imports = {}
    for label, state, by, text, region in (
        ("en lecture", imported.PARSING, member, "", ""),
        ("à vérifier", imported.READY, member, world.seed, "53"),
        ("à vérifier, de PACA", imported.READY, member, paca, "93"),
        ("à vérifier, du secrétariat", imported.READY, secretariat, world.seed, "53"),
        ("refusé", imported.REFUSED, member, "", ""),
        ("importé", imported.CONFIRMED, member, world.seed, "53"),
        ("annulé", imported.CANCELLED, member, world.seed, "53"),
    ):
        document = document_json(parse(text)) if text else {}
        archive = ArchiveImport(uploaded_by=by, filename="avis.txt", sha256="0" * 64, state=state, region=region,
                                text=text, document=document, file=f"imports/{label}.txt")  # fmt: skip
        archive.save()
        imports[f"import {label}"] = archive
    world.built[ArchiveImport] = imports


# The rows an action may write, with the fields a refusal must leave as they are.
WRITTEN = {
    Dossier: ("state", "title", "updated_at"),
    Dossier.history.model: (),
    Opinion: ("revision", "verdict"),
    OpinionSignature: (),
    AdvisoryOpinion: ("text",),
    DepartmentalOpinion: ("verdict", "reasons"),
    Decision: ("outcome", "amount_granted", "notified_at"),
    Agreement: ("published_at",),
    PaymentTranche: ("paid_on",),
    Report: ("state", "entries_into_housing"),
    Call: ("status", "title"),
    Committee: (),
    Membership: (),
    StateTransition: (),
    AuditEvent: (),
    Message: (),
    Note: (),
    Attachment: (),
    ExpertRequest: ("answered_at",),
    JointOpinion: (),
    Invitation: ("accepted_at",),
    ArchiveImport: ("state", "corrections"),
}


def snapshot_query() -> str:
    """One query for every row of WRITTEN: thousands of cells read it."""
    quote = connection.ops.quote_name
    selects = []
    for model, fields in WRITTEN.items():
        columns = [model._meta.get_field(name).column for name in fields]
        values = " || '|' || ".join(f"COALESCE(CAST({quote(c)} AS TEXT), '')" for c in columns) or "''"
        selects.append(f"SELECT '{model.__name__}', {quote(model._meta.pk.column)}, {values} "
                       f"FROM {quote(model._meta.db_table)}")  # fmt: skip
    return " UNION ALL ".join(selects) + " ORDER BY 1, 2"


def snapshot() -> dict[str, list]:
    rows: dict[str, list] = {model.__name__: [] for model in WRITTEN}
    with connection.cursor() as cursor:
        cursor.execute(snapshot_query())
        for name, pk, values in cursor.fetchall():
            rows[name].append((pk, values))
    return rows


def reread(obj):
    """The object as the database holds it now (a report still to write: the one written since, if any)."""
    if isinstance(obj, Report) and obj.pk is None:
        return Report.objects.filter(dossier=obj.dossier_id, year=obj.year, is_final=obj.is_final).first() or obj
    return type(obj).objects.get(pk=obj.pk) if obj.pk else obj


# --- Every action, every role, every state ------------------------------------------------------------------------


def access_of(world: World, role: str) -> Access:
    return Access(world.users[role] or AnonymousUser())


def login(client, world: World, role: str) -> None:
    client.logout()
    if world.users[role] is not None:
        client.force_login(world.users[role])


def error_messages(response) -> list[str]:
    return [str(m) for m in messages.get_messages(response.wsgi_request) if m.level == messages.ERROR]


@pytest.mark.parametrize("name", POSTED)
def test_action(world, db, client, name):
    """Each cell: a role posts the action on an object; the answer and the database agree with allows()."""
    action, entry = ACTIONS[name], ACTION_URLS[name]
    lifecycle = LIFECYCLE[action.lifecycle]
    objects = entry.on(world) if entry.on else world.objects(lifecycle.kind)
    objects = {label: obj for label, obj in objects.items() if entry.takes(obj)}
    before, failures, taken = snapshot(), [], 0
    for role in ROLES:
        login(client, world, role)
        access = access_of(world, role)
        for label, obj in objects.items():
            allowed = allows(access, name, obj)
            taken += allowed
            cell = f"{role} on « {label} » ({lifecycle.state_of(obj) or '—'}), {'allowed' if allowed else 'refused'}"
            try:
                with transaction.atomic():
                    response = client.post(entry.url(obj), entry.data(world, role, obj))
                    after = snapshot()
                    state = lifecycle.state_of(reread(obj)) if allowed else None
                    transaction.set_rollback(True)
            except Exception as error:
                failures.append(f"{cell}: raised {error!r}")
                continue
            status = response.status_code
            to_login = status == 302 and response["Location"].startswith(reverse("login"))
            if not allowed:
                if not (status in entry.refused_with or (to_login and role == "anonymous")):
                    failures.append(f"{cell}: answered {status}, expected {sorted(entry.refused_with)}")
                if after != before:
                    changed = sorted(key for key in before if before[key] != after[key])
                    failures.append(f"{cell}: answered {status} but changed {', '.join(changed)}")
            elif status not in ANSWERED or to_login:
                failures.append(f"{cell}: answered {status}{' (login)' if to_login else ''}")
            elif status == 302 and not error_messages(response):
                if after == before:
                    failures.append(f"{cell}: answered {status}, and nothing was written")
                elif entry.reaches_target and action.target is not None and state != action.target:
                    failures.append(f"{cell}: now « {state} », expected « {action.target} »")
    assert not failures, f"{name}:\n" + "\n".join(failures)
    assert taken, "No role may take it on any object of the world: build one it may act on"


# --- The buttons of each page ------------------------------------------------------------------------------------


def followup_parts(dossier: Dossier) -> list:
    """The dossier, its tranches, its reports and those still to write (each year's, the final evaluation)."""
    agreement = getattr(dossier, "agreement", None)
    reports = {(report.year, report.is_final): report for report in dossier.reports.all()}
    for report in reports.values():
        report.dossier = dossier
    duration = dossier.duration_years or 1
    wanted = [(year, False) for year in range(1, duration + 1)] + [(duration, True)]
    to_write = [Report(dossier=dossier, year=y, is_final=final) for y, final in wanted if (y, final) not in reports]
    return [dossier, *(agreement.tranches.all() if agreement else ()), *reports.values(), *to_write]


@dataclass(frozen=True)
class Page:
    """A page with buttons: its objects (by kind), what its buttons act on (the object and its parts), and the
    actions it offers."""

    kind: type | None
    parts: Callable[[object], list]
    actions: frozenset[str]


DOSSIER_ACTIONS = {"dossier.edit", "dossier.submit", "dossier.withdraw", "dossier.return", "departmental.give",
                   "opinion.write", "opinion.sign", "advisory.give", "decision.record", "decision.clear",
                   "agreement.create"}  # fmt: skip
FOLLOWUP_ACTIONS = {"agreement.create", "tranche.pay", "report.save", "report.validate", "report.return"}
EXCHANGES_ACTIONS = {"exchanges.message", "exchanges.note", "exchanges.ask_expert", "advice.give"}
CALL_ACTIONS = {"call.edit", "call.open", "call.close", "call.decide", "call.archive", "call.add_committee",
                "committee.add_member", "call.publish_grants"}  # fmt: skip
PAGES = {
    "dossier_detail": Page(Dossier, lambda dossier: [dossier], frozenset(DOSSIER_ACTIONS)),
    # The dossier form's page, for whoever may change the dossier: its documents (one on each such dossier of the
    # world, whose buttons name it).
    "dossier_edit": Page(
        Dossier,
        lambda dossier: [dossier],
        frozenset({"dossier.attach", "dossier.replace_attachment", "dossier.delete_attachment"}),
    ),
    "dossier_followup": Page(Dossier, followup_parts, frozenset(FOLLOWUP_ACTIONS)),
    "dossier_exchanges": Page(
        Dossier, lambda dossier: [dossier, *dossier.expert_requests.all()], frozenset(EXCHANGES_ACTIONS)
    ),
    "call_list": Page(None, lambda _: [Call()], frozenset({"call.create"})),
    "call_detail": Page(
        Call,
        lambda call: [call, *call.committees.select_related("call").prefetch_related("seats")],
        frozenset(CALL_ACTIONS),
    ),
    # On a regional decision's call, the secretariat reads the selection, the committees decide on their pages.
    "call_selection": Page(
        Call,
        lambda call: [
            call,
            *(with_relations(call.dossiers.all()) if call.process == Call.Process.NATIONAL else ()),
        ],
        frozenset({"call.notify_decisions", "call.decide_many", "decision.record"}),
    ),
    "committee_publication": Page(Committee, lambda committee: [committee], frozenset({"committee.publish"})),
    # On a regional decision's call, the committee's page carries its decisions.
    "committee_detail": Page(
        Committee,
        lambda committee: [
            committee,
            *(with_relations(committee.dossiers.all()) if committee.call.process == Call.Process.REGIONAL else ()),
        ],
        frozenset({"decision.record", "committee.notify_decisions"}),
    ),
}
# The actions no page of PAGES offers, and where they are.
ELSEWHERE = {
    "report.submit": "the report's form (report_edit), beside report.save, to which the follow-up page leads",
    "decision.notify": "taken by call.notify_decisions, on the national selection, and by committee.notify_decisions, "
    "on a regional decision's committee page",
    "invitation.send": "the accounts page's « Inviter une personne », before an organisation and a role are chosen: "
    "the role alone decides whether it shows (guard_who), the rest is checked when the form is posted; a committee's "
    "page's « Inviter un instructeur départemental » for its co-chairs: tests/test_departmental.py",
    "invitation.accept": "the e-mailed link's page, for whoever holds it",
    "account.deactivate": "the accounts page, as the list of each reader's accounts: tests/test_invitations.py",
    "account.reactivate": "the accounts page, as the list of each reader's accounts: tests/test_invitations.py",
    "account.proconnect": "the login page's « Se connecter avec ProConnect »: tests/test_proconnect.py",
    "call.export": "the committee's dossier list, « Tous les dossiers de l'appel »: tests/test_exports.py",
    "committee.export": "the committee's page, « Exporter les dossiers et leurs avis »: tests/test_exports.py",
    "export.download": "the export's page once it is ready, for its requester: tests/test_exports.py",
    "import.upload": "the header's « Importer un avis conjoint » (permits: the role alone decides, the region is "
    "checked once the file is read): tests/test_imports.py",
    "import.correct": "the import's page (import_detail), for its uploader and the secretariat: tests/test_imports.py",
    "import.confirm": "the import's page (import_detail), for its uploader and the secretariat: tests/test_imports.py",
    "import.cancel": "the import's page (import_detail), for its uploader and the secretariat: tests/test_imports.py",
    "import.download": "the file's link on the import's page and, once confirmed, on its committee's page: "
    "tests/test_imports.py",
    "committee.create_dossier": "the home page's « Nouveau dossier », before a committee is chosen: the role alone "
    "decides whether it shows (guard_who), the committee is checked when the form is posted",
}


def test_every_action_is_offered_somewhere():
    offered = {name for page in PAGES.values() for name in page.actions}
    assert sorted(set(ACTIONS) - offered - set(ELSEWHERE)) == [], "Actions no page offers: add them to PAGES"
    assert sorted(offered & set(ELSEWHERE)) == [], "Actions in PAGES and in ELSEWHERE: choose"
    assert sorted(offered - set(ACTIONS)) == [], "Actions of PAGES that ACTIONS does not declare"


class Buttons(HTMLParser):
    """Each data-action of a page, with the URL its link or form leads to; a form may take two actions."""

    def __init__(self, html: str):
        super().__init__()
        self.found: set[tuple[str, str]] = set()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in (attrs.get("data-action") or "").split():
            self.found.add((name, attrs.get("href") or attrs.get("action") or ""))


def url_of(name: str, obj) -> str:
    entry = ACTION_URLS[name]
    return entry.url(obj) if isinstance(entry, Post) else ""


@pytest.mark.parametrize("page_name", sorted(PAGES))
def test_page_buttons(world, db, client, page_name):
    """Each cell: a role reads the page of an object; its buttons are the actions available() on the object and its
    parts, among those the page offers, each leading to the action's URL."""
    page = PAGES[page_name]
    objects = world.objects(page.kind) if page.kind else {"": None}
    parts = {label: page.parts(obj) for label, obj in objects.items()}
    failures, buttons = [], 0
    for role in ROLES:
        login(client, world, role)
        access = access_of(world, role)
        for label, obj in objects.items():
            response = client.get(reverse(page_name, args=[obj.pk] if obj else None))
            found = Buttons(response.content.decode()).found if response.status_code == 200 else set()
            undeclared = sorted({name for name, _ in found} - page.actions)
            if undeclared:
                failures.append(f"{role} on « {label} »: buttons {undeclared} that PAGES does not give this page")
            shown = {(name, url) for name, url in found if name in page.actions}
            expected = {
                (name, url_of(name, part)) for part in parts[label] for name in available(access, part) & page.actions
            }
            for name, url in sorted(expected - shown):
                failures.append(f"{role} on « {label} » ({response.status_code}): no button {name} ({url})")
            for name, url in sorted(shown - expected):
                failures.append(f"{role} on « {label} »: a button {name} ({url}) that available() does not list")
            buttons += len(shown)
    assert not failures, f"{page_name}:\n" + "\n".join(failures)
    assert buttons, "No role sees a button on any object: the world lacks one the page acts on"
