"""Stored templates: comment templates, email templates and document texts. The rules every
path follows (the templates page, the list views): a name of its own, a body that compiles and
names only the variables of its purpose, at most one default per purpose; and the previews."""
import logging
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..errors import Refusal
from ..extensions import db
from ..models import CommentTemplate, DocumentText, EmailTemplate, Invoice, Quote
from ..models import Document as StoredFile
from ..models.configuration import DOCUMENT_TEXT_PURPOSES, EMAIL_PURPOSES
from . import audit
from .comment_templates import save_comment_template
from .html import html_to_text, looks_like_html, sanitize_html, text_to_html
from .template_vars import build_context, sample_context
from .templating import TemplateProblem, check, render

log = logging.getLogger(__name__)

MODELS = {"comment": CommentTemplate, "email": EmailTemplate, "document": DocumentText}
KIND_LABELS = {"comment": _l("comment template"), "email": _l("email template"),
               "document": _l("document text")}
PURPOSES = {"comment": {}, "email": EMAIL_PURPOSES, "document": DOCUMENT_TEXT_PURPOSES}
PEOPLE = ("company", "contact", "sender", "user")
DOCUMENT_PURPOSES = {"quote_sending": Quote, "invoice_sending": Invoice,
                     "payment_reminder": Invoice, "signature_request": StoredFile,
                     "quote_notes": Quote, "quote_footer": Quote, "invoice_notes": Invoice,
                     "invoice_footer": Invoice}
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def groups_for(kind: str, purpose: str | None) -> tuple[str, ...]:
    """The variable groups a template of this kind and purpose may use."""
    if kind == "comment":
        return ()
    if kind == "document":
        return ("company", "contact", "sender", "document")
    if purpose == "signature_request":
        return PEOPLE + ("document", "signature")
    return PEOPLE + (("document",) if purpose in DOCUMENT_PURPOSES else ())


def clean_email_body(body: str | None) -> str:
    """An HTML body sanitised like every user HTML, its Jinja tags kept as written (nh3 would
    escape the `>` of `{% if total > 0 %}`); a plain-text body is kept as it is."""
    body = (body or "").replace("\r\n", "\n")
    if not looks_like_html(_JINJA.sub("", body)):
        return body
    tags: list[str] = []

    def hide(match):
        tags.append(match.group(0))
        return f"XJINJAX{len(tags) - 1}XJINJAX"
    clean = sanitize_html(_JINJA.sub(hide, body))
    return re.sub(r"XJINJAX(\d+)XJINJAX", lambda m: tags[int(m.group(1))], clean)


def check_template(kind: str, purpose: str | None, body: str, subject: str = "") -> None:
    """Refuse a template that does not compile, names an unknown variable, or fails on the
    example values (an unknown field such as `company.nmae`)."""
    if kind == "comment":
        return
    groups = groups_for(kind, purpose)
    example = sample_context(groups)
    parts = [("Subject", subject, False), ("Body", body, looks_like_html(body))] \
        if kind == "email" else [("Text", body, False)]
    for part, source, html in parts:
        try:
            check(source, groups, html=html)
            render(source, example, html=html)
        except TemplateProblem as problem:
            raise TemplateProblem(problem.detail, problem.line, part) from None


def render_email(subject: str, body: str, context: dict) -> dict[str, str]:
    """An email's three parts: a one-line subject, the HTML body (autoescaped, then sanitised)
    and its plain-text part."""
    one_line = " ".join(render(subject, context).split())[:250]
    if looks_like_html(body):
        html = sanitize_html(render(body, context, html=True))
        text = html_to_text(html)
    else:
        text = render(body, context).strip()
        html = str(text_to_html(text))
    return {"subject": one_line, "html": html, "text": text}


# --- saving ---------------------------------------------------------------------------------

def save_template(kind: str, template, values: dict):
    """Create (template None) or update a template from the page's fields."""
    model = MODELS[kind]
    creating = template is None
    before = None if creating else audit.snapshot(template)
    with db.session.no_autoflush:
        template = template or model()
        template.name = (values.get("name") or "").strip()
        template.body = values.get("body") or ""
        if kind != "comment":
            template.purpose = values.get("purpose") or ""
        if kind == "email":
            template.subject = (values.get("subject") or "").strip()
        template.is_default = bool(values.get("is_default"))
        apply_rules(kind, template)
    if creating:
        db.session.add(template)
    db.session.flush()
    _audit(template, before, "Created" if creating else "Updated")
    return template


def apply_rules(kind: str, template) -> None:
    """What every save of a template goes through, whichever page it comes from."""
    label = KIND_LABELS[kind]
    if not template.name:
        raise Refusal(_("Give the %(label)s a name.", label=label))
    if len(template.name) > 120:
        raise Refusal(_("A template name is limited to 120 characters."))
    _refuse_taken_name(kind, template, template.name)
    if kind == "comment":
        template.body = sanitize_html(template.body)
        save_comment_template(template)
        return
    if template.purpose not in PURPOSES[kind]:
        raise Refusal(_("Choose what the %(label)s is for.", label=label))
    if kind == "email":
        if not template.subject:
            raise Refusal(_("Enter the subject."))
        if len(template.subject) > 200:
            raise Refusal(_("A subject is limited to 200 characters."))
        template.body = clean_email_body(template.body)
    check_template(kind, template.purpose, template.body, getattr(template, "subject", ""))
    keep_one_default(template)


