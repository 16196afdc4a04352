"""Every page a logged-in admin can reach, for the tests that check what each page sends: a site
seeded with one of each kind of record, and a crawl that follows the links of each page."""
import html
import io
import re
from collections import deque
from urllib.parse import parse_qsl, urlsplit

from werkzeug.datastructures import FileStorage

from admin_app.extensions import db
from admin_app.models import Company, Contact, User

LINK = re.compile(r'(?:href|data-url|data-fragment)="([^"]+)"')
# A question to the page never changes what is stored, but these are not pages to read: other
# languages of the same page, and downloads of what is already checked once.
SKIPPED_PARAMS = {"lang"}


def seed_site(admin: User, password: str) -> dict[str, int]:
    """Demo data plus what the demo leaves out: an uploaded document, a contact photo, a merge
    (its history and undo button); returns ids of the records that pages need."""
    from admin_app.services.card_edit import store_document, store_photo
    from admin_app.services.demo import seed_demo
    from admin_app.services.merge import merge_companies
    seed_demo(companies=6, seed=11, admin_email=admin.email, admin_password=password)
    db.session.commit()
    companies = db.session.query(Company).order_by(Company.id).all()
    kept, absorbed, spare = companies[0], companies[1], companies[2]
    store_document(kept, admin, FileStorage(io.BytesIO(b"%PDF-1.4 contract\n"),
                                            filename="contract.pdf"), title="Signed contract")
    contact = db.session.query(Contact).filter_by(company_id=kept.id).first()
    if contact is not None:
        contact.photo = store_photo(FileStorage(io.BytesIO(_tiny_png()), filename="face.png"))
    merge_companies(kept, absorbed, admin, note="Same company twice")
    db.session.commit()
    return {"kept": kept.id, "absorbed": absorbed.id, "spare": spare.id}


def _tiny_png() -> bytes:
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 80, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def start_urls(app, ids: dict[str, int]) -> list[str]:
    """Every GET route without a path parameter, and the pages that need a record to show."""
    urls = [rule.rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and "<" not in rule.rule]
    kept, spare = ids["kept"], ids["spare"]
    urls += [f"/admin/company/card/?id={kept}", f"/admin/company/merge/?id={kept}",
             f"/admin/company/merge/?id={kept}&absorb={spare}",
             f"/admin/sales-history/?company_id={kept}"]
    return sorted(set(urls))


def page_key(url: str) -> tuple[str, frozenset]:
    """Pages that differ only in the values of their parameters are the same page."""
    parts = urlsplit(url)
    return parts.path, frozenset(name for name, _ in parse_qsl(parts.query) if name != "url")


def links(page_html: str) -> list[str]:
    """The site's own URLs a page links to (no fragments, no other sites, no static files)."""
    found = []
    for raw in LINK.findall(page_html):
        target = html.unescape(raw)
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if parts.path.startswith(("/static/", "/admin/static/")):
            continue
        if SKIPPED_PARAMS & {name for name, _ in parse_qsl(parts.query)}:
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def crawl(client, urls: list[str], limit: int = 500) -> dict[str, object]:
    """{url: response} of every page reached from `urls` by following links, one URL per page
    key, at most `limit` pages."""
    queue, seen, pages = deque(urls), set(), {}
    while queue and len(pages) < limit:
        url = queue.popleft()
        key = page_key(url)
        if key in seen:
            continue
        seen.add(key)
        response = client.get(url)
        response.get_data()  # reads a streamed export to its end, inside its request
        response.close()
        pages[url] = response
        if response.mimetype == "text/html":
            queue.extend(links(response.get_data(as_text=True)))
    return pages
