"""A published version of the avis conjoint as files: rendered once, by a task, when it is published or imported, and
stored with their SHA-256. Its readers of every section download them; whoever reads only some sections (a landlord
its own dossiers') gets a document rendered for them, as do the drafts."""

import hashlib

from django.core.files.base import ContentFile
from django_tasks import task

from core.models import JointOpinion
from documents.joint_opinion_content import joint_opinion_context, joint_opinion_filename
from documents.joint_opinion_docx import joint_opinion_docx
from documents.joint_opinion_pdf import joint_opinion_pdf

# Each format: its writer and its content type.
WRITERS = {
    "pdf": (joint_opinion_pdf, "application/pdf"),
    "docx": (joint_opinion_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


def published_context(joint_opinion: JointOpinion, projects: list[dict]) -> dict:
    context = joint_opinion_context(joint_opinion.content, committee=joint_opinion.committee, projects=projects)
    return {**context, "joint_opinion": joint_opinion}


@task()
def joint_opinion_render(joint_opinion_id: int) -> dict:
    """Renders the version's PDF and DOCX, every section, and stores them; a file already stored is kept as it is.
    Returns the SHA-256 of each."""
    joint_opinion = JointOpinion.objects.select_related("committee__call", "published_by").get(pk=joint_opinion_id)
    context = published_context(joint_opinion, joint_opinion.content["projects"])
    for extension, (write, _) in WRITERS.items():
        if getattr(joint_opinion, extension):
            continue
        data = write(context)
        name = joint_opinion_filename(joint_opinion.committee, joint_opinion.version, extension)
        getattr(joint_opinion, extension).save(name, ContentFile(data), save=False)
        setattr(joint_opinion, f"{extension}_sha256", hashlib.sha256(data).hexdigest())
        joint_opinion.save(update_fields=[extension, f"{extension}_sha256"])
    return {extension: getattr(joint_opinion, f"{extension}_sha256") for extension in WRITERS}


def stored(joint_opinion: JointOpinion, extension: str, projects: list[dict]):
    """The stored file of the version, when this reader reads every section of it and it is rendered; else None."""
    if len(projects) < len(joint_opinion.content["projects"]):
        return None
    file = getattr(joint_opinion, extension)
    return file if file else None
