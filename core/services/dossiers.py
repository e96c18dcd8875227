"""State changes of a dossier: each one checked against the allowed transitions and recorded with its author."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from core.formats import euros, french_datetime
from core.models import BudgetLine, Call, Committee, Dossier, OpinionSignature, Organisation, StateTransition
from core.permissions import Access
from core.services.conflicts import refused_on_conflict
from core.services.notifications import notify_dossier_returned, notify_dossier_submitted
from core.services.organisations import (
    NewOrganisation,
    organisation_create,
    organisation_identified,
    organisation_named,
)
from core.services.receipts import receipt_create
from core.tasks import enqueue_on_commit
from core.workflow import TRANSITIONS, ActionRefused, check
from documents.receipts import receipt_render

State = Dossier.State


class TransitionRefused(Exception):
    """A state change that the dossier's current state does not allow; the message is for the user."""


@transaction.atomic
def dossier_transition(*, dossier: Dossier, to_state: str, by, message: str = "") -> Dossier:
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    if to_state not in TRANSITIONS.get(dossier.state, set()):
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


@transaction.atomic
def dossier_create(*, committee: Committee, lead_landlord: Organisation, title: str, by) -> Dossier:
    """A new draft, numbered after the committee's last dossier."""
    committee = Committee.objects.select_for_update().select_related("call").get(pk=committee.pk)
    check(by, "committee.create_dossier", committee)
    if lead_landlord.pk not in Access(by).landlord_ids:
        raise ActionRefused("Un dossier est créé pour l'un de vos organismes.")
    last = committee.dossiers.aggregate(last=Max("number"))["last"] or 0
    dossier = Dossier(
        call=committee.call, committee=committee, number=last + 1, title=title, lead_landlord=lead_landlord
    )
    dossier.full_clean()
    dossier._history_user = by
    dossier.save()
    StateTransition.objects.create(dossier=dossier, to_state=State.DRAFT, by=by, message="Brouillon créé.")
    return dossier


def missing_documents(dossier: Dossier) -> list[str]:
    """The documents the dossier's call asks that none of its attachments is typed as, in the call's order."""
    # all(), not filter(): a page prefetches them.
    joined = {attachment.document_type for attachment in dossier.attachments.all() if attachment.message_id is None}
    return [document for document in dossier.call.documents() if document not in joined]


def dossier_problems(dossier: Dossier) -> list[str]:
    """Everything missing or inconsistent, all at once, before the dossier may be submitted."""
    call = dossier.call
    problems = []
    if call.status != Call.Status.OPEN:
        problems.append(f"L'appel « {call} » n'est pas ouvert aux dépôts.")
    elif call.submission_deadline and timezone.now() > call.submission_deadline:
        problems.append(f"Les dépôts sont clos depuis le {french_datetime(call.submission_deadline)}.")
    if not dossier.summary.strip():
        problems.append("Le résumé du projet est vide.")
    # all(), not exists(): a list of dossiers prefetches them.
    if not dossier.publics.all():
        problems.append("Indiquez au moins un public cible.")
    if not dossier.territories.all():
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
    problems += [f"Pièce manquante : « {document} »." for document in missing_documents(dossier)]
    return problems


def locked(dossier: Dossier) -> Dossier:
    """The dossier re-read under lock, with what the workflow's checks read: a state change waits for the others."""
    Dossier.objects.select_for_update(of=("self",)).filter(pk=dossier.pk).exists()
    return (
        Dossier.objects.select_related("call", "committee", "decision", "opinion")
        .prefetch_related("co_landlords", "partners")
        .get(pk=dossier.pk)
    )


class SubmissionRefused(Exception):
    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@transaction.atomic
def dossier_submit(*, dossier: Dossier, by) -> Dossier:
    dossier = locked(dossier)
    check(by, "dossier.submit", dossier)
    problems = dossier_problems(dossier)
    if problems:
        raise SubmissionRefused(problems)
    message = "Dossier complété et déposé à nouveau." if dossier.state == State.INCOMPLETE else "Dossier déposé."
    dossier = dossier_transition(dossier=dossier, to_state=State.SUBMITTED, by=by, message=message)
    enqueue_on_commit(receipt_render, receipt_create(dossier, by).pk)
    enqueue_on_commit(notify_dossier_submitted, dossier.pk)
    return dossier


