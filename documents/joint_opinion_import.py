"""Writes a parsed avis conjoint into the database: call, committee, organisations, dossiers, opinions.

Re-importing the same document changes nothing: every object is looked up by its natural key and
saved only when a field differs, so that history records real changes only.
"""

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max

from core.models import (
    Call,
    Committee,
    Dossier,
    JointOpinion,
    Opinion,
    OpinionSignature,
    Organisation,
    Seat,
    StateTransition,
)
from core.regions import find_region
from core.services.calls import seat_add
from core.services.joint_opinions import snapshot_digest
from core.services.organisations import organisation_get_or_create, organisation_named
from core.tasks import enqueue_on_commit
from core.text import fold, name_key
from core.workflow import OPINION_CONDITIONS
from documents.joint_opinion_corrections import apply_corrections
from documents.joint_opinion_files import joint_opinion_render
from documents.joint_opinion_parser import ParsedDocument, ParsedProject

STATE_SERVICE = re.compile(r"direction regionale|\b(?:dreal|deal|drihl|driea|prefet|prefecture|ministere)\b")


@dataclass
class ImportResult:
    committee: Committee
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not (self.created or self.updated):
            return f"{self.committee}: nothing changed."
        return (
            f"{self.committee}: {len(self.created)} created, {len(self.updated)} updated"
            f" ({', '.join(self.created + self.updated)})."
        )


def _save_changes(obj, values: dict, result: ImportResult, label: str) -> None:
    changed = {key: value for key, value in values.items() if getattr(obj, key) != value}
    if not changed:
        return
    for key, value in changed.items():
        setattr(obj, key, value)
    obj.full_clean()
    obj.save()
    result.updated.append(label)


def _institution_kind(letterhead: str) -> str | None:
    text = fold(" ".join(letterhead.split()))
    if "hlm" in text or "association regionale" in text:
        return Organisation.Kind.AR_HLM
    if STATE_SERVICE.search(text):
        return Organisation.Kind.STATE_SERVICE
    return None


def _institutions(document: ParsedDocument, kinds: set[str], result: ImportResult) -> dict[str, Organisation]:
    """The co-chairing institutions of the given kinds, as the letterheads name them, created if need be."""
    found = {}
    for letterhead in document.letterheads:
        kind = _institution_kind(letterhead)
        if kind not in kinds or kind in found:
            continue
        name = " ".join(letterhead.split())
        org, created = organisation_get_or_create(name=name, kind=kind, letterhead=letterhead)
        if created:
            result.created.append(f"organisation {name}")
        found[kind] = org
    return found


# The landlord each name of the document is linked to, by the name as compared (core.text.name_key): the reviewer's
# choice, over the organisation of that name.
LandlordLinks = dict[str, Organisation]


def landlord_key(name: str) -> str:
    return name_key(name)


def find_landlord(name: str, links: LandlordLinks) -> Organisation | None:
    """The organisation the landlord named in the document is, as the reviewer linked it, or of that name; None: it
    is created when written."""
    return links.get(landlord_key(name)) or organisation_named(name)


def _landlord(name: str, links: LandlordLinks, result: ImportResult) -> Organisation:
    linked = links.get(landlord_key(name))
    if linked is not None:
        return linked
    legal_form = Organisation.LegalForm.OPH if fold(name).startswith(("oph ", "office public")) else ""
    org, created = organisation_get_or_create(name=name, kind=Organisation.Kind.LANDLORD, legal_form=legal_form)
    if created:
        result.created.append(f"organisation {name}")
    return org


def find_call(document: ParsedDocument) -> Call | None:
    """The call the document speaks of: by its edition, or else its title."""
    calls = Call.objects.all()
    call = calls.filter(edition=document.edition) if document.edition else calls.filter(title__iexact=document.call)
    return call.first()


def _call(document: ParsedDocument, result: ImportResult) -> Call:
    call = find_call(document)
    if call is None:
        call = Call.objects.create(
            title=document.call, edition=document.edition, year=document.instructed_on.year, status=Call.Status.CLOSED
        )
        result.created.append(f"call {call}")
    return call


def document_region(document: ParsedDocument) -> str:
    """The region's INSEE code, as the document's region, call or letterheads name it; "" when none does."""
    return find_region(document.region, document.call, *document.letterheads) or ""


def find_committee(document: ParsedDocument, call: Call | None) -> Committee | None:
    if call is None:
        return None
    region = document_region(document)
    committees = Committee.objects.filter(call=call)
    # A committee created by hand may have no region yet; its name is unique within the call.
    committee = committees.filter(region=region).first() if region else None
    return committee or committees.filter(region="", name__iexact=document.region).first()


def committee_values(document: ParsedDocument) -> dict:
    return {"instructed_on": document.instructed_on, "dossiers_received": document.dossiers_received}


def _committee(document: ParsedDocument, call: Call, result: ImportResult) -> Committee:
    region = document_region(document)
    committee = find_committee(document, call)
    values = committee_values(document)
    if committee is None:
        committee = Committee.objects.create(call=call, name=document.region, region=region, **values)
        _seat_institutions(document, committee, result)
        result.created.append(f"committee {committee.name}")
        return committee
    _save_changes(committee, values, result, f"committee {committee.name}")
    if _seat_institutions(document, committee, result) and f"committee {committee.name}" not in result.updated:
        result.updated.append(f"committee {committee.name}")
    return committee


