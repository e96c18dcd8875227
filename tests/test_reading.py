"""Consistency of reading: for every role, each surface shows what the policy layer lets it read, and nothing else.

The world holds facts, each read by some roles and not by others: dossiers in several states and two committees, an
opinion's working copy (with its signature) and its published version, a decision recorded and one notified, a report
being written and one sent, messages, a committee note, an expert's request and advice, a published avis conjoint and
its sections. What a role may read of each fact is asked of the policy layer alone (READS: core/permissions.py,
core/reading.py, core/policies.py); SURFACES declares, in one table, which kinds of facts each surface shows (the
dossier page and its parts, the lists, the national selection, the dashboards, the API, the documents and exports, the
search, the e-mails) and how a fact is seen there. The test crosses them for each role:
    a fact the role reads appears on every surface that shows its kind, where the surface shows it at all
    (its scope: a committee's page to the committee's readers, the selection's states, the dashboards' sums…);
    a fact the role may not read appears on none.
The anonymous are refused everywhere (tests/test_url_matrix.py).
"""

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

import docx
import pytest
from django.core import mail
from django.http import Http404
from django.test import Client, TestCase
from django.urls import reverse

from core import policies
from core.audit import action_label
from core.models import (
    Agreement,
    Call,
    Committee,
    DepartmentalOpinion,
    Dossier,
    DossierStrand,
    JointOpinion,
    Membership,
    Note,
    Opinion,
    OpinionSignature,
    Organisation,
    PaymentTranche,
    Public,
    Report,
    Territory,
)
from core.models.dossiers import BudgetLine
from core.permissions import SENT_REPORTS, Access
from core.reading import shown_opinion
from core.services.decisions import decision_record, decisions_notify
from core.services.dossiers import dossier_submit
from core.services.exchanges import expert_advise, expert_request, message_post
from core.services.joint_opinions import joint_opinion_publish, published_projects
from core.workflow import SELECTED, WITH_REPORTS
from tests.access import text
from tests.factories import DossierFactory, OpinionFactory, OrganisationFactory, UserFactory, member

ROLES = (
    "landlord", "other_landlord", "member", "member_in_conflict", "other_committee_member", "secretariat",
    "observer", "other_committee_observer", "expert", "departmental_instructor",
)  # fmt: skip


@dataclass(eq=False)
class Fact:
    """Something a reader may or may not read. Its first kind says who reads it (READS); all its kinds say where it
    is shown (SURFACES)."""

    name: str
    kinds: tuple[str, ...]
    dossier: Dossier | None
    obj: object
    text: str  # what the pages show of it
    word: str | None = None  # what a search for it asks
    row: tuple[str, ...] = ()  # its cells in a list of dossiers
    cells: tuple[str, ...] = ()  # its cells in an export: Avis, Retenu, Rang
    trail: str = ""  # what the dossier's history shows of it
    value: Decimal | int = 0  # what it adds to a dashboard's figure
    told: set[str] | None = None  # the roles e-mailed when it happened (None: it happened without a service)
    audience: Callable[[Access], bool] | None = None  # whom the notification's rule tells (core.policies)

    @property
    def committee(self):
        return self.obj.committee if self.dossier is None else self.dossier.committee


@dataclass
class World:
    users: dict
    facts: list[Fact] = field(default_factory=list)

    def add(self, *args, **kwargs) -> Fact:
        self.facts.append(Fact(*args, **kwargs))
        return self.facts[-1]


# What the policy layer lets a reader read, by the first kind of a fact.


def sees(access: Access, dossier: Dossier) -> bool:
    return Dossier.objects.filter(access.sees(), pk=dossier.pk).exists()


def reads_version(access: Access, fact: Fact) -> bool:
    """Whether what core/reading.py shows this reader of the dossier's opinion is the fact: the working copy (an
    Opinion) or the published version (a JointOpinion)."""
    dossier = Dossier.objects.select_related("opinion").get(pk=fact.dossier.pk)
    shown, _ = shown_opinion(access, dossier, published_projects([dossier.committee_id]))
    if shown is None:
        return False
    if isinstance(fact.obj, JointOpinion):
        return shown.published_uuid == fact.obj.uuid
    return shown.published_version is None


def reads_section(access: Access, fact: Fact) -> bool:
    """Whether the reader reads the dossier's section of the committee's published versions."""
    numbers = access.joint_opinion_sections(fact.committee)
    return numbers is None or fact.dossier.number in numbers


