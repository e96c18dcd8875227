"""What writing a read avis conjoint would change, field by field, before anything is written: the review screen of
the import page. It finds the objects as the writer does (documents/joint_opinion_import.py's find_* and *_values),
so that what it says is created, updated or unchanged is what the writer then does."""

from dataclasses import dataclass, field

from core.formats import french_date
from core.models import Dossier, Opinion, Organisation, Verdict
from core.regions import Region
from documents.joint_opinion_corrections import HEADER_FIELDS, PROJECT_FIELDS
from documents.joint_opinion_import import (
    LandlordLinks,
    closed_reason,
    committee_values,
    document_region,
    find_call,
    find_committee,
    find_landlord,
    joint_opinion_content,
    landlord_key,
    opinion_values,
)
from documents.joint_opinion_parser import ParsedDocument
from documents.joint_opinion_reading import DOUBTFUL

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
STATUS_LABELS = {CREATED: "créé", UPDATED: "modifié", UNCHANGED: "inchangé"}


@dataclass
class Row:
    """A field: its label, the value in the database and the value of the document, as the page shows them."""

    label: str
    before: str
    after: str
    status: str
    # The field's name, for its correction; its confidence when it is worth a second look.
    name: str = ""
    doubtful: float | None = None
    raw: str = ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class Section:
    title: str
    status: str
    rows: list[Row] = field(default_factory=list)
    number: int | None = None
    # Why the writer would refuse this project (a decision recorded on its dossier), in French.
    refusal: str | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class Landlord:
    """A landlord named by the document: the organisation of that name, the one the reviewer linked, or none (it
    will be created)."""

    name: str
    key: str
    named: Organisation | None
    linked: Organisation | None

    @property
    def organisation(self) -> Organisation | None:
        return self.linked or self.named


@dataclass
class Review:
    region: str
    sections: list[Section]
    landlords: list[Landlord]
    # The published version this import adds, or None when the committee already holds this very document.
    new_version: int | None

    @property
    def doubtful(self) -> int:
        return sum(row.doubtful is not None for section in self.sections for row in section.rows)

    @property
    def refusals(self) -> list[str]:
        return [section.refusal for section in self.sections if section.refusal]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUS_LABELS, 0)
        for section in self.sections:
            for row in section.rows:
                counts[row.status] += 1
        return counts


def _shown(name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Organisation):
        return value.name
    if name == "instructed_on":
        return french_date(value)
    if name == "verdict":
        return str(Verdict(value).label) if value in Verdict.values else str(value)
    if name == "retained":
        return "Oui" if value else "Non"
    return str(value)


def _row(label: str, name: str, before, after, exists: bool, confidence: float | None = None) -> Row:
    status = CREATED if not exists else UNCHANGED if before == after else UPDATED
    doubtful = confidence if confidence is not None and confidence < DOUBTFUL else None
    return Row(label, _shown(name, before) if exists else "—", _shown(name, after), status, name, doubtful,
               raw="" if after is None else str(after))  # fmt: skip


def joint_opinion_review(document: ParsedDocument, landlord_links: LandlordLinks) -> Review:
    links = {landlord_key(name): org for name, org in landlord_links.items()}
    call = find_call(document)
    committee = find_committee(document, call)
    region = document_region(document)

    call_section = Section("Appel à projets", UNCHANGED if call else CREATED)
    before = call.title if call else None
    call_section.rows.append(
        _row(HEADER_FIELDS["call"], "call", before, document.call, call is not None, document.confidence.get("call"))
    )
    committee_section = Section("Comité régional", UNCHANGED if committee else CREATED)
    before = committee.name if committee else None
    exists = committee is not None
    committee_section.rows.append(
        _row(HEADER_FIELDS["region"], "region", before, document.region, exists, document.confidence.get("region"))
    )
    # The committee's name is the document's only when it is created: an existing committee keeps its own.
    if committee is not None:
        committee_section.rows[-1].status = UNCHANGED
        committee_section.rows[-1].after = committee.name
    for name, after in committee_values(document).items():
        before = getattr(committee, name) if committee else None
        committee_section.rows.append(
            _row(HEADER_FIELDS[name], name, before, after, committee is not None, document.confidence.get(name))
        )
    if any(row.status == UPDATED for row in committee_section.rows):
        committee_section.status = UPDATED
    sections = [call_section, committee_section]

    dossiers = (
        {d.number: d for d in Dossier.objects.filter(committee=committee).select_related("lead_landlord", "decision")}
        if committee
        else {}
    )
    opinions = {o.dossier_id: o for o in Opinion.objects.filter(dossier__in=dossiers.values())} if dossiers else {}
    landlords: dict[str, Landlord] = {}
    for project in document.projects:
        key = landlord_key(project.landlord)
        if key not in landlords:
            landlords[key] = Landlord(project.landlord, key, find_landlord(project.landlord, {}), links.get(key))
        landlord = landlords[key].organisation
        dossier = dossiers.get(project.number)
        opinion = opinions.get(dossier.pk) if dossier else None
        status = CREATED if dossier is None else UNCHANGED
        section = Section(f"Projet N°{project.number}", status, number=project.number)
        confidence = project.confidence
        section.rows.append(_row(PROJECT_FIELDS["title"], "title", dossier and dossier.title, project.title,
                                 dossier is not None, confidence.get("title")))  # fmt: skip
        # A landlord not found is created: the row says so with its name.
        before = dossier.lead_landlord if dossier else None
        row = _row(PROJECT_FIELDS["landlord"], "landlord", before, landlord or project.landlord, dossier is not None,
                   confidence.get("landlord"))  # fmt: skip
        if dossier is not None:
            row.status = UNCHANGED if landlord is not None and landlord.pk == before.pk else UPDATED
        row.raw = project.landlord
        section.rows.append(row)
        values = opinion_values(project)
        labels = {**PROJECT_FIELDS, "retained": "Retenu"}
        for name, after in values.items():
            before = getattr(opinion, name) if opinion else None
            section.rows.append(_row(labels[name], name, before, after, opinion is not None, confidence.get(name)))
        if any(row.status != UNCHANGED for row in section.rows) and dossier is not None:
            section.status = UPDATED
            if opinion is not None and any(getattr(opinion, k) != v for k, v in values.items()):
                section.refusal = closed_reason(dossier)
        sections.append(section)

    _, digest = joint_opinion_content(document)
    new_version = None
    if committee is None:
        new_version = 1
    elif not committee.joint_opinions.filter(sha256=digest).exists():
        new_version = (committee.joint_opinions.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    return Review(region, sections, list(landlords.values()), new_version)


def region_label(code: str) -> str:
    return Region(code).label if code in Region.values else "région non reconnue"
