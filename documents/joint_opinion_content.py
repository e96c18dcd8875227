"""The avis conjoint's content as pages and documents show it, from a published (or draft) snapshot."""

import base64
from dataclasses import dataclass
from datetime import date

from django.utils.text import slugify

from core.models import Committee
from core.reading import ShownOpinion
from core.regions import SHORT_NAMES
from core.text import xml_safe


@dataclass
class Letterhead:
    text: str
    logo: bytes | None = None

    @property
    def logo_uri(self) -> str:
        """The logo inline, so that the page, the print view and WeasyPrint need nothing else to show it."""
        if not self.logo:
            return ""
        kind = "png" if self.logo.startswith(b"\x89PNG") else "jpeg"
        return f"data:image/{kind};base64,{base64.b64encode(self.logo).decode()}"


def letterheads(content: dict, committee: Committee | None) -> list[Letterhead]:
    """The frozen letterheads, with the committee's institutions' current logos when they line up."""
    institutions = list(reversed(committee.institutions)) if committee else []
    if len(institutions) != len(content["letterheads"]):
        return [Letterhead(text) for text in content["letterheads"]]
    return [Letterhead(text, _logo(org)) for text, org in zip(content["letterheads"], institutions, strict=True)]


def _logo(organisation) -> bytes | None:
    """Read whole, as it is inlined: a logo is small (the admin takes PNG or JPEG)."""
    if not organisation.logo:
        return None
    with organisation.logo.open("rb") as logo:
        return logo.read()


def _xml_safe(value):
    """A copy of the snapshot, each of its strings as XML can hold it: a version frozen before the entries were
    cleaned still renders, and its stored content stays as it was hashed."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, dict):
        return {key: _xml_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_xml_safe(item) for item in value]
    return value


def joint_opinion_context(
    content: dict, *, committee: Committee | None = None, projects: list[dict] | None = None, draft: bool = False
) -> dict:
    """What the avis conjoint templates need, for every document (page, print view, PDF, DOCX); `projects`
    narrows the document to what a reader may see."""
    content = _xml_safe(content)
    shown = content["projects"] if projects is None else _xml_safe(projects)
    return {
        "content": content,
        "letterheads": letterheads(content, committee),
        "instructed_on": date.fromisoformat(content["instructed_on"]),
        "projects": [{**p, "opinion": ShownOpinion.from_project(p)} for p in shown],
        "draft": draft,
    }


def joint_opinion_filename(committee: Committee, version: int | None, extension: str) -> str:
    """ "avis-conjoint-paca-2018-v1.pdf"; "…-projet.pdf" for a draft."""
    region = SHORT_NAMES.get(committee.region) or slugify(committee.name)
    suffix = f"v{version}" if version else "projet"
    return f"avis-conjoint-{region}-{committee.call.year}-{suffix}.{extension}"