def reads_joint_opinion(access: Access, fact: Fact) -> bool:
    try:
        access.joint_opinion_or_404(fact.obj.uuid)
    except Http404:
        return False
    return True


READS: dict[str, Callable[[Access, Fact], bool]] = {
    "dossier": lambda access, fact: sees(access, fact.dossier),
    "opinion": lambda access, fact: sees(access, fact.dossier) and reads_version(access, fact),
    # The signatures are the working copy's: read with it.
    "signature": lambda access, fact: sees(access, fact.dossier) and reads_version(access, fact),
    "note": lambda access, fact: sees(access, fact.dossier) and access.can_read_opinion_draft(fact.dossier),
    "decision": lambda access, fact: sees(access, fact.dossier) and access.can_read_decision(fact.obj),
    "report": lambda access, fact: (
        sees(access, fact.dossier)
        and fact.dossier.reports.filter(access.reports(fact.dossier), pk=fact.obj.pk).exists()
    ),
    "message": lambda access, fact: sees(access, fact.dossier) and access.can_read_thread(fact.dossier),
    "payment": lambda access, fact: sees(access, fact.dossier) and access.can_follow(fact.dossier),
    "expert_request": lambda access, fact: (
        sees(access, fact.dossier)
        and (access.can_read_opinion_draft(fact.dossier) or policies.asked_expert(access, fact.obj))
    ),
    "publication": reads_joint_opinion,
    "section": reads_section,
    "departmental_opinion": lambda access, fact: (
        sees(access, fact.dossier) and fact.obj.department in access.departments_read(fact.dossier)
    ),
}


def reads(access: Access, fact: Fact) -> bool:
    return READS[fact.kinds[0]](access, fact)


# How a surface is read: one request per URL and reader.


class Page:
    def __init__(self, response):
        self.status = response.status_code
        self.response = response

    @cached_property
    def body(self) -> bytes:
        return b"".join(self.response.streaming_content) if self.response.streaming else self.response.content

    @cached_property
    def text(self) -> str:
        if self.response.streaming:
            return self.body.decode("utf-8-sig")
        return text(self.response) if self.status == 200 else ""

    @cached_property
    def json(self) -> dict:
        return self.response.json() if self.status == 200 else {}

    @cached_property
    def docx(self) -> str:
        """A Word document's text: its paragraphs and its tables' cells."""
        if self.status != 200:
            return ""
        document = docx.Document(io.BytesIO(self.body))
        cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        return "\n".join([paragraph.text for paragraph in document.paragraphs] + cells)

    @cached_property
    def csv(self) -> list[dict]:
        return list(csv.DictReader(io.StringIO(self.text), delimiter=";")) if self.status == 200 else []


@dataclass
class Reader:
    role: str
    client: Client
    access: Access
    pages: dict = field(default_factory=dict)

    def get(self, url: str) -> Page:
        if url not in self.pages:
            self.pages[url] = Page(self.exported(url) if url.endswith(EXPORTED) else self.client.get(url))
        return self.pages[url]

    def exported(self, url: str):
        """The CSV file the reader downloads once its export, asked for at `url`, has run; the refusal else."""
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = self.client.post(url.removesuffix(EXPORTED), {"format": "csv"})
        if response.status_code != 302:
            return response
        return self.client.get(response["Location"] + "fichier/")


def digits(value) -> str:
    """An amount as the pages print it, whatever their thousands separator: its digits."""
    return re.sub(r"[\s\u202f\u00a0]", "", str(value))


def row_of(page: Page, dossier: Dossier) -> str:
    """The table row that links the dossier; "" when the page does not list it."""
    link = f'href="{reverse("dossier_detail", args=[dossier.pk])}"'
    return next((row for row in page.text.split("<tr")[1:] if link in row), "")


def exported(page: Page, dossier: Dossier) -> dict | None:
    return next((row for row in page.csv if row["Projet"] == dossier.title), None)


def api_ids(page: Page) -> set[int]:
    return {item["id"] for item in page.json.get("items", [])}


def figure(chart: str, label: str) -> Callable[[Page], Decimal]:
    """A dashboard's figure, from the table that goes with each chart (none when the chart has no such row)."""

    def read(page: Page) -> Decimal:
        table = page.text.split(f"<caption>{chart}</caption>", 1)[1]
        cell = re.search(rf'<th scope="row">{re.escape(label)}</th><td>([^<]*)</td>', table)
        return Decimal(digits(cell[1]).removesuffix("€").replace(",", ".") or 0) if cell else Decimal(0)

    return read


