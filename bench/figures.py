"""City-scale benchmark of the figures: report cards and dashboards at 1×, 10× and 50× the demo.

On PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/jiedao_bench_figures;
the database is created here and dropped at the end, and its name must start with
"jiedao_bench"), builds the demo once, then grows its records to k× by bulk SQL: every
original ticket (with its transitions, trips and return visits), enterprise request (with its
transitions), renewal household (with its agreements) and livelihood project is cloned k-1
times by one `INSERT … SELECT … CROSS JOIN generate_series()` per table, each copy with
shifted ids and fresh unique numbers, in the same org units and on the same dates. After the
demo and after each growth the tables are vacuumed and analysed (as autovacuum would in a
steady state). At each scale it times `figures.rebuild()`, then times each page through
Django's test client (the median of at least BENCH_REPEAT runs and BENCH_MIN_SECONDS of runs,
after a warm-up) and counts its queries. Ratios are against 1× in the same run, so they read
the same on any machine.

Run: `.venv/bin/python bench/figures.py` (part of `make bench`). BENCH_FIGURES_SCALES
(default "1,10,50"), BENCH_REPEAT (default 7, at least 5), BENCH_MIN_SECONDS (default 3),
BENCH_FIGURES_VERIFY=0 skips timing `figures verify` at the largest scale, BENCH_KEEP_DB=1
keeps the database.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/jiedao_bench_figures"
SCALES = [int(s) for s in os.environ.get("BENCH_FIGURES_SCALES", "1,10,50").split(",")]
REPEAT = max(int(os.environ.get("BENCH_REPEAT", "7")), 5)
# Fast pages are repeated until this many seconds have passed (at most 60 runs), so that
# their medians hold still on a shared machine.
MIN_SECONDS = float(os.environ.get("BENCH_MIN_SECONDS", "3"))
VERIFY = os.environ.get("BENCH_FIGURES_VERIFY", "1") != "0"
KEEP_DB = os.environ.get("BENCH_KEEP_DB", "0") == "1"
ROOT = Path(__file__).resolve().parent.parent

# (label, user, url, kind): kind "card" and "dashboard" have the target, "list" not.
PAGES = [
    ("report card · subdistrict", "tmx_leader", "/report/TMX/", "card"),
    ("report card · district", "ja_leader", "/report/JA/", "card"),
    ("report card · city", "admin", "/report/SH/", "card"),
    ("affairs dashboard", "tmx_admin", "/affairs/dashboard/", "dashboard"),
    ("ticket list", "tmx_admin", "/affairs/tickets/", "list"),
    ("business dashboard", "tmx_admin", "/business/dashboard/", "dashboard"),
    ("renewal overview", "tmx_admin", "/renewal/", "dashboard"),
    ("livelihood overview", "tmx_admin", "/livelihood/", "dashboard"),
]
TARGET = 1.2  # issue 10: every dashboard and report card at 50× ≤ 1.2× its time at 1×


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the database -------------------------------------------------------------------------------
def _admin_connection(url: str) -> Any:
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def _db_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name.startswith("jiedao_bench"):
        sys.exit(f"refusing to create and drop {name!r}: the name must start with jiedao_bench")
    return name


def recreate_database(url: str) -> None:
    name = _db_name(url)
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    name = _db_name(url)
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(url: str, var_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "jiedao.settings"
    os.environ["DATABASE_URL"] = url
    os.environ["JIEDAO_VAR_DIR"] = var_dir
    os.environ["JIEDAO_DEBUG"] = "0"
    os.environ["JIEDAO_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["JIEDAO_DEMO_TICKET_SCALE"] = "1"  # the demo's own volume is the 1× baseline
    (Path(var_dir) / "static").mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- growing the data -------------------------------------------------------------------------
def clone_plan() -> list[tuple[Any, dict[str, Any], dict[str, str]]]:
    """(model, {FK column: the cloned model it points to}, {unique column: SQL for the copy})."""
    from jiedao.affairs.models import ReturnVisit, Ticket, TicketTransition, Trip
    from jiedao.business.models import EnterpriseRequest, RequestTransition
    from jiedao.livelihood.models import Project
    from jiedao.renewal.models import Agreement, Household

    suffix = "t.{col} || '-' || g.c"
    return [
        (Ticket, {"follow_up_of_id": Ticket}, {"number": suffix}),
        (TicketTransition, {"ticket_id": Ticket}, {}),
        (Trip, {"ticket_id": Ticket}, {}),
        (ReturnVisit, {"ticket_id": Ticket}, {}),
        (EnterpriseRequest, {}, {"number": suffix}),
        (RequestTransition, {"request_id": EnterpriseRequest}, {}),
        (Household, {}, {"room": suffix}),
        (Agreement, {"household_id": Household}, {"number": suffix}),
        (Project, {"previous_id": Project}, {"title": "t.{col} || '（' || g.c || '）'"}),
    ]


def originals(plan: list[tuple[Any, dict[str, Any], dict[str, str]]]) -> dict[Any, int]:
    """The demo's highest id per cloned table: copy c of row `id` gets `id + c × that`."""
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for model, _fks, _uniques in plan:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")  # noqa: S608
            out[model] = cursor.fetchone()[0]
    return out


