from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.models import Agreement, Attachment, BudgetLine, Dossier, DossierStrand, OpinionSignature
from core.permissions import Access
from core.reading import shown_opinion
from core.services.dossiers import EDITABLE_STATES, RETURNABLE_STATES, WITHDRAWABLE_STATES
from core.services.followup import REPORTING_STATES, remaining
from core.services.joint_opinions import published_projects
from core.services.opinions import FIELDS, OPEN_STATES
from core.services.timeline import dossier_timeline
from front.forms import (
    AdviceForm,
    AttachmentForm,
    ExpertRequestForm,
    MessageForm,
    NoteForm,
    OpinionForm,
    ReturnForm,
)


def with_relations(dossiers):
    return dossiers.select_related("lead_landlord", "committee__call", "opinion", "decision").prefetch_related(
        "co_landlords", "partners"
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    access = Access(request.user)
    dossiers = list(with_relations(access.dossiers()).order_by("-call__year", "committee__name", "number"))
    published = published_projects({d.committee_id for d in dossiers})
    committees: dict = {}
    for dossier in dossiers:
        dossier.shown_opinion, dossier.hidden_reason = shown_opinion(access, dossier, published)
        committees.setdefault(dossier.committee, []).append(dossier)
    for committee in committees:
        committee.readable = access.can_read_committee(committee)
    return render(
        request,
        "front/home.html",
        {
            "title": "Dossiers",
            "committees": committees.items(),
            "count": len(dossiers),
            "can_create": access.can_create_dossiers,
            "is_national": access.is_national,
        },
    )


def _renewed(access: Access, dossier: Dossier) -> dict | None:
    """The dossier this one renews, with its opinion, decision and reports as this user may see them."""
    if dossier.renews_id is None:
        return None
    earlier = with_relations(access.dossiers().filter(pk=dossier.renews_id)).prefetch_related("reports").first()
    if earlier is None:
        return {"dossier": dossier.renews, "readable": False}
    opinion, _ = shown_opinion(access, earlier, published_projects([earlier.committee_id]))
    decision = getattr(earlier, "decision", None)
    return {
        "dossier": earlier,
        "readable": True,
        "opinion": opinion,
        "decision": decision if decision and access.can_read_decision(decision) else None,
        "reports": earlier.reports.all(),
    }


# States in which a dossier has, or has had, reports.
REPORT_STATES = {Dossier.State.UNDER_AGREEMENT, Dossier.State.REPORTING, Dossier.State.CLOSED}


def _opinion_context(access: Access, dossier: Dossier, form, conflict) -> dict:
    """The opinion as this user may read it, and the form and signature to act on it."""
    shown, hidden_reason = shown_opinion(access, dossier, published_projects([dossier.committee_id]))
    opinion = getattr(dossier, "opinion", None)
    can_act = access.can_act_on_opinion(dossier) and dossier.state in OPEN_STATES
    if can_act and form is None:
        initial = {name: getattr(opinion, name) for name in FIELDS} if opinion else {}
        form = OpinionForm(initial={**initial, "version": opinion.version if opinion else 0})
    institution = access.institution_in(dossier.committee)
    signed = {s.institution_id: s for s in opinion.signatures.all()} if opinion and shown else {}
    return {
        "opinion": shown,
        "hidden_reason": hidden_reason,
        "form": form if can_act else None,
        "conflict": conflict,
        "signatures": [(org, signed.get(org.pk)) for org in dossier.committee.institutions]
        if signed or can_act
        else [],
        "can_sign": bool(can_act and institution and opinion and opinion.verdict and institution.pk not in signed),
        "institution": institution,
    }


def _exchanges_context(request: HttpRequest, access: Access, dossier: Dossier) -> dict:
    """The thread with the landlord, the committee's notes, the experts' advice: each for its readers."""
    reads_drafts = access.can_read_opinion_draft(dossier)
    can_act = access.can_act_on_opinion(dossier) and dossier.state in OPEN_STATES
    talks = access.can_talk_about(dossier)
    return {
        "thread": dossier.messages.select_related("author").prefetch_related("attachments")
        if access.can_read_thread(dossier)
        else None,
        "message_form": MessageForm() if talks else None,
        "notes": dossier.notes.select_related("author") if reads_drafts else None,
        "note_form": NoteForm() if can_act else None,
        "expert_requests": dossier.expert_requests.select_related("expert", "requested_by")
        if reads_drafts
        else dossier.expert_requests.filter(expert=request.user),
        "expert_request_form": ExpertRequestForm() if can_act else None,
        "advice_form": AdviceForm() if access.is_expert else None,
    }


def _followup_context(access: Access, dossier: Dossier, carries: bool) -> dict:
    """The decision, the agreement and the reports, for the landlord and the secretariat; the renewed dossier."""
    decision = getattr(dossier, "decision", None)
    follows = access.can_follow(dossier)
    agreement = Agreement.objects.filter(dossier=dossier).prefetch_related("tranches").first() if follows else None
    return {
        "decision": decision if decision and access.can_read_decision(decision) else None,
        "user_is_secretariat": access.is_secretariat,
        "renewed": _renewed(access, dossier),
        "agreement": agreement,
        "remaining": remaining(agreement) if agreement else None,
        "can_make_agreement": access.is_secretariat and dossier.state == Dossier.State.RETAINED,
        "reports": dossier.reports.all() if follows and dossier.state in REPORT_STATES else None,
        "report_years": range(1, (dossier.duration_years or 1) + 1)
        if carries and dossier.state in REPORTING_STATES
        else None,
    }


def render_dossier(
    request: HttpRequest,
    access: Access,
    pk: int,
    *,
    form=None,
    conflict=None,
    problems=None,
    return_form=None,
    status=200,
):
    """The dossier page; the opinion views render it again with their bound form or conflict."""
    dossier = (
        with_relations(Dossier.objects.filter(pk=pk))
        .select_related("committee__ar_hlm", "committee__state_service")
        .prefetch_related(
            "publics",
            "territories",
            Prefetch(
                "opinion__signatures", queryset=OpinionSignature.objects.select_related("institution", "signed_by")
            ),
            Prefetch("attachments", queryset=Attachment.objects.filter(message=None)),
            Prefetch("strands", queryset=DossierStrand.objects.order_by("strand", "year")),
            Prefetch("budget_lines", queryset=BudgetLine.objects.order_by("year", "funder")),
        )
        .get()
    )
    carries = access.carries(dossier)
    editable = carries and dossier.state in EDITABLE_STATES
    budget = list(dossier.budget_lines.all())
    context = {
        "title": f"Dossier N°{dossier.number} — {dossier.title}",
        "dossier": dossier,
        "editable": editable,
        "problems": problems,
        "attachment_form": AttachmentForm() if editable else None,
        "can_withdraw": carries and dossier.state in WITHDRAWABLE_STATES,
        "return_form": (return_form or ReturnForm())
        if access.can_act_on_opinion(dossier) and dossier.state in RETURNABLE_STATES
        else None,
        "budget": budget,
        "budget_total": sum((line.amount for line in budget), start=0),
        "requested_total": sum(
            (line.amount for line in budget if line.funder in BudgetLine.PROGRAMME_FUNDERS), start=0
        ),
        "timeline": dossier_timeline(dossier, with_opinion=access.can_read_opinion_draft(dossier)),
        **_opinion_context(access, dossier, form, conflict),
        **_exchanges_context(request, access, dossier),
        **_followup_context(access, dossier, carries),
    }
    return render(request, "front/dossier_detail.html", context, status=status)


@login_required
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = Access(request.user)
    return render_dossier(request, access, access.dossier_or_404(pk).pk)
