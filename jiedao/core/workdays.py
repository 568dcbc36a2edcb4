"""The working-day calendar: China's public holidays and make-up working days (调休).

chinese-calendar knows the State Council's schedule for the years it ships; an admin's
`WorkdayOverride` wins over it, and for a year it does not know, Monday–Friday are working
days unless overridden.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import chinese_calendar

# Other processes (web workers, the Celery worker) notice an admin's override within this
# many seconds: each checks the overrides table's signature at most this often.
REFRESH_SECONDS = 60
_checked: dict[str, Any] = {"at": 0.0, "signature": None}


@lru_cache(maxsize=1)
def _overrides() -> dict[date, bool]:
    from jiedao.core.models import WorkdayOverride

    return dict(WorkdayOverride.objects.values_list("date", "is_workday"))


def library_last_year() -> int:
    """The last year whose holidays the installed chinese-calendar knows."""
    return max(chinese_calendar.holidays.keys()).year


def uncovered_years(today: date, *, horizon_days: int = 120) -> list[int]:
    """Years within the horizon that neither the library nor any admin override covers.

    In such a year every Monday–Friday counts as a working day, so due dates around its
    public holidays would be wrong: the pages ask an admin to enter that year's schedule.
    """
    last = library_last_year()
    overridden = {d.year for d in _overrides()}
    end = today + timedelta(days=horizon_days)
    return [y for y in range(today.year, end.year + 1) if y > last and y not in overridden]


def forget_overrides() -> None:
    _overrides.cache_clear()
    _is_workday.cache_clear()
    _year_table.cache_clear()
    _checked["at"] = 0.0


def _signature() -> tuple[Any, ...]:
    from django.db.models import Count, Max

    from jiedao.core.models import WorkdayOverride

    row = WorkdayOverride.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    return (row["n"], row["last"])


def _fresh() -> None:
    """Drop the caches when the overrides changed in another process."""
    now = time.monotonic()
    if now - _checked["at"] < REFRESH_SECONDS:
        return
    signature = _signature()
    if _checked["signature"] is not None and signature != _checked["signature"]:
        _overrides.cache_clear()
        _is_workday.cache_clear()
        _year_table.cache_clear()
    _checked["signature"] = signature
    _checked["at"] = now


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
    _fresh()
    return _is_workday(day)


def add_workdays(start: date, days: int) -> date:
    """The date `days` working days after `start` (the day of receipt does not count)."""
    _fresh()
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if _is_workday(current):
            remaining -= 1
    return current


def workdays_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when done the same day)."""
    _fresh()
    if end <= start:
        return 0
    if start.year < BASE_YEAR:
        return sum(
            1 for n in range(1, (end - start).days + 1) if _is_workday(start + timedelta(days=n))
        )
    return _cumulative(end) - _cumulative(start)


@lru_cache(maxsize=128)
def _year_table(year: int) -> tuple[int, tuple[int, ...]]:
    """(working days in all years before `year` since BASE_YEAR, running count by day of year).

    Dashboards count handling days for tens of thousands of tickets: this makes each count
    two look-ups instead of a walk over the days in between.
    """
    before = 0
    if year > BASE_YEAR:
        previous_before, previous = _year_table(year - 1)
        before = previous_before + previous[-1]
    running: list[int] = []
    count = 0
    day = date(year, 1, 1)
    while day.year == year:
        count += _is_workday(day)
        running.append(count)
        day += timedelta(days=1)
    return before, tuple(running)


BASE_YEAR = 2000


def _cumulative(day: date) -> int:
    """Working days from BASE_YEAR-01-01 up to and including `day`."""
    before, running = _year_table(day.year)
    return before + running[day.timetuple().tm_yday - 1]
