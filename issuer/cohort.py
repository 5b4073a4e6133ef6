"""Cohort issuance: a whole course's results from one file, issued once per learner.

A coordinator exports the cohort's results (CSV or JSON, one learner per row; the format is
``docs/cohort-format.md``) and mcred

1. **validates** every row into an :class:`~issuer.catalogue.Issuance` (the pydantic field
   errors of :meth:`Issuance.parse <issuer.catalogue.Issuance.parse>`, named by the file's
   column) and the cohort's own rules (a learner once per file, each module assessed by an
   awarding body of the specification, the grading scheme the specification's), reporting
   every problem as :class:`CohortProblem` ``(row, column, message)``;
2. stores a **job** (:class:`CohortJob`, :class:`CohortRow`) keyed by the file's SHA-256: the
   same file submitted again finds the same job;
3. **runs** it: rows are claimed a chunk at a time (:meth:`CohortJobStore.claim_rows`), each
   issued by :meth:`Issuer.issue <issuer.service.Issuer.issue>` with the idempotency key
   ``cohort:<alliance>:<specification>:<learner_ref>`` (:func:`idempotency_key`), so a
   (specification, learner) pair is issued once across files and re-runs, and the chunk's
   results are recorded in one transaction.

Crash safety. A run holds the job's *lease* (owner id + expiry, renewed with every chunk it
claims). A run that finds the lease expired (its holder died, e.g. ``kill -9``) takes it over
and first recovers: the rows the dead run had claimed but not recorded go back to ``pending``
and their unfinished idempotency claims are released (nothing was stored for them: the
credential record and the key's completion are one transaction). A row whose credential was
stored before the crash is found again by its key (a replay) and recorded with that
credential. Should a run that lost its lease still be alive, the key's conditional completion
lets only one of the two store a credential; the other replays it.

Row states::

    pending ──claim──▶ running ──▶ issued    (credential_id)
       ▲                  │    └─▶ failed    (error: refused by the issuer)
       └──── recovery ────┘
    invalid   (error: the row did not validate; never issued)

Module results are checked here (each partner an awarding body of the specification), kept
with the job's rows (:attr:`CohortRow.modules`) and passed into the row's issuance
(:attr:`Issuance.module_results <issuer.catalogue.Issuance.module_results>`), so the credential
states each module, who assessed it and the result. They are part of the issued data: a learner
issued earlier with other module results is "issued from different data".
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, Protocol

from issuer.api_keys import Principal
from issuer.catalogue import AllianceFile, Issuance, Specification
from issuer.errors import Conflict, IssuerError, NotFound
from issuer.ports import CredentialStore, IdempotencyConflict
from issuer.service import Issuer
from vc_core.errors import ModelValidationError, VcCoreError

__all__ = [
    "COLUMNS",
    "DEFAULT_LEASE",
    "MAX_COHORT_BYTES",
    "MAX_COHORT_ROWS",
    "MODULE_COLUMN",
    "CohortBusy",
    "CohortCounts",
    "CohortInvalid",
    "CohortJob",
    "CohortJobStore",
    "CohortProblem",
    "CohortRow",
    "CohortService",
    "CohortValidation",
    "InMemoryCohortJobStore",
    "JobState",
    "LeaseLost",
    "ModuleResult",
    "RowResult",
    "RowState",
    "ValidRow",
    "file_digest",
    "idempotency_key",
    "read_cohort_file",
    "validate_rows",
]

MAX_COHORT_BYTES = 64 * 1024 * 1024
"""A cohort file is refused unread above 64 MiB (100,000 learners take about 30 MiB)."""
MAX_COHORT_ROWS = 100_000
DEFAULT_LEASE = timedelta(seconds=30)
"""How long a run's lease lasts without a renewal (each chunk claimed renews it)."""
DEFAULT_CHUNK = 20
MAX_MODULES = 50
MAX_LEARNER_REF = 100
"""A learner_ref is part of an idempotency key (255 characters at most with the ids)."""
MAIL_LANGUAGES = ("en", "de", "fr")
"""The languages of the offer page and the e-mail: a row's ``language`` is one of them."""

COLUMNS: Mapping[str, str] = {
    "learner_ref": "learner.learner_ref",
    "given_name": "learner.given_name",
    "family_name": "learner.family_name",
    "full_name": "learner.full_name",
    "email": "learner.email",
    "date_of_birth": "learner.date_of_birth",
    "holder_did": "learner.holder_did",
    "completion_date": "result.date_of_issue",
    "grade": "result.grade",
    "grading_scheme": "",
    "identity_verification": "result.supervision",
    "language": "",
}
"""The file's columns (``docs/cohort-format.md``) and where each goes in the issuance."""
REQUIRED_COLUMNS = ("learner_ref", "given_name", "family_name", "email", "completion_date")
MODULE_COLUMN = re.compile(r"^module:([^:]+):(partner|result)$")
"""``module:<module-id>:partner`` and ``module:<module-id>:result`` (CSV)."""
_MODULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LOC_TO_COLUMN = {loc: column for column, loc in COLUMNS.items() if loc}


