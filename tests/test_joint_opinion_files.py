"""The published avis conjoint rendered once, by a task, and served from the storage to whoever reads all of it."""

import hashlib
import io

import pytest
from django.urls import reverse
from docx import Document

from core.models import JointOpinion
from core.services.joint_opinions import joint_opinion_publish
from core.services.opinions import opinion_sign
from documents import joint_opinion_files
from tests.access import A_TITLE, B_TITLE


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([paragraph.text for paragraph in document.paragraphs] + cells)


@pytest.fixture
def rendered(cast, signatories, task_queue, django_capture_on_commit_callbacks) -> JointOpinion:
    """Version 1, signed by both institutions and published by a member; its tasks run by the worker."""
    for dossier in (cast.dossier, cast.other_dossier):
        for signer in signatories.values():
            opinion_sign(dossier=dossier, by=signer)
    with django_capture_on_commit_callbacks(execute=True):
        joint_opinion = joint_opinion_publish(committee=cast.committee, by=cast.users["member"])
    queued = {row.task_path.rsplit(".", 1)[1] for row in task_queue.queued()}
    assert queued == {"joint_opinion_render", "notify_joint_opinion_published", "reindex_committee"}
    assert {row.status for row in task_queue.run()} == {"SUCCESSFUL"}
    joint_opinion.refresh_from_db()
    return joint_opinion


def test_publication_renders_both_files_once_with_their_sha256(rendered):
    joint_opinion = rendered
    for extension in ("pdf", "docx"):
        file = getattr(joint_opinion, extension)
        with file.open("rb") as stored:
            data = stored.read()
        assert hashlib.sha256(data).hexdigest() == getattr(joint_opinion, f"{extension}_sha256")
    assert data.startswith(b"PK")
    # Run again, the task keeps what it stored.
    assert joint_opinion_files.joint_opinion_render.call(joint_opinion.pk) == {
        "pdf": joint_opinion.pdf_sha256, "docx": joint_opinion.docx_sha256,
    }  # fmt: skip
    assert JointOpinion.objects.get(pk=joint_opinion.pk).docx.name == joint_opinion.docx.name


def test_readers_of_every_section_get_the_stored_file(rendered, cast, login, monkeypatch):
    joint_opinion = rendered
    # Nothing is rendered for them any more.
    monkeypatch.setitem(joint_opinion_files.WRITERS, "docx", (None, joint_opinion_files.WRITERS["docx"][1]))
    for role in ("member", "secretariat", "observer"):
        response = login(cast.users[role]).get(reverse("joint_opinion_download", args=[joint_opinion.uuid, "docx"]))
        assert response.status_code == 200
        assert hashlib.sha256(body(response)).hexdigest() == joint_opinion.docx_sha256
        assert response["Content-Disposition"] == f'attachment; filename="{joint_opinion.docx.name.rsplit("/")[-1]}"'


def test_a_landlord_gets_its_own_sections_rendered_not_the_stored_file(rendered, cast, login):
    joint_opinion = rendered
    response = login(cast.users["landlord"]).get(reverse("joint_opinion_download", args=[joint_opinion.uuid, "docx"]))
    data = body(response)
    assert response.status_code == 200 and hashlib.sha256(data).hexdigest() != joint_opinion.docx_sha256
    assert A_TITLE in docx_text(data) and B_TITLE not in docx_text(data)


def test_before_the_task_has_run_the_document_is_rendered(published, login):
    joint_opinion = published.committee.joint_opinions.get()
    assert not joint_opinion.docx
    url = reverse("joint_opinion_download", args=[joint_opinion.uuid, "docx"])
    response = login(published.users["member"]).get(url)
    assert response.status_code == 200 and B_TITLE in docx_text(body(response))
