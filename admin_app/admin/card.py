"""The client card at /admin/company/card/?id=N, its timeline pages and its files."""

from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..ids import parse_id
from ..models import Contact, Document
from ..services.card import load_card, timeline
from ..storage import send
from ..services.custom_fields import display_value
from ..services.html import safe_html
from .card_editing import CardForms
from .card_mail import CardMail
from .card_meeting import CardMeeting
from .card_forms import KIND_LABELS, AccountManagerForm, CommentsForm
from .company_pages import card_url, company_or_404, follow_merge_message, live_company_or_redirect


class CardView(CardForms, CardMail, CardMeeting):
    """Everything about one company on one page, and its form pages (`CardForms`)."""

    def is_visible(self) -> bool:
        return False  # reached from a company, not from the menu

    @expose("/")
    def index(self):
        company, moved = live_company_or_redirect("card.index", follow_merge_message("card"))
        if moved:
            return moved
        card = load_card(company, kind=request.args.get("kind"), cursor=request.args.get("before"))
        manager_form = AccountManagerForm(account_manager_id=str(company.account_manager_id or ""))
        manager_form.account_manager_id.choices = [SelectChoice("", _("— nobody —"))] + [
            SelectChoice(str(u.id), str(u) + ("" if u.is_active else _(" (inactive)")))
            for u in card.users]
        return self.render("admin/card/card.html", card=card, company=company,
                           manager_form=manager_form, comments_form=CommentsForm(),
                           comments_html=safe_html(company.comments),
                           kind_labels=KIND_LABELS, display_value=display_value,
                           safe_html=safe_html, card_url=card_url(company))

    @expose("/exchanges/")
    def exchanges(self):
        """The next page of the timeline, as an HTML fragment for "load more"."""
        company, absorber = company_or_404()
        page = timeline((absorber or company).id, request.args.get("kind"),
                        request.args.get("before"))
        return self.render("admin/card/_timeline_items.html", company=absorber or company,
                           timeline=page, kind_labels=KIND_LABELS, safe_html=safe_html)

    @expose("/history/")
    def history(self):
        """Moved to the sales history page; old links and bookmarks land there."""
        kind = {"quotes": "quote", "orders": "order", "invoices": "invoice"}.get(
            request.args.get("kind", ""))
        args = {"company_id": parse_id(request.args.get("id"))}
        if kind:
            args.update(kind=kind, **{f"{kind}_page": parse_id(request.args.get("page"))})
        return redirect(url_for("sales_history.index", **args), code=301)

    @expose("/photo/")
    def photo(self):
        contact = db.session.get(Contact, parse_id(request.args.get("contact")) or 0)
        if contact is None or not contact.photo:
            abort(404)
        return send(contact.photo, mimetype="image/jpeg", max_age=300)

    @expose("/document/download/")
    def document_download(self):
        document = db.session.get(Document, parse_id(request.args.get("doc")) or 0)
        if document is None:
            abort(404)
        return send(document.file, as_attachment=True, download_name=document.original_name,
                    mimetype=document.content_type)
