"""Configuration > Settings: the advanced settings page, one form and one Save per section."""
from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from .. import clock
from ..services import settings as service
from ..services.card_edit import discard_file
from ..services.numbering import upcoming_numbers
from ..services.seller_logo import logo_file, read_logo, write_logo
from ..services.setting_types import SettingError, grouped_iban
from ..storage import send
from ..unit_of_work import unit_of_work
from .base import SecureBaseView
from .settings_forms import EXTRA_FIELDS, FORMS, INTROS, TITLES


def _form_value(value):
    """A setting's typed value as its form field shows it."""
    if isinstance(value, list):
        return ", ".join(value)
    return value


def _shown(values: dict) -> dict:
    shown = {key: _form_value(value) for key, value in values.items()}
    shown["company_iban"] = grouped_iban(values["company_iban"])
    return shown


def _posted_section() -> str | None:
    """The section a POST saves: its hidden field, else the one whose keys were posted."""
    section = request.form.get("section")
    if section in FORMS:
        return section
    posted = set(request.form) | set(request.files)
    found = [s for s in FORMS if posted & set(service.keys_of(s))]
    return found[0] if len(found) == 1 else None


def _formdata(section: str, shown: dict) -> CombinedMultiDict:
    """The posted fields over the current values: a field a client left out keeps its value.
    (A checkbox cannot be left out: browsers send nothing for an unticked one.)"""
    data = MultiDict(request.form)
    form = FORMS[section](formdata=None)
    for field in form:
        key = field.name
        if key in data or key in EXTRA_FIELDS or field.type == "BooleanField":
            continue
        if shown.get(key) is not None:
            data[key] = str(shown[key])
    return CombinedMultiDict([request.files, data])


class SettingsView(SecureBaseView):
    """Advanced settings for admins; every change is checked, saved whole and audit-logged."""

    admin_only = True

    @expose("/", methods=("GET", "POST"))
    def index(self):
        values = service.all_settings()
        shown = _shown(values)
        forms = {section: form_class(formdata=None, data=shown)
                 for section, form_class in FORMS.items()}
        failed = None
        if request.method == "POST":
            section = _posted_section()
            if section is None:
                abort(400)
            form = FORMS[section](formdata=_formdata(section, shown))
            if self._save(section, form):
                return redirect(self.get_url(".index") + f"#{section}")
            forms[section], failed = form, section
        return self.render("admin/settings.html", forms=forms, titles=TITLES, intros=INTROS,
                           failed=failed, numbers=upcoming_numbers(clock.today().year),
                           logo=values["company_logo"] and logo_file() is not None,
                           hard_limit=service.hard_upload_limit_mb(),
                           values=values)

    def _save(self, section: str, form) -> bool:
        """Check every field of the section, then save all of it or nothing."""
        valid = form.validate()
        proposed = {field.name: field.data for field in form
                    if field.name not in EXTRA_FIELDS}
        # Fields WTForms could not read are already marked; the service checks the others.
        _parsed, errors = service.problems({key: value for key, value in proposed.items()
                                            if not form[key].errors})
        for key, message in errors.items():
            form[key].errors = [*form[key].errors, message]
        valid = valid and not errors
        image = None
        upload = getattr(form, "company_logo", None)
        if upload is not None and getattr(upload.data, "filename", ""):
            try:
                image = read_logo(upload.data)
            except SettingError as exc:
                upload.errors = [*upload.errors, str(exc)]
                valid = False
        if not valid:
            flash(_("Nothing was saved: correct the fields marked below."), "error")
            return False
        old_logo = service.get_setting("company_logo")
        with unit_of_work() as work:
            if image is not None:
                proposed["company_logo"] = write_logo(image)
                work.on_rollback(discard_file, proposed["company_logo"])
            elif getattr(form, "remove_logo", None) is not None and form.remove_logo.data:
                proposed["company_logo"] = ""
            changes = service.save_settings(proposed)
            if old_logo and "company_logo" in changes:
                work.after_commit(discard_file, old_logo)
        if not work.committed:
            return False
        service.forget_cached()
        if changes:
            labels = ", ".join(str(form[key].label.text) for key in changes if key in form)
            flash(_("%(section)s settings saved (%(fields)s).", section=TITLES[section],
                    fields=labels), "success")
        else:
            flash(_("Nothing changed in %(section)s.", section=TITLES[section]), "info")
        return True

    @expose("/logo/", methods=("GET",))
    def logo(self):
        """The stored seller logo, for this page."""
        return send(logo_file(), mimetype="image/png", max_age=0)
