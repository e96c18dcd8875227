"""The institutions' logos sit above their letterheads, in the page, the PDF and the DOCX."""

import io

import pytest
from django.core.files.base import ContentFile
from docx import Document
from PIL import Image
from pypdf import PdfReader

from core.services.joint_opinions import committee_snapshot
from documents.joint_opinion_content import joint_opinion_context
from documents.joint_opinion_docx import joint_opinion_docx
from documents.joint_opinion_pdf import joint_opinion_pdf


def png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (120, 60), (0, 0, 145)).save(output, format="PNG")
    return output.getvalue()


@pytest.fixture
def context(cast):
    cast.committee.institutions[1].logo.save("dreal.png", ContentFile(png()))
    return joint_opinion_context(committee_snapshot(cast.committee), committee=cast.committee, draft=True)


def test_the_state_services_logo_goes_first_as_its_letterhead(context):
    assert [bool(letterhead.logo) for letterhead in context["letterheads"]] == [True, False]
    assert context["letterheads"][0].logo_uri.startswith("data:image/png;base64,")


def test_pdf_and_docx_carry_the_logo(context):
    assert len(PdfReader(io.BytesIO(joint_opinion_pdf(context))).pages[0].images) == 1
    header = Document(io.BytesIO(joint_opinion_docx(context))).sections[0].header
    pictures = header._element.xpath(".//pic:pic")
    assert len(pictures) == 1


def test_without_logos_the_letterheads_are_text_only(cast):
    context = joint_opinion_context(committee_snapshot(cast.committee), committee=cast.committee)
    assert not any(letterhead.logo for letterhead in context["letterheads"])
    assert not Document(io.BytesIO(joint_opinion_docx(context))).sections[0].header._element.xpath(".//pic:pic")
