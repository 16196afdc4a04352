"""Helpers for the settings tests: read a section's form as a browser would, and post it."""
from html.parser import HTMLParser

SETTINGS_URL = "/admin/settings/"


class _SectionForm(HTMLParser):
    """Collects what a browser would submit from the form of one section."""

    def __init__(self, section: str):
        super().__init__()
        self.section = section
        self.depth = 0  # > 0 while inside the section's <section> element
        self.in_form = False
        self.values: dict[str, str] = {}
        self.select: str | None = None
        self.select_first: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and a.get("data-settings-section") == self.section:
            self.depth = 1
            return
        if not self.depth:
            return
        if tag == "section":
            self.depth += 1
        elif tag == "form":
            self.in_form = True
        elif self.in_form and tag == "input" and "disabled" not in a and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[a["name"]] = a.get("value", "on")
            elif kind != "file":
                self.values[a["name"]] = a.get("value", "")
        elif self.in_form and tag == "select" and "disabled" not in a:
            self.select, self.select_first = a["name"], None
        elif self.select and tag == "option":
            value = a.get("value", "")
            if self.select_first is None:
                self.select_first = value
            if "selected" in a:
                self.values[self.select] = value
        elif self.in_form and tag == "textarea":
            self.textarea = a["name"]
            self.values[self.textarea] = ""

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "select" and self.select:
            self.values.setdefault(self.select, self.select_first or "")
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.in_form = False
        elif tag == "section":
            self.depth -= 1

    def handle_data(self, data):
        if self.textarea:
            self.values[self.textarea] += data.lstrip("\n") if not self.values[self.textarea] \
                else data


def section_values(html: str, section: str) -> dict[str, str]:
    """The fields a browser would post from the section's form, as the page shows them."""
    parser = _SectionForm(section)
    parser.feed(html)
    assert parser.values.get("section") == section, f"no form for section {section!r}"
    return parser.values


def post_section(client, section: str, content_type: str | None = None, **changes):
    """Load the page, change some fields of one section's form and submit it, as a browser."""
    html = client.get(SETTINGS_URL).get_data(as_text=True)
    data = {**section_values(html, section), **changes}
    for name, value in changes.items():
        if value is None:  # an unticked checkbox is not sent
            data.pop(name)
    kwargs = {"content_type": content_type} if content_type else {}
    return client.post(SETTINGS_URL, data=data, **kwargs)
