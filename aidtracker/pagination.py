"""One page of a list: how many rows in all, which page, and the rows on it."""

from dataclasses import dataclass

from sqlalchemy import Select, func, select

from aidtracker.extensions import db


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(
    statement: Select, page: int, per_page: int, count_statement: Select | None = None
) -> Page:
    """The rows of `statement` (already ordered) on `page`, kept between the first and the last.

    Two queries: the count (`count_statement`, or the rows of `statement` counted) and the page.
    """
    if count_statement is None:
        count_statement = select(func.count()).select_from(statement.order_by(None).subquery())
    total = db.session.scalar(count_statement)
    page = min(max(page or 1, 1), max(1, -(-total // per_page)))
    rows = db.session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(rows), page=page, per_page=per_page, total=total)
