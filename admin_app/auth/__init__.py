"""Login and logout."""
from .routes import bp

__all__ = ["bp"]
