"""What the OpenID4VP verifier asks of the outside world (filled in by ``mcred``).

* :class:`PresentationRequestStore` — presentation requests and their single answer:
  ``put``, ``get`` (by id), ``find_by_state`` (the ``state`` an Authorization Response carries,
  OID4VP 1.0 §8.2) and :meth:`~PresentationRequestStore.answer_once`, the one atomic
  "pending and not expired → answered" step. Records are plain data (JSON-friendly values),
  so an SQL or Redis adapter stores them as they are; an adapter keeps a record at least
  until its ``expires_at`` (longer, if ``expired`` should still be reported).
* :class:`CredentialCatalogue` — what an employer may ask for: an alliance's credential type
  as DCQL needs it (``vct`` values, expanded W3C types, named claims and their paths).
* :class:`RequestObjectSigner` — signs Request Objects with the verifier's key (the
  coordinator's identity key, whose ``kid`` is in its DID document).

In-memory versions live in :mod:`verifier.openid4vp.memory`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from verifier.openid4vp.dcql import ClaimPath

__all__ = [
    "Answer",
    "AnswerOutcome",
    "CredentialCatalogue",
    "CredentialDescription",
    "PresentationRequestRecord",
    "PresentationRequestStore",
    "RequestObjectSigner",
    "StoredRequest",
]


@dataclass(frozen=True)
class PresentationRequestRecord:
    """One Authorization Request as created (never changed afterwards).

    ``id`` is the employer's handle (secret, only returned to the API caller); ``state`` is the
    OID4VP ``state`` and the last segment of the ``request_uri`` (public: it is in the QR).
    ``redirect_uri`` is set for the same-device flow (where the wallet sends the user back).
    """

    id: str
    state: str
    nonce: str
    client_id: str
    response_uri: str
    dcql_query: Mapping[str, Any]
    created_at: datetime
    expires_at: datetime
    alliance: str
    credential: str
    redirect_uri: str | None = None
    requested_by: str | None = None


@dataclass(frozen=True)
class Answer:
    """The single answer to a request: a verification ``report`` (the wallet sent a
    ``vp_token``) or the wallet's ``error`` response (§8.5), and the ``response_code`` the
    same-device front end must show to read it (§13.3)."""

    answered_at: datetime
    verified: bool
    report: Mapping[str, Any] | None = None
    wallet_error: Mapping[str, str] | None = None
    response_code: str | None = None


@dataclass(frozen=True)
class StoredRequest:
    record: PresentationRequestRecord
    answer: Answer | None = None


class AnswerOutcome(enum.StrEnum):
    ANSWERED = "answered"
    ALREADY_ANSWERED = "already_answered"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class PresentationRequestStore(Protocol):
    def put(self, record: PresentationRequestRecord) -> None: ...

    def get(self, request_id: str) -> StoredRequest | None:
        """The request and its answer, or None when unknown (or dropped after expiry)."""
        ...

    def find_by_state(self, state: str) -> StoredRequest | None: ...

    def answer_once(self, request_id: str, answer: Answer, *, now: datetime) -> AnswerOutcome:
        """Atomically: store ``answer`` if the request exists, has no answer yet and
        ``now < expires_at``; otherwise change nothing and say why (two concurrent answers:
        exactly one is ``ANSWERED``)."""
        ...


@dataclass(frozen=True)
class CredentialDescription:
    """An alliance's credential type as the verifier asks for it.

    ``vct_values`` feed ``dc+sd-jwt`` queries, ``type_values`` (fully expanded IRIs) the W3C
    ones; a format without them is not offered. ``claims`` maps the names an employer may
    ask for to a claims path per format (a name missing for a format cannot be asked in it).
    """

    label: str
    vct_values: tuple[str, ...] = ()
    type_values: tuple[tuple[str, ...], ...] = ()
    claims: Mapping[str, Mapping[str, ClaimPath]] = field(default_factory=dict)


class CredentialCatalogue(Protocol):
    def describe(self, alliance: str, credential: str) -> CredentialDescription | None:
        """The credential type, or None when the alliance or the type is unknown."""
        ...


class RequestObjectSigner(Protocol):
    """Signs a Request Object (RFC 9101) as a compact JWS."""

    @property
    def alg(self) -> str:
        """The JWS ``alg`` it signs with (shown in ``client_metadata``)."""
        ...

    def sign(self, claims: Mapping[str, Any], *, typ: str) -> str:
        """A compact JWS over ``claims`` with header ``{alg, kid, typ}``; ``kid`` names a
        verification method of the client's DID."""
        ...
