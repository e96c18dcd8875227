"""What users are told when something happens to a dossier: a notification in the application for each recipient, and
an e-mail to those who want one at once (the others get theirs in the daily digest, or none). Each notification is a
task, queued once the change is saved (core.tasks.enqueue_on_commit), with primary keys."""

from datetime import date
from functools import partial

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from core import departments
from core.formats import euros, french_date
from core.models import (
    Decision,
    DepartmentalOpinion,
    Dispatch,
    Dossier,
    ExpertRequest,
    JointOpinion,
    Membership,
    Message,
    Notification,
    Opinion,
    Preference,
    Report,
)
from core.policies import committee_members_of, committee_side_of, departmental_instructors_of, landlord_staff_of

SIGNATURE = f"\n\nVous pouvez le consulter dans aap.\n\n— aap, {settings.AAP_SERVICE}"


def recipients_of(recipients: Q) -> list:
    """The active users the policy's condition on memberships names, once each."""
    memberships = Membership.objects.filter(recipients).select_related("user__preference")
    return sorted({m.user for m in memberships if m.user.is_active}, key=lambda user: user.pk)


def addresses(recipients: Q) -> list[str]:
    """The e-mail addresses a notification reaches at most: its recipients' who have one. A confirmation counts
    them before the action, as the notification will send to them."""
    return sorted({user.email for user in recipients_of(recipients) if user.email})


def delivery(user) -> str:
    preference = getattr(user, "preference", None)
    return preference.delivery if preference else Preference.Delivery.IMMEDIATE


def _send(recipients: Q, subject: str, body: str, link: str) -> int:
    """Leaves a notification for every recipient, and e-mails those who want it at once; returns the e-mails sent."""
    users = recipients_of(recipients)
    left = Notification.objects.bulk_create(
        Notification(user=user, subject=subject, body=body, link=link) for user in users
    )
    at_once = [user for user in users if user.email and delivery(user) == Preference.Delivery.IMMEDIATE]
    addresses = sorted({user.email for user in at_once})
    messages = [(subject, body + SIGNATURE, settings.DEFAULT_FROM_EMAIL, [address]) for address in addresses]
    sent = send_mass_mail(messages) or 0 if messages else 0
    # Sent: the digest will not send them again, even if the user chooses it later.
    mailed = [notification.pk for notification in left if notification.user in at_once]
    Notification.objects.filter(pk__in=mailed).update(mailed_at=timezone.now())
    return sent


def once(key: str, send) -> bool:
    """Runs `send` unless a message of this key was sent already; returns whether it ran. The key is written in the
    sending's transaction: a run at the same time waits for it and sends nothing, a failed sending leaves no key and
    is tried again by the next run."""
    try:
        with transaction.atomic():
            Dispatch.objects.create(key=key)
            send()
    except IntegrityError:
        return False
    return True


def send_digests(today: date) -> int:
    """One e-mail per user who chose the daily digest, with what it was told since the last one, at most once a day;
    returns the e-mails sent. A user's notifications are marked sent with its e-mail: a failure leaves them for the
    next run."""
    pending = (
        Notification.objects.filter(
            mailed_at=None, user__preference__delivery=Preference.Delivery.DIGEST, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id", "created_at", "id")
    )
    by_user: dict = {}
    for notification in pending:
        by_user.setdefault(notification.user, []).append(notification)
    return sum(
        once(f"digest:{user.pk}:{today.isoformat()}", partial(_digest, user, notifications))
        for user, notifications in by_user.items()
    )


def _digest(user, notifications: list) -> None:
    lines = "\n".join(f"- {n.subject}" for n in notifications)
    count = len(notifications)
    body = f"{count} événement{'s' if count > 1 else ''} depuis votre dernier récapitulatif :\n\n{lines}"
    send_mass_mail([("Votre récapitulatif aap", body + SIGNATURE, settings.DEFAULT_FROM_EMAIL, [user.email])])
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(mailed_at=timezone.now())


def _dossier_link(dossier: Dossier) -> str:
    return reverse("dossier_detail", args=[dossier.pk])


def told_of_submission(dossier: Dossier) -> Q:
    """Who a dossier's submission is told to: its committee's members, and the instructors of its departments."""
    return committee_members_of(dossier.committee_id) | departmental_instructors_of(dossier)


def told_of_departmental_opinion(dossier: Dossier) -> Q:
    """Who a department's opinion is told to: the committee's members who act on the dossier, who weigh it."""
    return committee_side_of(dossier)


def told_of_publication(committee, dossiers) -> Q:
    """Who a published avis conjoint is told to: the committee's members, and the landlords of its dossiers."""
    return committee_members_of(committee.pk) | landlord_staff_of(dossiers)


@task()
def notify_dossier_submitted(dossier_id: int) -> int:
    dossier = Dossier.objects.select_related("committee", "lead_landlord").get(pk=dossier_id)
    return _send(
        told_of_submission(dossier),
        f"Dossier déposé — N°{dossier.number} « {dossier.title} »",
        f"{dossier.lead_landlord} a déposé le dossier N°{dossier.number} « {dossier.title} » "
        f"auprès du comité {dossier.committee.name}.",
        _dossier_link(dossier),
    )


@task()
def notify_departmental_opinion(opinion_id: int) -> int:
    opinion = DepartmentalOpinion.objects.select_related("dossier__committee").get(pk=opinion_id)
    dossier = opinion.dossier
    return _send(
        told_of_departmental_opinion(dossier),
        f"Avis départemental — N°{dossier.number} « {dossier.title} »",
        f"L'avis départemental de {departments.label(opinion.department)} sur le dossier N°{dossier.number} "
        f"« {dossier.title} » est donné : {opinion.get_verdict_display().lower()}. Le comité {dossier.committee.name} "
        "le lit avant de signer son propre avis.",
        _dossier_link(dossier),
    )


@task()
def notify_dossier_returned(dossier_id: int) -> int:
    dossier = Dossier.objects.select_related("committee").get(pk=dossier_id)
    message = dossier.transitions.order_by("-at", "-id").first().message
    return _send(
        landlord_staff_of([dossier]),
        f"Dossier à compléter — N°{dossier.number} « {dossier.title} »",
        f"Le comité {dossier.committee.name} vous renvoie le dossier N°{dossier.number} « {dossier.title} » "
        f"pour qu'il soit complété :\n\n{message}",
        _dossier_link(dossier),
    )


@task()
def notify_report_returned(report_id: int) -> int:
    report = Report.objects.select_related("dossier").get(pk=report_id)
    dossier = report.dossier
    kind = "L'évaluation finale" if report.is_final else f"Le bilan de l'année {report.year}"
    return _send(
        landlord_staff_of([dossier]),
        f"Bilan à compléter — N°{dossier.number} « {dossier.title} »",
        f"{kind} du dossier N°{dossier.number} « {dossier.title} » vous est renvoyé par le secrétariat "
        f"pour qu'il soit complété :\n\n{report.returned_message}",
        _dossier_link(dossier),
    )


def told_of_cleared_signatures(dossier: Dossier, institutions: list[int]) -> Q:
    """Who is told that an edit cleared their institution's signature: its members who act on the dossier."""
    return committee_side_of(dossier) & Q(organisation_id__in=institutions)


@task()
def notify_signatures_cleared(opinion_id: int, institutions: list[int], department: str = "") -> int:
    opinion = Opinion.objects.select_related("dossier__committee").get(pk=opinion_id)
    dossier = opinion.dossier
    what = f"N°{dossier.number} « {dossier.title} »"
    if department:
        changed = (
            f"L'avis départemental de {departments.label(department)} sur le dossier {what} a changé après que votre "
            f"institution a signé l'avis du comité {dossier.committee.name} : sa signature est effacée. Relisez les "
            "deux avis et signez à nouveau si celui du comité vous convient toujours."
        )
    else:
        changed = (
            f"L'avis du comité {dossier.committee.name} sur le dossier {what} a été modifié après que votre "
            "institution l'a signé : sa signature est effacée. Relisez l'avis et signez-le à nouveau s'il vous "
            "convient."
        )
    return _send(
        told_of_cleared_signatures(dossier, institutions),
        f"Signature effacée — {what}",
        changed,
        _dossier_link(dossier),
    )


@task()
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
        reverse("joint_opinion", args=[joint_opinion.uuid]),
    )


