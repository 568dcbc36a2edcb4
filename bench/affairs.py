"""Benchmarks of the government-services pages as the ticket volume grows.

Builds the demo at three ticket scales (JIEDAO_DEMO_TICKET_SCALE) in throw-away SQLite
databases and times the leader's dashboard, the clerk's ticket list and desk, and the API
list. Ratios are against the smallest scale in the same run. Run: `make bench`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCALES = [float(s) for s in os.environ.get("BENCH_TICKET_SCALES", "0.1,0.33,1.0").split(",")]
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import os, statistics, time, json, sys
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from jiedao.accounts.models import User
from jiedao.affairs.models import Ticket
call_command("migrate", verbosity=0)
call_command("demo", stdout=open(os.devnull, "w"))
cases = [
    ("dashboard · subdistrict leader", "tmx_leader", "/affairs/dashboard/"),
    ("ticket list · clerk", "tmx_clerk", "/affairs/tickets/"),
    ("desk and queue · clerk", "tmx_clerk", "/affairs/"),
    ("API ticket list · clerk", "tmx_clerk", "/api/v1/affairs/tickets?limit=50"),
]
out = {"tickets": Ticket.objects.count(), "cases": {}}
for name, user, url in cases:
    c = Client(); c.force_login(User.objects.get(username=user))
    assert c.get(url).status_code == 200, url
    samples = []
    for _ in range(int(os.environ["BENCH_REPEAT"])):
        t = time.perf_counter(); c.get(url); samples.append(time.perf_counter() - t)
    out["cases"][name] = statistics.median(samples)
print(json.dumps(out))
"""


def main() -> None:
    import json

    results = []
    for scale in SCALES:
        with tempfile.TemporaryDirectory() as var_dir:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "jiedao.settings",
                "JIEDAO_VAR_DIR": var_dir,
                "DATABASE_URL": f"sqlite:///{var_dir}/bench.sqlite3",
                "JIEDAO_DEMO_TICKET_SCALE": str(scale),
                "BENCH_REPEAT": str(REPEAT),
                "PYTHONWARNINGS": "ignore",
            }
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", CHILD],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            built = time.perf_counter() - started
            data = json.loads(proc.stdout.strip().splitlines()[-1])
            data["scale"], data["seconds"] = scale, built
            results.append(data)
    base = results[0]["cases"]
    print(f"{'tickets':>8} {'case':<32} {'median ms':>10} {'× baseline':>11}")
    for r in results:
        for name, seconds in r["cases"].items():
            print(
                f"{r['tickets']:>8} {name:<32} {seconds * 1000:>10.1f} {seconds / base[name]:>10.2f}×"
            )


if __name__ == "__main__":
    main()
