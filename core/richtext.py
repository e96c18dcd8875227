"""Rich text as a small Markdown subset: paragraphs, lists, *emphasis*, **strong** and ^^underline^^.

Documents arrive as HTML fragments (the avis conjoint's table cells); they are stored as Markdown and
rendered back to sanitised HTML for pages and documents.
"""

import re

import markdown
import nh3
from bs4 import BeautifulSoup
from bs4.exceptions import ParserRejectedMarkup
from markdownify import MarkdownConverter, chomp

ALLOWED_TAGS = {"p", "ul", "ol", "li", "em", "strong", "ins", "br"}

# Word's "list-style-type: none" lists come out as one <ul> holding "- item,- item" without <li>.
_BARE_ITEM = re.compile(r"(?:^|(?<=[,;.:!?]))\s*[-–•]\s+")


class _Converter(MarkdownConverter):
    def convert_u(self, el, text, parent_tags):
        if "_noformat" in parent_tags:
            return text
        # "<u>mot </u>suite": the space stays outside the markers, where Markdown needs it.
        prefix, suffix, text = chomp(text)
        return f"{prefix}^^{text}^^{suffix}" if text else prefix or suffix

    convert_ins = convert_u

    def convert_li(self, el, text, parent_tags):
        # Python-Markdown, which renders the text, nests a list or a paragraph in an item only when
        # indented by four spaces; markdownify indents by the bullet's width.
        item = super().convert_li(el, text, parent_tags)
        bullet = re.match(r"\S+ ", item)
        if bullet is None:
            return item
        first, *rest = item.split("\n")
        width = len(bullet.group())
        return "\n".join([first, *(f"    {line[width:]}" if line.strip() else line for line in rest)])

    # Only the tags of ALLOWED_TAGS survive rendering: headings become bold paragraphs and table cells
    # paragraphs, rather than "#" or "|" left in the text.
    def convert_hN(self, n, el, text, parent_tags):
        if "_inline" in parent_tags:
            return text
        text = " ".join(text.split())
        return f"\n\n**{text}**\n\n" if text else ""

    def convert_td(self, el, text, parent_tags):
        return f"\n\n{text.strip()}\n\n"

    convert_th = convert_td

    def convert_tr(self, el, text, parent_tags):
        return text

    convert_table = convert_tr


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
    try:
        soup = BeautifulSoup(html, "html.parser")
    except ParserRejectedMarkup:
        # A broken declaration ("<![" in a damaged document) is text, not markup: keep it as such.
        soup = BeautifulSoup(html.replace("<!", "&lt;!"), "html.parser")
    _split_bare_lists(soup)
    text = _Converter(bullets="-", strong_em_symbol="*", escape_underscores=False, escape_misc=False).convert_soup(soup)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(map(_tidy_line, text.splitlines()))).strip()


def _tidy_line(line: str) -> str:
    """Spaces collapsed, but kept: the indentation of nested lists, the "  " of a hard line break (<br>) and
    the no-break spaces of French typography (« ... », 10 000)."""
    if not line.strip():
        return ""  # Word's empty paragraphs, <p>&nbsp;</p>, included
    words = re.sub(r"[ \t\r\f\v]+", " ", line).strip(" ")
    indent = len(line) - len(line.lstrip(" "))
    hard_break = "  " if line.endswith("  ") else ""
    return " " * (indent if indent >= 2 else 0) + words + hard_break


def render_markdown(text: str) -> str:
    """Sanitised HTML: whatever the stored text holds, no script or attribute gets through."""
    html = markdown.markdown(
        text,
        extensions=["sane_lists", "pymdownx.caret"],
        extension_configs={"pymdownx.caret": {"superscript": False}},
    )
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={})
