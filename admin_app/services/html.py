"""Sanitising the HTML that users type (comments, templates) with nh3, on save."""
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
