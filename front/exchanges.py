"""The thread with the landlord, the committee's notes and the experts' advice: a part of the dossier page read on
demand, and where their forms lead back."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.models import Dossier, ExpertRequest
from core.permissions import Access
from core.services.attachments import AttachmentRefused
from core.services.exchanges import ExchangeRefused, expert_advise, expert_request, message_post, note_add
from core.workflow import allows, guard
from front.dossiers import render_section
from front.forms import AdviceForm, ExpertRequestForm, MessageForm, NoteForm
from front.opinions import dossier_for


def _exchanges_context(request: HttpRequest, access: Access, dossier: Dossier) -> dict:
    """The thread with the landlord, the committee's notes, the experts' advice: each for its readers."""
    reads_drafts = access.can_read_opinion_draft(dossier)
    requests = list(
        dossier.expert_requests.select_related("expert", "requested_by")
        if reads_drafts
        else dossier.expert_requests.filter(expert=request.user)
    )
    for asked in requests:
        asked.can_give = allows(access, "advice.give", asked)
    return {
        "thread": dossier.messages.select_related("author").prefetch_related("attachments")
        if access.can_read_thread(dossier)
        else None,
        "message_form": MessageForm() if allows(access, "exchanges.message", dossier) else None,
        "notes": dossier.notes.select_related("author") if reads_drafts else None,
        "note_form": NoteForm() if allows(access, "exchanges.note", dossier) else None,
        "expert_requests": requests,
        "expert_request_form": ExpertRequestForm() if allows(access, "exchanges.ask_expert", dossier) else None,
        "advice_form": AdviceForm() if any(asked.can_give for asked in requests) else None,
    }


@login_required
def dossier_exchanges(request: HttpRequest, pk: int) -> HttpResponse:
    """404 to whoever reads none of them: an observer, an expert not asked about the dossier."""
    access = Access(request.user)
    dossier = access.dossier_or_404(pk)
    context = _exchanges_context(request, access, dossier)
    if context["thread"] is None and context["notes"] is None and not context["expert_requests"]:
        raise Http404("Échanges introuvables.")
    return render_section(request, dossier, "exchanges", "Échanges", context)


def _done(request: HttpRequest, form, action, success: str, anchor: str, pk: int) -> HttpResponse:
    """Run the action if the form is valid; either way, back to the dossier's exchanges with a message."""
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            action(form.cleaned_data)
        except (ExchangeRefused, AttachmentRefused) as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, success)
    return redirect(reverse("dossier_exchanges", args=[pk]) + f"#{anchor}")


@require_POST
@login_required
def message_new(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = dossier_for(access, pk, "exchanges.message")
    form = MessageForm(request.POST, request.FILES)

    def post(data):
        message_post(dossier=dossier, by=request.user, body=data["body"], upload=data["file"])

    return _done(request, form, post, "Message envoyé.", "echanges", dossier.pk)


@require_POST
@login_required
def note_new(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = dossier_for(access, pk, "exchanges.note")
    form = NoteForm(request.POST)
    return _done(
        request,
        form,
        lambda data: note_add(dossier=dossier, by=request.user, body=data["body"]),
        "Note ajoutée.",
        "notes",
        dossier.pk,
    )


@require_POST
@login_required
def expert_request_new(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    dossier = dossier_for(access, pk, "exchanges.ask_expert")
    form = ExpertRequestForm(request.POST)

    def ask(data):
        expert_request(dossier=dossier, expert=data["expert"], question=data["question"], by=request.user)

    return _done(request, form, ask, "Avis demandé : l'expert en est averti.", "experts", dossier.pk)


@require_POST
@login_required
def expert_advice(request: HttpRequest, pk: int) -> HttpResponse:
    expert_request_ = ExpertRequest.objects.filter(pk=pk, expert=request.user).first()
    if expert_request_ is None:
        raise Http404("Demande d'avis introuvable.")
    guard(Access(request.user), "advice.give", expert_request_)
    form = AdviceForm(request.POST)
    return _done(
        request,
        form,
        lambda data: expert_advise(request=expert_request_, by=request.user, advice=data["advice"]),
        "Avis transmis au comité.",
        "experts",
        expert_request_.dossier_id,
    )
