"""Reading the words a person sees on a page, to catch English left in a translated one."""
import re
from html import unescape

# Words of this interface that Spanish and French never write the same way.
ENGLISH_WORDS = (
    "Exchanges", "Modify", "Revenue", "Outstanding", "Unpaid", "Addresses", "Save", "Cancel",
    "Delete", "Edit", "Companies", "Invoices", "Invoice", "Quotes", "Opportunities", "Payments",
    "Preview", "Settings", "Dashboard", "Search", "Create", "Filter", "Phone", "Balance",
    "Pending", "Account manager", "Comments", "Custom fields", "Upload", "Remove", "Merge",
    "Send", "Meeting", "Contact name", "First name", "Last name", "Job title", "Billing",
    "Status", "Amount", "Due", "Yes", "Created", "Add", "Back", "Show", "List", "Actions",
    "Name", "With selected", "Page", "Records", "Title", "Save and",
    "Log out", "My clients", "Nothing", "None", "yet",
    "Lead", "Documents list", "Kept", "Absorbed", "Field", "Choose", "Linked records",
    "Main", "Default", "Total incl", "excl. tax", "Call back", "Legal ID",
    # Sentences around numbers and the template engine's errors.
    "companies scanned", "pairs with", "Showing", "Scanned", "keep left", "keep right",
    "Not a duplicate", "Similar name", "Same email domain", "Well kept", "ago", "took",
    "Include", "absorb", "Body", "line", "has no variable", "unknown variable", "is limited to",
    "of", "No stage",
)
_WORD = {word: re.compile(r"(?<![\w-])" + re.escape(word.strip()) + r"(?![\w-])") for word in ENGLISH_WORDS}


def visible_text(html: str) -> str:
    """What a reader sees or hears: text, and the title, placeholder, alt and aria-label texts."""
    html = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", html, flags=re.S | re.I)
    said = " ".join(re.findall(r'\b(?:title|placeholder|alt|aria-label)="([^"]*)"', html))
    text = re.sub(r"<[^>]+>", " ", html)
    return unescape(f"{text} {said}")


def english_words(html: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """The interface's English words found on the page (data such as names are the caller's)."""
    text = visible_text(html)
    for word in allowed:
        text = text.replace(word, " ")
    return sorted({word.strip() for word, pattern in _WORD.items() if pattern.search(text)})


def context_of(html: str, words: list[str], allowed: tuple[str, ...] = ()) -> list[str]:
    """Each word with a few characters around it, to find it in the template."""
    text = " ".join(visible_text(html).split())
    for word in allowed:
        text = text.replace(word, " ")
    found = []
    for word in words:
        match = _WORD[word].search(text) or _WORD.get(word + " ", _WORD[word]).search(text)
        if match:
            found.append(text[max(0, match.start() - 30):match.end() + 30])
    return found
