"""The demo's configuration: pipeline stages, templates and custom fields, created once."""
from sqlalchemy import func, select

from ..extensions import db
from ..models import (
    CommentTemplate, CustomFieldDefinition, DocumentText, EmailTemplate, PipelineStage,
)

STAGES = [("Qualification", 10), ("Needs analysis", 25), ("Proposal", 50), ("Negotiation", 75),
          ("Closing", 90)]


def demo_configuration() -> list[PipelineStage]:
    """Pipeline stages, comment, email and document templates, custom fields (once)."""
    if not db.session.scalar(select(func.count()).select_from(PipelineStage)):
        for position, (name, probability) in enumerate(STAGES):
            db.session.add(PipelineStage(name=name, position=position, probability=probability))
    if not db.session.scalar(select(func.count()).select_from(CommentTemplate)):
        db.session.add_all([
            CommentTemplate(name="New client checklist", is_default=True,
                            body="<p><strong>Context:</strong> </p><p><strong>Decision makers:</strong> </p>"
                                 "<p><strong>Next steps:</strong> </p>"),
            CommentTemplate(name="Payment issue", body="<p>Payment reminder sent on: </p>"),
        ])
    # Per purpose: the migrations seed default payment-reminder and signature-request emails.
    purposes = set(db.session.scalars(select(EmailTemplate.purpose)))
    db.session.add_all([template for template in (
        EmailTemplate(name="Follow-up after meeting", subject="Following our meeting",
                      purpose="exchange", is_default=True,
                      body="Hello {{ contact.first_name }},\n\nThank you for your time today. "
                           "As discussed, ...\n\nBest regards,\n{{ user.full_name }}"),
        EmailTemplate(name="Payment reminder", subject="Invoice reminder for {{ company.name }}",
                      purpose="payment_reminder", is_default=True,
                      body="Hello {{ contact.first_name }},\n\nOur records show "
                           "{{ document.balance|money(document.currency) }} left to pay on "
                           "{{ document.title }}, due on {{ document.due_date|date }}. Could "
                           "you check on your side?\n\n{{ user.full_name }}"),
    ) if template.purpose not in purposes])
    if not db.session.scalar(select(func.count()).select_from(DocumentText)):
        db.session.add(DocumentText(
            name="Bank transfer", purpose="invoice_footer", is_default=True,
            body="Payment by bank transfer to {{ sender.name }}, quoting {{ document.number }}."))
    if not db.session.scalar(select(func.count()).select_from(CustomFieldDefinition)):
        db.session.add_all([
            CustomFieldDefinition(key="industry", label="Industry", field_type="choice",
                                  choices="Retail\nIndustry\nServices\nPublic sector", position=0),
            CustomFieldDefinition(key="employees", label="Employees", field_type="number",
                                  position=1),
            CustomFieldDefinition(key="partner_since", label="Partner since", field_type="date",
                                  position=2),
            CustomFieldDefinition(key="newsletter", label="Newsletter", field_type="boolean",
                                  position=3),
        ])
    db.session.flush()
    return list(db.session.scalars(select(PipelineStage).order_by(PipelineStage.position)))
