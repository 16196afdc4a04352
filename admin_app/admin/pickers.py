"""The loader behind every ajax picker (`form_ajax_refs`): typed text that the database can take,
offsets it accepts, and no merged-away company on offer."""
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader, create_ajax_loader
from sqlalchemy import Integer, inspect

from ..models import Company
from ..services.search import search_companies
from .args import MAX_PAGE, parse_int, without_nul

MAX_LIMIT = 100


class PickerLoader(QueryAjaxModelLoader):
    """Flask-Admin's loader with the request's values checked and tombstones left out."""

    def get_query(self):
        query = super().get_query()
        if self.model is Company:
            # A merged-away company lives on only as a redirect: rows go to the kept one.
            query = query.filter(Company.merged_into_id.is_(None))
        return query

    def get_list(self, term, offset=0, limit=10):
        offset = min(max(offset or 0, 0), MAX_PAGE)
        limit = min(max(limit or self.options.get("page_size", 10), 1), MAX_LIMIT)
        if self.model is Company:
            return search_companies(term, offset=offset, limit=limit)
        return super().get_list(without_nul(term or ""), offset, limit)

    def get_one(self, pk):
        key = inspect(self.model).primary_key[0]
        if isinstance(key.type, Integer):
            pk = parse_int(pk)
            if pk is None:
                return None
        return super().get_one(pk)


def picker_loader(model, session, name: str, options: dict) -> PickerLoader:
    """A PickerLoader for the relation `name` of `model`, as Flask-Admin builds its own."""
    remote = create_ajax_loader(model, session, name, name, options).model
    return PickerLoader(name, session, remote, **options)
