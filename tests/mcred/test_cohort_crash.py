"""``mcred cohort issue`` killed with SIGKILL mid-way and run again: every learner ends up with
exactly one credential and every status slot is distinct (PostgreSQL and SQLite, one process
and several)."""

from __future__ import annotations

import csv
import io
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from issuer.cohort import JobState, RowState
from mcred.storage.sql import create_engine_for, normalise_url, read_transaction
from mcred.storage.sql_cohort import CohortJobRow, SqlCohortJobStore
from mcred.storage.tables import CredentialRow

ROOT = Path(__file__).resolve().parents[2]
LEARNERS = int(os.environ.get("MCRED_COHORT_CRASH_LEARNERS", "300"))
"""A few hundred by default; ``MCRED_COHORT_CRASH_LEARNERS=10000`` runs the issue's full cohort."""
SPEC = "sustainable-urban-mobility"


def cohort_file(path: Path, learners: int) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["learner_ref", "given_name", "family_name", "email", "completion_date", "grade"]
    )
    for n in range(learners):
        writer.writerow(
            [f"c-{n:04d}", f"Given{n}", f"Family{n}", f"l{n}@example.org", "2026-07-15", "8"]
        )
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    server = make_url(normalise_url(postgres_url))
    name = f"mcred_cohort_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _environment(database_url: str, data_dir: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MCRED_")}
    return {
        **base,
        "MCRED_DATA_DIR": str(data_dir),
        "MCRED_DATABASE_URL": database_url,
        "MCRED_PUBLIC_URL": "http://localhost:8000",
    }


def _command(path: Path, processes: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mcred.cli",
        "cohort",
        "issue",
        str(path),
        "--alliance",
        "arqus",
        "--spec",
        SPEC,
        "--processes",
        str(processes),
        "--lease-seconds",
        "2",
    ]


def _issued(database_url: str) -> int:
    engine = create_engine_for(database_url)
    try:
        with read_transaction(engine) as connection:
            job_id = connection.execute(select(CohortJobRow.id)).scalar()
        return 0 if job_id is None else SqlCohortJobStore(engine).counts(job_id).issued
    except DBAPIError:  # not migrated yet
        return 0
    finally:
        engine.dispose()


def _kill_mid_way(command: list[str], env: dict[str, str], cwd: Path, url: str) -> int:
    """Start the command, SIGKILL it once some (not all) rows are issued; rows issued then."""
    log = (cwd / "first-run.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=log)  # noqa: S603
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            issued = _issued(url)
            if issued >= LEARNERS // 6:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(30)
                return issued
            if process.poll() is not None:
                pytest.fail(f"the first run ended before it was killed: {process.returncode}")
            time.sleep(0.05)
        pytest.fail("the first run issued too little to be killed mid-way")
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    raise AssertionError("unreachable")


def _check_result(url: str) -> None:
    engine = create_engine_for(url)
    try:
        with read_transaction(engine) as connection:
            per_learner = connection.execute(
                select(CredentialRow.learner_ref, func.count())
                .where(CredentialRow.specification_id == SPEC)
                .group_by(CredentialRow.learner_ref)
            ).all()
            slots = [
                (slot["list_id"], slot["index"])
                for (value,) in connection.execute(select(CredentialRow.status_slots))
                for slot in value
            ]
            job_id = connection.execute(select(CohortJobRow.id)).scalar_one()
        store = SqlCohortJobStore(engine)
        rows = store.rows(job_id)
        job = store.get(job_id)
    finally:
        engine.dispose()
    counts = dict(per_learner)
    assert sorted(counts) == [f"c-{n:04d}" for n in range(LEARNERS)]
    assert set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}
    assert len(slots) == len(set(slots)) == LEARNERS
    assert job is not None
    assert job.state is JobState.FINISHED
    assert {r.state for r in rows} == {RowState.ISSUED}
    by_credential = {r.credential_id for r in rows}
    assert len(by_credential) == LEARNERS


def _crash_and_resume(url: str, tmp_path: Path, processes: int) -> None:
    path = cohort_file(tmp_path / "results.csv", LEARNERS)
    env = _environment(url, tmp_path / "data")
    command = _command(path, processes)
    killed_at = _kill_mid_way(command, env, tmp_path, url)
    assert 0 < killed_at < LEARNERS
    second = subprocess.run(  # noqa: S603
        command, env=env, cwd=tmp_path, capture_output=True, timeout=600, check=False
    )
    assert second.returncode == 0, second.stderr.decode(errors="replace")[-3000:]
    _check_result(url)
    third = subprocess.run(  # noqa: S603 - a finished job again: nothing new
        command, env=env, cwd=tmp_path, capture_output=True, timeout=600, check=False
    )
    assert third.returncode == 0
    assert f"{LEARNERS} issued" in third.stdout.decode()
    _check_result(url)


@pytest.mark.services
@pytest.mark.parametrize("processes", [1, 2])
def test_kill_9_and_resume_on_postgresql(
    postgres_database: str, tmp_path: Path, processes: int
) -> None:
    _crash_and_resume(postgres_database, tmp_path, processes)


def test_kill_9_and_resume_on_sqlite(tmp_path: Path) -> None:
    _crash_and_resume(f"sqlite:///{tmp_path / 'mcred.db'}", tmp_path, 1)