@transaction.atomic
def dossier_return_incomplete(*, dossier: Dossier, by, message: str) -> Dossier:
    dossier = locked(dossier)
    check(by, "dossier.return", dossier)
    if not message.strip():
        raise TransitionRefused("Expliquez au porteur ce qui manque à son dossier.")
    # The landlord will change what was signed, its partners too: a member who signed may be in conflict on what
    # comes back. The committee signs again the dossier it is sent.
    OpinionSignature.objects.filter(opinion__dossier=dossier).delete()
    dossier = dossier_transition(dossier=dossier, to_state=State.INCOMPLETE, by=by, message=message.strip())
    enqueue_on_commit(notify_dossier_returned, dossier.pk)
    return dossier


@transaction.atomic
def dossier_withdraw(*, dossier: Dossier, by) -> Dossier:
    dossier = locked(dossier)
    check(by, "dossier.withdraw", dossier)
    return dossier_transition(
        dossier=dossier, to_state=State.WITHDRAWN, by=by, message="Dossier retiré par le porteur."
    )


class DraftRefused(Exception):
    """The message is for the landlord, about one field of the draft (`field` names it) or the whole (None)."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field


def partner_candidates(committee: Committee) -> QuerySet[Organisation]:
    """The organisations a dossier of this committee may name as partners: never one of the institutions that
    co-chair it (their members would all be in conflict), nor the national level."""
    return Organisation.objects.exclude(pk__in=[org.pk for org in committee.institutions]).exclude(
        kind=Organisation.Kind.NATIONAL
    )


def partner_create(new: NewOrganisation, committee: Committee) -> Organisation:
    """A partner the landlord names for the first time, with its SIREN, SIRET or RNA number if known. An
    organisation that already exists, by its name as compared or by its number, is picked from the list: never
    matched, so that a partner puts in conflict the members of the organisation it really is, and only them."""
    number = new.identifier.siret or new.identifier.rna
    for existing, why in (
        (organisation_named(new.name), ""),
        (organisation_identified(new.identifier), f" sous le numéro {number}"),
    ):
        if existing is not None and existing in committee.institutions:
            raise DraftRefused(
                "new_partners",
                f"« {existing.name} »{why} co-préside le comité régional qui instruit le dossier : il ne peut pas en "
                "être partenaire.",
            )
        if existing is not None:
            raise DraftRefused(
                "new_partners",
                f"« {existing.name} » existe déjà{why} : choisissez-le dans la liste des partenaires.",
            )
    return organisation_create(name=new.name, kind=Organisation.Kind.ASSOCIATION, identifier=new.identifier)


# The draft's fields that are many-to-many relations, set after the dossier is saved.
RELATIONS = ("publics", "co_landlords")
# A line (a strand's year) or a new partner saved since the page was sent: by the same page posted twice, or by
# another page. What is stored is kept; the landlord sees it on reloading.
SAVED_MEANWHILE = (
    "Ce brouillon a été enregistré entre-temps (la page a sans doute été envoyée deux fois) : rien n'a été "
    "modifié. Rechargez la page pour voir ce qui est enregistré, puis recommencez vos changements."
)


@transaction.atomic
def dossier_save_draft(
    *, dossier: Dossier, by, values: dict, partners: list[Organisation], new_partners: list[NewOrganisation], parts=()
) -> Dossier:
    """Save the landlord's draft: its fields (`values`), its partners picked from partner_candidates() and those it
    names for the first time, and its parts (the formsets of households, territories and budget lines)."""
    dossier = locked(dossier)
    check(by, "dossier.edit", dossier)
    allowed = set(
        partner_candidates(dossier.committee).filter(pk__in=[p.pk for p in partners]).values_list("pk", flat=True)
    )
    refused = [str(partner) for partner in partners if partner.pk not in allowed]
    if refused:
        raise DraftRefused(
            "partners",
            f"{', '.join(refused)} ne peut pas être partenaire : les institutions qui co-président le comité "
            "instruisent le dossier.",
        )
    with refused_on_conflict(DraftRefused(None, SAVED_MEANWHILE)):
        created = [partner_create(new, dossier.committee) for new in new_partners]
        for name, value in values.items():
            if name not in RELATIONS:
                setattr(dossier, name, value)
        dossier.full_clean()
        dossier._history_user = by
        dossier.save()
        for name in RELATIONS:
            getattr(dossier, name).set(values[name])
        dossier.partners.set([*partners, *created])
        for part in parts:
            part.save()
    return dossier
