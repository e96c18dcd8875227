"""Rich text as a small Markdown subset: paragraphs, lists, *emphasis*, **strong** and ^^underline^^.

Documents arrive as HTML fragments (the avis conjoint's table cells); they are stored as Markdown and
rendered back to sanitised HTML for pages and documents.
"""

import re

import markdown
import nh3
from bs4 import BeautifulSoup
from markdownify import MarkdownConverter

ALLOWED_TAGS = {"p", "ul", "ol", "li", "em", "strong", "ins", "br"}

# Word's "list-style-type: none" lists come out as one <ul> holding "- item,- item" without <li>.
_BARE_ITEM = re.compile(r"(?:^|(?<=[,;.:!?]))\s*[-–•]\s+")


class _Converter(MarkdownConverter):
    def convert_u(self, el, text, parent_tags):
        text = text.strip()
        return f"^^{text}^^" if text else ""

    convert_ins = convert_u


def _split_bare_lists(soup: BeautifulSoup) -> None:
    for ul in soup.find_all(["ul", "ol"]):
        if ul.find("li"):
            continue
        items = [item.strip() for item in _BARE_ITEM.split(ul.get_text(" ")) if item.strip()]
        ul.clear()
        for item in items:
            li = soup.new_tag("li")
            li.string = item
            ul.append(li)


def html_to_markdown(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    _split_bare_lists(soup)
    text = _Converter(bullets="-", strong_em_symbol="*", escape_underscores=False, escape_misc=False).convert_soup(soup)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def render_markdown(text: str) -> str:
    """Sanitised HTML: whatever the stored text holds, no script or attribute gets through."""
    html = markdown.markdown(
        text,
        extensions=["sane_lists", "pymdownx.caret"],
        extension_configs={"pymdownx.caret": {"superscript": False}},
    )
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={})
