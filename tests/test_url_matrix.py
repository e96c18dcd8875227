"""The authorisation matrix: every named URL, what each role gets on it, on its own object and on another one.

A URL cannot ship without its row: test_every_url_has_a_row fails on a URL name missing from MATRIX, and on a row
whose URL no longer exists. Django's admin is one rule (ADMIN_RULE): every admin:* URL is for staff only.

Each row gives, for GET and for POST when the URL takes one, one cell per role of ROLES (the cast's nine, an
invited expert, a member for an advisory seat) and per object: "A|B" when the URL names an object, A being the cast's
dossier A (landlord A's), its committee, its call… and B dossier B (landlord B's, same committee), the other committee,
the other call…; a single value is for both, or for a URL without object. Outcomes:
    200, 302     the page, or a redirect elsewhere than the login page (GET)
    login        redirected to the login page (anonymous)
    401          the API's answer to an anonymous client
    403, 404     refused; 404 when the user may not even know the object exists
    405          method not allowed
    ok           a POST let through; what it then gives is the URL's own, its `through` (the same for every role
                 let through, since they send the same data):
                   done   the action ran, and the page says so (a success message)
                   form   the form, or the service, refused what was sent and says why: its errors (400, 409, or
                          the form shown again) or an error message
A refusal never shows the dossiers' titles nor their draft opinions. What the pages show beyond the status
(content hidden under a conflict of interest, the projects of a document…) is tested in the *_access files,
test_downloads.py, test_exchanges.py and test_api.py.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from api.tokens import token_create
from core.models import (
    Agreement,
    ArchiveImport,
    Attachment,
    Call,
    Committee,
    Decision,
    DepartmentalOpinion,
    Dossier,
    ExpertRequest,
    Export,
    Invitation,
    JointOpinion,
    Membership,
    Notification,
    Organisation,
    PaymentTranche,
    Report,
    Seat,
    Territory,
)
from core.services.accounts import invitation_digest
from core.services.calls import seat_add
from core.services.joint_opinions import committee_snapshot, snapshot_digest
from core.services.receipts import receipt_create
from documents.joint_opinion_corrections import document_json
from documents.joint_opinion_parser import parse
from tests.access import A_DRAFT, A_TITLE, B_DRAFT, B_TITLE, text
from tests.factories import DossierFactory, OrganisationFactory, UserFactory, member

ROLES = (
    "anonymous", "landlord", "other_landlord", "member", "member_in_conflict", "other_committee_member",
    "secretariat", "observer", "other_committee_observer", "expert", "advisory_member", "departmental_instructor",
)  # fmt: skip
SIDES = ("A", "B")
DRAFT_A, DRAFT_B = "Brouillon du bailleur A", "Brouillon du bailleur B"
PDF = b"%PDF-1.4\n%%EOF\n"
SECRETS = (
    A_TITLE, B_TITLE, A_DRAFT, B_DRAFT, DRAFT_A, DRAFT_B,
    *(f"{kind} {side}" for kind in ("Avis signé", "Retenu", "Suivi", "À notifier") for side in SIDES),
)  # fmt: skip
REFUSALS = {"login", "401", "403", "404", "405"}
INVITATION_KEY = "lien-d-invitation-de-la-matrice"


def row(*cells: str) -> dict[str, dict[str, str]]:
    """One cell per role, in the order of ROLES: "200" for both objects, "200|404" for object A | object B."""
    assert len(cells) == len(ROLES), cells
    sides = [cell.split("|") for cell in cells]
    return {
        role: dict(zip(SIDES, pair * (2 // len(pair)), strict=True)) for role, pair in zip(ROLES, sides, strict=True)
    }


def everyone(anonymous: str, others: str) -> dict[str, dict[str, str]]:
    return row(anonymous, *[others] * (len(ROLES) - 1))


def rules(table: str) -> dict[str, dict[str, dict[str, str]]]:
    """Named rows, one a line: the rule's name, then its cells in the order of ROLES."""
    lines = [line.split() for line in table.strip().splitlines() if not line.lstrip().startswith("#")]
    return {name: row(*cells) for name, *cells in lines}


