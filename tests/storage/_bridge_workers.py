"""Code run in child processes by the wallet-bridge race tests (spawned: importable, no pytest)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from redis import Redis

from mcred.storage.bridge_stores import BridgeStores, build_bridge_stores
from mcred.storage.sql import create_engine_for


@dataclass(frozen=True)
class RaceJob:
    """One worker: the shared backend (a SQL URL, plus a Redis URL and key prefix for Redis), the
    codes and nonces every worker goes after, in the same order, and where to write its wins."""

    sql_url: str
    redis_url: str | None
    key_prefix: str
    codes: tuple[tuple[str, str], ...]
    """(pre-authorized code, tx_code digest) pairs."""
    nonces: tuple[str, ...]
    out: Path
    combined: bool = False
    """Redeem with :meth:`~wallet_bridge.ports.OfferStore.redeem_for_token` (the token
    ``<out stem>:<code>``) and consume with
    :meth:`~wallet_bridge.ports.NonceStore.consume_with_notification` (the notification id
    ``<out stem>:<nonce>``) instead of the plain steps."""


def race(job: RaceJob, start: Any) -> None:
    """Redeem every code and consume every nonce once, all workers starting each one together
    (``start`` is a barrier of every worker); record the outcomes."""
    engine = create_engine_for(job.sql_url)
    stores: BridgeStores = build_bridge_stores(job.redis_url, engine, key_prefix=job.key_prefix)
    expires_at = datetime.now(UTC) + timedelta(hours=1)
    outcomes: dict[str, str] = {}
    for code, digest in job.codes:
        start.wait(timeout=120)
        if job.combined:
            result = stores.offers.redeem_for_token(
                code,
                digest,
                token=f"{job.out.stem}:{code}",
                expires_at=expires_at,
                tokens=stores.tokens,
            )
        else:
            result = stores.offers.redeem(code, digest)
        outcomes[code] = str(result.outcome)
    consumed: dict[str, bool] = {}
    for nonce in job.nonces:
        start.wait(timeout=120)
        if job.combined:
            consumed[nonce] = stores.nonces.consume_with_notification(
                [nonce],
                notifications=stores.notifications,
                notification_id=f"{job.out.stem}:{nonce}",
                credential_id="cred-1",
                expires_at=expires_at,
            )
        else:
            consumed[nonce] = stores.nonces.consume(nonce)
    job.out.write_text(json.dumps({"redeem": outcomes, "consume": consumed}), encoding="utf-8")
    stores.close()
    engine.dispose()


def clear_prefix(client: Redis, prefix: str) -> None:
    """Delete every key under ``prefix`` (a test's own keys)."""
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
