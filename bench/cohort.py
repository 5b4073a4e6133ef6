"""Benchmark of cohort issuance end to end on PostgreSQL; prints JSON.

    .venv/bin/python bench/cohort.py [--learners 10000] [--processes 2]
        [--postgres postgresql://127.0.0.1:5432]

On a fresh PostgreSQL database (dropped afterwards; a note and exit 0 when PostgreSQL is
unreachable) with the demo alliance, a generated cohort of ``--learners`` rows (CSV, three
module results each) goes through what ``mcred cohort issue FILE --processes N --offers
offers.csv`` does, each stage timed:

* ``validate`` — every row parsed and validated (:meth:`CohortService.validate`);
* ``submit`` — validated again and stored as a job with its rows;
* ``start_processes`` — ``--processes`` spawned processes building their own services;
* ``issue`` — every row issued (claim a chunk, idempotency key, mandates, status slot,
  sign ``eddsa-rdfc-2022``, store with the audit event, record the chunk);
* ``offers`` — one OpenID4VCI offer with a PIN per learner, written as CSV.

Each stage reports its wall clock and the CPU seconds of mcred (this process and its workers),
of the database's PostgreSQL backends and of the whole machine (``other_load_cores``: what
else kept the cores busy; ``cpu_bound_estimate_seconds``: mcred and PostgreSQL CPU spread over
every core, the run's floor on an idle machine). Then it checks the result: one credential
per learner, status slots all distinct.
Target (issue 6): the whole run in <= 60 s on this machine.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import machine_busy_s, postgres_database, process_cpu_s, process_tree_cpu_s

from issuer.api_keys import Principal, Role
from mcred.app import build_services
from mcred.cohorts import (
    build_cohort_service,
    make_offers,
    run_in_processes,
    worker_pool,
    write_offers_csv,
)
from mcred.settings import Settings
from mcred.storage.sql import read_transaction
from mcred.storage.tables import CredentialRow

TARGET_S = 60.0
ALLIANCE = "arqus"
SPECIFICATION = "sustainable-urban-mobility"
BENCH = Principal("bench", Role.ADMIN, None, "bench/cohort.py")
HEADER = [
    "learner_ref",
    "given_name",
    "family_name",
    "email",
    "completion_date",
    "grade",
    "grading_scheme",
    "identity_verification",
    "language",
    "module:mobility-data:partner",
    "module:mobility-data:result",
    "module:sump-design:partner",
    "module:sump-design:result",
    "module:active-travel:partner",
    "module:active-travel:result",
]


def cohort_csv(learners: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for n in range(learners):
        writer.writerow(
            [
                f"s-{n:06d}",
                f"Learner{n}",
                f"Family{n % 977}",
                f"learner{n}@example.org",
                "2026-07-15",
                f"{5 + n % 50 / 10:.1f}",
                "Spanish university grading scale (0-10)",
                "supervised_with_id_verification",
                ("en", "de", "fr")[n % 3],
                "granada",
                "8.0",
                "leipzig",
                "7.5",
                "bordeaux",
                "9.0",
            ]
        )
    return out.getvalue().encode("utf-8")


def postgres_cpu_s(database: str) -> float:
    """CPU seconds of the PostgreSQL backends serving ``database`` (from ``/proc``)."""
    total = 0.0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if f" {database} ".encode() in cmdline.read_bytes():
                total += process_cpu_s(int(cmdline.parent.name)) or 0.0
        except OSError:
            continue
    return total


class Meter:
    """Wall clock and CPU per stage: this process tree (the worker processes included), the
    database's PostgreSQL backends, and the whole machine (other load shows there)."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.stages: dict[str, dict[str, float]] = {}

    def sample(self) -> tuple[float, float, float, float]:
        return (
            time.perf_counter(),
            process_tree_cpu_s(os.getpid()) or 0.0,
            postgres_cpu_s(self.database),
            machine_busy_s() or 0.0,
        )

    def stage(self, name: str, start: tuple[float, float, float, float]) -> None:
        end = self.sample()
        wall, mcred, postgres, machine = (b - a for a, b in zip(start, end, strict=True))
        self.stages[name] = {
            "seconds": round(wall, 2),
            "mcred_cpu_s": round(mcred, 2),
            "postgres_cpu_s": round(postgres, 2),
            "machine_busy_s": round(machine, 2),
        }


