"""Templates' `_()`: the request's translations looked up once, not on every call.

Flask-Babel's template callables find the translations anew for each string (the `g`
namespace, the locale, a cache keyed by its name): about 14 µs a call, against half a
microsecond for the lookup itself. A client's card asks for some 300 strings, so this was
a fifth of its rendering time.

The callables below are Jinja's "newstyle" ones (`jinja2.ext._make_new_gettext`: the
translation is a format string, escaped when the template autoescapes) called directly,
without the two `Context.call` layers Jinja puts around each; a string without variables is
translated and formatted once per catalogue and reused.
"""
from typing import Any

from babel.support import NullTranslations
from flask import Flask, g
from flask_babel import get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup


def _translations() -> NullTranslations:
    # Flask-Babel keeps the request's locale on `g._flask_babel`; `force_locale` (mails
    # rendered in their reader's language) and `refresh()` replace or drop that object, so
    # keying the remembered translations on its identity follows both.
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        return get_translations()
    remembered = getattr(state, "template_translations", None)
    if remembered is None or remembered[0] is not locale:
        remembered = state.template_translations = (locale, get_translations())
    return remembered[1]


def _finish(context: Context, text: str, variables: dict[str, Any]) -> str:
    # Reviewed (bandit B704): a translation from our catalogues, as Jinja's own gettext marks
    # it; the variables are escaped by Markup's % operator.
    text = Markup(text) if context.eval_ctx.autoescape else text  # nosec B704
    return text % variables


@pass_context
def gettext(context: Context, string: str, **variables: Any) -> str:
    translations = _translations()
    if variables or not context.eval_ctx.autoescape:
        return _finish(context, translations.ugettext(string), variables)
    # Kept on the catalogue object, so a language's strings are shared by every request.
    done = translations.__dict__.setdefault("_template_strings", {})
    text = done.get(string)
    if text is None:
        text = done[string] = _finish(context, translations.ugettext(string), {})
    return text


@pass_context
def ngettext(context: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return _finish(context, _translations().ungettext(singular, plural, num), variables)


@pass_context
def pgettext(context: Context, string_context: str, string: str, **variables: Any) -> str:
    variables.setdefault("context", string_context)
    return _finish(context, _translations().upgettext(string_context, string), variables)


@pass_context
def npgettext(context: Context, string_context: str, singular: str, plural: str, num: int,
              **variables: Any) -> str:
    variables.setdefault("context", string_context)
    variables.setdefault("num", num)
    return _finish(context, _translations().unpgettext(string_context, singular, plural, num),
                   variables)


def init_app(app: Flask) -> None:
    """Replace Flask-Babel's template callables (call after `babel.init_app`)."""
    app.jinja_env.newstyle_gettext = True  # what {% trans %} compiles to, as before
    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext,
                                 pgettext=pgettext, npgettext=npgettext)
