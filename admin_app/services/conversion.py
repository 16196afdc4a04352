"""Lead to client: an invoice turns a lead into a client unless Settings keep it a lead."""
from ..models import Company
from ..models.base import utcnow
from . import audit
from .settings import get_setting


def invoice_converts_leads() -> bool:
    """Settings > Advanced > commercial: what an invoice turns a lead into."""
    return str(get_setting("invoice_converts_lead_to") or "client").strip().lower() == "client"


def convert_on_invoice(company: Company, invoice=None) -> bool:
    """Make a lead a client because an invoice was created for it; True when it changed."""
    if company is None or company.status != "lead" or not invoice_converts_leads():
        return False
    company.status = "client"
    company.converted_at = utcnow()
    what = f"invoice {invoice}" if invoice is not None and invoice.id else "a new invoice"
    audit.record("convert", company, summary=f"{company.name}: lead became a client by {what}",
                 changes={"status": ["lead", "client"],
                          "converted_at": [None, company.converted_at.isoformat()]})
    return True
