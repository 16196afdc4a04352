"""My preferences (/admin/preferences/): every user chooses their language and time zone."""
from flask import flash, redirect, request, session, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField

from ..services.preferences import languages, save_preferences
from ..services.setting_types import time_zones
from ..services.settings import get_setting
from ..unit_of_work import unit_of_work
from .base import SecureBaseView


class PreferencesForm(FlaskForm):
    # Choices are checked by the service, which holds the rule.
    language = SelectField(_l("Language"), validate_choice=False)
    time_zone = SelectField(_l("Time zone"), validate_choice=False)


class PreferencesView(SecureBaseView):
    """One small form; open to every logged-in user, each for their own account."""

    def is_visible(self) -> bool:
        return False  # linked beside the user's name in the navigation bar (app_base.html)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = PreferencesForm(data={"language": current_user.language or "",
                                     "time_zone": current_user.time_zone or ""})
        organisation_zone = get_setting("time_zone") or "UTC"
        form.language.choices = [("", _("As my browser asks"))] + list(languages().items())
        form.time_zone.choices = [("", _("The organisation's (%(zone)s)", zone=organisation_zone))] \
            + [(zone, zone.replace("_", " ")) for zone in time_zones()]
        if request.method == "POST" and form.validate_on_submit():
            with unit_of_work() as work:
                save_preferences(current_user._get_current_object(), form.language.data,
                                 form.time_zone.data)
            if work.committed:
                # The saved language wins from now on; a ?lang= kept in the session would not.
                session.pop("lang", None)
                refresh()  # the message below already speaks the chosen language
                flash(_("Preferences saved."), "success")
                return redirect(url_for(".index"))
        return self.render("admin/preferences.html", form=form)
