"""Pages of the API's long lists (schools, lists, decisions): ``limit``/``offset`` with a default and a
maximum page, the total count and the addresses of the next and previous pages; only the page's rows are
read and turned into answers (a country-wide list was 8.9 MB in one answer)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, get_type_hints
from urllib.parse import urlencode

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.pagination import PaginationBase, paginate

#: Rows on a page when ``limit`` is not given, and the most a page may hold.
PAGE_DEFAULT = 100
PAGE_MAX = 500
#: An offset beyond a 64-bit integer would make the database driver raise (a 500); such a request is a 422.
OFFSET_MAX = 2**62


class Pages(PaginationBase):
    """``limit``/``offset`` pages: ``{"items", "count", "next", "previous"}``; a ``limit`` above
    ``PAGE_MAX`` is refused with a Russian message (422), never silently cut."""

    class Input(Schema):
        """The page asked for."""

        limit: int = Field(
            PAGE_DEFAULT,
            ge=1,
            description=f"Сколько строк на странице: по умолчанию {PAGE_DEFAULT}, не больше {PAGE_MAX}.",
            json_schema_extra={"maximum": PAGE_MAX},
        )
        offset: int = Field(
            0,
            ge=0,
            le=OFFSET_MAX,
            description="Сколько строк списка пропустить с начала: следующая страница — offset + limit.",
        )

    class Output(Schema):
        """A page of a list."""

        items: list[Any] = Field(description="Строки этой страницы, в порядке всего списка.")
        count: int = Field(description="Сколько строк во всём списке (с фильтрами и правами доступа).")
        next: str | None = Field(description="Адрес следующей страницы; null на последней.")
        previous: str | None = Field(description="Адрес предыдущей страницы; null на первой.")

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        """The page of ``queryset`` (anything with ``len`` and slices) with the count and the links."""
        limit, offset = pagination.limit, pagination.offset
        if limit > PAGE_MAX:
            raise HttpError(
                422,
                f"limit={limit}: на странице не больше {PAGE_MAX} строк; остальные строки — на следующих "
                "страницах (ссылка next в ответе или offset).",
            )
        count = len(queryset)
        items = list(queryset[offset : offset + limit]) if offset < count else []
        return {
            "items": items,
            "count": count,
            "next": _link(request, limit, offset + limit) if offset + limit < count else None,
            "previous": _link(request, limit, max(0, min(offset, count) - limit)) if offset > 0 else None,
        }


def _link(request: HttpRequest, limit: int, offset: int) -> str:
    """The same request's address with another page."""
    query = request.GET.copy()
    query["limit"], query["offset"] = str(limit), str(offset)
    return request.build_absolute_uri(request.path + "?" + urlencode(sorted(query.lists()), doseq=True))


class PageRows:
    """A queryset as the paginator's list: the count by ``COUNT(*)``, and only the page asked for is read and
    turned into answers — by ``out`` a row, or by ``out_page`` for the whole page at once (a page's related
    rows in one query). The queryset's order must be total (ending with a unique key), so that pages
    partition the list."""

    def __init__(
        self,
        qs: Any,
        out: Callable[[Any], dict] | None = None,
        *,
        out_page: Callable[[list], Sequence[dict]] | None = None,
    ) -> None:
        self.qs, self.out, self.out_page = qs, out, out_page

    def __len__(self) -> int:
        return int(self.qs.count())

    def __getitem__(self, index: slice) -> Sequence[dict]:
        rows = list(self.qs[index])
        if self.out_page is not None:
            return self.out_page(rows)
        assert self.out is not None
        return [self.out(x) for x in rows]


def paged(view: Callable) -> Any:
    """``@paginate(Pages)`` for a view whose parameters are annotated with names of its own module (under
    ``from __future__ import annotations`` ninja would look them up in ``ninja.pagination``'s); ``Annotated``
    parameters such as ``Query[Schema]`` keep their marks."""
    view.__annotations__ = get_type_hints(view, include_extras=True)
    return paginate(Pages)(view)