def grow(
    plan: list[tuple[Any, dict[str, Any], dict[str, str]]],
    stride: dict[Any, int],
    first: int,
    last: int,
) -> dict[str, int]:
    """Add copies first..last of every original row, one INSERT … SELECT per table."""
    from django.db import connection, transaction

    added: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO off")
        for model, fks, uniques in plan:
            table = model._meta.db_table
            columns, exprs = [], []
            for field in model._meta.concrete_fields:
                col = field.column
                columns.append(col)
                if field.primary_key:
                    exprs.append(f"t.{col} + g.c * {stride[model]}")
                elif col in fks:
                    exprs.append(f"t.{col} + g.c * {stride[fks[col]]}")  # NULL stays NULL
                elif col in uniques:
                    exprs.append(uniques[col].format(col=col))
                else:
                    exprs.append(f"t.{col}")
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608
                f" SELECT {', '.join(exprs)} FROM {table} t"
                f" CROSS JOIN generate_series({first}, {last}) AS g(c)"
                f" WHERE t.id <= {stride[model]} ORDER BY g.c, t.id"
            )
            added[table] = cursor.rowcount
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                f" (SELECT MAX(id) FROM {table}))"
            )
    vacuum(*(model._meta.db_table for model, _fks, _uniques in plan))
    return added


def vacuum(*tables: str) -> None:
    """What autovacuum would reach in a steady state: visibility map and planner statistics.

    Run outside a transaction (VACUUM cannot run inside one); no tables: the whole database.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        if not tables:
            cursor.execute("VACUUM (ANALYZE)")
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def table_counts() -> dict[str, int]:
    from django.db import connection

    from jiedao.affairs.models import ReturnVisit, Ticket, TicketTransition, Trip
    from jiedao.business.models import EnterpriseRequest
    from jiedao.core.models import RollupRow
    from jiedao.livelihood.models import Project
    from jiedao.renewal.models import Agreement, Household

    out = {}
    with connection.cursor() as cursor:
        for model in (
            Ticket,
            TicketTransition,
            Trip,
            ReturnVisit,
            EnterpriseRequest,
            Household,
            Agreement,
            Project,
            RollupRow,
        ):
            cursor.execute(f"SELECT COUNT(*) FROM {model._meta.db_table}")  # noqa: S608
            out[model._meta.label] = cursor.fetchone()[0]
    return out


# --- measuring ----------------------------------------------------------------------------------
def measure(label: str, username: str, url: str) -> tuple[float, int, float]:
    """Median seconds of ≥ REPEAT requests after a warm-up, the queries of one, the fastest."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from jiedao.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    response = client.get(url)  # warm-up
    assert response.status_code == 200, (label, url, response.status_code)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    queries = len(ctx)  # read now: the next request resets the query log
    samples: list[float] = []
    while len(samples) < REPEAT or (sum(samples) < MIN_SECONDS and len(samples) < 60):
        started = time.perf_counter()
        client.get(url)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), queries, min(samples)


def main() -> None:
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/figures.py runs on PostgreSQL: DATABASE_URL must be postgres://…")
    started_all = time.perf_counter()
    recreate_database(url)
    try:
        with tempfile.TemporaryDirectory() as var_dir:
            setup_django(url, var_dir)
            run(url)
    finally:
        from django.db import connections

        connections.close_all()
        if KEEP_DB:
            log(f"kept {_db_name(url)}")
        else:
            drop_database(url)
    log(f"whole run: {time.perf_counter() - started_all:.0f} s")