# The rules of DESIGN §2. Columns: anonymous, landlord A, landlord B, committee member, member in conflict on
# dossier A (works for landlord A), member of the other committee, secretariat, observer of every committee, observer
# of the other committee, expert asked about dossier A, member of committee A for its advisory seat (a foundation),
# departmental instructor of dossier A's department.
RULES = rules("""
#                   anon   lA       lB       member   conflict  other-m  secr  obs  other-o  expert   advis    dep
DOSSIER             login  200|404  404|200  200      200       404      200   200  404      200|404  200      200|404
# The exchanges on a dossier (thread, notes, advice): whoever reads one of them; an observer reads none.
EXCHANGES           login  200|404  404|200  200      200       404      200   404  404      200|404  200      404
# The committee's acts on a dossier (notes, questions to experts): its members, except on a dossier their
# organisation carries.
COMMITTEE_ACT       login  403|404  404|403  ok       403|ok    404      403   403  404      403|404  ok       403|404
# Writing and signing the committee's opinion, returning a dossier: the co-chairs' members alone, never an advisory
# member, who gives an opinion of its own.
SIGN                login  403|404  404|403  ok       403|ok    404      403   403  404      403|404  403      403|404
# An advisory opinion: the advisory member's, on the dossiers it is not in conflict on.
ADVISORY            login  403|404  404|403  403      403       404      403   403  404      403|404  ok       403|404
# The thread: the landlord's side and the committee's.
TALK                login  ok|404   404|ok   ok       ok        404      403   403  404      403|404  ok       403|404
# A draft (A: landlord A's, B: landlord B's) is its landlord's; the secretariat sees it, does not touch it.
DRAFT_PAGE          login  200|404  404|200  404      200|404   404      403   404  404      404      404      404
DRAFT_ACT           login  ok|404   404|ok   404      ok|404    404      403   404  404      404      404      404
# Reports are written by the dossier's landlord only.
REPORT_PAGE         login  200|404  404|200  403      200|403   404      403   403  404      404      403      404
REPORT_POST         login  ok|404   404|ok   403      ok|403    404      403   403  404      404      403      404
# A committee (A: the cast's, B: the other one): its members, the secretariat, its observers.
COMMITTEE           login  404      404      200|404  200|404   404|200  200   200  404|200  404      200|404  404
PUBLISH             login  404      404      ok|404   ok|404    404|ok   403   403  404|403  404      403|404  404
PUBLISH_PAGE        login  404      404      302|404  302|404   404|302  403   403  404|403  404      403|404  404
COMMITTEE_DRAFT     login  404      404      200|404  200|404   404|200  200   403  404|403  404      200|404  404
# A committee notifies its decisions on a regional decision's call only: on the cast's calls (national selections)
# it is refused to every reader of the committee (tests/test_regional.py notifies on a regional one).
COMMITTEE_NOTIFY    login  404      404      403|404  403|404   404|403  403   403  404|403  404      403|404  404
# A published avis conjoint: the committee's readers, and whoever sees a dossier in it (its section only).
JOINT_OPINION       login  200|404  200|404  200|404  200|404   404|200  200   200  404|200  200|404  200|404  200|404
# The national pages: the secretariat, and observers of the whole programme.
NATIONAL            login  403      403      403      403       403      200   200  403      403      403      403
SECRETARIAT         login  403      403      403      403       403      200   403  403      403      403      403
SECRETARIAT_ACT     login  403      403      403      403       403      ok    403  403      403      403      403
# The secretariat's acts on a dossier of the committee (A: landlord A's, B: landlord B's), never asked of the expert:
# 404 to whoever does not see it, 403 to the others.
ON_DOSSIER_PAGE     login  403|404  404|403  403      403       404      200   403  404      404      403      404
ON_DOSSIER_ACT      login  403|404  404|403  403      403       404      ok    403  404      404      403      404
# The secretariat's acts on a committee, or on a dossier of another landlord in it: 404 to whoever does not read it.
ON_COMMITTEE_ACT    login  404      404      403|404  403|404   404|403  ok    403  404|403  404      403|404  404
# Landlords start dossiers.
NEW_DOSSIER         login  200      200      403      200       403      403   403  403      403      403      403
NEW_DOSSIER_POST    login  ok       ok       403      ok        403      403   403  403      403      403      403
# Advice: A was asked of the expert, B of another expert.
ADVICE              login  404      404      404      404       404      404   404  404      ok|404   404      404
# The API, here with a session (tokens: test_api_tokens.py).
API_DOSSIER         401    200|404  404|200  200      200       404      200   200  404      200|404  200      200|404
API_FOLLOWED        401    200|404  404|200  200      200       404      200   200  404      404      200      404
API_JOINT_OPINIONS  401    200|404  200|404  200|404  200|404   404|200  200   200  404|200  200|404  200|404  200|404
# Accounts: the secretariat manages them all; a landlord's staff (the member in conflict is landlord A's) read their
# colleagues' and invite them.
ACCOUNTS            login  200      200      403      200       403      200   403  403      403      403      403
ACCOUNTS_POST       login  ok       ok       403      ok        403      ok    403  403      403      403      403
# Inviting: the secretariat anyone, a landlord's staff their colleagues, a committee's co-chairs (every member of
# committee A but its advisory one) its departmental instructors.
INVITE              login  200      200      200      200       200      200   403  403      403      403      403
INVITE_POST         login  ok       ok       ok       ok        ok       ok    403  403      403      403      403
# Deactivating (A: a colleague of landlord A, B: of landlord B): the secretariat only; a landlord does not even see
# another landlord's staff.
ACCOUNT_ACT         login  403|404  404|403  403      403|404   403      ok    403  403      403      403      403
# Exports of a committee's dossiers, of a call's: whoever reads them.
COMMITTEE_EXPORT    login  404      404      ok|404   ok|404    404|ok   ok    ok   404|ok   404      ok|404   404
CALL_EXPORT         login  403      403      403      403       403      ok    ok   403      403      403      403
# Importing a past avis conjoint: the secretariat, and the members of a committee's co-chairing institutions (committee
# A's two, committee B's one), each for the imports they uploaded (A: the member's, B: the other committee's member's).
IMPORT_PAGE         login  403      403      200      200       200      200   403  403      403      403      403
IMPORT_POST         login  403      403      ok       ok        ok       ok    403  403      403      403      403
IMPORT              login  404      404      200|404  404       404|200  200   404  404      404      404      404
IMPORT_ACT          login  404      404      ok|404   404       404|ok   ok    404  404      404      404      404
# The departmental opinion on a dossier of a call with a departmental pre-instruction: the instructor of a department
# it covers (dossier A is in the Bouches-du-Rhône, the last column's); whoever else sees the dossier is refused.
DEPARTMENTAL_PAGE   login  403|404  404|403  403      403       404      403   403  404      403|404  403      200|404
DEPARTMENTAL_ACT    login  403|404  404|403  403      403       404      403   403  404      403|404  403      ok|404
""")
LOGGED_IN = everyone("login", "200")
LOGGED_IN_POST = everyone("login", "ok")
PUBLIC = everyone("200", "200")
PUBLIC_POST = everyone("ok", "ok")
API_LOGGED_IN = everyone("401", "200")
# POST-only views: require_POST comes before login_required, so that the anonymous get 405 too.
POST_ONLY = everyone("405", "405")
# A user's own object, an API token or a notification (A), and another user's (B).
OWN_TOKEN = everyone("login", "ok|404")
POST_ONLY_AFTER_LOGIN = everyone("login", "405")


