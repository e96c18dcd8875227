"""A dossier's history as one timeline: state changes, edits of the dossier and its parts, the opinion.

It costs the same number of queries whatever the length of the history: each kind of row is read once.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q
from simple_history.utils import get_m2m_reverse_field_name

from core.audit import action_label, changes
from core.models import (
    AuditEvent,
    BudgetLine,
    Dossier,
    DossierStrand,
    Opinion,
    OpinionSignature,
    StateTransition,
    Territory,
)

# Saving a form writes several history rows within a moment; they read as one change.
SAME_CHANGE = timedelta(seconds=5)
# State changes have their own events, with their author and message.
TRACKED_ELSEWHERE = {"updated_at", "state", "submitted_at"}
ACTIONS = {"+": "ajout", "~": "modification", "-": "suppression"}


@dataclass
class Event:
    at: datetime
    user: object
    title: str
    details: list[str] = field(default_factory=list)


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def _m2m_values(model, object_id: int) -> dict[str, dict[int, set]]:
    """For each many-to-many field the history tracks: history row id -> the related ids it recorded.

    simple_history's diff_against reads them with two queries per field and per row; one per field is enough.
    """
    history_model = model.history.model
    values: dict[str, dict[int, set]] = {}
    for m2m_field in history_model._history_m2m_fields:
        rows = getattr(history_model, m2m_field.name).filter(**{f"{model._meta.model_name}_id": object_id})
        related: dict[int, set] = defaultdict(set)
        for history_id, related_id in rows.values_list("history_id", get_m2m_reverse_field_name(m2m_field)):
            related[history_id].add(related_id)
        values[m2m_field.name] = related
    return values


def _changed(record, previous, m2m: dict[str, dict[int, set]]) -> list[str]:
    """The fields that changed between two history rows, in the order of their names (as diff_against gives them)."""
    names = record.diff_against(previous, excluded_fields=m2m).changed_fields
    names += [name for name, rows in m2m.items() if rows[record.history_id] != rows[previous.history_id]]
    return sorted(names)


def _record_events(records, model, title: str, describe=None, m2m=None) -> list[Event]:
    """One event per history row, naming the fields that changed since the previous row."""
    events, previous = [], None
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        if previous is None or record.history_type != "~":
            details = [f"{ACTIONS[record.history_type]} : {describe(record)}"] if describe else []
        else:
            changed = _changed(record, previous, m2m or {})
            details = [_label(model, name) for name in changed if name not in TRACKED_ELSEWHERE]
        if details or previous is None:
            events.append(Event(record.history_date, record.history_user, title, details))
        previous = record
    return events


def _merge(events: list[Event]) -> list[Event]:
    merged: list[Event] = []
    for event in sorted(events, key=lambda e: e.at):
        last = merged[-1] if merged else None
        if last and last.title == event.title and last.user == event.user and event.at - last.at <= SAME_CHANGE:
            last.details += [d for d in event.details if d not in last.details]
        else:
            merged.append(event)
    return merged


def dossier_timeline(dossier: Dossier, *, with_opinion: bool, audit: Q | None = None) -> list[Event]:
    """Newest first. The opinion's drafting is included only for those who may read the drafts, and of the audit
    trail what `audit` lets the reader read (Access.audit_events; None: nothing of it)."""
    events = [
        Event(t.at, t.by, f"État : {t.get_to_state_display()}", [t.message] if t.message else [])
        for t in StateTransition.objects.filter(dossier=dossier).select_related("by")
    ]
    events += [
        Event(e.at, e.by, action_label(e.action), changes(e))
        for e in AuditEvent.objects.filter(Q(pk__in=[]) if audit is None else audit, dossier=dossier).select_related(
            "by"
        )
    ]
    records = dossier.history.select_related("history_user")
    # The creation row duplicates the "Brouillon créé" transition.
    m2m = _m2m_values(Dossier, dossier.pk)
    events += [e for e in _record_events(records, Dossier, "Dossier modifié", m2m=m2m) if e.details]
    for model, title in ((DossierStrand, "Ménages par volet"), (Territory, "Territoires"), (BudgetLine, "Budget")):
        parts = model.history.filter(dossier_id=dossier.pk).select_related("history_user")
        events += _record_events(parts, model, title, describe=lambda r: str(r.instance))
    if with_opinion:
        opinion_records = Opinion.history.filter(dossier_id=dossier.pk).select_related("history_user")
        events += _record_events(
            opinion_records, Opinion, "Avis du comité", describe=lambda r: f"révision {r.revision}"
        )
        signatures = OpinionSignature.objects.filter(opinion__dossier=dossier).select_related(
            "institution", "signed_by"
        )
        events += [Event(s.signed_at, s.signed_by, f"Avis signé pour {s.institution}") for s in signatures]
    return list(reversed(_merge(events)))
