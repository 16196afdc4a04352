"""Files for the document tests: a real PDF made with fpdf2, a PNG, an HTML page."""
import io

from fpdf import FPDF
from PIL import Image


def pdf_bytes(text: str = "Service contract") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=text)
    return bytes(pdf.output())


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def upload(client, company_id: int, content: bytes, name: str, title: str = "", **kwargs):
    return client.post(f"/admin/company/card/document/?id={company_id}",
                       data={"title": title, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data", **kwargs)


def add_signer(company, email="sam.signer@client.example"):
    from admin_app.extensions import db
    from admin_app.models import Contact
    contact = Contact(company=company, first_name="Sam", last_name="Signer", email=email)
    db.session.add(contact)
    db.session.commit()
    return contact


def uploaded_document(client, company, content=None, name="contract.pdf"):
    """Upload through the card form; the stored Document."""
    from admin_app.extensions import db
    from admin_app.models import Document
    upload(client, company.id, content if content is not None else pdf_bytes(), name)
    return db.session.query(Document).filter_by(original_name=name).one()


def portal_link_of(message) -> str:
    """The portal link in a received email's HTML part (path and query only)."""
    import re
    html = message.get_body(("html",)).get_content()
    url = re.search(r'href="(https?://[^"]*/portal/[^"]+)"', html).group(1)
    return "/" + url.split("/", 3)[3]
