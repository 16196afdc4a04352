"""Configuration pages for admins: comment and email templates, custom fields."""
from flask_babel import lazy_gettext as _l
from flask_admin.contrib.sqla.filters import FilterEqual
from markupsafe import Markup
from wtforms.validators import Length, Regexp

from ..models import CustomFieldDefinition, EmailTemplate
from ..models.configuration import EMAIL_PURPOSES
from ..services.custom_fields import save_definition
from ..services.html import html_to_text
from ..services.templates import apply_rules
from .validators import InUserLanguage
from . import validators as v
from .base import AdminOnlyModelView

FIELD_TYPE_CHOICES = [("text", _l("Text")), ("number", _l("Number")), ("date", _l("Date")),
                      ("boolean", _l("Yes / no")), ("choice", _l("Choice in a list")),
                      ("url", _l("Web address"))]
PURPOSE_CHOICES = list(EMAIL_PURPOSES.items())
PLACEHOLDERS = Markup("Variables such as {{ company.name }}, {{ contact.first_name }}, "
                      "{{ user.full_name }}: the <a href=\"/admin/templates/\">Templates page</a> "
                      "lists them and previews the result. Basic formatting is kept; scripts "
                      "are removed.")


class CommentTemplateView(AdminOnlyModelView):
    html_fields = ("body",)
    column_list = ["name", "is_default", "body"]
    column_labels = {"is_default": _l("Pre-fills new companies"), "body": _l("Text")}
    column_searchable_list = ["name", "body"]
    column_default_sort = "name"
    form_columns = ["name", "body", "is_default"]
    form_args = {"name": {"validators": [v.required(_l("template name")), Length(max=120)]},
                 "is_default": {"label": _l("Pre-fill the comments of new companies"),
                                "description": _l("Only one template can do this; ticking it here "
                                               "unticks the others.")},
                 "body": {"label": _l("Text"), "description": _l("Basic formatting is kept; scripts "
                                                          "are removed.")}}
    form_widget_args = {"body": {"rows": 8, "data-rich-text": "1"}}
    create_template = edit_template = "admin/rich_text_form.html"

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        apply_rules("comment", model)


class EmailTemplateView(AdminOnlyModelView):
    """The list, for bulk work; the Templates page edits one with its preview. Both save through
    services.templates (syntax and variables checked, one default per purpose); the body is a
    template, sanitised there with its Jinja tags kept, so it is not an `html_fields` column."""

    column_list = ["name", "purpose", "is_default", "subject", "body"]
    column_labels = {"purpose": _l("Used for"), "is_default": _l("Default")}
    column_choices = {"purpose": PURPOSE_CHOICES}
    column_filters = [FilterEqual(EmailTemplate.purpose, _l("Used for"), options=PURPOSE_CHOICES),
                      "is_default"]
    column_formatters = {"body": lambda _v, _c, m, _n: html_to_text(m.body)[:160]}
    column_searchable_list = ["name", "subject", "body"]
    column_default_sort = "name"
    form_columns = ["name", "purpose", "subject", "body", "is_default"]
    form_choices = {"purpose": PURPOSE_CHOICES}
    form_args = {"name": {"validators": [v.required(_l("template name")), Length(max=120)]},
                 "subject": {"validators": [v.required(_l("subject")), Length(max=200)]},
                 "body": {"description": PLACEHOLDERS},
                 "purpose": {"default": "exchange"},
                 "is_default": {"label": _l("Default for its purpose"),
                                "description": _l("Only one per purpose; ticking it here unticks "
                                               "the other.")}}
    form_widget_args = {"body": {"rows": 10}}

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        apply_rules("email", model)


class CustomFieldDefinitionView(AdminOnlyModelView):
    column_list = ["position", "label", "key", "field_type", "is_active"]
    column_labels = {"field_type": _l("Type"), "is_active": _l("Shown"),
                     "key": _l("Key (used in exports)")}
    column_choices = {"field_type": FIELD_TYPE_CHOICES}
    column_default_sort = [("position", False), ("id", False)]
    column_filters = [FilterEqual(CustomFieldDefinition.field_type, _l("Type"),
                                  options=FIELD_TYPE_CHOICES), "is_active"]
    form_columns = ["label", "key", "field_type", "choices", "position", "is_active"]
    form_choices = {"field_type": FIELD_TYPE_CHOICES}
    form_args = {
        "label": {"validators": [v.required(_l("label")), Length(max=120)]},
        "key": {"validators": [v.required(_l("key")), InUserLanguage(Regexp(
            r"^[a-z][a-z0-9_]{0,59}$",
            message=_l("Use lower-case letters, digits and _ only, starting with a letter.")))]},
        "choices": {"description": _l("For “Choice in a list”: one choice per line.")},
        "position": {"description": _l("Fields are shown in increasing position.")},
        "is_active": {"label": _l("Shown on the card and in the company form")},
    }

    def on_model_change(self, form, model, is_created):
        save_definition(model)
        super().on_model_change(form, model, is_created)
