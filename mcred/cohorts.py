"""Cohort issuance in the composition root: the service, runs in processes, offers as CSV.

* :func:`build_cohort_service` — :class:`issuer.cohort.CohortService` on the services' SQL
  engine (:class:`mcred.storage.sql_cohort.SqlCohortJobStore`).
* :func:`run_in_processes` — a job worked by ``N`` processes (``mcred cohort issue
  --processes N``): signing is CPU-bound, so each process builds its own services from the
  settings and claims chunks of rows from the database under the parent's lease. A process
  stops at its next chunk when its parent died (``kill -9``): the lease then expires and a
  re-run takes the job over.
* :func:`make_offers` — one OpenID4VCI offer (PIN of :data:`~mcred.offers.TX_CODE_LENGTH`
  digits) per issued learner without one; when every issued learner has one, new offers for
  all (PINs are shown once and never stored: the rows keep only when an offer was made and
  until when it works). :func:`write_offers_csv` writes them (learner, e-mail, offer link,
  PIN, page URL).

It lives in ``mcred`` because it joins two roles: the issuer's cohort jobs and the wallet
bridge's offers.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.pool import AsyncResult
from typing import TYPE_CHECKING, Any, TextIO

from issuer.api_keys import Principal
from issuer.cohort import (
    CohortCounts,
    CohortRow,
    CohortService,
    RowState,
    new_owner,
)
from mcred.offer_page import offer_page_urls
from mcred.offers import TX_CODE_LENGTH
from mcred.settings import Settings
from mcred.storage.sql_cohort import SqlCohortJobStore
from mcred.storage.sql_records import SqlCredentialStore
from mcred.wallet import IssuerCredentialSource

if TYPE_CHECKING:
    from mcred.app import Services

__all__ = [
    "OFFER_CSV_COLUMNS",
    "CohortOffer",
    "OfferBatch",
    "build_cohort_service",
    "make_offers",
    "offers_csv",
    "run_in_processes",
    "worker_pool",
    "write_offers_csv",
]

OFFER_CSV_COLUMNS = (
    "row",
    "learner_ref",
    "name",
    "email",
    "language",
    "credential_id",
    "offer_link",
    "pin",
    "offer_page_url",
    "expires_at",
    "replaces_offer_of",
)


def build_cohort_service(services: Services, **options: Any) -> CohortService:
    """The cohort use case on ``services`` (their engine holds the jobs and the records)."""
    return CohortService(
        issuer=services.issuer,
        jobs=SqlCohortJobStore(services.engine),
        credentials=SqlCredentialStore(services.engine),
        **options,
    )


# --------------------------------------------------------------------------- processes

_WORKER: dict[str, Any] = {}


def _init_worker(settings: Settings, lease_seconds: float | None) -> None:
    from mcred.app import build_services  # noqa: PLC0415 - mcred.app wires this module

    services = build_services(settings, bootstrap=False)
    options = {} if lease_seconds is None else {"lease": timedelta(seconds=lease_seconds)}
    _WORKER["services"] = services
    _WORKER["cohorts"] = build_cohort_service(services, **options)
    _WORKER["parent"] = os.getppid()


def _parent_gone() -> bool:
    parent: int = _WORKER["parent"]
    return os.getppid() != parent


def _work(principal: Principal, job_id: str, owner: str, chunk: int) -> int:
    cohorts: CohortService = _WORKER["cohorts"]
    return cohorts.work(principal, job_id, owner, chunk=chunk, should_stop=_parent_gone)


def worker_pool(
    settings: Settings, processes: int, lease_seconds: float | None = None
) -> multiprocessing.pool.Pool:
    """``processes`` spawned processes, each with its own services built from ``settings``
    (for :func:`run_in_processes` and :func:`make_offers`); close and join it after use."""
    context = multiprocessing.get_context("spawn")  # no inherited engines or locks
    return context.Pool(processes, initializer=_init_worker, initargs=(settings, lease_seconds))


def run_in_processes(
    cohorts: CohortService,
    settings: Settings,
    principal: Principal,
    job_id: str,
    *,
    processes: int,
    chunk: int = 20,
    on_progress: Callable[[CohortCounts], None] | None = None,
    pool: multiprocessing.pool.Pool | None = None,
    poll: float = 0.25,
) -> CohortCounts:
    """Take the job over here, let ``processes`` processes issue its rows, finish it."""
    owner = new_owner()
    cohorts.take_over(principal, job_id, owner)
    own_pool = pool is None
    lease_seconds = cohorts.lease.total_seconds()
    workers = pool or worker_pool(settings, processes, lease_seconds)
    try:
        running: list[AsyncResult[int]] = [
            workers.apply_async(_work, (principal, job_id, owner, chunk)) for _ in range(processes)
        ]
        while not all(r.ready() for r in running):
            if on_progress is not None:
                on_progress(cohorts.jobs.counts(job_id))
            time.sleep(poll)
        for result in running:
            result.get()  # a worker's exception is raised here
        cohorts.jobs.finish(job_id, datetime.now(UTC))
    finally:
        cohorts.jobs.release_lease(job_id, owner)
        if own_pool:
            workers.close()
            workers.join()
    counts = cohorts.jobs.counts(job_id)
    if on_progress is not None:
        on_progress(counts)
    return counts


# --------------------------------------------------------------------------- offers


@dataclass(frozen=True)
class CohortOffer:
    """An offer made for one learner of a job; ``tx_code`` is shown only now."""

    row: int
    learner_ref: str
    name: str
    email: str | None
    language: str | None
    credential_id: str
    offer_link: str
    tx_code: str | None
    offer_page_url: str
    expires_at: datetime
    replaces_offer_of: datetime | None = None


@dataclass(frozen=True)
class OfferBatch:
    offers: tuple[CohortOffer, ...]
    renewed: bool
    """True when every issued learner had an offer already: these are new ones (the old
    ones keep working until they expire)."""
    failed: tuple[tuple[int, str], ...] = ()
    """(row, reason) of issued learners no offer could be made for (e.g. revoked since)."""


def _offers_for(
    services: Services, principal: Principal, rows: Sequence[CohortRow]
) -> list[CohortOffer]:
    """Offers for ``rows``: their records and states read together, the offers stored in one
    transaction (or pipeline)."""
    bridge = services.wallet_bridge
    source = bridge.source
    if not isinstance(source, IssuerCredentialSource):  # (build_services always wires it)
        raise TypeError("cohort offers need the issuer as the wallet bridge's source")
    issued = [(row, row.credential_id) for row in rows if row.credential_id is not None]
    ids = list(dict.fromkeys(credential_id for _, credential_id in issued))
    offerables = source.offerables(principal, ids)
    created, _refused = bridge.create_offers(
        [offerables[credential_id] for credential_id in ids if credential_id in offerables],
        by_reference=True,
        tx_code_length=TX_CODE_LENGTH,
    )
    public_url = services.settings.public_url
    made = []
    for row, credential_id in issued:
        offer = created.get(credential_id)
        if offer is None:
            continue
        page = offer_page_urls(public_url, offer.offer_id).page
        if row.language:
            page = f"{page}?lang={row.language}"
        made.append(
            CohortOffer(
                row=row.number,
                learner_ref=row.learner_ref,
                name=row.display_name,
                email=row.email,
                language=row.language,
                credential_id=credential_id,
                offer_link=offer.link,
                tx_code=offer.tx_code,
                offer_page_url=page,
                expires_at=offer.expires_at,
                replaces_offer_of=row.offered_at,
            )
        )
    return made


def make_offers(
    cohorts: CohortService,
    services: Services,
    principal: Principal,
    job_id: str,
    *,
    pool: multiprocessing.pool.Pool | None = None,
    chunk: int = 100,
) -> OfferBatch:
    """Offers for the job's issued learners without one (or, if none lacks one, for all)."""
    cohorts.job(principal, job_id)
    issued = cohorts.jobs.rows(job_id, [RowState.ISSUED])
    wanted = [row for row in issued if row.offered_at is None]
    renewed = not wanted and bool(issued)
    if renewed:
        wanted = issued
    offers: list[CohortOffer] = []
    if pool is None:
        for start in range(0, len(wanted), chunk):
            part = _offers_for(services, principal, wanted[start : start + chunk])
            _mark(cohorts, job_id, part)
            offers += part
    else:
        parts = [
            (principal, wanted[start : start + chunk]) for start in range(0, len(wanted), chunk)
        ]
        for part in pool.imap(_offer_part, parts):
            _mark(cohorts, job_id, part)
            offers += part
    made = {offer.row for offer in offers}
    failed = tuple(
        (row.number, "no offer could be made (the credential is revoked or not offerable)")
        for row in wanted
        if row.number not in made
    )
    return OfferBatch(tuple(offers), renewed, failed)