# --------------------------------------------------------------------------- the model


class RowState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    ISSUED = "issued"
    FAILED = "failed"
    INVALID = "invalid"


class JobState(StrEnum):
    RUNNING = "running"
    """Rows are pending or running (or the run that held it died: a re-run resumes)."""
    FINISHED = "finished"


@dataclass(frozen=True)
class CohortProblem:
    """One problem of the file: ``row`` is the learner's 1-based position (CSV: the line after
    the header is row 1; row 0 is the file itself or its header), ``column`` a column name."""

    row: int
    column: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class ModuleResult:
    """A module's result and the partner that assessed it (an awarding body)."""

    module: str
    partner: str
    result: str

    def to_dict(self) -> dict[str, str]:
        return {"module": self.module, "partner": self.partner, "result": self.result}


@dataclass(frozen=True)
class ValidRow:
    number: int
    issuance: Issuance
    modules: tuple[ModuleResult, ...] = ()
    language: str | None = None


@dataclass(frozen=True)
class CohortValidation:
    """Every row checked: the valid ones, every problem, and the invalid rows' numbers."""

    alliance_id: str
    specification_id: str
    digest: str
    total: int
    valid: tuple[ValidRow, ...]
    problems: tuple[CohortProblem, ...]

    @property
    def invalid_rows(self) -> tuple[int, ...]:
        return tuple(sorted({p.row for p in self.problems if p.row > 0}))

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class CohortRow:
    """One learner of a job, as stored."""

    job_id: str
    number: int
    learner_ref: str
    state: RowState
    issuance: dict[str, Any] | None = None
    """The validated issuance (JSON); None for an invalid row."""
    modules: tuple[ModuleResult, ...] = ()
    email: str | None = None
    language: str | None = None
    credential_id: str | None = None
    error: str | None = None
    owner: str | None = None
    offered_at: datetime | None = None
    offer_expires_at: datetime | None = None

    @property
    def display_name(self) -> str:
        learner = (self.issuance or {}).get("learner", {})
        return str(
            learner.get("full_name")
            or f"{learner.get('given_name', '')} {learner.get('family_name', '')}".strip()
        )


@dataclass(frozen=True)
class CohortJob:
    id: str
    alliance_id: str
    specification_id: str
    digest: str
    created_at: datetime
    created_by: str
    total: int
    formats: tuple[str, ...] = ("ldp_vc",)
    state: JobState = JobState.RUNNING
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class CohortCounts:
    total: int = 0
    issued: int = 0
    failed: int = 0
    invalid: int = 0
    pending: int = 0
    running: int = 0
    offered: int = 0

    @property
    def done(self) -> int:
        """Rows with a final state (issued, failed or invalid)."""
        return self.issued + self.failed + self.invalid

    @property
    def remaining(self) -> int:
        return self.pending + self.running


@dataclass(frozen=True)
class RowResult:
    number: int
    state: RowState
    credential_id: str | None = None
    error: str | None = None


class CohortInvalid(IssuerError):
    """The file has problems; ``problems`` names each by row and column (nothing issued)."""

    status_code = 422
    code = "invalid_cohort"

    def __init__(self, problems: Sequence[CohortProblem], total: int) -> None:
        rows = sorted({p.row for p in problems if p.row > 0})
        super().__init__(
            f"{len(problems)} problem(s) in {len(rows)} of {total} row(s); nothing was issued",
            details={"problems": [p.to_dict() for p in problems], "invalid_rows": rows},
        )
        self.problems = tuple(problems)


class CohortBusy(Conflict):
    """Another run holds the job's lease (it is alive: it renewed the lease in time)."""

    code = "cohort_running"

    def __init__(self, job: CohortJob) -> None:
        until = job.lease_expires_at.isoformat() if job.lease_expires_at else "?"
        super().__init__(
            f"cohort job {job.id} is being run by another process (lease until {until})",
            details={"job": job.id, "lease_expires_at": until},
        )
        self.job = job


class LeaseLost(Conflict):
    """This run's lease expired and another run took the job over: this run stops."""

    code = "cohort_lease_lost"


# --------------------------------------------------------------------------- the job store


