"""Form fields that read what the user types the way their language writes it."""
from flask_babel import lazy_gettext as _l
from wtforms import DecimalField
from wtforms.widgets import TextInput

from ..formats import input_number, parse_number


class LocaleDecimalField(DecimalField):
    """A decimal typed as the reader's language writes it (`1.234,50` in Spanish).

    A text input, not `type=number`: a browser's number input refuses the decimal comma of
    some languages and the grouping of all of them.
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return input_number(self.data)

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_number(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Enter a number, e.g. %(example)s.",
                                    example=input_number(parse_number("1234.5")))))