def run(url: str) -> None:
    from django.core.management import call_command

    from jiedao.core import figures

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("demo", stdout=io.StringIO())
    log(f"demo built in {time.perf_counter() - started:.0f} s")
    vacuum()

    plan = clone_plan()
    stride = originals(plan)
    copies = 1
    results: dict[int, dict[str, Any]] = {}
    for scale in SCALES:
        grown = 0.0
        if scale > copies:
            started = time.perf_counter()
            added = grow(plan, stride, copies, scale - 1)
            grown = time.perf_counter() - started
            log(f"{scale}×: added {sum(added.values()):,} rows in {grown:.0f} s")
            copies = scale
        started = time.perf_counter()
        rows = figures.rebuild()
        rebuilt = time.perf_counter() - started
        vacuum("core_rolluprow")  # the rebuild deleted and re-inserted every row
        counts = table_counts()
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        log(f"{scale}×: figures.rebuild() {rebuilt:.1f} s ({rows:,} roll-up rows); {counts}")
        log(f"{scale}×: load average {load}")
        pages = {}
        for label, user, page_url, _kind in PAGES:
            pages[label] = measure(label, user, page_url)
            log(f"  {label:<28} {pages[label][0] * 1000:8.1f} ms  {pages[label][1]:3d} queries")
        results[scale] = {
            "grow": grown,
            "rebuild": rebuilt,
            "counts": counts,
            "pages": pages,
            "load": load,
        }

    verified = None
    if VERIFY:
        started = time.perf_counter()
        drift = figures.verify()
        verified = (time.perf_counter() - started, len(drift))
        log(f"{SCALES[-1]}×: figures.verify() {verified[0]:.1f} s, {len(drift)} differing rows")

    report(results, verified)


def report(results: dict[int, dict[str, Any]], verified: tuple[float, int] | None) -> None:
    scales = list(results)
    base, top = scales[0], scales[-1]

    def row(label: str, cells: list[str]) -> None:
        print(f"| {label} | " + " | ".join(cells) + " |")

    print()
    row("", [f"{s}×" for s in scales])
    print("|---|" + "---:|" * len(scales))
    for key, label in (
        ("core.RollupRow", "roll-up rows"),
        ("affairs.Ticket", "tickets"),
        ("affairs.TicketTransition", "ticket transitions"),
        ("affairs.Trip", "trips"),
        ("affairs.ReturnVisit", "return visits"),
        ("business.EnterpriseRequest", "enterprise requests"),
        ("renewal.Household", "renewal households"),
        ("renewal.Agreement", "renewal agreements"),
        ("livelihood.Project", "livelihood projects"),
    ):
        row(label, [f"{results[s]['counts'][key]:,}" for s in scales])
    row("bulk growth to this scale (s)", [f"{results[s]['grow']:.0f}" for s in scales])
    row("`figures.rebuild()` (s)", [f"{results[s]['rebuild']:.1f}" for s in scales])
    row("load average while measuring", [results[s]["load"] for s in scales])
    print()
    print(
        "| page | user | "
        + " | ".join(f"{s}× ms" for s in scales)
        + f" | {top}×/{base}× (median) | {top}×/{base}× (fastest) "
        + f"| queries ({' / '.join(f'{s}×' for s in scales)}) | target ≤ {TARGET}× |"
    )
    print("|---|---|" + "---:|" * (len(scales) + 2) + "---|---|")
    for label, user, page_url, kind in PAGES:
        medians = [results[s]["pages"][label][0] for s in scales]
        queries = [results[s]["pages"][label][1] for s in scales]
        fastest = [results[s]["pages"][label][2] for s in scales]
        ratio = medians[-1] / medians[0]
        if kind == "list":
            verdict = "— (a list, no target)"
        else:
            verdict = "meets" if ratio <= TARGET else "**misses**"
        if len(set(queries)) > 1:
            verdict += "; queries grow"
        row(
            f"`{page_url}` ({label})",
            [
                user,
                *(f"{t * 1000:.1f}" for t in medians),
                f"{ratio:.2f}×",
                f"{fastest[-1] / fastest[0]:.2f}×",
                " / ".join(map(str, queries)),
                verdict,
            ],
        )
    if verified is not None:
        print()
        print(f"`figures.verify()` at {top}×: {verified[0]:.1f} s, {verified[1]} differing rows.")


if __name__ == "__main__":
    main()