def selection_total(pattern: str) -> Callable[[Page], Decimal]:
    """A figure of the national selection's totals (none when no dossier awaits a decision)."""

    def read(page: Page) -> Decimal:
        found = re.search(pattern, page.text)
        return Decimal(digits(found[1]).removesuffix("€") or 0) if found else Decimal(0)

    return read


def counted(page: Page) -> Decimal:
    return Decimal(re.search(r"(\d+) dossiers? \(brouillons exclus\)", page.text)[1])


# How a fact is seen on a page.
shown_text = lambda page, fact: fact.text in page.text  # noqa: E731
shown_amount = lambda page, fact: digits(fact.text) in digits(page.text)  # noqa: E731
listed = lambda page, fact: fact.text in row_of(page, fact.dossier)  # noqa: E731
in_row = lambda page, fact: all(cell in row_of(page, fact.dossier) for cell in fact.row)  # noqa: E731
linked = lambda page, fact: f'href="{reverse("dossier_detail", args=[fact.dossier.pk])}"' in page.text  # noqa: E731
in_export = lambda page, fact: exported(page, fact.dossier) is not None  # noqa: E731
in_api_list = lambda page, fact: fact.dossier.pk in api_ids(page)  # noqa: E731
in_document = lambda page, fact: fact.text in page.docx  # noqa: E731


def export_cells(page: Page, fact: Fact) -> bool:
    row = exported(page, fact.dossier) or {}
    return (row.get("Avis"), row.get("Retenu"), row.get("Rang")) == fact.cells


@dataclass(frozen=True)
class Surface:
    # Where a reader looks for the fact (None: the e-mails sent when it happened).
    url: Callable[[Fact], str] | None
    # Whether the surface would show the fact to whoever may read it: where it is reached, what it lists.
    scope: Callable[[Access, Fact], bool]
    # The kinds of facts it shows, and how one is seen on it; for sums, the figure that adds up the facts on the page.
    kinds: dict[str, Callable]
    sums: bool = False


def url(name: str, *args: Callable[[Fact], object], query: Callable[[Fact], str] = lambda fact: "") -> Callable:
    return lambda fact: reverse(name, args=[arg(fact) for arg in args]) + query(fact)


def api(path: str) -> Callable[[Fact], str]:
    return lambda fact: "/api/v1" + path.format(fact=fact)


dossier_pk = lambda fact: fact.dossier.pk  # noqa: E731
committee_pk = lambda fact: fact.committee.pk  # noqa: E731
call_pk = lambda fact: fact.committee.call_id  # noqa: E731
version_uuid = lambda fact: fact.obj.uuid  # noqa: E731
# An export's URL, marked to be asked for as CSV, then downloaded.
EXPORTED = "#export"
as_export = lambda fact: EXPORTED  # noqa: E731
as_docx = lambda fact: "docx"  # noqa: E731

everywhere = lambda access, fact: True  # noqa: E731
committee_readers = lambda access, fact: access.can_read_committee(fact.committee)  # noqa: E731
national = lambda access, fact: access.is_national  # noqa: E731
selected = lambda access, fact: access.is_national and fact.dossier.state in SELECTED  # noqa: E731
# The dashboards count submitted dossiers (their page says so).
submitted = lambda fact: fact.dossier.state != Dossier.State.DRAFT  # noqa: E731
DASHBOARD = {
    "dossier": counted,
    "decision": figure("Montants (€)", "Accordé"),
    "payment": figure("Montants (€)", "Versé"),
    "sent_report": figure("Ménages accompagnés (bilans) par volet", "Accès"),
}
published_section = lambda page, fact: any(  # noqa: E731
    project["number"] == fact.dossier.number for item in page.json.get("items", [])
    for project in item["content"]["projects"] if item["id"] == fact.obj.pk
)  # fmt: skip

