"""Importing a past avis conjoint: the file uploaded, its reading followed (htmx), the review of what it would
change (doubtful fields corrected in place, landlords linked), then confirmed or cancelled."""

from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core import policies
from core.filetypes import TYPES
from core.formats import french_date
from core.models import ArchiveImport, Organisation
from core.permissions import Access
from core.services.imports import (
    ImportRefusal,
    import_cancel,
    import_confirm,
    import_correct,
    import_document,
    import_upload,
    landlord_links,
    resolve_links,
)
from core.workflow import available, blocked, guard
from documents.joint_opinion_corrections import HEADER_FIELDS, PROJECT_FIELDS
from documents.joint_opinion_parser import ParsedDocument
from documents.joint_opinion_review import joint_opinion_review, region_label
from front.fields import DsfrForm
from front.files import download

State = ArchiveImport.State


class UploadForm(DsfrForm):
    file = forms.FileField(
        label="Avis conjoint",
        help_text="TXT, DOCX, ODT ou PDF, 20 Mo au plus. Un PDF numérisé est lu par reconnaissance de caractères : "
        "quelques secondes par page.",
        widget=forms.FileInput(attrs={"class": "fr-upload", "accept": ".txt,.docx,.odt,.pdf"}),
        error_messages={"required": "Choisissez un fichier.", "empty": "Ce fichier est vide."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.group_class = "fr-upload-group"


def _imports(access: Access):
    return ArchiveImport.objects.filter(policies.archive_reader.where(access, "")).select_related(
        "uploaded_by", "committee__call"
    )


def _own(request: HttpRequest, uuid: UUID) -> ArchiveImport:
    """The import, to whoever may read it (its actions are the workflow's to allow); no one else learns it exists."""
    archive = _imports(Access(request.user)).filter(uuid=uuid).first()
    if archive is None:
        raise Http404("Import introuvable.")
    return archive


@login_required
def import_new(request: HttpRequest) -> HttpResponse:
    access = Access(request.user)
    guard(access, "import.upload", ArchiveImport())
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            archive = import_upload(upload=form.cleaned_data["file"], by=request.user)
        except ImportRefusal as refusal:
            form.add_error("file", str(refusal))
        else:
            messages.success(request, f"Fichier reçu : {archive.filename}. Cette page suit sa lecture.")
            return redirect("import_detail", archive.uuid)
    context = {"title": "Importer un avis conjoint", "form": form, "imports": _imports(access)[:20]}
    return render(request, "front/import_new.html", context, status=400 if form.errors else 200)


@login_required
def import_file(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """The file as it was uploaded, while the workflow keeps it: a confirmed import's stays with its committee."""
    archive = _own(request, uuid)
    guard(Access(request.user), "import.download", archive)
    kind = TYPES.get(archive.filename.rsplit(".", 1)[-1])
    return download(archive.file, filename=archive.filename,
                    content_type=kind.content_type if kind else "text/plain; charset=utf-8")  # fmt: skip


def field_text(document: ParsedDocument, number: int | None, name: str) -> str:
    """A field as its correction's input shows it, and as typing it again means the same value."""
    if number is None:
        value = getattr(document, name)
        return french_date(value) if name == "instructed_on" else str(value)
    project = next(p for p in document.projects if p.number == number)
    if name == "verdict":
        return {"favorable": "Favorable", "reserve": "Réservé", "defavorable": "Défavorable"}.get(project.verdict, "")
    if name == "rank":
        return project.rank or ("Retenu" if project.retained else "Non retenu")
    return str(getattr(project, name))


@login_required
def import_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """The import's reading, followed by htmx until it ends; then its review, or why it was refused."""
    access = Access(request.user)
    archive = _own(request, uuid)
    context = {"archive": archive, "actions": available(access, archive)}
    if request.htmx:
        if archive.state == State.PARSING:
            return render(request, "front/import_progress.html", context)
        # The reading has just ended: the whole page again, for its review or its refusal.
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    if archive.state == State.READY:
        document = import_document(archive)
        review = joint_opinion_review(document, landlord_links(archive))
        for section in review.sections:
            correctable = HEADER_FIELDS if section.number is None else PROJECT_FIELDS
            for row in section.rows:
                if row.doubtful is not None and row.name in correctable:
                    row.input_name = f"p-{section.number}-{row.name}" if section.number else f"h-{row.name}"
                    row.text = field_text(document, section.number, row.name)
        context |= {
            "review": review,
            "region": region_label(review.region),
            "confirm_blocked": blocked(access, "import.confirm", archive),
            # The same file confirmed before, as far as this user reads it: confirming again rewrites what it holds.
            "earlier": _imports(access)
            .filter(sha256=archive.sha256, state=State.CONFIRMED)
            .order_by("-finished_at")
            .first(),
            "organisations": Organisation.objects.filter(kind=Organisation.Kind.LANDLORD).only("pk", "name"),
        }
    return render(request, "front/import_detail.html", {**context, "title": f"Import — {archive.filename}"})


def _corrections(request: HttpRequest, archive: ArchiveImport) -> dict:
    """The corrections kept, and those typed now: a field typed as it reads is no correction."""
    document = import_document(archive)
    corrections = {"header": dict(archive.corrections.get("header", {})),
                   "projects": {k: dict(v) for k, v in archive.corrections.get("projects", {}).items()}}  # fmt: skip
    for key, value in request.POST.items():
        parts = key.split("-")
        if parts[0] == "h" and len(parts) == 2 and parts[1] in HEADER_FIELDS:
            if value.strip() != field_text(document, None, parts[1]):
                corrections["header"][parts[1]] = value
        elif parts[0] == "p" and len(parts) == 3 and parts[1].isdigit() and parts[2] in PROJECT_FIELDS:
            number = int(parts[1])
            if any(p.number == number for p in document.projects) and value.strip() != field_text(
                document, number, parts[2]
            ):
                corrections["projects"].setdefault(parts[1], {})[parts[2]] = value
    return {key: value for key, value in corrections.items() if value}


def _links(request: HttpRequest) -> dict[str, str]:
    """{landlord's name: the organisation chosen, or its SIREN typed}."""
    links = {}
    for key, name in request.POST.items():
        if key.startswith("bailleur-nom-"):
            index = key.removeprefix("bailleur-nom-")
            links[name] = request.POST.get(f"bailleur-siren-{index}", "").strip() or request.POST.get(
                f"bailleur-{index}", ""
            )
    return links


@require_POST
@login_required
def import_review(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """Saves the corrections and the landlords' links; with "confirm", writes the import."""
    access = Access(request.user)
    archive = _own(request, uuid)
    confirm = "confirm" in request.POST
    guard(access, "import.correct", archive)
    if confirm:
        guard(access, "import.confirm", archive)
    try:
        posted = _links(request)
        # A landlord the form does not name keeps its link; one it names "" is found by name again.
        kept = {name: pk for name, pk in archive.landlord_links.items() if name not in posted}
        links = kept | {name: organisation.pk for name, organisation in resolve_links(posted).items()}
        archive = import_correct(archive=archive, corrections=_corrections(request, archive), links=links,
                                 by=request.user)  # fmt: skip
        if confirm:
            archive = import_confirm(archive=archive, by=request.user)
    except ImportRefusal as refusal:
        messages.error(request, str(refusal))
        return redirect("import_detail", archive.uuid)
    if confirm:
        messages.success(request, f"Avis conjoint importé : {archive.committee}.")
    else:
        messages.success(request, "Corrections enregistrées : rien d'autre n'est écrit avant la confirmation.")
    return redirect("import_detail", archive.uuid)


@require_POST
@login_required
def import_cancel_view(request: HttpRequest, uuid: UUID) -> HttpResponse:
    access = Access(request.user)
    archive = _own(request, uuid)
    guard(access, "import.cancel", archive)
    import_cancel(archive=archive, by=request.user)
    messages.success(request, f"Import annulé : rien n'a été écrit, le fichier {archive.filename} est supprimé.")
    return redirect("import_new")
