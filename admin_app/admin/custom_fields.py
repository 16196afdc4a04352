"""Custom fields (defined by admins at run time) as typed inputs on the company form."""
import re

from flask_babel import lazy_gettext as _l
from flask import request
from flask_admin.helpers import get_form_data
from wtforms import fields
from wtforms.validators import URL, Length, NumberRange, Optional

from ..models import CustomFieldDefinition
from .validators import InUserLanguage
from ..services.custom_fields import (
    NUMBER_LIMIT, TEXT_MAX, active_definitions, choices_of, form_value, raw_text, save_values,
)

PREFIX = "custom_"


def field_name(definition: CustomFieldDefinition) -> str:
    return PREFIX + re.sub(r"\W", "_", definition.key)


def build_field(definition: CustomFieldDefinition):
    """An unbound WTForms field of the definition's type."""
    label, kind = definition.label, definition.field_type
    description = "Custom field"
    if kind == "number":
        return fields.DecimalField(label, [Optional(), NumberRange(min=-NUMBER_LIMIT, max=NUMBER_LIMIT)],
                                   places=None, description=description,
                                   render_kw={"step": "any", "inputmode": "decimal"})
    if kind == "date":
        return fields.DateField(label, [Optional()], description=description,
                                render_kw={"type": "date"})
    if kind == "boolean":
        return fields.BooleanField(label, description=description)
    if kind == "choice":
        options = choices_of(definition)
        return fields.SelectField(label, [Optional()], choices=[("", "—")] + [(o, o) for o in options],
                                  description=description)
    if kind == "url":
        return fields.URLField(label, [Optional(), InUserLanguage(URL(message=_l(
            "Enter a full web address, starting with https://")))],
                               description=description)
    return fields.StringField(label, [Optional(), Length(max=TEXT_MAX)], description=description)


class CustomFieldsMixin:
    """Adds one input per active custom field to the create and edit forms and saves the values."""

    def _form_with_custom_fields(self, base_class):
        definitions = active_definitions()
        attrs = {field_name(d): build_field(d) for d in definitions}
        form_class = type(base_class.__name__, (base_class,), attrs)
        return form_class, definitions

    def create_form(self, obj=None):
        form_class, definitions = self._form_with_custom_fields(self._create_form_class)
        form = form_class(get_form_data(), obj=obj)
        form._custom_definitions = definitions
        self._place_custom_fields_before_inlines(form, definitions)
        return form

    def edit_form(self, obj=None):
        form_class, definitions = self._form_with_custom_fields(self._edit_form_class)
        form = form_class(get_form_data(), obj=obj)
        form._custom_definitions = definitions
        if obj is not None and request.method == "GET":
            stored = {v.definition_id: v.value for v in obj.custom_values}
            for definition in definitions:
                form[field_name(definition)].data = form_value(definition,
                                                               stored.get(definition.id))
        self._place_custom_fields_before_inlines(form, definitions)
        return form

    @staticmethod
    def _place_custom_fields_before_inlines(form, definitions) -> None:
        # Rendered in form order: keep the custom inputs with the company's own fields,
        # above the inline address and contact lists.
        if not definitions:
            return
        inline = [k for k, f in form._fields.items() if f.type == "InlineModelFormList"]
        for key in inline:
            form._fields.move_to_end(key)

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        values = {d.id: raw_text(form[field_name(d)].data)
                  for d in getattr(form, "_custom_definitions", [])}
        changes = save_values(model, values, record=False) if values else {}
        # Merged by the base view into this save's audit entry.
        model._audit_extra = {**getattr(model, "_audit_extra", {}), **changes}
