"""The home page: the user's workspace, what awaits it (core/workspace.py)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.models import Preference
from core.permissions import Access
from core.workspace import (
    changed_since,
    committee_progress,
    grants_due,
    messages_to_answer,
    open_calls,
    reports_due,
    todo_sections,
)


def _last_visit(access: Access):
    """When the member last read its workspace, which is now: what changed since is news to it. Only members read it,
    so only theirs is kept."""
    if not access.member_committee_ids:
        return None
    preference, _ = Preference.objects.get_or_create(user=access.user)
    seen_at = preference.workspace_seen_at
    Preference.objects.filter(pk=preference.pk).update(workspace_seen_at=timezone.now())
    return seen_at


@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    access = Access(request.user)
    sections = todo_sections(access)
    reports = reports_due(access, timezone.localdate())
    grants = grants_due(access)
    return render(
        request,
        "front/workspace.html",
        {
            "title": "Mon espace",
            "sections": sections,
            "todo_count": sum(section.total for section in sections)
            + len(reports)
            + (grants[0].total if grants else 0),
            "reports_due": reports,
            "grants_due": grants,
            "open_calls": open_calls(access),
            "to_answer": messages_to_answer(access),
            "changed": changed_since(access, _last_visit(access)),
            "committees": committee_progress(access),
            "now": timezone.now(),
            "today": timezone.localdate(),
        },
    )
