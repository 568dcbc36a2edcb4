"""The working-day calendar: public holidays, make-up working days (调休), years the library
does not know, and an admin's overrides winning over the library."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from jiedao.core.models import WorkdayOverride
from jiedao.core.workdays import add_workdays, forget_overrides, is_workday, workdays_between


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    # The calendar caches overrides per process; a rolled-back test must not leak its rows.
    forget_overrides()
    yield
    forget_overrides()


# --- the library's calendar ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 30), True),  # Tuesday before National Day
        (date(2025, 10, 1), False),  # National Day + Mid-Autumn 2025: 10-01 … 10-08
        (date(2025, 10, 6), False),  # a Monday inside the holiday
        (date(2025, 10, 8), False),
        (date(2025, 10, 9), True),
        (date(2025, 9, 28), True),  # Sunday made a working day
        (date(2025, 10, 11), True),  # Saturday made a working day
        (date(2025, 10, 12), False),  # an ordinary Sunday
        (date(2026, 2, 14), True),  # Saturday made a working day before Spring Festival
        (date(2026, 2, 16), False),  # Spring Festival 2026: 02-15 … 02-23
        (date(2026, 2, 23), False),
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday made a working day after it
    ],
)
def test_library_calendar(db: None, day: date, working: bool) -> None:
    assert is_workday(day) is working


def test_one_working_day_after_the_eve_of_national_day_skips_the_holiday(db: None) -> None:
    assert add_workdays(date(2025, 9, 30), 1) == date(2025, 10, 9)


def test_a_make_up_sunday_counts(db: None) -> None:
    # Fri 26th → Sun 28th (make-up day) is the first working day, Mon 29th the second.
    assert add_workdays(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert add_workdays(date(2025, 9, 26), 2) == date(2025, 9, 29)
    assert add_workdays(date(2025, 9, 26), 4) == date(2025, 10, 9)


def test_due_dates_across_spring_festival_2026(db: None) -> None:
    # Thu 12th + 1 → Fri 13th; + 2 → Sat 14th (make-up); + 3 jumps the festival to Tue 24th.
    assert add_workdays(date(2026, 2, 12), 1) == date(2026, 2, 13)
    assert add_workdays(date(2026, 2, 12), 2) == date(2026, 2, 14)
    assert add_workdays(date(2026, 2, 12), 3) == date(2026, 2, 24)
    # Tue 24th … Fri 27th are four, Sat 28th (make-up) is the fifth.
    assert add_workdays(date(2026, 2, 23), 5) == date(2026, 2, 28)


def test_zero_days_is_the_same_day(db: None) -> None:
    assert add_workdays(date(2025, 10, 3), 0) == date(2025, 10, 3)


# --- a year the library does not know -----------------------------------------------------------
def test_unknown_year_counts_monday_to_friday(db: None) -> None:
    # 2031-01-01 is a Wednesday; the library knows nothing of 2031, so New Year is a workday.
    assert is_workday(date(2031, 1, 1)) is True
    assert is_workday(date(2031, 1, 4)) is False  # Saturday
    assert is_workday(date(2031, 1, 5)) is False  # Sunday
    assert add_workdays(date(2031, 1, 2), 2) == date(2031, 1, 6)  # Thu → Fri, (weekend), Mon
    assert add_workdays(date(2031, 1, 3), 5) == date(2031, 1, 10)


# --- an admin's overrides -----------------------------------------------------------------------
def test_override_beats_the_library_and_clears_the_cache_on_save(db: None) -> None:
    monday = date(2025, 10, 13)
    assert is_workday(monday) is True  # cached as a working day
    assert add_workdays(date(2025, 10, 10), 1) == date(2025, 10, 11)  # make-up Saturday

    WorkdayOverride.objects.create(date=monday, is_workday=False, note="临时停工")
    WorkdayOverride.objects.create(date=date(2025, 10, 11), is_workday=False, note="取消调休")

    # Saving the rows cleared the cache: no manual forget needed.
    assert is_workday(monday) is False
    assert add_workdays(date(2025, 10, 10), 1) == date(2025, 10, 14)


def test_override_can_make_a_holiday_a_working_day(db: None) -> None:
    assert add_workdays(date(2025, 9, 30), 1) == date(2025, 10, 9)
    WorkdayOverride.objects.create(date=date(2025, 10, 2), is_workday=True)
    assert add_workdays(date(2025, 9, 30), 1) == date(2025, 10, 2)


def test_override_in_an_unknown_year(db: None) -> None:
    # The admin enters 2031's New Year holiday and a make-up Saturday.
    assert add_workdays(date(2030, 12, 31), 1) == date(2031, 1, 1)
    WorkdayOverride.objects.create(date=date(2031, 1, 1), is_workday=False, note="元旦")
    WorkdayOverride.objects.create(date=date(2031, 1, 4), is_workday=True, note="调休")
    assert add_workdays(date(2030, 12, 31), 1) == date(2031, 1, 2)
    assert add_workdays(date(2031, 1, 2), 2) == date(2031, 1, 4)


def test_changing_and_deleting_an_override_clear_the_cache(db: None) -> None:
    day = date(2031, 1, 1)
    override = WorkdayOverride.objects.create(date=day, is_workday=False)
    assert is_workday(day) is False
    override.is_workday = True
    override.save(update_fields=["is_workday", "updated_at"])
    assert is_workday(day) is True
    WorkdayOverride.objects.create(date=date(2031, 1, 2), is_workday=False)
    assert is_workday(date(2031, 1, 2)) is False
    WorkdayOverride.objects.filter(date=date(2031, 1, 2)).get().delete()
    assert is_workday(date(2031, 1, 2)) is True


# --- counting days between two dates ------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2025, 9, 30), date(2025, 9, 30), 0),  # done the same day
        (date(2025, 9, 30), date(2025, 9, 29), 0),  # end before start
        (date(2025, 9, 30), date(2025, 10, 8), 0),  # only holidays in between
        (date(2025, 9, 30), date(2025, 10, 9), 1),
        (date(2025, 9, 26), date(2025, 10, 9), 4),  # 28th, 29th, 30th, 9th
        (date(2025, 9, 26), date(2025, 10, 12), 6),  # + Fri 10th and make-up Sat 11th
        (date(2031, 1, 3), date(2031, 1, 10), 5),  # unknown year: Mon … Fri
    ],
)
def test_workdays_between(db: None, start: date, end: date, days: int) -> None:
    assert workdays_between(start, end) == days


def test_workdays_between_is_the_inverse_of_add_workdays(db: None) -> None:
    start = date(2025, 9, 20)
    for n in range(0, 15):
        assert workdays_between(start, add_workdays(start, n)) == n


def test_workdays_between_agrees_with_walking_the_days(db) -> None:
    """The year tables give the same count as counting day by day, across years the library
    knows and does not know, and after an override changes a day."""
    import random
    from datetime import timedelta

    from jiedao.core import workdays
    from jiedao.core.models import WorkdayOverride

    def walk(a: date, b: date) -> int:
        return sum(workdays.is_workday(a + timedelta(days=n)) for n in range(1, (b - a).days + 1))

    rnd = random.Random(4)
    pairs = []
    for _ in range(400):
        a = date(2019, 1, 1) + timedelta(days=rnd.randrange(0, 365 * 14))
        pairs.append((a, a + timedelta(days=rnd.randrange(0, 500))))
    assert [workdays.workdays_between(a, b) for a, b in pairs] == [walk(a, b) for a, b in pairs]
    # an admin makes a Saturday a working day: counts across it grow by one
    before = workdays.workdays_between(date(2031, 3, 6), date(2031, 3, 10))
    WorkdayOverride.objects.create(date=date(2031, 3, 8), is_workday=True, note="test")
    assert workdays.workdays_between(date(2031, 3, 6), date(2031, 3, 10)) == before + 1


def test_an_override_saved_by_another_process_is_noticed(db, monkeypatch) -> None:
    """Another process's save fires no signal here: the table's signature gives it away."""
    from jiedao.core import workdays
    from jiedao.core.models import WorkdayOverride

    saturday = date(2031, 3, 15)
    assert workdays.is_workday(saturday) is False
    # when another process adds an override (bulk_create sends no signal, as if elsewhere)
    WorkdayOverride.objects.bulk_create(
        [WorkdayOverride(date=saturday, is_workday=True, note="elsewhere")]
    )
    # then once the refresh interval has passed, it is noticed
    monkeypatch.setattr(workdays, "REFRESH_SECONDS", 0)
    assert workdays.is_workday(saturday) is True


def test_years_nobody_covers_are_named_on_the_desk(db, users, monkeypatch) -> None:
    """A year beyond the library with no admin overrides is flagged; entering one override
    for that year clears the warning."""
    from jiedao.core import workdays
    from jiedao.core.models import WorkdayOverride
    from tests.conftest import login

    last = workdays.library_last_year()
    december = date(last, 12, 1)
    assert workdays.uncovered_years(december) == [last + 1]
    assert workdays.uncovered_years(date(last, 3, 1)) == []
    # the desk warns about the current year when the library stops before it
    this_year = date.today().year
    monkeypatch.setattr(workdays, "library_last_year", lambda: this_year - 1)
    page = login(users["tmx_clerk"]).get("/affairs/").content.decode()
    assert f"工作日历还没有 {this_year}" in page
    monkeypatch.undo()
    WorkdayOverride.objects.create(date=date(last + 1, 1, 1), is_workday=False, note="元旦")
    assert workdays.uncovered_years(december) == []
