"""All models, importable from admin_app.models."""
from .audit import AuditLog, DuplicateIgnore, Merge
from .companies import Address, Company, Contact, CustomFieldDefinition, CustomFieldValue
from .configuration import CommentTemplate, DocumentText, EmailTemplate, Setting
from .credit_notes import CreditNote, CreditNoteLine, CreditUse
from .documents import Document, SignatureRequest
from .duplicate_keys import DuplicateKey, DuplicateKeyChange, DuplicateKeySource
from .exchanges import Exchange, exchange_attachments, exchange_recipients
from .figures import CompanyExchangeCount, CompanyFigures, CompanyMonthFigures
from .imports import ImportBatch, ImportChange, ImportMapping
from .office_tallies import OfficeTally, PipelineTally, QualityTally
from .sales import (
    Invoice, InvoiceLine, NumberCounter, Opportunity, Order, OrderLine, Payment, PipelineStage,
    Quote, QuoteLine,
)
from .outbox import CalendarFeed, OutboxMessage
from .register import DocumentSnapshot, RegisterCheck, RegisterRecord
from .users import LoginSession, RecoveryCode, User
from . import search_index  # noqa: F401  (pg_trgm and the FTS table on create_all)
from .search_words import CompanyWord, SearchToken

__all__ = [
    "Address", "AuditLog", "CalendarFeed", "CommentTemplate", "Company", "CompanyExchangeCount",
    "CompanyFigures", "CompanyMonthFigures", "CompanyWord", "Contact", "CreditNote",
    "CreditNoteLine", "CreditUse", "CustomFieldDefinition", "CustomFieldValue", "Document",
    "DocumentSnapshot", "DocumentText", "DuplicateIgnore", "DuplicateKey",
    "DuplicateKeyChange", "DuplicateKeySource", "EmailTemplate", "Exchange",
    "ImportBatch", "ImportChange", "ImportMapping", "Invoice", "InvoiceLine", "LoginSession",
    "Merge", "NumberCounter", "OfficeTally", "Opportunity", "Order", "OrderLine",
    "OutboxMessage", "Payment", "PipelineStage", "PipelineTally", "QualityTally", "Quote",
    "QuoteLine", "RecoveryCode", "RegisterCheck", "RegisterRecord",
    "SearchToken", "Setting", "SignatureRequest", "User", "exchange_attachments",
    "exchange_recipients",
]