def keep_one_default(template) -> None:
    """A default email template or document text unticks the other of its purpose."""
    if not template.is_default:
        return
    model = type(template)
    with db.session.no_autoflush:
        db.session.execute(update(model).where(
            model.is_default, model.purpose == template.purpose, model.id != (template.id or 0))
            .values(is_default=False).execution_options(synchronize_session="fetch"))


def make_default(kind: str, template) -> None:
    before = audit.snapshot(template)
    template.is_default = True
    with db.session.no_autoflush:
        if kind == "comment":
            save_comment_template(template)
        else:
            keep_one_default(template)
    db.session.flush()
    _audit(template, before, "Made default")


def rename_template(kind: str, template, name: str) -> None:
    name = (name or "").strip()
    if not name:
        raise Refusal(_("Give the %(label)s a name.", label=KIND_LABELS[kind]))
    if len(name) > 120:
        raise Refusal(_("A template name is limited to 120 characters."))
    _refuse_taken_name(kind, template, name)
    before = audit.snapshot(template)
    template.name = name
    db.session.flush()
    _audit(template, before, "Renamed")


def duplicate_template(kind: str, template):
    """A copy under a free name ("… (copy)", "… (copy 2)"), never the default."""
    model = MODELS[kind]
    taken = set(db.session.scalars(select(model.name).where(
        model.name.startswith(template.name[:100]))))
    number, name = 1, f"{template.name[:100]} (copy)"
    while name in taken:
        number += 1
        name = f"{template.name[:100]} (copy {number})"
    copy = model(name=name, body=template.body, is_default=False)
    if kind != "comment":
        copy.purpose = template.purpose
    if kind == "email":
        copy.subject = template.subject
    db.session.add(copy)
    db.session.flush()
    _audit(copy, None, f"Duplicated {template.name} as")
    return copy


def delete_template(kind: str, template) -> None:
    """Delete a template; emails sent with it keep their subject and body (they are stored on
    the exchange, whose link to the template the database sets to NULL)."""
    audit.record("delete", template, changes=audit.snapshot(template),
                 summary=f"Deleted {KIND_LABELS[kind]} {template.name}")
    db.session.delete(template)
    db.session.flush()


def _refuse_taken_name(kind: str, template, name: str) -> None:
    model = MODELS[kind]
    other = db.session.scalar(select(model.id).where(model.name == name,
                                                     model.id != (template.id or 0)))
    if other is not None:
        raise Refusal(_("Another %(label)s is already called “%(name)s”.",
                        label=KIND_LABELS[kind], name=name))


def _audit(template, before: dict | None, verb: str) -> None:
    after = audit.snapshot(template)
    changes = after if before is None else {k: [before.get(k), v] for k, v in after.items()
                                            if before.get(k) != v}
    audit.record("create" if before is None else "update", template, changes=changes,
                 summary=f"{verb} {type(template).__name__} {template.name}")


# --- previews and PDFs ----------------------------------------------------------------------

def preview(kind: str, purpose: str | None, body: str, subject: str = "", company=None,
            contact=None, user=None) -> dict:
    """What the template gives on real data: subject, HTML and text for an email, the text of a
    document text, the sanitised HTML of a comment template. `sample` names the groups shown
    with example values because the company has no such document."""
    if kind == "comment":
        html = sanitize_html(body)
        return {"subject": "", "html": html, "text": html_to_text(html), "sample": []}
    groups = groups_for(kind, purpose)
    document = _latest_document(purpose, company) if "document" in groups else None
    context = build_context(groups, company, contact, user, document)
    sample = []
    if "document" in groups and document is None:
        context["document"] = sample_context(["document"])["document"]
        sample.append("document")
    if kind == "email":
        check(subject, groups)
        check(body, groups, html=looks_like_html(body))
        return {**render_email(subject, body, context), "sample": sample}
    check(body, groups)
    text = render(body, context)
    return {"subject": "", "html": str(text_to_html(text)), "text": text, "sample": sample}


def _latest_document(purpose: str | None, company):
    model = DOCUMENT_PURPOSES.get(purpose or "")
    if model is None or company is None:
        return None
    return db.session.scalar(select(model).where(model.company_id == company.id)
                             .order_by(model.id.desc()).limit(1))


def default_document_bodies() -> dict[str, str]:
    """{purpose: body} of the default document texts, for `document_texts` over many documents."""
    return dict(db.session.execute(select(DocumentText.purpose, DocumentText.body)
                                   .where(DocumentText.is_default)).all())


def document_texts(document, bodies: dict[str, str] | None = None) -> dict[str, str]:
    """The default notes and footer texts of a quote or invoice, rendered on it; a text that
    fails to render is left out (and logged) rather than failing the PDF. `bodies` (from
    `default_document_bodies`) spares a query per text when freezing many documents."""
    kind = type(document).__name__.lower()
    texts = {}
    for part in ("notes", "footer"):
        if bodies is not None:
            body = bodies.get(f"{kind}_{part}")
        else:
            body = db.session.scalar(select(DocumentText.body).where(
                DocumentText.purpose == f"{kind}_{part}", DocumentText.is_default))
        texts[part] = ""
        if not body:
            continue
        company = document.company
        contact = next((c for c in company.contacts if c.is_billing_contact), None)
        try:
            texts[part] = render(body, build_context(groups_for("document", None), company,
                                                     contact, None, document)).strip()
        except TemplateProblem as problem:
            log.warning("The %s %s text of %r does not render: %s", kind, part, document,
                        problem)
    return texts
