"""State changes of a dossier: each one checked against the allowed transitions and recorded with its author."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.formats import euros
from core.models import BudgetLine, Call, Committee, Dossier, Organisation, StateTransition
from core.services.notifications import notify_after_commit, notify_dossier_returned, notify_dossier_submitted

State = Dossier.State

ALLOWED = {
    State.DRAFT: {State.SUBMITTED, State.WITHDRAWN},
    State.SUBMITTED: {State.INCOMPLETE, State.IN_INSTRUCTION, State.OPINION_SIGNED, State.WITHDRAWN},
    State.INCOMPLETE: {State.SUBMITTED, State.WITHDRAWN},
    State.IN_INSTRUCTION: {State.INCOMPLETE, State.OPINION_SIGNED, State.WITHDRAWN},
    State.OPINION_SIGNED: {
        State.IN_INSTRUCTION,
        State.RETAINED,
        State.NOT_RETAINED,
        State.DEFERRED,
        State.WITHDRAWN,
    },
    State.DEFERRED: {State.RETAINED, State.NOT_RETAINED, State.WITHDRAWN},
    State.RETAINED: {State.UNDER_AGREEMENT},
    State.UNDER_AGREEMENT: {State.REPORTING},
    State.REPORTING: {State.CLOSED},
}


class TransitionRefused(Exception):
    """A state change that the dossier's current state does not allow; the message is for the user."""


@transaction.atomic
def dossier_transition(*, dossier: Dossier, to_state: str, by, message: str = "") -> Dossier:
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    if to_state not in ALLOWED.get(dossier.state, set()):
        raise TransitionRefused(
            f"Un dossier « {dossier.get_state_display()} » ne peut pas passer à « {State(to_state).label} »."
        )
    from_state = dossier.state
    dossier.state = to_state
    if to_state == State.SUBMITTED:
        dossier.submitted_at = timezone.now()
    dossier._history_user = by
    dossier.save()
    StateTransition.objects.create(dossier=dossier, from_state=from_state, to_state=to_state, by=by, message=message)
    return dossier


EDITABLE_STATES = {State.DRAFT, State.INCOMPLETE}
RETURNABLE_STATES = {state for state, targets in ALLOWED.items() if State.INCOMPLETE in targets}
WITHDRAWABLE_STATES = {state for state, targets in ALLOWED.items() if State.WITHDRAWN in targets}


@transaction.atomic
def dossier_create(*, committee: Committee, lead_landlord: Organisation, title: str, by) -> Dossier:
    """A new draft, numbered after the committee's last dossier."""
    Committee.objects.select_for_update().get(pk=committee.pk)
    last = committee.dossiers.aggregate(last=Max("number"))["last"] or 0
    dossier = Dossier(
        call=committee.call, committee=committee, number=last + 1, title=title, lead_landlord=lead_landlord
    )
    dossier.full_clean()
    dossier._history_user = by
    dossier.save()
    StateTransition.objects.create(dossier=dossier, to_state=State.DRAFT, by=by, message="Brouillon créé.")
    return dossier


def dossier_problems(dossier: Dossier) -> list[str]:
    """Everything missing or inconsistent, all at once, before the dossier may be submitted."""
    call = dossier.call
    problems = []
    if call.status != Call.Status.OPEN:
        problems.append(f"L'appel « {call} » n'est pas ouvert aux dépôts.")
    elif call.submission_deadline and timezone.now() > call.submission_deadline:
        deadline = timezone.localtime(call.submission_deadline)
        problems.append(f"Les dépôts sont clos depuis le {deadline:%d/%m/%Y à %H:%M}.")
    if not dossier.summary.strip():
        problems.append("Le résumé du projet est vide.")
    if not dossier.publics.exists():
        problems.append("Indiquez au moins un public cible.")
    if not dossier.territories.exists():
        problems.append("Indiquez au moins un territoire (département).")
    if not dossier.evaluation_plan.strip():
        problems.append("Décrivez les modalités d'évaluation.")

    duration = dossier.duration_years
    if not duration:
        problems.append("Indiquez la durée du projet.")
    elif duration > call.max_duration_years:
        problems.append(
            f"La durée ({duration} ans) dépasse la durée maximale de l'appel ({call.max_duration_years} ans)."
        )

    strands = list(dossier.strands.all())
    households = sum(s.households for s in strands)
    if not households:
        problems.append("Indiquez les ménages accompagnés par volet et par année.")
    elif dossier.households_total is None:
        problems.append("Indiquez le nombre total de ménages accompagnés.")
    elif households != dossier.households_total:
        problems.append(
            f"Les ménages par volet et par année ({households}) ne font pas le total annoncé "
            f"({dossier.households_total})."
        )
    if duration and any(s.year > duration for s in strands):
        problems.append(f"Des ménages sont prévus au-delà de la durée du projet ({duration} ans).")

    lines = list(dossier.budget_lines.all())
    if not lines:
        problems.append("Le budget est vide.")
    if duration and any(line.year > duration for line in lines):
        problems.append(f"Des lignes budgétaires dépassent la durée du projet ({duration} ans).")
    requested = sum((line.amount for line in lines if line.funder in BudgetLine.PROGRAMME_FUNDERS), start=Decimal(0))
    if lines and not requested:
        problems.append("Le budget ne demande rien au programme (FNAVDL ou FSI).")
    if call.cap_per_project is not None and requested > call.cap_per_project:
        cap = euros(call.cap_per_project)
        problems.append(f"La somme demandée ({euros(requested)}) dépasse le plafond par projet de l'appel ({cap}).")
    return problems


class SubmissionRefused(Exception):
    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@transaction.atomic
def dossier_submit(*, dossier: Dossier, by) -> Dossier:
    dossier = Dossier.objects.select_for_update(of=("self",)).select_related("call").get(pk=dossier.pk)
    if dossier.state not in EDITABLE_STATES:
        raise TransitionRefused(f"Ce dossier est déjà « {dossier.get_state_display()} ».")
    problems = dossier_problems(dossier)
    if problems:
        raise SubmissionRefused(problems)
    message = "Dossier complété et déposé à nouveau." if dossier.state == State.INCOMPLETE else "Dossier déposé."
    dossier = dossier_transition(dossier=dossier, to_state=State.SUBMITTED, by=by, message=message)
    notify_after_commit(notify_dossier_submitted, dossier.pk)
    return dossier


@transaction.atomic
def dossier_return_incomplete(*, dossier: Dossier, by, message: str) -> Dossier:
    if not message.strip():
        raise TransitionRefused("Expliquez au porteur ce qui manque à son dossier.")
    dossier = dossier_transition(dossier=dossier, to_state=State.INCOMPLETE, by=by, message=message.strip())
    notify_after_commit(notify_dossier_returned, dossier.pk)
    return dossier


def dossier_withdraw(*, dossier: Dossier, by) -> Dossier:
    return dossier_transition(
        dossier=dossier, to_state=State.WITHDRAWN, by=by, message="Dossier retiré par le porteur."
    )