def _offer_part(part: tuple[Principal, Sequence[CohortRow]]) -> list[CohortOffer]:
    return _offers_for(_WORKER["services"], *part)


def _mark(cohorts: CohortService, job_id: str, offers: Sequence[CohortOffer]) -> None:
    if not offers:
        return
    cohorts.jobs.mark_offered(
        job_id,
        [offer.row for offer in offers],
        datetime.now(UTC),
        max(offer.expires_at for offer in offers),
    )


def _csv_row(offer: CohortOffer) -> list[str]:
    return [
        str(offer.row),
        offer.learner_ref,
        offer.name,
        offer.email or "",
        offer.language or "",
        offer.credential_id,
        offer.offer_link,
        offer.tx_code or "",
        offer.offer_page_url,
        offer.expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        ""
        if offer.replaces_offer_of is None
        else offer.replaces_offer_of.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]


def write_offers_csv(out: TextIO, offers: Iterable[CohortOffer], *, header: bool = True) -> int:
    """Write offers as CSV (:data:`OFFER_CSV_COLUMNS`); returns how many."""
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(OFFER_CSV_COLUMNS)
    count = 0
    for offer in offers:
        writer.writerow(_csv_row(offer))
        count += 1
    return count


def offers_csv(offers: Iterable[CohortOffer]) -> str:
    out = io.StringIO()
    write_offers_csv(out, offers)
    return out.getvalue()
