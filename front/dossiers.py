from django.contrib.auth.decorators import login_required
from django.db.models import (
    Case,
    Exists,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    When,
    prefetch_related_objects,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from core import departments
from core.models import (
    AdvisoryOpinion,
    Agreement,
    Attachment,
    BudgetLine,
    Dossier,
    DossierStrand,
    JointOpinion,
    Receipt,
    Report,
    Seat,
)
from core.paging import page_by_committee
from core.permissions import Access
from core.reading import reads_draft, shown_opinion
from core.services.followup import remaining
from core.services.joint_opinions import published_projects, version_projects
from core.services.opinions import FIELDS
from core.services.timeline import dossier_timeline
from core.workflow import OPINION_OPEN, WITH_REPORTS, allows, available, blocked, permits
from front import confirmations
from front.forms import AdvisoryForm, OpinionForm, ReturnForm


def with_relations(dossiers):
    return dossiers.select_related("lead_landlord", "committee__call", "opinion", "decision").prefetch_related(
        "co_landlords", "partners"
    )


# Dossiers listed per page of the home page: a secretariat's is every dossier since the programme began.
HOME_PER_PAGE = 50


@login_required
def dossier_list(request: HttpRequest) -> HttpResponse:
    access = Access(request.user)
    dossiers = access.dossiers()
    page, totals = page_by_committee(
        dossiers,
        dossiers.select_related("lead_landlord", "committee__call", "opinion").annotate(
            reads_draft=reads_draft(access)
        ),
        HOME_PER_PAGE,
        request.GET.get("page"),
    )
    # The published versions only of the page's committees, and only where a dossier is not read as a draft.
    published = published_projects({d.committee_id for d in page if not d.reads_draft})
    committees: dict = {}
    for dossier in page:
        dossier.shown_opinion, dossier.hidden_reason = shown_opinion(access, dossier, published, dossier.reads_draft)
        committees.setdefault(dossier.committee, []).append(dossier)
    for committee in committees:
        committee.readable = access.can_read_committee(committee)
        committee.call_exportable = allows(access, "call.export", committee.call)
        committee.total = totals[committee.pk]
    return render(
        request,
        "front/dossier_list.html",
        {
            "title": "Dossiers",
            "committees": committees.items(),
            "page": page,
            "can_create": permits(access, "committee.create_dossier"),
            "is_national": access.is_national,
        },
    )


def _last_receipt(field: str) -> Subquery:
    return Subquery(Receipt.objects.filter(dossier=OuterRef("pk")).order_by("-submitted_at", "-id").values(field)[:1])


def _published(access: Access) -> Case:
    """The key of the committee's latest published avis conjoint, for whoever does not read the dossier's opinion as a
    draft (Access.opinion_drafts): its content, read apart by that key, can be large; the others need not read it.
    One expression, not one per field: each repeats the condition, and compiling it is most of the page's query."""
    newest = JointOpinion.objects.filter(committee=OuterRef("committee")).order_by("-version").values("pk")[:1]
    return Case(When(access.opinion_drafts(), then=None), default=Subquery(newest), output_field=IntegerField())


def _published_projects(dossier: Dossier) -> dict:
    """What published_projects() gives, from the version whose key was read with the dossier."""
    if dossier.published_pk is None:
        return {}
    content, version, uuid = JointOpinion.objects.values_list("content", "version", "uuid").get(pk=dossier.published_pk)
    return version_projects(dossier.committee_id, content, version, uuid)


def _page_dossier(access: Access, pk: int) -> Dossier:
    """The dossier with what its page shows, in one query and seven prefetches whatever its size (the key of its
    published version is read with the dossier's row, the version by that key; the signatures are _signatures()');
    404 as Access.dossier_or_404 for whoever may not see it. Its history, exchanges and follow-up are pages of their
    own."""
    dossier = (
        with_relations(Dossier.objects.filter(access.sees(), pk=pk))
        .annotate(receipt_uuid=_last_receipt("uuid"), receipt_at=_last_receipt("submitted_at"))
        # Most dossiers have none: their page reads no more.
        .annotate(advised=Exists(AdvisoryOpinion.objects.filter(dossier=OuterRef("pk"))))
        .annotate(published_pk=_published(access))
        .select_related(
            "call",
            "renews",
            "agreement",
        )
        .prefetch_related(
            "publics",
            "territories",
            Prefetch("attachments", queryset=Attachment.objects.filter(message=None)),
            Prefetch("strands", queryset=DossierStrand.objects.order_by("strand", "year")),
            Prefetch("budget_lines", queryset=BudgetLine.objects.order_by("year", "funder")),
        )
        .first()
    )
    if dossier is None:
        raise Http404("Dossier introuvable.")
    return dossier


def _signatures(dossier: Dossier) -> list[tuple]:
    """Each co-chairing institution in its order, with its signature of the working copy and, until it signs again,
    its signature cleared (the opinion changed after it signed): one query, for whoever reads the draft."""
    opinion = getattr(dossier, "opinion", None)
    on_opinion = opinion.pk if opinion else None
    seats = (
        Seat.objects.filter(committee_id=dossier.committee_id, kind=Seat.Kind.CO_CHAIR)
        .annotate(
            signature=FilteredRelation(
                "organisation__opinionsignature", condition=Q(organisation__opinionsignature__opinion=on_opinion)
            ),
            cleared=FilteredRelation(
                "organisation__clearedsignature", condition=Q(organisation__clearedsignature__opinion=on_opinion)
            ),
        )
        .select_related("signature__signed_by", "cleared__cleared_by")
        .order_by("position")
    )
    # A relation that matches no row is not set on the seat.
    return [(seat.organisation, getattr(seat, "signature", None), getattr(seat, "cleared", None)) for seat in seats]


def _advisory_form(access: Access, dossier: Dossier, actions: set[str], form):
    """The advisory member's form, with the opinion it gave if it gave one."""
    if "advisory.give" not in actions:
        return None
    if form is None:
        given = dossier.advisory_opinions.filter(organisation=access.advisory_seat_in(dossier.committee)).first()
        form = AdvisoryForm(initial={"text": given.text if given else ""})
    return form


def _opinion_context(access: Access, dossier: Dossier, actions: set[str], form, conflict, advisory_form=None) -> dict:
    """The opinion as this user may read it, and the form and signature to act on it."""
    reads_draft = access.can_read_opinion_draft(dossier)
    shown, hidden_reason = shown_opinion(
        access, dossier, {} if reads_draft else _published_projects(dossier), reads_draft
    )
    opinion = getattr(dossier, "opinion", None)
    can_act = "opinion.write" in actions
    if can_act and form is None:
        initial = {name: getattr(opinion, name) for name in FIELDS} if opinion else {}
        form = OpinionForm(initial={**initial, "revision": opinion.revision if opinion else 0})
    institution = access.institution_in(dossier.committee)
    # The signatures are the working copy's: shown with it, never beside a published version, which they would say
    # is being reworked (a change clears them) or signed again.
    signatures = _signatures(dossier) if reads_draft else []
    return {
        "opinion": shown,
        "hidden_reason": hidden_reason,
        "form": form if can_act else None,
        "conflict": conflict,
        "signatures": signatures if can_act or any(signed or cleared for _, signed, cleared in signatures) else [],
        "can_sign": "opinion.sign" in actions,
        # A member who would write the opinion is told why it cannot now (a decision recorded freezes it).
        "opinion_blocked": blocked(access, "opinion.write", dossier) if dossier.state in OPINION_OPEN else None,
        "institution": institution,
        "advisory_opinions": list(dossier.advisory_opinions.select_related("organisation"))
        if dossier.advised and access.reads_advisory_opinions(dossier)
        else [],
        "advisory_form": _advisory_form(access, dossier, actions, advisory_form),
        "advisory_seat": access.advisory_seat_in(dossier.committee),
    }


def _departmental(access: Access, dossier: Dossier, actions: set[str]) -> list[dict]:
    """On a call with a departmental pre-instruction, the opinions of the dossier's departments this user reads (the
    committee's readers all of them, an instructor its own), each given or awaited, with its form's link for whoever
    gives it."""
    if not dossier.call.departmental_preinstruction:
        return []
    shown = access.departments_read(dossier)
    if not shown:
        return []
    given = {opinion.department: opinion for opinion in dossier.departmental_opinions.select_related("given_by")}
    own = access.instructed_departments(dossier) if "departmental.give" in actions else []
    return [
        {"code": code, "label": departments.label(code), "opinion": given.get(code), "gives": code in own}
        for code in shown
    ]


def render_dossier(
    request: HttpRequest,
    access: Access,
    pk: int,
    *,
    form=None,
    conflict=None,
    problems=None,
    return_form=None,
    advisory_form=None,
    status=200,
):
    """The dossier page; the opinion views render it again with their bound form or conflict."""
    dossier = _page_dossier(access, pk)
    actions = available(access, dossier)
    editable = "dossier.edit" in actions
    budget = list(dossier.budget_lines.all())
    follows = access.can_follow(dossier)
    has_agreement = hasattr(dossier, "agreement")
    context = {
        "title": f"Dossier N°{dossier.number} — {dossier.title}",
        "dossier": dossier,
        "editable": editable,
        "problems": problems,
        "actions": actions,
        "return_form": (return_form or ReturnForm()) if "dossier.return" in actions else None,
        "submission": confirmations.submission(dossier) if "dossier.submit" in actions else None,
        "returned": _return_reason(dossier),
        "budget": budget,
        "budget_total": sum((line.amount for line in budget), start=0),
        "requested_total": dossier.requested,
        "decision": _decision(access, dossier),
        # The sections read on demand, each where this user has something to read in it: the reports sent are read
        # by whoever sees the dossier (Access.reports).
        "has_followup": bool(dossier.renews_id) or dossier.state in WITH_REPORTS or (follows and has_agreement),
        # As dossier_exchanges answers: an expert reads there only the requests made to them.
        "has_exchanges": access.can_read_thread(dossier)
        or access.can_read_opinion_draft(dossier)
        or (access.is_expert and dossier.expert_requests.filter(expert=request.user).exists()),
        "departmental": _departmental(access, dossier, actions),
        **_opinion_context(access, dossier, actions, form, conflict, advisory_form),
    }
    return render(request, "front/dossier_detail.html", context, status=status)


@login_required
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_dossier(request, Access(request.user), pk)


def _return_reason(dossier: Dossier):
    """Why the committee returned the dossier as incomplete, shown until it is submitted again: in the history
    alone, the landlord saw only the state."""
    if dossier.state != Dossier.State.INCOMPLETE:
        return None
    return (
        dossier.transitions.filter(to_state=Dossier.State.INCOMPLETE)
        .select_related("by")
        .order_by("-at", "-id")
        .first()
    )


def _decision(access: Access, dossier: Dossier):
    decision = getattr(dossier, "decision", None)
    return decision if decision and access.can_read_decision(decision) else None


def render_section(request: HttpRequest, dossier: Dossier, name: str, title: str, context: dict) -> HttpResponse:
    """A part of the dossier page read on demand: its own page, or (htmx) the part alone, swapped in place."""
    context = {**context, "dossier": dossier, "section": name, "section_template": f"front/{name}.html"}
    if request.htmx:
        return render(request, "front/dossier_section_in_place.html", context)
    context["title"] = f"{title} — Dossier N°{dossier.number} — {dossier.title}"
    return render(request, "front/dossier_section.html", context)


@login_required
def dossier_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline of every change; the opinion's drafting only for those who read the drafts."""
    access = Access(request.user)
    dossier = access.dossier_or_404(pk)
    timeline = dossier_timeline(
        dossier, with_opinion=access.can_read_opinion_draft(dossier), audit=access.audit_events(dossier)
    )
    return render_section(request, dossier, "timeline", "Historique", {"timeline": timeline})


def _renewed(access: Access, dossier: Dossier) -> dict | None:
    """The dossier this one renews, with its opinion, decision and reports as this user may see them."""
    if dossier.renews_id is None:
        return None
    earlier = with_relations(Dossier.objects.filter(access.sees(), pk=dossier.renews_id)).select_related("call").first()
    if earlier is None:
        return {"dossier": dossier.renews, "readable": False}
    reads_draft = access.can_read_opinion_draft(earlier)
    published = {} if reads_draft else published_projects([earlier.committee_id])
    opinion, _ = shown_opinion(access, earlier, published, reads_draft)
    return {
        "dossier": earlier,
        "readable": True,
        "opinion": opinion,
        "decision": _decision(access, earlier),
        "reports": earlier.reports.filter(access.reports(earlier)),
    }


@login_required
def dossier_followup(request: HttpRequest, pk: int) -> HttpResponse:
    """After the decision: the agreement and its payments (the landlord's and the secretariat's), the reports as
    Access.reports() lets this user read them (those sent, for whoever does not follow the dossier), and the dossier
    this one renews, as this user may read it."""
    access = Access(request.user)
    dossier = access.dossier_or_404(pk)
    # Read once for the policies asked of the dossier, its tranches and its reports.
    prefetch_related_objects([dossier], "co_landlords", "partners")
    follows = access.can_follow(dossier)
    agreement = Agreement.objects.filter(dossier=dossier).prefetch_related("tranches").first() if follows else None
    reports = (
        list(Report.objects.filter(access.reports(dossier), dossier=dossier)) if dossier.state in WITH_REPORTS else None
    )
    left = remaining(agreement) if agreement else None
    for tranche in agreement.tranches.all() if agreement else ():
        tranche.actions = available(access, tranche)
        tranche.agreement = agreement
        tranche.confirmation = confirmations.payment(tranche, left) if "tranche.pay" in tranche.actions else None
    for report in reports or ():
        report.dossier = dossier
        report.actions = available(access, report)
    context = {
        "renewed": _renewed(access, dossier),
        "agreement": agreement,
        "remaining": left,
        "actions": available(access, dossier),
        "reports": reports,
        "to_write": _to_write(access, dossier, reports or []),
    }
    return render_section(request, dossier, "followup", "Suivi", context)


def _to_write(access: Access, dossier: Dossier, reports: list[Report]) -> list[Report]:
    """Each year's report and the final evaluation, written or still to write, where this user may write it now: not
    one already sent."""
    written = {(report.year, report.is_final): report for report in reports}
    last = dossier.duration_years or 1
    wanted = [(year, False) for year in range(1, last + 1)] + [(last, True)]
    each = [written.get(key) or Report(dossier=dossier, year=key[0], is_final=key[1]) for key in wanted]
    return [report for report in each if allows(access, "report.save", report)]
