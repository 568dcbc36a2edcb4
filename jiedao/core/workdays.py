"""The working-day calendar: China's public holidays and make-up working days (调休).

chinese-calendar knows the State Council's schedule for the years it ships; an admin's
`WorkdayOverride` wins over it, and for a year it does not know, Monday–Friday are working
days unless overridden.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar


@lru_cache(maxsize=1)
def _overrides() -> dict[date, bool]:
    from jiedao.core.models import WorkdayOverride

    return dict(WorkdayOverride.objects.values_list("date", "is_workday"))


def forget_overrides() -> None:
    _overrides.cache_clear()
    _is_workday.cache_clear()


@lru_cache(maxsize=8192)
def _is_workday(day: date) -> bool:
    override = _overrides().get(day)
    if override is not None:
        return override
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def is_workday(day: date) -> bool:
    return _is_workday(day)


def add_workdays(start: date, days: int) -> date:
    """The date `days` working days after `start` (the day of receipt does not count)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if _is_workday(current):
            remaining -= 1
    return current


def workdays_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when done the same day)."""
    if end <= start:
        return 0
    return sum(
        1 for n in range(1, (end - start).days + 1) if _is_workday(start + timedelta(days=n))
    )
