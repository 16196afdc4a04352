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
