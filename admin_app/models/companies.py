"""Companies (leads and clients), their addresses, contacts and custom fields."""
from datetime import datetime

from sqlalchemy import (
    Boolean, CheckConstraint, ColumnElement, Computed, DateTime, ForeignKey, Index, Integer, String,
    Text, UniqueConstraint, event, func, literal_column, select, text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from ..extensions import db
from ..legal_ids import legal_id_check as check_legal_id
from ..normalize import email_domain, normalize_legal_id, normalize_name, normalize_phone
from .base import created_at_column, dialect_index, in_values, utcnow

COMPANY_STATUSES = ("lead", "client")
CUSTOM_FIELD_TYPES = ("text", "number", "date", "boolean", "choice", "url")
# What the company list searches (admin/company.py column_searchable_list).
SEARCHED_COLUMNS = ("name", "email", "phone", "legal_id", "website")


# The searched values of a row in one lowercase text, each after a space: ' umbra textiles
# info@umbra.example ...'. A generated column, stored on PostgreSQL, where its trigram index serves
# the company search (services/search.py): one index lookup per word, not one per column, " um"
# in it is a word start in any column, and the recheck of each candidate reads a value instead
# of joining five and folding their case (2.5x faster per match at 100,000 companies). A word has
# no space, so it never matches across two values. On SQLite the column is virtual (computed
# when read, never stored) and unused: SQLite searches through its FTS5 table (search_index.py).
SEARCH_TEXT_SQL = "lower(' ' || " + " || ' ' || ".join(
    f"coalesce({name}, '')" for name in SEARCHED_COLUMNS) + ")"


def live_condition(merged_into_id, dialect: str) -> ColumnElement[bool]:
    """Not a merge tombstone, written as ix_companies_live_name's WHERE so that the planner can
    use that index. SQLite needs the literal text: with `coalesce(?, ?) = ?` it cannot prove the
    index's condition and walks the plain name index, reading every row it skips; and `IS NULL`
    without statistics makes it read the merged_into_id index instead, then sort."""
    if dialect == "sqlite":
        zero = literal_column("0")
        return func.coalesce(merged_into_id, zero) == zero
    return merged_into_id.is_(None)


class Company(db.Model):
    __tablename__ = "companies"
    __table_args__ = (
        CheckConstraint(in_values("status", COMPANY_STATUSES), name="status"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_self"),
        Index("ix_companies_name_key_id", "name_key", "id"),
        # The live companies in list order: a list page, however deep, and the search's walk
        # down the name index read this index only (migration 0018). Each database gets its
        # own spelling of "live", the one live_condition() writes.
        Index("ix_companies_live_name", "name", "id",
              postgresql_where=text("merged_into_id IS NULL"),
              sqlite_where=text("coalesce(merged_into_id, 0) = 0")),
        # The dashboard's counts by status read this index alone (the tombstones are told
        # apart by the second column); a status filter uses it as it used (status).
        Index("ix_companies_status_merged_into_id", "status", "merged_into_id"),
        # A user's clients by name (the dashboard), without walking every company's name; also
        # every lookup by account manager alone (the filter, a user's deletion), which it leads.
        Index("ix_companies_account_manager_id_name", "account_manager_id", "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="lead")
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(255))
    legal_id: Mapped[str | None] = mapped_column(String(40), index=True)
    # Intra-community VAT number (legal_ids.vat_number_key form), printed on issued documents.
    vat_number: Mapped[str | None] = mapped_column(String(20))
    account_manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    comments: Mapped[str | None] = mapped_column(Text)
    converted_at: Mapped[datetime | None] = mapped_column(DateTime)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    # Derived keys kept by the listener below; duplicate detection blocks on them.
    name_key: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    phone_key: Mapped[str] = mapped_column(String(20), nullable=False, default="", index=True)
    email_domain: Mapped[str] = mapped_column(String(254), nullable=False, default="", index=True)
    legal_id_key: Mapped[str] = mapped_column(String(40), nullable=False, default="", index=True)
    # The legal ID's scheme and check-digit verdict (legal_ids.legal_id_check), for data quality.
    legal_id_check: Mapped[str] = mapped_column(String(8), nullable=False, default="",
                                                server_default="", index=True)
    # Read by the search's SQL only: deferred, an object never loads it.
    search_text: Mapped[str | None] = mapped_column(Text, Computed(SEARCH_TEXT_SQL), deferred=True)
    # Kept by triggers on addresses and exchanges (models/quality_flags.py), read by data
    # quality's SQL only.
    has_main_address: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                                   server_default=text("false"), deferred=True)
    last_exchange_at: Mapped[datetime | None] = mapped_column(DateTime, deferred=True)

    account_manager = relationship("User", lazy="joined")
    merged_into = relationship("Company", remote_side=[id])
    addresses = relationship(
        "Address", back_populates="company", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(Address.is_main.desc(), Address.id)",
    )
    contacts = relationship(
        "Contact", back_populates="company", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(Contact.last_name, Contact.first_name, Contact.id)",
    )
    custom_values = relationship(
        "CustomFieldValue", back_populates="company", cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def is_tombstone(self) -> bool:
        return self.merged_into_id is not None

    @property
    def main_address(self) -> "Address | None":
        return next((a for a in self.addresses if a.is_main), None)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Company {self.id} {self.name!r} {self.status}>"


# The list's search (services/search.py) on PostgreSQL: a trigram GIN index serves
# `LIKE '%word%'`, which a B-tree cannot. SQLite has its FTS5 table instead (search_index.py).
SEARCH_TEXT_INDEX = "ix_companies_search_text_trgm"
dialect_index("postgresql", SEARCH_TEXT_INDEX, Company.__table__.c.search_text,
              postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"})


def derived_keys(name: str | None, phone: str | None, email: str | None,
                 legal_id: str | None) -> dict[str, str]:
    """The derived columns of a company, for rows inserted without the ORM (bulk inserts)."""
    return {"name_key": normalize_name(name)[:200], "phone_key": normalize_phone(phone),
            "email_domain": email_domain(email), "legal_id_key": normalize_legal_id(legal_id),
            "legal_id_check": check_legal_id(legal_id)}


@event.listens_for(Company, "before_insert")
@event.listens_for(Company, "before_update")
def _refresh_company_keys(_mapper, _connection, company: Company) -> None:
    for key, value in derived_keys(company.name, company.phone, company.email,
                                   company.legal_id).items():
        setattr(company, key, value)


class Address(db.Model):
    __tablename__ = "addresses"
    __table_args__ = (
        # At most one main address and one default of each kind per company.
        Index("uq_addresses_main", "company_id", unique=True,
              sqlite_where=text("is_main = 1"), postgresql_where=text("is_main")),
        Index("uq_addresses_billing_default", "company_id", unique=True,
              sqlite_where=text("is_billing_default = 1"),
              postgresql_where=text("is_billing_default")),
        Index("uq_addresses_delivery_default", "company_id", unique=True,
              sqlite_where=text("is_delivery_default = 1"),
              postgresql_where=text("is_delivery_default")),
        Index("uq_addresses_quote_default", "company_id", unique=True,
              sqlite_where=text("is_quote_default = 1"),
              postgresql_where=text("is_quote_default")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), nullable=False, index=True
    )
    label: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    contact_name: Mapped[str | None] = mapped_column(String(150))
    line1: Mapped[str] = mapped_column(String(200), nullable=False)
    line2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    country: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    is_main: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_billing_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_delivery_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_quote_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    company = relationship("Company", back_populates="addresses")

    @property
    def one_line(self) -> str:
        parts = [self.line1, self.line2, " ".join(p for p in (self.postal_code, self.city) if p),
                 self.country]
        return ", ".join(p for p in parts if p)

    def __str__(self) -> str:
        return f"{self.label}: {self.one_line}" if self.label else self.one_line

    def __repr__(self) -> str:
        return f"<Address {self.id} company={self.company_id}>"


# The main address's city, read in the company's own row: the company list and its export show
# nothing else of the addresses, and loading them as objects was most of an export's time.
Company.main_city = column_property(
    select(Address.city)
    .where(Address.company_id == Company.id, Address.is_main == True)  # noqa: E712 (SQL, not Python)
    .correlate_except(Address).scalar_subquery(),
    deferred=True)


class Contact(db.Model):
    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_last_name_first_name", "last_name", "first_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), nullable=False, index=True
    )
    first_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    job_title: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    photo: Mapped[str | None] = mapped_column(String(255))
    is_billing_contact: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = created_at_column()
    # Email outside the company's domain: kept by triggers (models/quality_flags.py).
    domain_mismatch: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                                  server_default=text("false"), deferred=True)

    company = relationship("Company", back_populates="contacts")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def __str__(self) -> str:
        return self.full_name

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.full_name!r}>"


class CustomFieldDefinition(db.Model):
    __tablename__ = "custom_field_definitions"
    __table_args__ = (CheckConstraint(in_values("field_type", CUSTOM_FIELD_TYPES), name="field_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    label: Mapped[str] = mapped_column(String(120), nullable=False)
    field_type: Mapped[str] = mapped_column(String(10), nullable=False, default="text")
    choices: Mapped[str | None] = mapped_column(Text)  # one choice per line, for "choice"
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    def __str__(self) -> str:
        return self.label

    def __repr__(self) -> str:
        return f"<CustomFieldDefinition {self.key} {self.field_type}>"


class CustomFieldValue(db.Model):
    __tablename__ = "custom_field_values"
    __table_args__ = (UniqueConstraint("company_id", "definition_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), nullable=False, index=True
    )
    definition_id: Mapped[int] = mapped_column(
        ForeignKey("custom_field_definitions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    value: Mapped[str | None] = mapped_column(Text)

    company = relationship("Company", back_populates="custom_values")
    definition = relationship("CustomFieldDefinition", lazy="joined")

    def __repr__(self) -> str:
        return f"<CustomFieldValue company={self.company_id} def={self.definition_id}>"
