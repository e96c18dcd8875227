"""Messages, committee notes and experts' advice on a dossier."""

from django.db import transaction
from django.utils import timezone

from core.models import Dossier, ExpertRequest, Membership, Message, Note
from core.permissions import Access
from core.services.attachments import attachment_add
from core.services.conflicts import refused_on_conflict
from core.services.notifications import (
    notify_advice_given,
    notify_advice_requested,
    notify_message,
)
from core.tasks import enqueue_on_commit
from core.workflow import check


class ExchangeRefused(Exception):
    """The message is for the user."""


def _text(body: str, what: str) -> str:
    body = body.strip()
    if not body:
        raise ExchangeRefused(f"{what} est vide.")
    return body


@transaction.atomic
def message_post(*, dossier: Dossier, by, body: str, upload=None) -> Message:
    """A message on the thread, from the landlord's side or the committee's: the author's role says which."""
    check(by, "exchanges.message", dossier)
    from_committee = Access(by).can_act_on_opinion(dossier)
    message = Message.objects.create(
        dossier=dossier, author=by, from_committee=from_committee, body=_text(body, "Le message")
    )
    if upload is not None:
        attachment_add(dossier=dossier, upload=upload, by=by, message=message)
    enqueue_on_commit(notify_message, message.pk)
    return message


def note_add(*, dossier: Dossier, by, body: str) -> Note:
    check(by, "exchanges.note", dossier)
    return Note.objects.create(dossier=dossier, author=by, body=_text(body, "La note"))


@transaction.atomic
def expert_request(*, dossier: Dossier, expert, question: str, by) -> ExpertRequest:
    check(by, "exchanges.ask_expert", dossier)
    if not expert.memberships.filter(role=Membership.Role.EXPERT).exists():
        raise ExchangeRefused(f"{expert} n'est pas un expert invité.")
    question = _text(question, "La question")
    name = expert.get_full_name() or expert
    with refused_on_conflict(ExchangeRefused(f"Un avis a déjà été demandé à {name} sur ce dossier.")):
        request = ExpertRequest.objects.create(dossier=dossier, expert=expert, question=question, requested_by=by)
    enqueue_on_commit(notify_advice_requested, request.pk)
    return request


@transaction.atomic
def expert_advise(*, request: ExpertRequest, by, advice: str) -> ExpertRequest:
    request = ExpertRequest.objects.select_for_update().get(pk=request.pk)
    check(by, "advice.give", request)
    request.advice = _text(advice, "L'avis")
    request.answered_at = timezone.now()
    request.save(update_fields=["advice", "answered_at"])
    enqueue_on_commit(notify_advice_given, request.pk)
    return request
