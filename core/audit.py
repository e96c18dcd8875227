"""Writing the audit trail: one call per action, in the action's transaction."""

from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import models

from core.formats import euros, french_date, french_datetime
from core.models import (
    AdvisoryOpinion,
    Agreement,
    AuditEvent,
    Call,
    Committee,
    Decision,
    DepartmentalOpinion,
    Invitation,
    Membership,
    PaymentTranche,
    Report,
)
from core.workflow import ACTIONS

MODELS = (
    DepartmentalOpinion, Decision, Report, Agreement, PaymentTranche, Call, Committee, User, Invitation, Membership,
    AdvisoryOpinion,
)  # fmt: skip
# The fields the trail records, by name, with their French label and their choices: the models they come from.
FIELDS = {field.name: field for model in MODELS for field in model._meta.concrete_fields}


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


def _shown(name: str, value) -> str:
    if value in (None, "", []):
        return "—"
    field = FIELDS.get(name)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    # Amounts and dates are recorded as text (_plain): they are read back as the pages show them, and a value
    # recorded otherwise as it was recorded.
    try:
        if isinstance(field, models.DecimalField):
            return euros(Decimal(str(value)))
        if isinstance(field, models.DateTimeField):
            return french_datetime(datetime.fromisoformat(str(value)))
        if isinstance(field, models.DateField):
            return french_date(date.fromisoformat(str(value)))
    except (ValueError, ArithmeticError):
        pass
    return str(value)


def changes(event: AuditEvent) -> list[str]:
    """What an action of the trail changed, in French: each field's label, its value before and after."""
    lines = []
    for name in dict.fromkeys([*event.before, *event.after]):
        before, after = _shown(name, event.before.get(name)), _shown(name, event.after.get(name))
        if before != after:
            label = FIELDS[name].verbose_name if name in FIELDS else name
            lines.append(f"{label} : {before} → {after}")
    return lines + ([event.message] if event.message else [])
