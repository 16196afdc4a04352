"""Text inputs as long as their column allows: the maximum said under the input, the browser
stopping there (the Length validator renders `maxlength`), and the server refusing more with a
message. The admin forms get it from the column (LengthConverter); hand-written forms use
`bounded()`."""
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model.form import converts
from flask_babel import LazyString, lazy_gettext as _l
from wtforms.validators import Length

from .fields import LocaleDecimalField


def max_length(limit: int) -> Length:
    return Length(max=limit, message=_l("%(max)d characters at most: this one has %(length)d."))


def with_hint(description, limit: int) -> LazyString:
    """The field's description followed by its maximum, translated when shown."""
    hint = _l("Up to %(max)d characters.", max=limit)
    return LazyString(lambda: f"{description} {hint}" if description else str(hint))


def column_length(attribute) -> int:
    """n of the String(n) column behind a model attribute (Contact.last_name → 100)."""
    return attribute.property.columns[0].type.length


def bounded(attribute, *validators, description=None) -> dict:
    """Validators and description of a hand-written input for the attribute's String(n) column."""
    limit = column_length(attribute)
    return {"validators": [*validators, max_length(limit)],
            "description": with_hint(description, limit)}


class LengthConverter(AdminModelConverter):
    """Flask-Admin's converter; a String(n) column's input also states and explains n, and a
    Numeric column's input reads numbers the way the user's language writes them."""

    @converts("Numeric")
    def handle_decimal_types(self, column, field_args, **extra):
        field_args.setdefault("places", None)
        return LocaleDecimalField(**field_args)

    @classmethod
    def _string_common(cls, column, field_args, **extra) -> None:
        super()._string_common(column=column, field_args=field_args, **extra)
        limit = getattr(column.type, "length", None)
        if not isinstance(limit, int) or not limit:
            return
        # Flask-Admin's own Length (and any as loose in form_args) gives way to ours.
        field_args["validators"] = [
            v for v in field_args["validators"]
            if not (isinstance(v, Length) and v.min in (-1, 0, None) and (v.max < 0 or v.max >= limit))
        ] + [max_length(limit)]
        field_args["description"] = with_hint(field_args.get("description"), limit)