def attachment(dossier) -> Attachment:
    piece = Attachment(dossier=dossier, name="budget.pdf", kind=Attachment.Kind.PDF, size=len(PDF))
    piece.file.save("budget.pdf", ContentFile(PDF))
    return piece


@dataclass
class World:
    """The cast, and one object of each kind on each side."""

    cast: object
    objects: dict = field(default_factory=dict)

    def __call__(self, kind: str, side: str):
        return self.objects[kind, side]


@dataclass(frozen=True)
class Url:
    """A URL's arguments for a role and a side (None: no object), its GET row, its POST row, the data it posts and
    what a POST let through ("ok") gives with them: "done" or "form"."""

    args: object
    get: dict
    post: dict | None = None
    data: dict = field(default_factory=dict)
    through: str = "form"


def on(kind: str, attribute: str = "pk", *more):
    return lambda world, role, side: [getattr(world(kind, side), attribute), *more]


def on_document(world, role, side):
    """A draft and its document."""
    return [world("draft", side).pk, world("draft_document", side).uuid]


def owned(kind: str, attribute: str = "pk"):
    """A user's own object (A) and another user's (B)."""

    def args(world, role, side):
        owner = role if side == "A" and role != "anonymous" else "outsider"
        return [getattr(world(kind, owner), attribute)]

    return args


