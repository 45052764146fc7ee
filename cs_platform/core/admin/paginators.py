"""A paginator for tables too big for an exact COUNT(*) on every page view."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    """Counts at most `count_cap + 1` rows (`SELECT COUNT(*) FROM (... LIMIT n)`).

    An exact count over 18 M usage rows costs seconds (DESIGN.md 10); past the cap the
    changelist says "more than N" (templates/admin/pagination.html) and the CSM narrows
    with filters or the date hierarchy instead of paging to row 9 million.
    """

    count_cap = 10_000

    @cached_property
    def count(self) -> int:
        # Ordering is irrelevant to a count and would only constrain the plan.
        return self.object_list.order_by()[: self.count_cap + 1].count()

    @property
    def count_is_capped(self) -> bool:
        return self.count > self.count_cap