class CohortJobStore(Protocol):
    """Cohort jobs and their rows. Every method is one transaction, atomic across processes."""

    def create(self, job: CohortJob, rows: Sequence[CohortRow]) -> CohortJob:
        """Store a new job with its rows, or return the job already stored for the same
        (alliance, specification, digest) and store nothing."""
        ...

    def get(self, job_id: str) -> CohortJob | None: ...

    def find(self, alliance_id: str, specification_id: str, digest: str) -> CohortJob | None: ...

    def acquire_lease(self, job_id: str, owner: str, until: datetime, now: datetime) -> bool:
        """Take the lease when it is free, expired (``<= now``) or ``owner``'s already."""
        ...

    def release_lease(self, job_id: str, owner: str) -> None: ...

    def claim_rows(self, job_id: str, owner: str, limit: int, until: datetime) -> list[CohortRow]:
        """Renew ``owner``'s lease to ``until`` and turn up to ``limit`` pending rows into
        running ones of ``owner`` (lowest numbers first). :class:`LeaseLost` when ``owner``
        no longer holds the lease."""
        ...

    def reset_running(self, job_id: str) -> list[CohortRow]:
        """Put every running row back to pending; returns them as they were (recovery)."""
        ...

    def record(self, job_id: str, owner: str, results: Sequence[RowResult]) -> int:
        """Write the results of ``owner``'s running rows; returns how many were written
        (rows recovered meanwhile by another run are left alone)."""
        ...

    def finish(self, job_id: str, at: datetime) -> bool:
        """Mark the job finished when no row is pending or running."""
        ...

    def counts(self, job_id: str) -> CohortCounts: ...

    def rows(self, job_id: str, states: Iterable[RowState] | None = None) -> list[CohortRow]:
        """The job's rows in file order (of the given states)."""
        ...

    def mark_offered(
        self, job_id: str, numbers: Sequence[int], at: datetime, expires_at: datetime
    ) -> None: ...


