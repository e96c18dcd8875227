"""E-mails sent when something happens to a dossier. Called on commit, with primary keys."""

import logging

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q

from core.formats import euros
from core.models import Decision, Dossier, ExpertRequest, JointOpinion, Membership, Message
from core.policies import committee_members_of, committee_side_of, landlord_staff_of

logger = logging.getLogger(__name__)


def notify_after_commit(notify, *args) -> None:
    """Send once the change is saved. A mail server that fails loses the e-mail (logged), never the change,
    and never turns a saved change into an error page."""

    def send() -> None:
        try:
            notify(*args)
        except Exception:  # any failure of the mail backend
            logger.exception("Notification %s%r failed", notify.__name__, args)

    transaction.on_commit(send)


SIGNATURE = "\n\nVous pouvez le consulter dans aap.\n\n— aap, appel à projets « 10 000 logements HLM accompagnés »"


def addresses(recipients: Q) -> list[str]:
    """The e-mail addresses a notification reaches: its recipients' (policies) who are active and have one. A
    confirmation counts them before the action, as the notification will send to them."""
    memberships = Membership.objects.filter(recipients).select_related("user")
    return sorted({m.user.email for m in memberships if m.user.email and m.user.is_active})


def _send(recipients: Q, subject: str, body: str) -> int:
    messages = [
        (subject, body + SIGNATURE, settings.DEFAULT_FROM_EMAIL, [address]) for address in addresses(recipients)
    ]
    return send_mass_mail(messages) or 0 if messages else 0


def told_of_submission(dossier: Dossier) -> Q:
    """Who a dossier's submission is told to: its committee's members."""
    return committee_members_of(dossier.committee_id)


def told_of_publication(committee, dossiers) -> Q:
    """Who a published avis conjoint is told to: the committee's members, and the landlords of its dossiers."""
    return committee_members_of(committee.pk) | landlord_staff_of(dossiers)


def notify_dossier_submitted(dossier_id: int) -> int:
    dossier = Dossier.objects.select_related("committee", "lead_landlord").get(pk=dossier_id)
    return _send(
        told_of_submission(dossier),
        f"Dossier déposé — N°{dossier.number} « {dossier.title} »",
        f"{dossier.lead_landlord} a déposé le dossier N°{dossier.number} « {dossier.title} » "
        f"auprès du comité {dossier.committee.name}.",
    )


def notify_dossier_returned(dossier_id: int) -> int:
    dossier = Dossier.objects.select_related("committee").get(pk=dossier_id)
    message = dossier.transitions.order_by("-at", "-id").first().message
    return _send(
        landlord_staff_of([dossier]),
        f"Dossier à compléter — N°{dossier.number} « {dossier.title} »",
        f"Le comité {dossier.committee.name} vous renvoie le dossier N°{dossier.number} « {dossier.title} » "
        f"pour qu'il soit complété :\n\n{message}",
    )


def notify_joint_opinion_published(joint_opinion_id: int) -> int:
    joint_opinion = JointOpinion.objects.select_related("committee__call").get(pk=joint_opinion_id)
    committee = joint_opinion.committee
    numbers = [project["number"] for project in joint_opinion.content["projects"]]
    dossiers = committee.dossiers.filter(number__in=numbers)
    return _send(
        told_of_publication(committee, dossiers),
        f"Avis conjoint publié — {committee.name} — {committee.call.title}",
        f"Le comité régional {committee.name} a publié la version {joint_opinion.version} de son avis conjoint "
        f"sur l'appel « {committee.call.title} ».",
    )


def notify_message(message_id: int) -> int:
    message = Message.objects.select_related("dossier", "author").get(pk=message_id)
    dossier = message.dossier
    # The thread's other side, as the thread page lets it read: members in conflict on the dossier do not.
    recipients = landlord_staff_of([dossier]) if message.from_committee else committee_side_of(dossier)
    return _send(
        recipients & ~Q(user=message.author),
        f"Nouveau message — N°{dossier.number} « {dossier.title} »",
        f"{message.author.get_full_name() or message.author} a écrit sur le dossier N°{dossier.number} :\n\n"
        f"{message.body}",
    )


def notify_advice_requested(request_id: int) -> int:
    request = ExpertRequest.objects.select_related("dossier").get(pk=request_id)
    return _send(
        Q(user_id=request.expert_id, role=Membership.Role.EXPERT),
        f"Avis consultatif demandé — N°{request.dossier.number} « {request.dossier.title} »",
        f"Le comité vous demande un avis consultatif sur ce dossier :\n\n{request.question}",
    )


def notify_advice_given(request_id: int) -> int:
    request = ExpertRequest.objects.select_related("dossier", "expert").get(pk=request_id)
    return _send(
        committee_side_of(request.dossier),
        f"Avis d'expert rendu — N°{request.dossier.number} « {request.dossier.title} »",
        f"{request.expert.get_full_name() or request.expert} a rendu son avis consultatif sur le dossier "
        f"N°{request.dossier.number}.",
    )


def notify_decisions(decision_ids: list[int]) -> int:
    sent = 0
    for decision in Decision.objects.filter(pk__in=decision_ids).select_related("dossier__call"):
        dossier = decision.dossier
        amount = f" Montant accordé : {euros(decision.amount_granted)}." if decision.amount_granted else ""
        conditions = f"\n\nConditions : {decision.conditions}" if decision.conditions else ""
        sent += _send(
            landlord_staff_of([dossier]),
            f"Décision nationale — N°{dossier.number} « {dossier.title} »",
            f"Le secrétariat national de l'appel « {dossier.call.title} » vous notifie sa décision sur votre dossier : "
            f"{decision.get_outcome_display().lower()}.{amount}{conditions}",
        )
    return sent
