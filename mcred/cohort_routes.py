"""The cohort API: submit a cohort file, follow its job, download the learners' offers.

* ``POST /api/v1/cohorts`` — a cohort file as ``multipart/form-data`` (``file``,
  ``alliance``, ``specification``, optional ``skip_invalid``) or as JSON (``{"alliance",
  "specification", "learners": [...], "skip_invalid"}``, the learners as in the JSON format of
  ``docs/cohort-format.md``). Every row is validated first: a problem answers ``422`` with
  every ``(row, column, message)`` and nothing is issued (unless ``skip_invalid``). Otherwise
  the job is stored and run in a background thread: ``202`` with the job's id and URLs. The
  same file again finds the same job (``200`` once it is finished; a job whose run died is
  resumed).
* ``GET /api/v1/cohorts/{id}`` — the job's state and counts (total, done, issued, failed,
  invalid, remaining, offered): what the admin page polls. ``?rows=true`` lists every row.
* ``GET /api/v1/cohorts/{id}/offers.csv`` — an offer per issued learner without one (learner,
  e-mail, offer link, PIN, page URL). PINs are shown once and never stored, so when every
  issued learner has an offer already, the download makes new offers for all and says so
  (``X-Cohort-Offers: renewed``, and ``replaces_offer_of`` in each row).

A coordinator key acts for its own alliance only. It lives in the composition root because it
joins the issuer's cohort jobs and the wallet bridge's offers.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from issuer.api_keys import ApiKeyService, Principal
from issuer.cohort import (
    MAX_COHORT_BYTES,
    CohortCounts,
    CohortJob,
    CohortService,
    JobState,
)
from issuer.errors import InvalidRequest
from mcred.admin_page import CohortProgress
from mcred.cohorts import make_offers, offers_csv

if TYPE_CHECKING:
    from mcred.app import Services

__all__ = [
    "AdminCohorts",
    "CohortCountsBody",
    "CohortJobBody",
    "CohortRunner",
    "build_cohort_router",
]

_log = logging.getLogger(__name__)


class CohortCountsBody(BaseModel):
    total: int
    done: int = Field(description="issued + failed + invalid")
    issued: int
    failed: int
    invalid: int
    remaining: int = Field(description="pending + running")
    offered: int

    @classmethod
    def of(cls, counts: CohortCounts) -> CohortCountsBody:
        return cls(
            total=counts.total,
            done=counts.done,
            issued=counts.issued,
            failed=counts.failed,
            invalid=counts.invalid,
            remaining=counts.remaining,
            offered=counts.offered,
        )


class CohortRowBody(BaseModel):
    row: int
    learner_ref: str
    state: str
    credential_id: str | None
    error: str | None


class CohortJobBody(BaseModel):
    id: str
    alliance: str
    specification: str
    state: str = Field(description="running (rows pending or running) or finished")
    counts: CohortCountsBody
    created_at: str
    finished_at: str | None
    url: str
    offers_url: str
    rows: list[CohortRowBody] | None = None


def _body(
    cohorts: CohortService, job: CohortJob, request: Request, *, rows: bool = False
) -> CohortJobBody:
    base = str(request.url_for("cohort_job", job_id=job.id))
    listed = None
    if rows:
        listed = [
            CohortRowBody(
                row=r.number,
                learner_ref=r.learner_ref,
                state=r.state.value,
                credential_id=r.credential_id,
                error=r.error,
            )
            for r in cohorts.jobs.rows(job.id)
        ]
    return CohortJobBody(
        id=job.id,
        alliance=job.alliance_id,
        specification=job.specification_id,
        state=job.state.value,
        counts=CohortCountsBody.of(cohorts.jobs.counts(job.id)),
        created_at=job.created_at.isoformat(),
        finished_at=job.finished_at.isoformat() if job.finished_at else None,
        url=base,
        offers_url=f"{base}/offers.csv",
        rows=listed,
    )


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


async def _submission(request: Request) -> tuple[str, str, bytes, bool]:
    """(alliance, specification, file content, skip_invalid) from either kind of body."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidRequest("multipart field 'file' (the cohort file) is required")
        content = await upload.read(MAX_COHORT_BYTES + 1)
        alliance, specification = form.get("alliance"), form.get("specification")
        skip = _flag(form.get("skip_invalid"))
    elif content_type.startswith("application/json"):
        raw = await request.body()
        if len(raw) > MAX_COHORT_BYTES:
            raise InvalidRequest(f"a cohort is at most {MAX_COHORT_BYTES} bytes")
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise InvalidRequest(f"not valid JSON: {exc}") from None
        if not isinstance(body, dict) or not isinstance(body.get("learners"), list):
            raise InvalidRequest('a JSON body is {"alliance", "specification", "learners": [...]}')
        content = json.dumps(body["learners"], ensure_ascii=False).encode("utf-8")
        alliance, specification = body.get("alliance"), body.get("specification")
        skip = _flag(body.get("skip_invalid"))
    else:
        raise InvalidRequest("send the cohort as multipart/form-data or application/json")
    if not isinstance(alliance, str) or not alliance:
        raise InvalidRequest("alliance is required")
    if not isinstance(specification, str) or not specification:
        raise InvalidRequest("specification is required")
    return alliance, specification, content, skip