# Which surfaces show which kinds of facts, to whom, and how a fact is seen there: the one table of this test.
SURFACES: dict[str, Surface] = {
    # The dossier's page and its parts read on demand.
    "dossier_detail": Surface(url("dossier_detail", dossier_pk), everywhere, {
        "dossier": shown_text, "opinion": shown_text, "decision": shown_amount,
        "signature": lambda page, fact: ">Signatures<" in page.text, "departmental_opinion": shown_text}),
    "dossier_history": Surface(url("dossier_history", dossier_pk), everywhere, {
        "opinion_draft": lambda page, fact: "Avis du comité" in page.text,
        "signature": lambda page, fact: "Avis signé pour" in page.text,
        "decision": lambda page, fact: fact.trail in page.text}),
    "dossier_followup": Surface(url("dossier_followup", dossier_pk),
                                lambda access, fact: fact.dossier.state in WITH_REPORTS,
                                {"report": shown_text, "payment": shown_amount}),
    "dossier_exchanges": Surface(url("dossier_exchanges", dossier_pk), everywhere,
                                 {"message": shown_text, "expert_request": shown_text, "note": shown_text}),
    # Lists, the national selection and the published avis conjoint.
    "dossier_list": Surface(url("dossier_list"), everywhere, {"dossier": listed, "opinion": in_row}),
    "committee_detail": Surface(url("committee_detail", committee_pk), committee_readers, {
        "dossier": listed, "opinion": in_row,
        "publication": lambda page, fact: reverse("joint_opinion", args=[fact.obj.uuid]) in page.text}),
    "call_selection": Surface(url("call_selection", call_pk), selected,
                              {"dossier": listed, "opinion": in_row, "decision": shown_amount}),
    "call_selection_totals": Surface(url("call_selection", call_pk), selected, {
        "dossier": selection_total(r'<th scope="row">Total</th><td>(\d+)</td>'),
        "decision": selection_total(r"accordé : <strong>([^<]*)</strong>")}, sums=True),
    "joint_opinion": Surface(url("joint_opinion", version_uuid), everywhere, {
        "publication": lambda page, fact: page.status == 200, "section": shown_text}),
    # The documents: the published version, and the committee's working copies as a draft (PROJET).
    "joint_opinion_docx": Surface(url("joint_opinion_download", version_uuid, as_docx), everywhere,
                                  {"section": in_document}),
    "committee_draft_docx": Surface(url("committee_draft_download", lambda fact: fact.committee.uuid, as_docx),
                                    lambda access, fact: access.can_read_committee_drafts(fact.committee),
                                    {"opinion_draft": in_document}),
    # Dashboards: sums over what the reader reads.
    "dashboard_national": Surface(url("dashboard_national", query=lambda fact: f"?appel={call_pk(fact)}"),
                                  lambda access, fact: access.is_national and submitted(fact), DASHBOARD, sums=True),
    "dashboard_committee": Surface(url("dashboard_committee", committee_pk),
                                   lambda access, fact: committee_readers(access, fact) and submitted(fact),
                                   DASHBOARD, sums=True),
    # The API.
    "api_dossiers": Surface(api("/dossiers?limit=200"), everywhere, {"dossier": in_api_list}),
    "api_dossiers_by_rank": Surface(api("/dossiers?limit=200&rank={fact.row[1]}"), everywhere,
                                    {"ranked_opinion": in_api_list}),
    "api_dossier": Surface(api("/dossiers/{fact.dossier.pk}"), everywhere,
                           {"dossier": lambda page, fact: page.json.get("title") == fact.text}),
    "api_opinion": Surface(api("/dossiers/{fact.dossier.pk}/opinion"), everywhere,
                           {"opinion": lambda page, fact: fact.text in page.json.get("remarks", "")}),
    "api_decision": Surface(api("/dossiers/{fact.dossier.pk}/decision"), everywhere, {
        "decision": lambda page, fact: page.json.get("amount_granted") == f"{fact.value:.2f}"}),
    "api_reports": Surface(api("/dossiers/{fact.dossier.pk}/reports"), everywhere,
                           {"report": lambda page, fact: fact.obj.pk in api_ids(page)}),
    "api_joint_opinions": Surface(api("/committees/{fact.committee.pk}/joint-opinions"), everywhere, {
        "publication": lambda page, fact: fact.obj.pk in api_ids(page), "section": published_section}),
    # Exports (CSV: the XLSX has the same rows) and the search.
    "committee_export": Surface(url("committee_export", lambda fact: fact.committee.uuid, query=as_export),
                                committee_readers, {"dossier": in_export, "opinion": export_cells}),
    "call_export": Surface(url("call_export", lambda fact: fact.committee.call.uuid, query=as_export), national,
                           {"dossier": in_export, "opinion": export_cells}),
    "search": Surface(url("search", query=lambda fact: f"?q={fact.word}"), lambda access, fact: fact.word is not None,
                      {"dossier": linked, "opinion": linked}),
    # The e-mails sent when the fact happened, to whom the notification's rule (core/policies.py) tells.
    "mail": Surface(None, lambda access, fact: fact.told is not None and fact.audience(access), {
        kind: lambda reader, fact: reader.role in (fact.told or ())
        for kind in ("dossier", "publication", "message", "decision", "expert_request")}),
}  # fmt: skip


