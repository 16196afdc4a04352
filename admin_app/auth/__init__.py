"""Login, logout, the second factor, and the checks every request makes about its login."""
from . import guards  # noqa: F401  (registers the user loader and the request hooks on bp)
from .routes import bp

__all__ = ["bp"]