class InMemoryCohortJobStore:
    """A :class:`CohortJobStore` in memory (tests, the embedded demo); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, CohortJob] = {}
        self._rows: dict[str, dict[int, CohortRow]] = {}

    def create(self, job: CohortJob, rows: Sequence[CohortRow]) -> CohortJob:
        with self._lock:
            for existing in self._jobs.values():
                if (existing.alliance_id, existing.specification_id, existing.digest) == (
                    job.alliance_id,
                    job.specification_id,
                    job.digest,
                ):
                    return existing
            self._jobs[job.id] = job
            self._rows[job.id] = {row.number: row for row in rows}
            return job

    def get(self, job_id: str) -> CohortJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def find(self, alliance_id: str, specification_id: str, digest: str) -> CohortJob | None:
        with self._lock:
            for job in self._jobs.values():
                if (job.alliance_id, job.specification_id, job.digest) == (
                    alliance_id,
                    specification_id,
                    digest,
                ):
                    return job
            return None

    def acquire_lease(self, job_id: str, owner: str, until: datetime, now: datetime) -> bool:
        with self._lock:
            job = self._jobs[job_id]
            free = (
                job.lease_owner in (None, owner)
                or job.lease_expires_at is None
                or job.lease_expires_at <= now
            )
            if free:
                self._jobs[job_id] = replace(job, lease_owner=owner, lease_expires_at=until)
            return free

    def release_lease(self, job_id: str, owner: str) -> None:
        with self._lock:
            job = self._jobs[job_id]
            if job.lease_owner == owner:
                self._jobs[job_id] = replace(job, lease_owner=None, lease_expires_at=None)

    def claim_rows(self, job_id: str, owner: str, limit: int, until: datetime) -> list[CohortRow]:
        with self._lock:
            job = self._jobs[job_id]
            if job.lease_owner != owner:
                raise LeaseLost(f"cohort job {job_id} was taken over by another run")
            self._jobs[job_id] = replace(job, lease_expires_at=until)
            rows = self._rows[job_id]
            claimed: list[CohortRow] = []
            for number in sorted(rows):
                if len(claimed) >= limit:
                    break
                if rows[number].state is RowState.PENDING:
                    rows[number] = replace(rows[number], state=RowState.RUNNING, owner=owner)
                    claimed.append(rows[number])
            return claimed

    def reset_running(self, job_id: str) -> list[CohortRow]:
        with self._lock:
            rows = self._rows[job_id]
            found = [row for row in rows.values() if row.state is RowState.RUNNING]
            for row in found:
                rows[row.number] = replace(row, state=RowState.PENDING, owner=None)
            return sorted(found, key=lambda r: r.number)

    def record(self, job_id: str, owner: str, results: Sequence[RowResult]) -> int:
        with self._lock:
            rows = self._rows[job_id]
            written = 0
            for result in results:
                row = rows.get(result.number)
                if row is None or row.state is not RowState.RUNNING or row.owner != owner:
                    continue
                rows[result.number] = replace(
                    row,
                    state=result.state,
                    credential_id=result.credential_id,
                    error=result.error,
                    owner=None,
                )
                written += 1
            return written

    def finish(self, job_id: str, at: datetime) -> bool:
        with self._lock:
            rows = self._rows[job_id].values()
            if any(r.state in (RowState.PENDING, RowState.RUNNING) for r in rows):
                return False
            job = self._jobs[job_id]
            if job.state is not JobState.FINISHED:
                self._jobs[job_id] = replace(job, state=JobState.FINISHED, finished_at=at)
            return True

    def counts(self, job_id: str) -> CohortCounts:
        with self._lock:
            rows = list(self._rows.get(job_id, {}).values())
        by_state = {state: sum(1 for r in rows if r.state is state) for state in RowState}
        return CohortCounts(
            total=len(rows),
            issued=by_state[RowState.ISSUED],
            failed=by_state[RowState.FAILED],
            invalid=by_state[RowState.INVALID],
            pending=by_state[RowState.PENDING],
            running=by_state[RowState.RUNNING],
            offered=sum(1 for r in rows if r.offered_at is not None),
        )

    def rows(self, job_id: str, states: Iterable[RowState] | None = None) -> list[CohortRow]:
        wanted = None if states is None else set(states)
        with self._lock:
            rows = self._rows.get(job_id, {})
            return [rows[n] for n in sorted(rows) if wanted is None or rows[n].state in wanted]

    def mark_offered(
        self, job_id: str, numbers: Sequence[int], at: datetime, expires_at: datetime
    ) -> None:
        with self._lock:
            rows = self._rows[job_id]
            for number in numbers:
                rows[number] = replace(rows[number], offered_at=at, offer_expires_at=expires_at)


# --------------------------------------------------------------------------- reading a file


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def idempotency_key(alliance_id: str, specification_id: str, learner_ref: str) -> str:
    """``cohort:<alliance>:<specification>:<learner_ref>``: one credential per (specification,
    learner), whichever file or run asks."""
    return f"cohort:{alliance_id}:{specification_id}:{learner_ref}"


@dataclass
class _RawRow:
    number: int
    values: dict[str, Any] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _read_csv(text: str, problems: list[CohortProblem]) -> list[_RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        problems.append(CohortProblem(0, "", "the file is empty (a header row is required)"))
        return []
    except csv.Error as exc:
        problems.append(CohortProblem(0, "", f"not valid CSV: {exc}"))
        return []
    names = [name.strip() for name in header]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(CohortProblem(0, name, "the column is given twice"))
        seen.add(name)
        if name not in COLUMNS and not MODULE_COLUMN.match(name):
            problems.append(
                CohortProblem(
                    0,
                    name,
                    "unknown column (see docs/cohort-format.md; modules are "
                    "module:<module-id>:partner and module:<module-id>:result)",
                )
            )
    for required in REQUIRED_COLUMNS:
        if required not in seen:
            problems.append(CohortProblem(0, required, "the column is missing"))
    rows: list[_RawRow] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # blank lines (a spreadsheet's trailing ones)
            raw = _RawRow(len(rows) + 1)
            rows.append(raw)
            if len(cells) > len(names):
                problems.append(
                    CohortProblem(
                        raw.number, "", f"{len(cells)} cells, but the header has {len(names)}"
                    )
                )
            for name, value in zip(names, cells, strict=False):
                module = MODULE_COLUMN.match(name)
                if module is not None:
                    raw.modules.setdefault(module[1], {})[module[2]] = _cell(value)
                elif name in COLUMNS:
                    raw.values[name] = _cell(value)
            if len(rows) > MAX_COHORT_ROWS:
                break
    except csv.Error as exc:
        problems.append(CohortProblem(len(rows) + 1, "", f"not valid CSV: {exc}"))
    return rows


def _read_json(text: str, problems: list[CohortProblem]) -> list[_RawRow]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        problems.append(CohortProblem(0, "", f"not valid JSON: {exc}"))
        return []
    if not isinstance(data, list):
        problems.append(CohortProblem(0, "", "a JSON cohort is a list of objects, one a learner"))
        return []
    rows: list[_RawRow] = []
    for index, item in enumerate(data[: MAX_COHORT_ROWS + 1], start=1):
        raw = _RawRow(index)
        rows.append(raw)
        if not isinstance(item, dict):
            problems.append(CohortProblem(index, "", "a learner is a JSON object"))
            continue
        for name, value in item.items():
            if name == "modules":
                _json_modules(raw, value, problems)
            elif name in COLUMNS:
                raw.values[name] = _cell(value)
            else:
                problems.append(CohortProblem(index, name, "unknown field"))
    return rows


def _json_modules(raw: _RawRow, value: Any, problems: list[CohortProblem]) -> None:
    if not isinstance(value, list):
        problems.append(CohortProblem(raw.number, "modules", "a list of module results"))
        return
    for position, module in enumerate(value):
        where = f"modules.{position}"
        if not isinstance(module, dict) or not isinstance(module.get("module"), str):
            problems.append(
                CohortProblem(raw.number, where, 'an object {"module", "partner", "result"}')
            )
            continue
        unknown = sorted(set(module) - {"module", "partner", "result"})
        if unknown:
            problems.append(CohortProblem(raw.number, where, f"unknown field(s) {unknown}"))
        module_id = module["module"].strip()
        if module_id in raw.modules:
            problems.append(CohortProblem(raw.number, where, f"module {module_id!r} twice"))
            continue
        raw.modules[module_id] = {
            "partner": _cell(module.get("partner")),
            "result": _cell(module.get("result")),
        }


def read_cohort_file(
    content: bytes, format: Literal["csv", "json"] | None = None
) -> tuple[list[_RawRow], list[CohortProblem]]:
    """The file's rows (raw cells by column) and the problems of its shape.

    UTF-8, a byte order mark tolerated. ``format`` None: JSON when the text starts with ``[``
    or ``{``, else CSV.
    """
    problems: list[CohortProblem] = []
    if len(content) > MAX_COHORT_BYTES:
        return [], [CohortProblem(0, "", f"a cohort file is at most {MAX_COHORT_BYTES} bytes")]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [CohortProblem(0, "", f"not UTF-8 text: {exc}")]
    if format is None:
        format = "json" if text.lstrip()[:1] in ("[", "{") else "csv"
    rows = _read_json(text, problems) if format == "json" else _read_csv(text, problems)
    if len(rows) > MAX_COHORT_ROWS:
        problems.append(CohortProblem(0, "", f"a cohort has at most {MAX_COHORT_ROWS} learners"))
        rows = rows[:MAX_COHORT_ROWS]
    if not rows and not problems:
        problems.append(CohortProblem(0, "", "the file names no learner"))
    return rows, problems


# --------------------------------------------------------------------------- validating


def _column_of(loc: str, modules: Sequence[ModuleResult] = ()) -> str:
    module = re.match(r"^module_results\.(\d+)(?:\.(partner|result|module))?", loc)
    if module is not None and int(module[1]) < len(modules):
        field = "result" if module[2] == "result" else "partner"
        return f"module:{modules[int(module[1])].module}:{field}"
    for prefix, column in sorted(_LOC_TO_COLUMN.items(), key=lambda kv: -len(kv[0])):
        if loc == prefix or loc.startswith(prefix + "."):
            return column
    return loc


def _issuance_data(
    specification_id: str, values: Mapping[str, Any], modules: Sequence[ModuleResult] = ()
) -> dict[str, Any]:
    learner = {
        key: values[column]
        for column, key in (
            ("learner_ref", "learner_ref"),
            ("given_name", "given_name"),
            ("family_name", "family_name"),
            ("full_name", "full_name"),
            ("email", "email"),
            ("date_of_birth", "date_of_birth"),
            ("holder_did", "holder_did"),
        )
        if values.get(column) is not None
    }
    result = {
        key: values[column]
        for column, key in (
            ("completion_date", "date_of_issue"),
            ("grade", "grade"),
            ("identity_verification", "supervision"),
        )
        if values.get(column) is not None
    }
    data: dict[str, Any] = {"specification": specification_id, "learner": learner, "result": result}
    if modules:
        data["module_results"] = [module.to_dict() for module in modules]
    return data


def _check_modules(
    raw: _RawRow, spec: Specification, problems: list[CohortProblem]
) -> tuple[ModuleResult, ...]:
    modules = []
    if len(raw.modules) > MAX_MODULES:
        problems.append(CohortProblem(raw.number, "", f"at most {MAX_MODULES} modules a learner"))
    for module_id, cells in raw.modules.items():
        partner, result = cells.get("partner"), cells.get("result")
        base = f"module:{module_id}"
        if partner is None and result is None:
            continue  # a module this learner did not take
        before = len(problems)
        if not _MODULE_ID.match(module_id):
            problems.append(
                CohortProblem(raw.number, f"{base}:partner", f"{module_id!r} is not a module id")
            )
            continue
        if partner is None or not isinstance(partner, str):
            problems.append(CohortProblem(raw.number, f"{base}:partner", "who assessed it?"))
        elif partner not in spec.awarding_bodies:
            problems.append(
                CohortProblem(
                    raw.number,
                    f"{base}:partner",
                    f"{partner!r} is not an awarding body of {spec.id!r} "
                    f"({', '.join(spec.awarding_bodies)})",
                )
            )
        if result is None or not isinstance(result, str | int | float):
            problems.append(CohortProblem(raw.number, f"{base}:result", "the result is missing"))
        elif len(str(result)) > 200:
            problems.append(CohortProblem(raw.number, f"{base}:result", "longer than 200"))
        if len(problems) == before:
            modules.append(ModuleResult(module_id, str(partner), str(result)))
    return tuple(modules)


def _check_grading_scheme(raw: _RawRow, spec: Specification, problems: list[CohortProblem]) -> None:
    scheme = raw.values.get("grading_scheme")
    if scheme is None:
        return
    if spec.grading_scheme is None:
        problems.append(
            CohortProblem(
                raw.number,
                "grading_scheme",
                f"specification {spec.id!r} declares no grading scheme (add it to the "
                "alliance file: the credential states the specification's)",
            )
        )
        return
    titles = {t.casefold() for t in spec.grading_scheme.title.values()}
    if str(scheme).casefold() not in titles:
        problems.append(
            CohortProblem(
                raw.number,
                "grading_scheme",
                f"{scheme!r} is not the grading scheme of {spec.id!r} "
                f"({'; '.join(spec.grading_scheme.title.values())})",
            )
        )


def validate_rows(
    alliance: AllianceFile,
    specification_id: str,
    content: bytes,
    *,
    format: Literal["csv", "json"] | None = None,
) -> CohortValidation:
    """Check every row of a cohort file; report every problem (nothing is issued here)."""
    digest = file_digest(content)
    try:
        spec = alliance.specification(specification_id)
    except KeyError:
        raise NotFound(
            f"alliance {alliance.alliance.id!r} has no specification {specification_id!r}"
        ) from None
    raws, problems = read_cohort_file(content, format)
    if any(p.row == 0 for p in problems):  # the header or the file itself is broken
        return CohortValidation(
            alliance.alliance.id, spec.id, digest, len(raws), (), tuple(problems)
        )
    valid: list[ValidRow] = []
    first_row_of: dict[str, int] = {}
    for raw in raws:
        before = len(problems)
        row_problems = [p for p in problems if p.row == raw.number]
        modules = _check_modules(raw, spec, problems)
        if len(problems) != before:
            modules = ()  # the row is invalid: its module problems are reported once, here
        _check_grading_scheme(raw, spec, problems)
        language = raw.values.get("language")
        if language is not None and str(language).lower() not in MAIL_LANGUAGES:
            problems.append(
                CohortProblem(
                    raw.number, "language", f"one of {', '.join(MAIL_LANGUAGES)}, not {language!r}"
                )
            )
        ref = raw.values.get("learner_ref")
        if isinstance(ref, str) and len(ref) > MAX_LEARNER_REF:
            problems.append(
                CohortProblem(raw.number, "learner_ref", f"longer than {MAX_LEARNER_REF}")
            )
        if isinstance(ref, str) and ref in first_row_of:
            problems.append(
                CohortProblem(
                    raw.number, "learner_ref", f"the learner is in row {first_row_of[ref]} already"
                )
            )
        elif isinstance(ref, str):
            first_row_of[ref] = raw.number
        issuance: Issuance | None = None
        try:
            issuance = Issuance.parse(_issuance_data(spec.id, raw.values, modules))
        except ModelValidationError as exc:
            for error in exc.errors:
                problems.append(
                    CohortProblem(raw.number, _column_of(error.loc, modules), error.message)
                )
        if issuance is not None and issuance.learner.email is None:
            problems.append(CohortProblem(raw.number, "email", "the e-mail address is missing"))
        if issuance is not None and len(problems) == before and not row_problems:
            lang = str(language).lower() if language is not None else None
            valid.append(ValidRow(raw.number, issuance, modules, lang))
    return CohortValidation(
        alliance.alliance.id, spec.id, digest, len(raws), tuple(valid), tuple(problems)
    )


# --------------------------------------------------------------------------- the use case


def _now() -> datetime:
    return datetime.now(UTC)


def new_owner() -> str:
    """A run's lease owner id (random: two runs never share one)."""
    return f"run-{secrets.token_hex(8)}"


class CohortService:
    """Validates cohort files, stores jobs and runs them (module doc)."""

    def __init__(
        self,
        *,
        issuer: Issuer,
        jobs: CohortJobStore,
        credentials: CredentialStore,
        lease: timedelta = DEFAULT_LEASE,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.issuer = issuer
        self.jobs = jobs
        self._credentials = credentials
        self.lease = lease
        self._clock = clock

    # -- validating and submitting ------------------------------------------------------------
    def validate(
        self,
        principal: Principal,
        alliance_id: str,
        specification_id: str,
        content: bytes,
        *,
        format: Literal["csv", "json"] | None = None,
    ) -> CohortValidation:
        principal.require_alliance(alliance_id)
        return validate_rows(
            self.issuer.alliance(alliance_id), specification_id, content, format=format
        )

    def submit(
        self,
        principal: Principal,
        alliance_id: str,
        specification_id: str,
        content: bytes,
        *,
        format: Literal["csv", "json"] | None = None,
        skip_invalid: bool = False,
        formats: Sequence[str] = ("ldp_vc",),
    ) -> CohortJob:
        """The job of this file: found again by its digest, or created from the valid rows.

        Raises :class:`CohortInvalid` when a row has a problem, unless ``skip_invalid`` (then
        the invalid rows are stored as ``invalid`` with their problems, and never issued).
        A problem of the file itself (its header, its syntax) always refuses it.
        """
        principal.require_alliance(alliance_id)
        existing = self.jobs.find(alliance_id, specification_id, file_digest(content))
        if existing is not None:
            return existing
        checked = self.validate(principal, alliance_id, specification_id, content, format=format)
        if checked.problems and (not skip_invalid or any(p.row == 0 for p in checked.problems)):
            raise CohortInvalid(checked.problems, checked.total)
        if not checked.valid:
            raise CohortInvalid(checked.problems, checked.total)
        formats = tuple(dict.fromkeys(formats))
        job = CohortJob(
            id=f"cj_{secrets.token_urlsafe(12)}",
            alliance_id=checked.alliance_id,
            specification_id=checked.specification_id,
            digest=checked.digest,
            created_at=self._clock(),
            created_by=principal.actor,
            total=checked.total,
            formats=formats,
        )
        rows = [
            CohortRow(
                job_id=job.id,
                number=valid.number,
                learner_ref=valid.issuance.learner.learner_ref,
                state=RowState.PENDING,
                issuance=valid.issuance.model_dump(mode="json", exclude_none=True),
                modules=valid.modules,
                email=valid.issuance.learner.email,
                language=valid.language,
            )
            for valid in checked.valid
        ]
        by_row: dict[int, list[str]] = {}
        for problem in checked.problems:
            by_row.setdefault(problem.row, []).append(f"{problem.column}: {problem.message}")
        rows += [
            CohortRow(
                job_id=job.id,
                number=number,
                learner_ref=f"(row {number})",
                state=RowState.INVALID,
                error="; ".join(messages),
            )
            for number, messages in sorted(by_row.items())
        ]
        rows.sort(key=lambda r: r.number)
        return self.jobs.create(job, rows)

    # -- reading ----------------------------------------------------------------------------
    def job(self, principal: Principal, job_id: str) -> CohortJob:
        job = self.jobs.get(job_id)
        if job is None:
            raise NotFound(f"no cohort job {job_id!r}")
        principal.require_alliance(job.alliance_id)
        return job

    def counts(self, principal: Principal, job_id: str) -> CohortCounts:
        self.job(principal, job_id)
        return self.jobs.counts(job_id)

    # -- running ----------------------------------------------------------------------------
    def take_over(self, principal: Principal, job_id: str, owner: str) -> CohortJob:
        """Hold the job's lease as ``owner`` and recover what a dead run left (module doc).

        :class:`CohortBusy` when a live run holds the lease."""
        job = self.job(principal, job_id)
        now = self._clock()
        if not self.jobs.acquire_lease(job_id, owner, now + self.lease, now):
            raise CohortBusy(self.jobs.get(job_id) or job)
        for row in self.jobs.reset_running(job_id):
            # its run died between claiming the key and recording the row: an unfinished
            # claim stored nothing (a finished one is left alone and replayed below)
            self._credentials.release_idempotency_key(
                idempotency_key(job.alliance_id, job.specification_id, row.learner_ref)
            )
        return job

    def work(
        self,
        principal: Principal,
        job_id: str,
        owner: str,
        *,
        chunk: int = DEFAULT_CHUNK,
        should_stop: Callable[[], bool] = lambda: False,
        on_chunk: Callable[[int], None] | None = None,
    ) -> int:
        """Issue pending rows, ``chunk`` at a time, while ``owner`` holds the lease (several
        processes may work under one owner). Returns how many rows this call recorded."""
        job = self.job(principal, job_id)
        done = 0
        while not should_stop():
            claimed = self.jobs.claim_rows(job_id, owner, chunk, self._clock() + self.lease)
            if not claimed:
                break
            results = self._issue_rows(principal, job, claimed)
            done += self.jobs.record(job_id, owner, results)
            if on_chunk is not None:
                on_chunk(len(results))
        return done

    def run(
        self,
        principal: Principal,
        job_id: str,
        *,
        owner: str | None = None,
        chunk: int = DEFAULT_CHUNK,
        should_stop: Callable[[], bool] = lambda: False,
        on_chunk: Callable[[int], None] | None = None,
    ) -> CohortCounts:
        """Take the job over, issue every pending row, finish it; returns the counts."""
        owner = owner or new_owner()
        self.take_over(principal, job_id, owner)
        try:
            self.work(
                principal, job_id, owner, chunk=chunk, should_stop=should_stop, on_chunk=on_chunk
            )
            self.jobs.finish(job_id, self._clock())
        finally:
            self.jobs.release_lease(job_id, owner)
        return self.jobs.counts(job_id)

    def wait_and_run(
        self,
        principal: Principal,
        job_id: str,
        *,
        owner: str | None = None,
        poll: float = 1.0,
        on_wait: Callable[[CohortJob], None] | None = None,
        **options: Any,
    ) -> CohortCounts:
        """:meth:`run`, waiting while another live run holds the lease (it may finish the
        job meanwhile; its lease expires if it died)."""
        while True:
            job = self.job(principal, job_id)
            if job.state is JobState.FINISHED:
                return self.jobs.counts(job_id)
            try:
                return self.run(principal, job_id, owner=owner, **options)
            except CohortBusy as busy:
                if on_wait is not None:
                    on_wait(busy.job)
                time.sleep(poll)

    def _issue_rows(
        self, principal: Principal, job: CohortJob, rows: Sequence[CohortRow]
    ) -> list[RowResult]:
        """A chunk's rows issued together (:meth:`Issuer.issue_many
        <issuer.service.Issuer.issue_many>`: one transaction for their idempotency keys, one
        for their records). A row whose key another run completed meanwhile is issued again
        on its own, which replays that run's credential."""
        results: dict[int, RowResult] = {}
        parsed: list[tuple[CohortRow, Issuance]] = []
        for row in rows:
            try:
                parsed.append((row, Issuance.parse(row.issuance)))
            except ModelValidationError as exc:  # pragma: no cover - validated when submitted
                results[row.number] = RowResult(row.number, RowState.FAILED, error=exc.message)
        outcomes = self.issuer.issue_many(
            principal,
            job.alliance_id,
            [(issuance, self._key(job, row)) for row, issuance in parsed],
            formats=job.formats,
        )
        for (row, issuance), outcome in zip(parsed, outcomes, strict=True):
            if isinstance(outcome, IdempotencyConflict):
                results[row.number] = self._issue_row(principal, job, row, issuance)
            elif isinstance(outcome, IssuerError | VcCoreError):
                results[row.number] = _failed(row, outcome)
            elif isinstance(outcome, Exception):
                raise outcome  # (a record id stored twice: the store, not the row, is wrong)
            else:
                results[row.number] = RowResult(
                    row.number, RowState.ISSUED, credential_id=outcome.record.id
                )
        return [results[row.number] for row in rows]

    @staticmethod
    def _key(job: CohortJob, row: CohortRow) -> str:
        return idempotency_key(job.alliance_id, job.specification_id, row.learner_ref)

    def _issue_row(
        self, principal: Principal, job: CohortJob, row: CohortRow, issuance: Issuance
    ) -> RowResult:
        for _attempt in range(2):
            try:
                issued = self.issuer.issue(
                    principal,
                    job.alliance_id,
                    issuance,
                    formats=job.formats,
                    idempotency_key=self._key(job, row),
                )
            except IdempotencyConflict:
                # another run stored this learner's credential first (see the module doc):
                # claiming the key again replays it
                continue
            except (IssuerError, VcCoreError) as exc:
                return _failed(row, exc)
            return RowResult(row.number, RowState.ISSUED, credential_id=issued.record.id)
        return RowResult(row.number, RowState.FAILED, error="the idempotency key kept changing")


def _failed(row: CohortRow, error: IssuerError | VcCoreError) -> RowResult:
    message = _message(error)
    if isinstance(error, Conflict) and "another request" in message:
        message = (
            "this learner already has a credential of this specification issued from "
            "different data (grade, dates, names or module results); correct it by hand"
        )
    return RowResult(row.number, RowState.FAILED, error=message)


def _message(error: IssuerError | VcCoreError) -> str:
    message = error.message if hasattr(error, "message") else str(error)
    return str(message)