def complete(dossier: Dossier) -> None:
    """What a draft needs to be submitted."""
    dossier.summary, dossier.evaluation_plan, dossier.duration_years, dossier.households_total = "Résumé", "Bilan", 1, 6
    dossier.save()
    dossier.publics.add(Public.objects.create(name="sortants de prison"))
    Territory.objects.create(dossier=dossier, department="13")
    DossierStrand.objects.create(dossier=dossier, strand="acces", year=1, households=6)
    BudgetLine.objects.create(dossier=dossier, year=1, funder="fnavdl", amount=1000)


@pytest.fixture
def world(cast, django_capture_on_commit_callbacks) -> World:
    """The cast's committee, its expert, and facts with readers and non-readers, made through the services where
    they send e-mails (whose recipients are kept with the fact)."""
    users = {role: user for role, user in cast.users.items() if user is not None}
    foundation = OrganisationFactory(name="Fondation", kind=Organisation.Kind.OTHER)
    users["expert"] = member(UserFactory(username="expert"), foundation, Membership.Role.EXPERT)
    # The call asks for a departmental pre-instruction; the Bouches-du-Rhône's instructor reads its dossiers there.
    service = OrganisationFactory(name="DDETS 13", kind=Organisation.Kind.DEPARTMENTAL_SERVICE)
    users["departmental_instructor"] = UserFactory(username="departmental_instructor")
    Membership.objects.create(user=users["departmental_instructor"], organisation=service, committee=cast.committee,
                              role=Membership.Role.DEPARTMENTAL_INSTRUCTOR, department="13")  # fmt: skip
    for role, user in users.items():
        user.email = f"{role}@aap.test"
        user.save(update_fields=["email"])
    committee, landlord_a, landlord_b = cast.committee, cast.dossier.lead_landlord, cast.other_dossier.lead_landlord
    Call.objects.filter(pk=committee.call_id).update(status=Call.Status.OPEN, departmental_preinstruction=True)
    world = World(users)

    def happened(action) -> tuple[object, set[str]]:
        """Run the action as the application does, its e-mails sent on commit; returns who received them."""
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            result = action()
        return result, {address.split("@")[0] for message in mail.outbox for address in message.to}

    def dossier(title: str, landlord, state: str, word: str, **fact) -> Dossier:
        made = DossierFactory(committee=committee, lead_landlord=landlord, title=title, state=state, duration_years=2)
        world.add(title, ("dossier",), made, made, title, word, value=1, **fact)
        return made

    for cast_dossier, word in ((cast.dossier, "hirondelle"), (cast.other_dossier, "passerine")):
        cast_dossier.summary = f"Résumé {word}"
        cast_dossier.save()
        world.add(cast_dossier.title, ("dossier",), cast_dossier, cast_dossier, cast_dossier.title, word, value=1)
    # Dossier A is in the Bouches-du-Rhône, whose service gave its opinion: the committee reads it before signing.
    Territory.objects.create(dossier=cast.dossier, department="13")
    departmental = DepartmentalOpinion.objects.create(
        dossier=cast.dossier, department="13", verdict="reserve", reasons="Motifs sarcelline",
        given_by=users["departmental_instructor"], given_at=cast.dossier.created_at,
    )  # fmt: skip
    world.add("departmental opinion", ("departmental_opinion",), cast.dossier, departmental, "sarcelline")

    # An opinion signed and published in version 1, then reworked: its working copy says something else.
    reworked = dossier("Projet kestrelle", landlord_a, Dossier.State.OPINION_SIGNED, "kestrelle")
    opinion = OpinionFactory(dossier=reworked, verdict="favorable", rank="P2", remarks="Remarques cendrillac")
    for signed in Opinion.objects.filter(dossier__committee=committee):
        for institution in committee.institutions:
            OpinionSignature.objects.create(opinion=signed, institution=institution, signed_by=users["member"])
    version, told = happened(lambda: joint_opinion_publish(committee=committee, by=users["member"]))
    in_version = (cast.dossier, cast.other_dossier, reworked)
    world.add("version 1", ("publication",), None, version, "", told=told, audience=lambda access: (
        policies.committee_members(access, committee) or any(policies.carrier_staff(access, d) for d in in_version)
    ))  # fmt: skip
    world.add("its section of version 1", ("section",), reworked, version, "cendrillac")
    opinion.verdict, opinion.rank, opinion.remarks = "reserve", "", "Remarques ombrelune"
    opinion.save()
    # Reworked, its signatures are cleared (as opinion_save does); one institution signs it again.
    OpinionSignature.objects.filter(opinion=opinion).delete()
    OpinionSignature.objects.create(opinion=opinion, institution=committee.institutions[1], signed_by=users["member"])
    world.add("signature of the working copy", ("signature",), reworked, opinion, "")
    world.add("working copy", ("opinion", "opinion_draft"), reworked, opinion, "ombrelune", "ombrelune",
              row=("Réservé", "Retenu, sans rang"), cells=("Réservé", "oui", ""))  # fmt: skip
    world.add("published opinion", ("opinion", "ranked_opinion"), reworked, version, "cendrillac", "cendrillac",
              row=("Favorable", "P2"), cells=("Favorable", "oui", "P2"))  # fmt: skip
    asked, told = happened(
        lambda: expert_request(dossier=reworked, expert=users["expert"], question="Tamarinier ?", by=users["member"])
    )
    world.add("expert request", ("expert_request",), reworked, asked, "Tamarinier", told=told,
              audience=lambda access: policies.asked_expert(access, asked))  # fmt: skip
    note = Note.objects.create(dossier=reworked, author=users["member"], body="Note pimprenelle")
    world.add("committee note", ("note",), reworked, note, "pimprenelle")
    _, told = happened(lambda: expert_advise(request=asked, by=users["expert"], advice="Avis mirabellier"))
    world.add("expert advice", ("expert_request",), reworked, asked, "mirabellier", told=told,
              audience=lambda access: policies.committee_member(access, reworked))  # fmt: skip

    dossier("Brouillon zéphyrin", landlord_a, Dossier.State.DRAFT, "zephyrin")
    # In the other committee, of another call: its observer's and its member's.
    elsewhere = DossierFactory(
        committee=Committee.objects.exclude(pk=committee.pk).get(), lead_landlord=landlord_b, title="Projet velimorne"
    )
    world.add(elsewhere.title, ("dossier",), elsewhere, elsewhere, elsewhere.title, "velimorne", value=1)
    dossier("Projet galimatrix", landlord_b, Dossier.State.WITHDRAWN, "galimatrix")
    draft = DossierFactory(
        committee=committee, lead_landlord=landlord_a, title="Projet quenouillard", state=Dossier.State.DRAFT
    )
    complete(draft)
    submitted, told = happened(lambda: dossier_submit(dossier=draft, by=users["landlord"]))
    world.add(draft.title, ("dossier",), submitted, submitted, draft.title, "quenouillard", value=1, told=told,
              audience=lambda access: policies.committee_members(access, committee)
              or policies.departmental_instructor(access, submitted))  # fmt: skip

    # A decision notified, then one recorded and not yet notified, each with an amount found nowhere else.
    secretariat = users["secretariat"]
    for title, landlord, amount in (
        ("Projet fanfrelon", landlord_a, 3865127),
        ("Projet bourrasquin", landlord_b, 4321789),
    ):
        decided = dossier(title, landlord, Dossier.State.OPINION_SIGNED, title.split()[1])
        decision, told = happened(
            lambda d=decided, a=amount: decision_record(
                dossier=d, outcome="retenu", amount_granted=Decimal(a), conditions="", by=secretariat
            )
        )
        action, audience = "decision.record", lambda access: False
        if title == "Projet fanfrelon":
            (decision,), told = happened(lambda: decisions_notify(call=committee.call, by=secretariat).done)
            action, audience = "decision.notify", lambda access, d=decided: policies.carrier_staff(access, d)
        world.add(f"decision on {title}", ("decision",), decided, decision, str(amount), value=Decimal(amount),
                  trail=action_label(action), told=told, audience=audience)  # fmt: skip

    # Reports: one being written, one sent, each with figures found nowhere else.
    followed = dossier("Projet tilleulard", landlord_a, Dossier.State.REPORTING, "tilleulard")
    for year, state, entries, households in ((1, Report.State.DRAFT, 731, 917), (2, Report.State.SUBMITTED, 588, 642)):
        report = Report.objects.create(dossier=followed, year=year, state=state, entries_into_housing=entries)
        report.households.create(strand="acces", households=households)
        kinds = ("report", "sent_report") if Report.objects.filter(SENT_REPORTS, pk=report.pk).exists() else ("report",)
        world.add(f"report {year} ({state})", kinds, followed, report, f"{entries} entrées", value=households)
    # Its agreement, and a tranche paid of an amount found nowhere else.
    agreement = Agreement.objects.create(
        dossier=followed, amount=Decimal(2718281), starts_on=date(2019, 1, 1), ends_on=date(2022, 1, 1)
    )
    paid = PaymentTranche.objects.create(
        agreement=agreement, order=1, amount=Decimal(2718281), paid_on=date(2019, 2, 1)
    )
    world.add("tranche paid", ("payment",), followed, paid, "2718281", value=Decimal(2718281))

    # The thread: landlord A writes to the committee (its member in conflict on A is not told), a member to landlord B.
    for thread, author in ((cast.dossier, users["landlord"]), (cast.other_dossier, users["member"])):
        body = f"Message de {author.username} : nacrelune {thread.number}"
        message, told = happened(lambda d=thread, a=author, b=body: message_post(dossier=d, by=a, body=b))
        side = policies.carrier_staff if message.from_committee else policies.committee_member
        world.add(f"message on {thread.title}", ("message",), thread, message, body, told=told,
                  audience=lambda access, d=thread, s=side, a=author: access.user != a and s(access, d))  # fmt: skip
    return world


