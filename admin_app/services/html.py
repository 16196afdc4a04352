"""Sanitising the HTML that users type (comments, templates) with nh3, on save; HTML to plain
text and back for the two parts of an email."""
import re
from html.parser import HTMLParser

import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "a", "h3", "h4", "h5",
    "blockquote", "code", "pre", "span", "div", "table", "thead", "tbody", "tr", "th", "td", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"},
                      "th": {"colspan", "rowspan"}}


def sanitize_html(html: str | None) -> str:
    """Only harmless markup survives: no scripts, event handlers, styles or javascript: links."""
    if not html:
        return ""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto", "tel"}, link_rel="noopener noreferrer")


def safe_html(html: str | None) -> Markup:
    """User HTML for display, sanitised again: rows written before sanitising (or in bulk) too."""
    # Reviewed (bandit B704): sanitised by nh3 on this line.
    return Markup(sanitize_html(html))  # nosec B704



BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "ul", "ol",
              "table", "tr", "hr"}


class _TextWriter(HTMLParser):
    """HTML to readable plain text: paragraphs and line breaks kept, list items dashed, links
    followed by their address."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append("\t")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag in BLOCK_TAGS:
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and not href.startswith("mailto:"):
                self.parts.append(f" ({href})")

    def handle_data(self, data):
        self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str | None) -> str:
    """The plain-text part of an HTML email."""
    writer = _TextWriter()
    writer.feed(html or "")
    writer.close()
    lines = [line.strip() for line in "".join(writer.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def text_to_html(text: str | None) -> Markup:
    """Plain text as HTML: escaped, blank lines make paragraphs, single newlines breaks."""
    paragraphs = [p for p in re.split(r"\n\s*\n", (text or "").strip()) if p.strip()]
    return Markup("").join(Markup("<p>{}</p>").format(Markup("<br>").join(p.split("\n")))
                           for p in paragraphs)


def looks_like_html(text: str | None) -> bool:
    """Whether a body is written in HTML (has a tag) rather than plain text."""
    return bool(re.search(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>", text or ""))