@task()
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
        _dossier_link(dossier),
    )


@task()
def notify_advice_requested(request_id: int) -> int:
    request = ExpertRequest.objects.select_related("dossier").get(pk=request_id)
    return _send(
        Q(user_id=request.expert_id, role=Membership.Role.EXPERT),
        f"Avis consultatif demandé — N°{request.dossier.number} « {request.dossier.title} »",
        f"Le comité vous demande un avis consultatif sur ce dossier :\n\n{request.question}",
        _dossier_link(request.dossier),
    )


@task()
def notify_advice_given(request_id: int) -> int:
    request = ExpertRequest.objects.select_related("dossier", "expert").get(pk=request_id)
    return _send(
        committee_side_of(request.dossier),
        f"Avis d'expert rendu — N°{request.dossier.number} « {request.dossier.title} »",
        f"{request.expert.get_full_name() or request.expert} a rendu son avis consultatif sur le dossier "
        f"N°{request.dossier.number}.",
        _dossier_link(request.dossier),
    )


@task()
def notify_decisions(decision_ids: list[int]) -> int:
    sent = 0
    for decision in Decision.objects.filter(pk__in=decision_ids).select_related("dossier__call"):
        dossier = decision.dossier
        amount = f" Montant accordé : {euros(decision.amount_granted)}." if decision.amount_granted else ""
        conditions = f"\n\nConditions : {decision.conditions}" if decision.conditions else ""
        sent += _send(
            landlord_staff_of([dossier]),
            f"{dossier.call.decision_name.capitalize()} — N°{dossier.number} « {dossier.title} »",
            f"{dossier.call.decider_name.capitalize()} de l'appel « {dossier.call.title} » vous notifie sa "
            "décision sur votre dossier : "
            f"{decision.get_outcome_display().lower()}.{amount}{conditions}",
            _dossier_link(dossier),
        )
    return sent


def notifications_mark_read(*, by, pk: int | None = None) -> int:
    """Marks one of the user's notifications read, or all of them; another user's is left alone. Returns how many."""
    unread = Notification.objects.filter(user=by, read_at=None)
    if pk is not None:
        unread = unread.filter(pk=pk)
    return unread.update(read_at=timezone.now())


def preference_set(*, by, delivery: str) -> Preference:
    preference, _ = Preference.objects.update_or_create(user=by, defaults={"delivery": delivery})
    return preference


def remind_report_due(dossier: Dossier, label: str, due: date, today: date) -> int:
    """Reminds the dossier's landlords of a report not yet sent: `label` names it ("le bilan de l'année 2")."""
    late = due < today
    when = f"{'était' if late else 'est'} attendu le {french_date(due)}"
    return _send(
        landlord_staff_of([dossier]),
        f"{'Bilan en retard' if late else 'Bilan à transmettre'} — N°{dossier.number} « {dossier.title} »",
        f"{label[0].upper()}{label[1:]} du dossier N°{dossier.number} « {dossier.title} » {when}. "
        "Remplissez-le et transmettez-le au secrétariat national depuis la page du dossier.",
        _dossier_link(dossier),
    )