MATRIX = {
    "home": Url(None, LOGGED_IN),
    "dossier_list": Url(None, LOGGED_IN),
    "search": Url(None, LOGGED_IN),
    "login": Url(None, PUBLIC),
    # Logging out is a POST, and ends on the login page.
    "logout": Url(None, POST_ONLY, everyone("login", "login")),
    "password_reset": Url(None, PUBLIC, PUBLIC_POST),
    "password_reset_done": Url(None, PUBLIC),
    "password_reset_confirm": Url(lambda world, role, side: ["MQ", "jeton-invalide"], PUBLIC),
    "password_reset_complete": Url(None, PUBLIC),
    # For load balancers: anyone, without login; what each check answered only to some (tests/test_health.py).
    "health": Url(None, PUBLIC, everyone("405", "405")),
    # What every State service publishes, linked from the footer of every page.
    "accessibility": Url(None, PUBLIC),
    "legal_notice": Url(None, PUBLIC),
    "personal_data": Url(None, PUBLIC),
    # Dossiers
    "dossier_detail": Url(on("dossier"), RULES["DOSSIER"]),
    "dossier_history": Url(on("dossier"), RULES["DOSSIER"]),
    "dossier_exchanges": Url(on("dossier"), RULES["EXCHANGES"]),
    "dossier_followup": Url(on("dossier"), RULES["DOSSIER"]),
    "dossier_new": Url(None, RULES["NEW_DOSSIER"], RULES["NEW_DOSSIER_POST"]),
    "dossier_edit": Url(on("draft"), RULES["DRAFT_PAGE"], RULES["DRAFT_ACT"]),
    # A line of the draft's budget, added or taken off in place: parts of the draft's page.
    "dossier_line_add": Url(on("draft", "pk", "budget"), RULES["DRAFT_PAGE"]),
    "dossier_line_remove": Url(on("draft", "pk", "budget", 0), RULES["DRAFT_PAGE"]),
    "attachment_upload": Url(on("draft"), POST_ONLY, RULES["DRAFT_ACT"]),
    # Without a file: the form says to choose one.
    "attachment_replace": Url(on_document, POST_ONLY, RULES["DRAFT_ACT"]),
    "attachment_delete": Url(on_document, POST_ONLY, RULES["DRAFT_ACT"], through="done"),
    "attachment_download": Url(on("attachment", "uuid"), RULES["DOSSIER"]),
    "receipt_download": Url(on("receipt", "uuid"), RULES["DOSSIER"]),
    # GET: the confirmation page, without JavaScript (front/confirmations.py); POST acts.
    "dossier_submit": Url(on("draft"), RULES["DRAFT_PAGE"], RULES["DRAFT_ACT"]),
    "dossier_withdraw": Url(on("draft"), POST_ONLY, RULES["DRAFT_ACT"]),
    "dossier_return": Url(on("dossier"), POST_ONLY, RULES["SIGN"]),
    "message_new": Url(on("dossier"), POST_ONLY, RULES["TALK"]),
    "note_new": Url(on("dossier"), POST_ONLY, RULES["COMMITTEE_ACT"]),
    "expert_request_new": Url(on("dossier"), POST_ONLY, RULES["COMMITTEE_ACT"]),
    "expert_advice": Url(on("expert_request"), POST_ONLY, RULES["ADVICE"]),
    "opinion_edit": Url(on("dossier"), POST_ONLY, RULES["SIGN"]),
    "opinion_sign": Url(on("dossier"), POST_ONLY, RULES["SIGN"], through="done"),
    "advisory_give": Url(on("dossier"), POST_ONLY, RULES["ADVISORY"], {"text": "Un avis consultatif."}, "done"),
    "departmental_opinion_edit": Url(
        on("dossier", "pk", "13"),
        RULES["DEPARTMENTAL_PAGE"],
        RULES["DEPARTMENTAL_ACT"],
        {"verdict": "favorable"},
        through="done",
    ),
    # Committees and their documents
    "committee_detail": Url(on("committee"), RULES["COMMITTEE"]),
    "committee_publication": Url(on("committee"), RULES["COMMITTEE_DRAFT"]),
    # GET: the confirmation page, or the checks' page (302) while one blocks, as it does here.
    "committee_publish": Url(on("committee"), RULES["PUBLISH_PAGE"], RULES["PUBLISH"]),
    "committee_notify": Url(on("committee"), RULES["COMMITTEE_NOTIFY"], RULES["COMMITTEE_NOTIFY"]),
    "joint_opinion": Url(on("joint_opinion", "uuid"), RULES["JOINT_OPINION"]),
    "joint_opinion_print": Url(on("joint_opinion", "uuid"), RULES["JOINT_OPINION"]),
    # DOCX rather than PDF: the same view and check, without WeasyPrint's seconds per cell.
    "joint_opinion_download": Url(on("joint_opinion", "uuid", "docx"), RULES["JOINT_OPINION"]),
    "committee_draft_download": Url(on("committee", "uuid", "docx"), RULES["COMMITTEE_DRAFT"]),
    # Exports are asked for (POST), then followed and downloaded by whoever asked (A), and no one else (B).
    "committee_export": Url(on("committee", "uuid"), POST_ONLY, RULES["COMMITTEE_EXPORT"], {"format": "csv"}, "done"),
    "call_export": Url(on("call", "uuid"), POST_ONLY, RULES["CALL_EXPORT"], {"format": "csv"}, "done"),
    "export_list": Url(None, LOGGED_IN),
    "export_detail": Url(owned("export", "uuid"), everyone("login", "200|404")),
    "export_download": Url(owned("export", "uuid"), everyone("login", "200|404")),
    "dashboard_committee": Url(on("committee"), RULES["COMMITTEE"]),
    # Past avis conjoints imported (POST without a file: the form asks for one); each followed, corrected, confirmed
    # or cancelled by whoever uploaded it and the secretariat.
    "import_new": Url(None, RULES["IMPORT_PAGE"], RULES["IMPORT_POST"]),
    "import_detail": Url(on("import", "uuid"), RULES["IMPORT"]),
    # The file of an import confirmed into committee A or B: the committee's archive, read as its pages are.
    "import_file": Url(on("confirmed_import", "uuid"), RULES["COMMITTEE"]),
    "import_review": Url(on("import", "uuid"), POST_ONLY, RULES["IMPORT_ACT"], {"confirm": "1"}, "done"),
    "import_cancel": Url(on("import", "uuid"), POST_ONLY, RULES["IMPORT_ACT"], through="done"),
    # The national secretariat
    "call_list": Url(None, RULES["NATIONAL"]),
    "call_new": Url(None, RULES["SECRETARIAT"], RULES["SECRETARIAT_ACT"]),
    "call_detail": Url(on("call"), RULES["NATIONAL"]),
    "call_edit": Url(on("call"), RULES["SECRETARIAT"], RULES["SECRETARIAT_ACT"]),
    "call_advance": Url(
        on("call"), RULES["SECRETARIAT"], RULES["SECRETARIAT_ACT"], {"status": "ouvert"}, through="done"
    ),
    "committee_new": Url(on("call"), POST_ONLY, RULES["SECRETARIAT_ACT"]),
    "member_new": Url(on("committee"), POST_ONLY, RULES["ON_COMMITTEE_ACT"]),
    "call_selection": Url(on("call"), RULES["NATIONAL"]),
    "call_notify": Url(on("call"), RULES["SECRETARIAT"], RULES["SECRETARIAT_ACT"], through="done"),
    "call_decide_many": Url(on("call"), RULES["SECRETARIAT"], RULES["SECRETARIAT_ACT"], {"outcome": "non_retenu"}),
    "decision_edit": Url(on("signed"), RULES["ON_DOSSIER_PAGE"], RULES["ON_DOSSIER_ACT"]),
    "decision_clear": Url(on("pending"), POST_ONLY, RULES["ON_COMMITTEE_ACT"], through="done"),
    "dashboard_national": Url(None, RULES["NATIONAL"]),
    # Open data: call A has a grant to publish (without the grantor's SIRET: the page says so), call B none.
    "call_publish_grants": Url(
        on("call"),
        row("login", "403", "403", "403", "403", "403", "200|403", "403", "403", "403", "403", "403"),
        row("login", "403", "403", "403", "403", "403", "ok|403", "403", "403", "403", "403", "403"),
    ),
    # Public: the published grants of call A; call B has none, and is not found.
    "grants_index": Url(None, PUBLIC),
    "grants_file": Url(on("call"), everyone("200|404", "200|404")),
    # Follow-up
    "agreement_edit": Url(on("retained"), RULES["ON_DOSSIER_PAGE"], RULES["ON_DOSSIER_ACT"]),
    "tranche_paid": Url(on("tranche"), RULES["ON_DOSSIER_PAGE"], RULES["ON_DOSSIER_ACT"]),
    "report_edit": Url(on("followed", "pk", 1), RULES["REPORT_PAGE"], RULES["REPORT_POST"]),
    "final_report_edit": Url(on("followed", "pk", 1), RULES["REPORT_PAGE"], RULES["REPORT_POST"]),
    "report_review": Url(
        on("report"), RULES["ON_DOSSIER_PAGE"], RULES["ON_DOSSIER_ACT"], {"decision": "valider"}, through="done"
    ),
    # API tokens
    "api_tokens": Url(None, LOGGED_IN, LOGGED_IN_POST),
    "api_token_revoke": Url(owned("token"), POST_ONLY_AFTER_LOGIN, OWN_TOKEN, through="done"),
    # Accounts and invitations
    "profile": Url(None, LOGGED_IN, LOGGED_IN_POST),
    "account_list": Url(None, RULES["ACCOUNTS"]),
    "invitation_new": Url(None, RULES["INVITE"], RULES["INVITE_POST"]),
    "account_deactivate": Url(on("account"), POST_ONLY, RULES["ACCOUNT_ACT"], through="done"),
    "account_reactivate": Url(on("inactive_account"), POST_ONLY, RULES["ACCOUNT_ACT"], through="done"),
    # The e-mailed link is its own proof: whoever holds it opens the page.
    "invitation_accept": Url(lambda world, role, side: [INVITATION_KEY], PUBLIC, PUBLIC_POST),
    # ProConnect is off unless configured: its pages do not exist (tests/test_proconnect.py turns it on).
    "proconnect_login": Url(None, everyone("404", "404")),
    "proconnect_callback": Url(None, everyone("404", "404")),
    # Notifications and the workspace
    "notification_list": Url(None, LOGGED_IN),
    "notification_read": Url(owned("notification"), POST_ONLY, OWN_TOKEN, through="done"),
    "notification_read_all": Url(None, POST_ONLY, LOGGED_IN_POST, through="done"),
    "preference_edit": Url(None, POST_ONLY, LOGGED_IN_POST),
    # The API (read-only): its schema and documentation are public, its data are not.
    "api-v1:openapi-json": Url(None, PUBLIC),
    "api-v1:openapi-view": Url(None, PUBLIC),
    "api-v1:api-root": Url(None, everyone("404", "404")),
    "api-v1:call_list": Url(None, API_LOGGED_IN),
    "api-v1:committee_list": Url(None, API_LOGGED_IN),
    "api-v1:joint_opinion_list": Url(on("committee"), RULES["API_JOINT_OPINIONS"]),
    "api-v1:dossier_list": Url(None, API_LOGGED_IN),
    "api-v1:dossier_detail": Url(on("dossier"), RULES["API_DOSSIER"]),
    "api-v1:dossier_opinion": Url(on("dossier"), RULES["API_DOSSIER"]),
    "api-v1:dossier_decision": Url(on("followed"), RULES["API_FOLLOWED"]),
    "api-v1:dossier_reports": Url(on("followed"), RULES["API_FOLLOWED"]),
}
# Django's admin, one rule for all its URLs: staff only, everyone else is sent to the admin's login page.
ADMIN_RULE = "admin:"