class CohortRunner:
    """Runs jobs in background threads of this process, one thread per job at a time."""

    def __init__(self, cohorts: CohortService) -> None:
        self._cohorts = cohorts
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}

    def start(self, job: CohortJob, principal: Principal) -> None:
        with self._lock:
            running = self._threads.get(job.id)
            if running is not None and running.is_alive():
                return
            thread = threading.Thread(
                target=self._run, args=(job.id, principal), name=f"cohort-{job.id}", daemon=True
            )
            self._threads[job.id] = thread
            thread.start()

    def _run(self, job_id: str, principal: Principal) -> None:
        try:
            self._cohorts.wait_and_run(principal, job_id)
        except Exception:  # a background thread has no caller: the job keeps its state
            _log.exception("cohort job %s stopped", job_id)

    def join(self, job_id: str, timeout: float | None = None) -> None:
        thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)


class AdminCohorts:
    """The admin page's :class:`mcred.admin_page.CohortJobs` on the cohort service: a file
    uploaded there runs in ``runner`` as one posted to the API does."""

    def __init__(self, cohorts: CohortService, services: Services, runner: CohortRunner) -> None:
        self._cohorts = cohorts
        self._services = services
        self._runner = runner

    def start(
        self,
        principal: Principal,
        alliance_id: str,
        specification_id: str,
        filename: str,
        data: bytes,
    ) -> str:
        suffix = filename.lower().rsplit(".", 1)[-1]
        format_: Literal["csv", "json"] | None = (
            "json" if suffix == "json" else "csv" if suffix == "csv" else None
        )
        job = self._cohorts.submit(principal, alliance_id, specification_id, data, format=format_)
        if job.state is not JobState.FINISHED:
            self._runner.start(job, principal)
        return job.id

    def progress(self, principal: Principal, job_id: str) -> CohortProgress:
        job = self._cohorts.job(principal, job_id)
        counts = self._cohorts.jobs.counts(job_id)
        return CohortProgress(
            job_id=job.id,
            alliance_id=job.alliance_id,
            specification_id=job.specification_id,
            total=counts.total,
            done=counts.issued,
            failed=counts.failed,
            invalid=counts.invalid,
            remaining=counts.remaining,
        )

    def offers_csv(self, principal: Principal, job_id: str) -> bytes:
        batch = make_offers(self._cohorts, self._services, principal, job_id)
        return offers_csv(batch.offers).encode("utf-8")


def build_cohort_router(
    cohorts: CohortService,
    api_keys: ApiKeyService,
    services: Services,
    *,
    runner: CohortRunner | None = None,
) -> APIRouter:
    """The routes (module doc); ``services`` make the offers, ``runner`` runs the jobs."""
    router = APIRouter(prefix="/api/v1", tags=["cohorts"])
    runner = runner or CohortRunner(cohorts)

    @router.post(
        "/cohorts",
        status_code=202,
        summary="Issue a cohort's credentials from a results file (CSV or JSON)",
        response_model=CohortJobBody,
        responses={
            200: {"description": "The same file was submitted before and its job is finished"},
            400: {"description": "No file, no alliance or specification, an unknown body type"},
            401: {"description": "No or an unknown API key"},
            403: {"description": "The key's alliance is not the cohort's"},
            404: {"description": "No such alliance or specification"},
            422: {
                "description": "Rows with problems: details.problems lists (row, column, "
                "message) of each; nothing was issued"
            },
        },
    )
    async def submit(
        request: Request,
        authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
    ) -> Response:
        caller = api_keys.authenticate(authorization)
        alliance, specification, content, skip = await _submission(request)
        job = cohorts.submit(caller, alliance, specification, content, skip_invalid=skip)
        if job.state is JobState.FINISHED:
            body = _body(cohorts, job, request)
            return JSONResponse(body.model_dump(mode="json"), status_code=200)
        runner.start(job, caller)
        body = _body(cohorts, job, request)
        return JSONResponse(
            body.model_dump(mode="json"), status_code=202, headers={"Location": body.url}
        )

    @router.get(
        "/cohorts/{job_id}",
        name="cohort_job",
        summary="A cohort job's state and counts (done, failed, remaining)",
        response_model=CohortJobBody,
        response_model_exclude_none=True,
    )
    def get_job(
        job_id: str,
        request: Request,
        rows: Annotated[bool, Query(description="List every row's state")] = False,
        authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
    ) -> CohortJobBody:
        caller = api_keys.authenticate(authorization)
        job = cohorts.job(caller, job_id)
        return _body(cohorts, job, request, rows=rows)

    @router.get(
        "/cohorts/{job_id}/offers.csv",
        summary="Offers for the cohort's issued learners (CSV with link and PIN, shown once)",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    def offers(
        job_id: str,
        authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
    ) -> Response:
        caller = api_keys.authenticate(authorization)
        job = cohorts.job(caller, job_id)
        batch = make_offers(cohorts, services, caller, job.id)
        return Response(
            offers_csv(batch.offers),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{job.id}-offers.csv"',
                "Cache-Control": "no-store",
                "X-Cohort-Offers": "renewed" if batch.renewed else "new",
            },
        )

    return router
