"""A read avis conjoint kept between its reading and its writing, and the reviewer's corrections to it.

The import page reads the file in a task, keeps the document as JSON (`document_json`), and writes it later
(`document_from_json`), with the values the reviewer typed over the doubtful ones (`apply_corrections`): the same
reading of a value as the parser's (documents/joint_opinion_values.py), so that "13 novembre 2018", "P1" or
"Non retenu" typed by hand mean what they mean in a document.

Corrections are {"header": {field: text}, "projects": {"3": {field: text}}}, each text as typed.
"""

from dataclasses import replace
from datetime import date

from core.models import Verdict
from core.text import xml_safe
from documents.joint_opinion_parser import MAX_CALL, MAX_LANDLORD, MAX_REGION, MAX_TITLE, ParsedDocument, ParsedProject
from documents.joint_opinion_values import date_of, edition_of, rank_of, verdict_of

# What the reviewer may correct, with the label the page gives it.
HEADER_FIELDS = {
    "call": "Appel à projets",
    "region": "Région",
    "dossiers_received": "Dossiers reçus",
    "instructed_on": "Date de l'instruction",
}
PROJECT_FIELDS = {
    "title": "Nom du projet",
    "landlord": "Bailleur",
    "verdict": "Avis",
    "questions": "Questions soulevées",
    "remarks": "Remarques / avis global",
    "rank": "Rang de classement",
}
LENGTHS = {"call": MAX_CALL, "region": MAX_REGION, "title": MAX_TITLE, "landlord": MAX_LANDLORD}


class CorrectionRefused(ValueError):
    """A value typed that cannot be read, in French, naming the field."""


def document_json(document: ParsedDocument) -> dict:
    """Everything the review and the writer need: the document as the command prints it, its letterheads, and each
    field's confidence."""
    content = document.as_json()
    for project, parsed in zip(content["projects"], document.projects, strict=True):
        project["confidence"] = parsed.confidence
    return {**content, "letterheads": document.letterheads, "confidence": document.confidence}


def document_from_json(data: dict) -> ParsedDocument:
    projects = [
        ParsedProject(
            **{key: value for key, value in project.items() if key != "confidence"},
            line=0,
            confidence=project.get("confidence", {}),
        )
        for project in data["projects"]
    ]
    return ParsedDocument(
        call=data["call"],
        region=data["region"],
        dossiers_received=data["dossiers_received"],
        instructed_on=date.fromisoformat(data["instructed_on"]),
        projects=projects,
        letterheads=data.get("letterheads", []),
        edition=edition_of(data["call"]),
        confidence=data.get("confidence", {}),
    )


def _text(name: str, label: str, value: str) -> str:
    text = xml_safe(str(value)).strip()
    if name in ("questions", "remarks"):
        return text
    text = " ".join(text.split())
    if not text:
        raise CorrectionRefused(f"{label} : ce champ ne peut pas être vide.")
    if name in LENGTHS and len(text) > LENGTHS[name]:
        raise CorrectionRefused(f"{label} : {LENGTHS[name]} caractères au plus.")
    return text


def _header_value(name: str, value: str):
    label = HEADER_FIELDS[name]
    text = _text(name, label, value)
    if name == "dossiers_received":
        if not text.isdigit():
            raise CorrectionRefused(f"{label} : un nombre entier, par exemple 7.")
        return int(text)
    if name == "instructed_on":
        read = date_of(text)
        if read is None:
            raise CorrectionRefused(f"{label} : une date, par exemple « 13 novembre 2018 » ou « 13/11/2018 ».")
        return read
    return text


def _project_values(name: str, value: str) -> dict:
    label = PROJECT_FIELDS[name]
    text = _text(name, label, value)
    if name == "verdict":
        verdict = text if text in Verdict.values else verdict_of(text)
        if verdict is None:
            raise CorrectionRefused(f"{label} : « Favorable », « Réservé » ou « Défavorable ».")
        return {"verdict": verdict}
    if name == "rank":
        read = rank_of(text)
        if read is None:
            raise CorrectionRefused(f"{label} : « P1 », « P2 », « P3 », « Retenu » ou « Non retenu ».")
        rank, retained = read
        return {"rank": rank, "retained": retained}
    return {name: text}


def apply_corrections(document: ParsedDocument, corrections: dict) -> ParsedDocument:
    """The document with the values typed over those read; CorrectionRefused names the first that cannot be read.
    A corrected field is certain: its confidence is 1."""
    header = corrections.get("header") or {}
    unknown = set(header) - set(HEADER_FIELDS)
    if unknown:
        raise CorrectionRefused(f"Champ inconnu : {', '.join(sorted(unknown))}.")
    values = {name: _header_value(name, value) for name, value in header.items()}
    if "call" in values:
        values["edition"] = edition_of(values["call"])
    by_number = corrections.get("projects") or {}
    numbers = {str(project.number) for project in document.projects}
    if set(by_number) - numbers:
        raise CorrectionRefused(f"Projet inconnu : N°{', N°'.join(sorted(set(by_number) - numbers))}.")
    projects = []
    for project in document.projects:
        fields = by_number.get(str(project.number)) or {}
        unknown = set(fields) - set(PROJECT_FIELDS)
        if unknown:
            raise CorrectionRefused(f"Champ inconnu : {', '.join(sorted(unknown))}.")
        changed = {}
        for name, value in fields.items():
            try:
                changed |= _project_values(name, value)
            except CorrectionRefused as refusal:
                raise CorrectionRefused(f"Projet N°{project.number}, {refusal}") from refusal
        confidence = {**project.confidence, **dict.fromkeys(fields, 1.0)}
        projects.append(replace(project, **changed, confidence=confidence))
    confidence = {**document.confidence, **dict.fromkeys(header, 1.0)}
    return replace(document, **values, projects=projects, confidence=confidence)
