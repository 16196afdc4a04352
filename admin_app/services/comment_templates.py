"""Comment templates: at most one pre-fills the comments of new companies."""
from sqlalchemy import update

from ..extensions import db
from ..models import CommentTemplate


def save_comment_template(template: CommentTemplate) -> None:
    """Ticking "default" on one template unticks it on every other."""
    if not template.is_default:
        return
    with db.session.no_autoflush:
        db.session.execute(update(CommentTemplate).where(
            CommentTemplate.is_default, CommentTemplate.id != (template.id or 0))
            .values(is_default=False).execution_options(synchronize_session="fetch"))