def url_names(patterns=None, namespace: str = "") -> list[tuple[str | None, str, URLPattern]]:
    """Every URL pattern of the project, walked recursively: (name with its namespaces or None, route, pattern)."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += [
                (name, str(pattern.pattern) + route, leaf)
                for name, route, leaf in url_names(pattern.url_patterns, inner)
            ]
        elif isinstance(pattern, URLPattern):
            found.append((f"{namespace}{pattern.name}" if pattern.name else None, str(pattern.pattern), pattern))
    return found


def test_every_url_has_a_row():
    names = {name for name, _, _ in url_names()}
    routes_without_name = [route for name, route, _ in url_names() if name is None and not route.startswith("admin/")]
    assert routes_without_name == [], "Name these URLs, and give them a row in MATRIX"
    outside_admin = {name for name in names - {None} if not name.startswith(ADMIN_RULE)}
    assert sorted(outside_admin - set(MATRIX)) == [], "URLs without a row in MATRIX: add what each role gets"
    assert sorted(set(MATRIX) - outside_admin) == [], "Rows of MATRIX for URLs that no longer exist"


def archive_import(user, region: str, text: str) -> ArchiveImport:
    """An avis conjoint read and waiting for its review, uploaded by the user, of the region given."""
    archive = ArchiveImport(uploaded_by=user, filename="avis.txt", sha256="0" * 64, region=region, text=text,
                            document=document_json(parse(text)), state=ArchiveImport.State.READY)  # fmt: skip
    archive.file.save("avis.txt", ContentFile(text.encode()))
    return archive


@pytest.fixture
def world(cast, seed_text) -> World:
    """The cast, with its expert, published avis conjoints, drafts, attachments, decisions, agreements, reports
    and tokens on both sides."""
    users = cast.users
    foundation = OrganisationFactory(name="Fondation", kind=Organisation.Kind.OTHER)
    users["expert"] = member(UserFactory(username="expert"), foundation, Membership.Role.EXPERT)
    housing = OrganisationFactory(name="Fondation pour le logement", kind=Organisation.Kind.OTHER)
    seat_add(committee=cast.committee, organisation=housing, kind=Seat.Kind.ADVISORY)
    users["advisory_member"] = member(
        UserFactory(username="advisory_member"), housing, Membership.Role.COMMITTEE_MEMBER, cast.committee
    )
    # Call A asks for a departmental pre-instruction: dossier A covers the Bouches-du-Rhône, whose service has given
    # its opinion (the committee signs), and whose instructor is a user of the matrix.
    Call.objects.filter(pk=cast.committee.call_id).update(departmental_preinstruction=True)
    cast.dossier.call.refresh_from_db()
    Territory.objects.create(dossier=cast.dossier, department="13")
    service = OrganisationFactory(name="DDETS des Bouches-du-Rhône", kind=Organisation.Kind.DEPARTMENTAL_SERVICE)
    users["departmental_instructor"] = UserFactory(username="departmental_instructor")
    Membership.objects.create(user=users["departmental_instructor"], organisation=service, committee=cast.committee,
                              role=Membership.Role.DEPARTMENTAL_INSTRUCTOR, department="13")  # fmt: skip
    DepartmentalOpinion.objects.create(dossier=cast.dossier, department="13", verdict="favorable",
                                       given_by=users["departmental_instructor"], given_at=timezone.now())  # fmt: skip
    other_expert = member(UserFactory(username="other_expert"), foundation, Membership.Role.EXPERT)
    outsider = UserFactory(username="outsider")
    elsewhere = Committee.objects.exclude(pk=cast.committee.pk).get()
    # Regions, for the members who import their region's avis conjoints.
    Committee.objects.filter(pk=cast.committee.pk).update(region="93")
    Committee.objects.filter(pk=elsewhere.pk).update(region="53")
    cast.committee.refresh_from_db()
    elsewhere.refresh_from_db()
    world = World(cast)
    landlords = {"A": cast.dossier.lead_landlord, "B": cast.other_dossier.lead_landlord}
    for side, dossier, committee in (("A", cast.dossier, cast.committee), ("B", cast.other_dossier, elsewhere)):
        content = committee_snapshot(committee)
        world.objects |= {
            ("dossier", side): dossier,
            ("committee", side): committee,
            ("call", side): committee.call,
            ("joint_opinion", side): JointOpinion.objects.create(
                committee=committee, version=1, source="publication", content=content, sha256=snapshot_digest(content)
            ),
            ("draft", side): DossierFactory(
                committee=cast.committee, lead_landlord=landlords[side], title=f"Brouillon du bailleur {side}",
                state=Dossier.State.DRAFT,
            ),
            ("attachment", side): attachment(dossier),
            ("receipt", side): receipt_create(dossier, None),
            ("expert_request", side): ExpertRequest.objects.create(
                dossier=dossier,
                expert=users["expert"] if side == "A" else other_expert,
                question="Le projet est-il réaliste ?",
                requested_by=users["member"],
            ),
        }  # fmt: skip
        world.objects["draft_document", side] = attachment(world("draft", side))
        # Each in the state where the secretariat's and the landlord's acts on it are available.
        of_landlord = {"committee": cast.committee, "lead_landlord": landlords[side]}
        signed = DossierFactory(**of_landlord, title=f"Avis signé {side}", state=Dossier.State.OPINION_SIGNED)
        retained = DossierFactory(**of_landlord, title=f"Retenu {side}", state=Dossier.State.RETAINED)
        followed = DossierFactory(**of_landlord, title=f"Suivi {side}", state=Dossier.State.REPORTING, duration_years=3)
        # A decision to notify in each side's call.
        pending = DossierFactory(committee=committee, title=f"À notifier {side}", state=Dossier.State.OPINION_SIGNED)
        for decided in (retained, followed):
            Decision.objects.create(dossier=decided, outcome="retenu", amount_granted=1000, notified_at=timezone.now())
        Decision.objects.create(dossier=pending, outcome="retenu", amount_granted=1000)
        # Both in call A, signed: side A's grant is published (call A's open data), side B's is to publish.
        agreement = Agreement.objects.create(
            dossier=followed, amount=Decimal(1000), starts_on=date(2019, 1, 1), ends_on=date(2020, 1, 1),
            signed_on=date(2019, 1, 1), published_at=timezone.now() if side == "A" else None,
        )  # fmt: skip
        world.objects |= {
            ("signed", side): signed,
            ("retained", side): retained,
            ("followed", side): followed,
            ("pending", side): pending,
            ("tranche", side): PaymentTranche.objects.create(agreement=agreement, order=1, amount=Decimal(1000)),
            ("report", side): Report.objects.create(dossier=followed, year=2, state=Report.State.SUBMITTED),
        }
    world.objects["import", "A"] = archive_import(users["member"], "93", seed_text)
    bretagne = seed_text.replace("PACA & Corse", "Bretagne").replace("PROVENCE-ALPES-COTE D'AZUR", "BRETAGNE")
    world.objects["import", "B"] = archive_import(users["other_committee_member"], "53", bretagne)
    # Imports confirmed into each committee: its archive, which the committee's readers read.
    for side, uploader in (("A", "member"), ("B", "other_committee_member")):
        confirmed = archive_import(users[uploader], "93" if side == "A" else "53", seed_text)
        confirmed.committee, confirmed.state = world("committee", side), ArchiveImport.State.CONFIRMED
        confirmed.save()
        world.objects["confirmed_import", side] = confirmed
    for side, landlord in landlords.items():
        for kind, active in (("account", True), ("inactive_account", False)):
            colleague = UserFactory(username=f"{kind}_{side}", is_active=active)
            world.objects[kind, side] = member(colleague, landlord, Membership.Role.LANDLORD_STAFF)
    Invitation.objects.create(
        email="invitee@example.fr", organisation=landlords["A"], role=Membership.Role.LANDLORD_STAFF,
        invited_by=users["secretariat"], expires_at=timezone.now() + timedelta(days=7),
        key_hash=invitation_digest(INVITATION_KEY),
    )  # fmt: skip
    for role, user in [*users.items(), ("outsider", outsider)]:
        if user is not None:
            world.objects["token", role] = token_create(user=user, name="matrice")[0]
            world.objects["notification", role] = Notification.objects.create(user=user, subject="Dossier déposé")
            export = Export(requested_by=user, committee=cast.committee, format="csv", state=Export.State.READY,
                            filename="dossiers.csv")  # fmt: skip
            export.file.save("dossiers.csv", ContentFile(b"N\xc2\xb0;Projet\r\n"))
            world.objects["export", role] = export
    return world


def outcome(response, method: str) -> str:
    if response.status_code == 302 and response["Location"].startswith(reverse("login")):
        return "login"
    if str(response.status_code) in REFUSALS or method == "get":
        return str(response.status_code)
    return let_through(response)


def let_through(response) -> str:
    """What a POST let through gave: "done" when the page says the action ran, "form" when it says why it did
    not; anything else by its status, so that an action that redirects without a word shows in the table."""
    said = {message.level for message in get_messages(response.wsgi_request)}
    if messages.SUCCESS in said:
        return "done"
    if messages.ERROR in said or response.status_code in (200, 400, 409):
        return "form"
    return str(response.status_code)


def body(response) -> str:
    return b"".join(response.streaming_content).decode(errors="replace") if response.streaming else text(response)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_url(world, client, name):
    """Every cell of the URL's rows; the failures are listed together, as a table to read against the row."""
    entry, failures = MATRIX[name], []
    for method, cells in (("get", entry.get), ("post", entry.post)):
        for role in ROLES if cells else ():
            for side in SIDES if entry.args else SIDES[:1]:
                url = reverse(name, args=entry.args(world, role, side) if entry.args else None)
                expected = cells[role][side]
                expected = entry.through if expected == "ok" else expected
                with transaction.atomic():
                    if world.cast.users.get(role) is not None:
                        client.force_login(world.cast.users[role])
                    response = getattr(client, method)(url, entry.data)
                    transaction.set_rollback(True)
                client.logout()
                actual = outcome(response, method)
                if actual != expected:
                    failures.append(f"{method.upper()} {role} on {side}: {actual}, expected {expected}")
                elif actual in REFUSALS and any(secret in body(response) for secret in SECRETS):
                    failures.append(f"{method.upper()} {role} on {side}: the refusal shows a dossier")
    assert not failures, f"{name}:\n" + "\n".join(failures)


