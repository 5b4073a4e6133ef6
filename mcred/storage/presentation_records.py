"""The JSON forms of OpenID4VP presentation requests and answers, as the SQL and Redis stores
keep them, and how long a request is kept after it expires.

Datetimes are ISO 8601 with their offset; ``dcql_query``, ``report`` and ``wallet_error`` are
JSON already (:mod:`verifier.openid4vp.ports`: records are plain data) and are kept as they are.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from verifier.openid4vp.ports import Answer, PresentationRequestRecord

__all__ = [
    "DEFAULT_RETENTION",
    "answer_from_json",
    "answer_to_json",
    "request_from_json",
    "request_to_json",
]

DEFAULT_RETENTION = timedelta(hours=1)
"""How long a request is kept after its ``expires_at`` (so its status can still say
``expired``), as :class:`verifier.openid4vp.memory.InMemoryPresentationRequestStore` does."""


def request_to_json(record: PresentationRequestRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "state": record.state,
        "nonce": record.nonce,
        "client_id": record.client_id,
        "response_uri": record.response_uri,
        "dcql_query": dict(record.dcql_query),
        "created_at": record.created_at.isoformat(),
        "expires_at": record.expires_at.isoformat(),
        "alliance": record.alliance,
        "credential": record.credential,
        "redirect_uri": record.redirect_uri,
        "requested_by": record.requested_by,
    }


def request_from_json(value: dict[str, Any]) -> PresentationRequestRecord:
    return PresentationRequestRecord(
        id=value["id"],
        state=value["state"],
        nonce=value["nonce"],
        client_id=value["client_id"],
        response_uri=value["response_uri"],
        dcql_query=value["dcql_query"],
        created_at=datetime.fromisoformat(value["created_at"]),
        expires_at=datetime.fromisoformat(value["expires_at"]),
        alliance=value["alliance"],
        credential=value["credential"],
        redirect_uri=value["redirect_uri"],
        requested_by=value["requested_by"],
    )


def answer_to_json(answer: Answer) -> dict[str, Any]:
    return {
        "answered_at": answer.answered_at.isoformat(),
        "verified": answer.verified,
        "report": None if answer.report is None else dict(answer.report),
        "wallet_error": None if answer.wallet_error is None else dict(answer.wallet_error),
        "response_code": answer.response_code,
    }


def answer_from_json(value: dict[str, Any]) -> Answer:
    return Answer(
        answered_at=datetime.fromisoformat(value["answered_at"]),
        verified=value["verified"],
        report=value["report"],
        wallet_error=value["wallet_error"],
        response_code=value["response_code"],
    )