# The co-chairs an avis conjoint's letterheads name, in the order Committee.institutions reads them.
LETTERHEAD_KINDS = (Organisation.Kind.AR_HLM, Organisation.Kind.STATE_SERVICE)


def _seat_institutions(document: ParsedDocument, committee: Committee, result: ImportResult) -> bool:
    """Seats as co-chairs the institutions of the kinds the committee lacks. Those already seated by the secretariat
    are theirs to change, not the document's: only the missing ones are looked up, so that no unused organisation is
    created from a letterhead."""
    missing = set(LETTERHEAD_KINDS) - {org.kind for org in committee.institutions}
    institutions = _institutions(document, missing, result)
    for kind in LETTERHEAD_KINDS:
        if kind in institutions:
            seat_add(committee=committee, organisation=institutions[kind], kind=Seat.Kind.CO_CHAIR)
    return bool(institutions)


def _dossier(project: ParsedProject, committee: Committee, links: LandlordLinks, result: ImportResult) -> Dossier:
    landlord = _landlord(project.landlord, links, result)
    label = f"dossier {project.number}"
    dossier = Dossier.objects.filter(committee=committee, number=project.number).first()
    if dossier is None:
        dossier = Dossier.objects.create(
            call=committee.call,
            committee=committee,
            number=project.number,
            title=project.title,
            lead_landlord=landlord,
            state=Dossier.State.OPINION_SIGNED,
        )
        StateTransition.objects.create(
            dossier=dossier, to_state=dossier.state, message="Importé de l'avis conjoint du comité."
        )
        result.created.append(label)
    else:
        _save_changes(dossier, {"title": project.title, "lead_landlord": landlord}, result, label)
    return dossier


def opinion_values(project: ParsedProject) -> dict:
    return {
        "verdict": project.verdict,
        "questions": project.questions,
        "remarks": project.remarks,
        "retained": project.retained,
        "rank": project.rank or "",
    }


def _opinion(project: ParsedProject, dossier: Dossier, committee: Committee, result: ImportResult) -> None:
    values = opinion_values(project)
    label = f"opinion {project.number}"
    opinion = Opinion.objects.filter(dossier=dossier).first()
    if opinion is None:
        opinion = Opinion.objects.create(dossier=dossier, **values)
        result.created.append(label)
    elif any(getattr(opinion, key) != value for key, value in values.items()):
        _check_open(dossier)
        _save_changes(opinion, {**values, "revision": opinion.revision + 1}, result, label)
    # An imported avis conjoint is a signed document: each co-chairing institution has signed every opinion in it.
    for institution in committee.institutions:
        OpinionSignature.objects.get_or_create(opinion=opinion, institution=institution)


class ImportRefused(Exception):
    """What the document would change that the process no longer allows; the message names the project."""


def closed_reason(dossier: Dossier) -> str | None:
    """Why the document may no longer change the dossier's opinion: a corrected document changes an opinion only
    while the committee could change it itself (core/workflow.py), not once a decision is recorded or notified."""
    for condition in OPINION_CONDITIONS:
        reason = condition(None, dossier)
        if reason:
            return f"Projet N°{dossier.number} « {dossier.title} » : {reason}"
    return None


def _check_open(dossier: Dossier) -> None:
    reason = closed_reason(dossier)
    if reason:
        raise ImportRefused(reason)


def joint_opinion_content(document: ParsedDocument) -> tuple[dict, str]:
    """The published version's content, and its SHA-256: a document already imported is not a new version."""
    content = {**document.as_json(), "letterheads": document.letterheads}
    return content, snapshot_digest(content)


def _joint_opinion(document: ParsedDocument, source: str, committee: Committee, result: ImportResult) -> None:
    content, digest = joint_opinion_content(document)
    if committee.joint_opinions.filter(sha256=digest).exists():
        return
    last = committee.joint_opinions.aggregate(last=Max("version"))["last"] or 0
    joint_opinion = JointOpinion.objects.create(
        committee=committee,
        version=last + 1,
        source=JointOpinion.Source.IMPORTED,
        content=content,
        sha256=digest,
        source_text=source,
    )
    enqueue_on_commit(joint_opinion_render, joint_opinion.pk)
    result.created.append(f"joint opinion v{last + 1}")


@transaction.atomic
def joint_opinion_import(
    *,
    document: ParsedDocument,
    source: str,
    corrections: dict | None = None,
    landlord_links: dict[str, Organisation] | None = None,
) -> ImportResult:
    """Writes the document, with the reviewer's corrections (documents/joint_opinion_review.py's form) and the
    landlords linked to existing organisations by name ({name as written: organisation}); everything or nothing."""
    if corrections:
        document = apply_corrections(document, corrections)
    links = {landlord_key(name): org for name, org in (landlord_links or {}).items()}
    result = ImportResult(committee=None)
    call = _call(document, result)
    committee = _committee(document, call, result)
    result.committee = committee
    for project in document.projects:
        dossier = _dossier(project, committee, links, result)
        _opinion(project, dossier, committee, result)
    _joint_opinion(document, source, committee, result)
    return result