def admin_urls() -> dict[str, str]:
    """Every admin URL, with placeholder arguments: what is checked is who reaches the view, not the object."""
    urls = {}
    for name, _, pattern in url_names():
        if name and name.startswith(ADMIN_RULE):
            regex = pattern.pattern.regex
            if regex.groupindex:
                urls[name] = reverse(name, kwargs={a: "core" if a == "app_label" else "1" for a in regex.groupindex})
            else:
                urls[name] = reverse(name, args=["1"] * regex.groups)
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_admin_is_for_staff_only(world, client, role):
    """ADMIN_RULE on every admin URL: whoever is not staff is sent to the admin's login page."""
    user = world.cast.users[role]
    if user is not None:
        client.force_login(user)
    login = reverse("admin:login")
    for name, url in admin_urls().items():
        response = client.get(url)
        if name == "admin:login":
            assert response.status_code == 200
        elif name == "admin:logout":
            # Logging out is a POST: a GET goes back to the index, which sends to the login page.
            assert (response.status_code, response["Location"]) == (302, reverse("admin:index"))
        else:
            assert response.status_code == 302 and response["Location"].startswith(login), name


def test_staff_reach_the_admin(cast, client):
    client.force_login(UserFactory(username="support", is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:core_dossier_changelist")).status_code == 200
