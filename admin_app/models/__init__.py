"""All models, importable from admin_app.models."""
from .audit import AuditLog, DuplicateIgnore, Merge
from .companies import Address, Company, Contact, CustomFieldDefinition, CustomFieldValue
from .configuration import CommentTemplate, DocumentText, EmailTemplate, Setting
from .documents import Document
from .exchanges import Exchange, exchange_attachments, exchange_recipients
from .imports import ImportBatch, ImportChange, ImportMapping
from .sales import (
    Invoice, InvoiceLine, NumberCounter, Opportunity, Order, OrderLine, Payment, PipelineStage,
    Quote, QuoteLine,
)
from .outbox import CalendarFeed, OutboxMessage
from .users import User
from . import search_index  # noqa: F401  (pg_trgm and the FTS table on create_all)

__all__ = [
    "Address", "AuditLog", "CalendarFeed", "CommentTemplate", "Company", "Contact",
    "CustomFieldDefinition", "CustomFieldValue", "Document", "DocumentText", "DuplicateIgnore",
    "EmailTemplate", "Exchange", "ImportBatch", "ImportChange", "ImportMapping", "Invoice",
    "InvoiceLine", "Merge", "NumberCounter", "Opportunity", "Order", "OrderLine", "OutboxMessage",
    "Payment",
    "PipelineStage", "Quote", "QuoteLine", "Setting", "User", "exchange_attachments",
    "exchange_recipients",
]
