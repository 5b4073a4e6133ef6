"""In-memory versions of the OpenID4VP ports (tests, the embedded demo), thread-safe.

:class:`InMemoryPresentationRequestStore` implements :mod:`verifier.openid4vp.ports` as the
SQL/Redis versions must: ``answer_once`` is one step under one lock. Records are kept until
``retention`` after they expire (so ``status`` can still say ``expired``), then dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from verifier.openid4vp.ports import (
    Answer,
    AnswerOutcome,
    CredentialDescription,
    PresentationRequestRecord,
    StoredRequest,
)

__all__ = ["InMemoryPresentationRequestStore", "StaticCredentialCatalogue"]


class InMemoryPresentationRequestStore:
    def __init__(self, *, retention: timedelta = timedelta(hours=1)) -> None:
        self._lock = threading.Lock()
        self._requests: dict[str, StoredRequest] = {}
        self._by_state: dict[str, str] = {}
        self._retention = retention

    def _prune(self, now: datetime) -> None:
        for request_id, stored in list(self._requests.items()):
            if stored.record.expires_at + self._retention <= now:
                del self._requests[request_id]
                self._by_state.pop(stored.record.state, None)

    def put(self, record: PresentationRequestRecord) -> None:
        with self._lock:
            self._prune(record.created_at)
            if record.id in self._requests or record.state in self._by_state:
                raise ValueError("a presentation request id or state is used twice")
            self._requests[record.id] = StoredRequest(record)
            self._by_state[record.state] = record.id

    def get(self, request_id: str) -> StoredRequest | None:
        with self._lock:
            return self._requests.get(request_id)

    def find_by_state(self, state: str) -> StoredRequest | None:
        with self._lock:
            request_id = self._by_state.get(state)
            return None if request_id is None else self._requests.get(request_id)

    def answer_once(self, request_id: str, answer: Answer, *, now: datetime) -> AnswerOutcome:
        with self._lock:
            stored = self._requests.get(request_id)
            if stored is None:
                return AnswerOutcome.UNKNOWN
            if stored.answer is not None:
                return AnswerOutcome.ALREADY_ANSWERED
            if now >= stored.record.expires_at:
                return AnswerOutcome.EXPIRED
            self._requests[request_id] = replace(stored, answer=answer)
            return AnswerOutcome.ANSWERED


class StaticCredentialCatalogue:
    """A :class:`~verifier.openid4vp.ports.CredentialCatalogue` over a fixed
    ``(alliance, credential) → description`` map."""

    def __init__(self, entries: Mapping[tuple[str, str], CredentialDescription]) -> None:
        self._entries = dict(entries)

    def describe(self, alliance: str, credential: str) -> CredentialDescription | None:
        return self._entries.get((alliance, credential))
