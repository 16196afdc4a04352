"""The one exception type whose message is written for the user: a refused operation."""


class Refusal(ValueError):
    """A business rule said no; the message says why, and nothing was changed."""