def run(database_url: str, learners: int, processes: int, data_dir: Path) -> dict[str, Any]:
    os.environ["MCRED_DATABASE_URL"] = database_url  # the spawned processes read the same
    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        database_url=database_url,
        public_url="http://localhost:8000",
    )
    services = build_services(settings)  # migrates, seeds the demo alliance
    cohorts = build_cohort_service(services)
    content = cohort_csv(learners)
    meter = Meter(make_url(database_url).database or "")
    started = first = meter.sample()

    checked = cohorts.validate(BENCH, ALLIANCE, SPECIFICATION, content)
    meter.stage("validate", first)
    assert checked.ok, checked.problems[:5]

    t = meter.sample()
    job = cohorts.submit(BENCH, ALLIANCE, SPECIFICATION, content)
    meter.stage("submit", t)

    t = meter.sample()
    pool = worker_pool(settings, processes) if processes > 1 else None
    if pool is not None:  # wait until every process has built its services
        pool.map(abs, range(processes))
    meter.stage("start_processes", t)
    try:
        t = meter.sample()
        if pool is not None:
            counts = run_in_processes(
                cohorts, settings, BENCH, job.id, processes=processes, pool=pool
            )
        else:
            counts = cohorts.run(BENCH, job.id)
        meter.stage("issue", t)

        t = meter.sample()
        batch = make_offers(cohorts, services, BENCH, job.id, pool=pool)
        with (data_dir / "offers.csv").open("w", encoding="utf-8", newline="") as out:
            write_offers_csv(out, batch.offers)
        meter.stage("offers", t)
    finally:
        meter.stage("total", started)  # (before the pool goes: its CPU counts)
        if pool is not None:
            pool.close()
            pool.join()
    total = meter.stages["total"]["seconds"]
    cpu = meter.stages["total"]["mcred_cpu_s"] + meter.stages["total"]["postgres_cpu_s"]
    cpus = os.cpu_count() or 1

    with read_transaction(services.engine) as connection:
        credentials = connection.execute(
            select(func.count(), func.count(func.distinct(CredentialRow.learner_ref))).where(
                CredentialRow.specification_id == SPECIFICATION,
                CredentialRow.learner_ref.like("s-%"),
            )
        ).one()
        slots = [
            (slot["list_id"], slot["index"])
            for (value,) in connection.execute(
                select(CredentialRow.status_slots).where(
                    CredentialRow.specification_id == SPECIFICATION
                )
            )
            for slot in value
        ]
    services.close()
    return {
        "learners": learners,
        "processes": processes,
        "stages": meter.stages,
        "total_seconds": round(total, 2),
        "other_load_cores": round(
            max(meter.stages["total"]["machine_busy_s"] - cpu, 0.0) / total, 2
        ),
        "cpu_bound_estimate_seconds": round(cpu / cpus, 2),
        "per_learner_ms": round(total / learners * 1000, 2),
        "issued": counts.issued,
        "failed": counts.failed,
        "offers": len(batch.offers),
        "credentials": int(credentials[0]),
        "distinct_learners": int(credentials[1]),
        "status_slots": len(slots),
        "distinct_status_slots": len(set(slots)),
        "target_seconds": TARGET_S,
        "meets_target": total <= TARGET_S and counts.issued == learners,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--postgres", default="postgresql://127.0.0.1:5432/postgres")
    args = parser.parse_args()
    machine = {"python": platform.python_version(), "cpus": os.cpu_count()}
    with postgres_database(args.postgres) as url, tempfile.TemporaryDirectory() as tmp:
        if url is None:
            print(json.dumps({"skipped": f"PostgreSQL unreachable at {args.postgres}"}))
            return
        result = run(url, args.learners, args.processes, Path(tmp))
    print(json.dumps({"machine": machine, **result}, indent=2))


if __name__ == "__main__":
    main()
