"""Writing the audit trail: one call per action, in the action's transaction."""

from datetime import date, datetime
from decimal import Decimal

from core.models import AuditEvent
from core.workflow import ACTIONS


def action_label(action: str) -> str:
    """An action of the trail as its button names it, in French; the admin's own actions by their code."""
    return ACTIONS[action].label if action in ACTIONS else action


def _plain(value):
    """A value as JSON holds it, readable in the trail: amounts and dates as text."""
    if isinstance(value, Decimal | date | datetime):
        return str(value)
    if hasattr(value, "pk"):
        return str(value)
    return value


def snapshot(obj, fields) -> dict:
    """The named fields of an object (None: no object yet) as the trail records them."""
    if obj is None:
        return {}
    return {name: _plain(getattr(obj, name)) for name in fields}


def audit(action: str, *, by, subject, before: dict | None = None, after: dict | None = None, message: str = "",
          dossier=None, committee=None, call=None) -> AuditEvent:  # fmt: skip
    if dossier is not None:
        committee = committee or dossier.committee
    if committee is not None:
        call = call or committee.call
    return AuditEvent.objects.create(
        action=action,
        by=by if by is not None and by.is_authenticated else None,
        subject=str(subject)[:500],
        dossier=dossier,
        committee=committee,
        call=call,
        before=before or {},
        after=after or {},
        message=message,
    )