@pytest.mark.parametrize("role", ROLES)
def test_every_surface_shows_what_the_policy_lets_read(world, role):
    """Every fact on every surface that shows its kind: shown if and only if the policy lets the role read it, and
    the surface shows it at all. The failures are listed together."""
    client = Client()
    client.force_login(world.users[role])
    reader = Reader(role, client, Access(world.users[role]))
    readable = {fact: reads(reader.access, fact) for fact in world.facts}
    failures = []
    for name, surface in SURFACES.items():
        for kind, seen in surface.kinds.items():
            facts = [fact for fact in world.facts if kind in fact.kinds]
            if surface.sums:
                # A figure per page: the sum of what its facts add, for those the reader reads.
                for page_url in dict.fromkeys(surface.url(fact) for fact in facts):
                    on_page = [fact for fact in facts if surface.url(fact) == page_url]
                    expected = sum(
                        (f.value for f in on_page if readable[f] and surface.scope(reader.access, f)), Decimal(0)
                    )
                    page = reader.get(page_url)
                    actual = seen(page) if page.status == 200 else Decimal(0)
                    if actual != expected:
                        failures.append(f"{name} {page_url}, {kind}: {actual}, the policy reads {expected}")
                continue
            for fact in facts:
                page = reader if surface.url is None else reader.get(surface.url(fact))
                expected = readable[fact] and surface.scope(reader.access, fact)
                if seen(page, fact) != expected:
                    failures.append(f"{name} {'does not show' if expected else 'shows'} {fact.name} ({kind})")
    assert not failures, f"{role}:\n" + "\n".join(failures)


def test_each_fact_and_surface_has_readers_and_non_readers(world):
    """Else the test above would prove nothing of it: each fact is read by some roles and not by others, and each
    surface is expected to show each of its kinds to some role and to hide it from another."""
    accesses = {role: Access(world.users[role]) for role in ROLES}
    for fact in world.facts:
        readers = {role for role, access in accesses.items() if reads(access, fact)}
        assert readers and readers != set(ROLES), fact.name
    for name, surface in SURFACES.items():
        for kind in surface.kinds:
            expected = {
                reads(access, fact) and surface.scope(access, fact)
                for access in accesses.values()
                for fact in world.facts
                if kind in fact.kinds
            }
            assert expected == {True, False}, f"{name} never {'hides' if True in expected else 'shows'} a {kind}"


def test_whoever_is_told_may_read(world):
    """The rule of each notification (core/policies.py) tells only readers of what it tells."""
    for fact in world.facts:
        if fact.told is None:
            continue
        for role in ROLES:
            access = Access(world.users[role])
            assert not fact.audience(access) or reads(access, fact), f"{fact.name} is told to {role}"
