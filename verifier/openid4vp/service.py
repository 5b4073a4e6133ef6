"""Presentation requests: what HR systems use to ask a learner's wallet for a credential.

:class:`PresentationRequests` runs the OpenID4VP 1.0 flow with ``response_mode=direct_post``
(brief §6.5) and no web framework:

1. :meth:`~PresentationRequests.create` — the employer says what to ask for (an alliance's
   credential type, optionally some claims and formats); a DCQL query (one Credential Query per
   format, any one of them will do), a fresh ``nonce`` and ``state`` (256 bits each) are stored,
   and the ``openid4vp://`` link carries ``client_id`` and ``request_uri`` only (a small QR);
2. :meth:`~PresentationRequests.request_object` — the ``request_uri`` target: the signed
   Request Object (GET, or POST with ``wallet_metadata``/``wallet_nonce``, §5.10), served
   while the request is pending;
3. :meth:`~PresentationRequests.respond` — the ``response_uri`` target: the wallet's form
   (``vp_token`` + ``state``, or ``error`` + ``state``) is verified
   (:mod:`verifier.openid4vp.response`) and stored as the request's only answer; the wallet is
   answered ``{}``, or ``{"redirect_uri": …}`` with a fresh ``response_code`` in the
   same-device flow (§8.2, §13.3);
4. :meth:`~PresentationRequests.status` — ``pending``, ``expired`` or ``answered`` with the
   report; a same-device answer is shown only with its ``response_code`` (session fixation,
   §14.2).

Requests expire (``request_ttl``) and answer once: a second response, or one after expiry, is
refused and changes nothing. A response that is readable but does not verify (wrong nonce,
wrong audience, a claim not disclosed) *is* the answer: the employer sees why it failed.
Every refusal raises one error of :mod:`verifier.openid4vp.errors`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

from vc_core.dids.resolver import DidResolver
from verifier.errors import UnverifiableInputError
from verifier.formats import load_json
from verifier.openid4vp.dcql import (
    DC_SD_JWT,
    SUPPORTED_FORMATS,
    ClaimPath,
    DcqlQuery,
    alternatives,
    credential_query,
)
from verifier.openid4vp.errors import (
    AccessDenied,
    InvalidRequest,
    InvalidRequestUriMethod,
    RequestAlreadyAnswered,
    RequestExpired,
    RequestNotFound,
    UnknownState,
    VpFormatsNotSupported,
)
from verifier.openid4vp.ports import (
    Answer,
    AnswerOutcome,
    CredentialCatalogue,
    CredentialDescription,
    PresentationRequestRecord,
    PresentationRequestStore,
    RequestObjectSigner,
    StoredRequest,
)
from verifier.openid4vp.request import (
    ClientIdentifier,
    ClientIdPrefix,
    authorization_request,
    encode_request_object,
    request_link,
    vp_formats_supported,
)
from verifier.openid4vp.response import read_vp_token, verify_vp_token
from verifier.service import Verifier

__all__ = [
    "CreatedRequest",
    "PresentationRequestSettings",
    "PresentationRequests",
    "RequestStatus",
    "WhatToAsk",
]

Clock = Callable[[], datetime]
_QUERY_SUFFIX = {DC_SD_JWT: "dc_sd_jwt", "ldp_vc": "ldp_vc", "jwt_vc_json": "jwt_vc_json"}
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]{1,512}")
_ERROR_CODE = re.compile(r"[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def _system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PresentationRequestSettings:
    """Where the endpoints live and how long a request lives.

    ``request_uri`` is ``{public_url}{request_path}/{state}``, ``response_uri``
    ``{public_url}{response_path}``. ``request_uri_method`` is put in the link (``post`` lets
    wallets send their metadata and a ``wallet_nonce``; ``None`` leaves it out: GET).
    """

    public_url: str
    request_ttl: timedelta = timedelta(minutes=10)
    request_uri_method: Literal["get", "post"] | None = "post"
    request_path: str = "/oid4vp/requests"
    response_path: str = "/oid4vp/response"

    @property
    def response_uri(self) -> str:
        return f"{self.public_url.rstrip('/')}{self.response_path}"

    def request_uri(self, state: str) -> str:
        return f"{self.public_url.rstrip('/')}{self.request_path}/{state}"


@dataclass(frozen=True)
class WhatToAsk:
    """What the employer asks for.

    ``claims`` are names the catalogue defines for the credential type (``None``: no
    selectively disclosable claim); ``formats`` narrows the formats offered to the wallet
    (``None``: every format the type can be asked in); ``redirect_uri`` makes it a same-device
    request (the wallet sends the user there, with ``response_code``); ``request_uri_method``
    overrides the setting.
    """

    alliance: str
    credential: str = "micro-credential"
    claims: tuple[str, ...] | None = None
    formats: tuple[str, ...] | None = None
    redirect_uri: str | None = None
    request_uri_method: str | None = None


@dataclass(frozen=True)
class CreatedRequest:
    id: str
    request_url: str
    request_uri: str
    expires_at: datetime
    dcql_query: Mapping[str, Any]


@dataclass(frozen=True)
class RequestStatus:
    """``pending``, ``expired`` or ``answered`` (with the answer)."""

    id: str
    status: Literal["pending", "expired", "answered"]
    created_at: datetime
    expires_at: datetime
    answer: Answer | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
        }
        if self.answer is not None:
            body["answered_at"] = self.answer.answered_at.isoformat()
            body["verified"] = self.answer.verified
            if self.answer.report is not None:
                body["report"] = dict(self.answer.report)
            if self.answer.wallet_error is not None:
                body["wallet_error"] = dict(self.answer.wallet_error)
        return body


def _check_redirect_uri(uri: str) -> str:
    """An absolute ``https`` URL (``http`` on loopback, for development) without fragment."""
    parts = urlsplit(uri)
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
    if not secure or not parts.hostname or parts.fragment or len(uri) > 2048:
        raise InvalidRequest("redirect_uri must be an absolute https URL without a fragment")
    return uri


class PresentationRequests:
    """The OpenID4VP verifier (module doc).

    ``client`` identifies the verifier to wallets (``decentralized_identifier:<did>`` with
    ``signer``; or ``redirect_uri:<response_uri>``, unsigned); ``verifier`` and ``resolver``
    are the engine and the DID resolver it uses; ``catalogue`` says what may be asked.
    """

    def __init__(
        self,
        *,
        verifier: Verifier,
        resolver: DidResolver,
        client: ClientIdentifier,
        catalogue: CredentialCatalogue,
        store: PresentationRequestStore,
        settings: PresentationRequestSettings,
        signer: RequestObjectSigner | None = None,
        clock: Clock = _system_clock,
    ) -> None:
        if client.signs_requests and signer is None:
            raise ValueError(f"a {client.prefix} client needs a Request Object signer")
        if client.prefix is ClientIdPrefix.REDIRECT_URI and (
            client.identifier != settings.response_uri
        ):
            raise ValueError("a redirect_uri client identifier is the response_uri (§5.9.3)")
        self._verifier = verifier
        self._resolver = resolver
        self._client = client
        self._catalogue = catalogue
        self._store = store
        self._settings = settings
        self._signer = signer
        self._clock = clock

    @property
    def client_id(self) -> str:
        return self._client.client_id

    @property
    def settings(self) -> PresentationRequestSettings:
        return self._settings

    # -- 1. create ---------------------------------------------------------------------------
    def create(self, what: WhatToAsk, *, requested_by: str | None = None) -> CreatedRequest:
        """Store a new request and give its ``openid4vp://`` link (module doc)."""
        method = what.request_uri_method or self._settings.request_uri_method
        if method not in (None, "get", "post"):
            raise InvalidRequestUriMethod("request_uri_method is 'get' or 'post'")
        description = self._catalogue.describe(what.alliance, what.credential)
        if description is None:
            raise InvalidRequest(
                f"alliance {what.alliance!r} has no credential type {what.credential!r}"
            )
        query = self._query(what, description)
        redirect_uri = None if what.redirect_uri is None else _check_redirect_uri(what.redirect_uri)
        now = self._clock()
        record = PresentationRequestRecord(
            id=secrets.token_urlsafe(24),
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            client_id=self._client.client_id,
            response_uri=self._settings.response_uri,
            dcql_query=query.to_json(),
            created_at=now,
            expires_at=now + self._settings.request_ttl,
            alliance=what.alliance,
            credential=what.credential,
            redirect_uri=redirect_uri,
            requested_by=requested_by,
        )
        self._store.put(record)
        request_uri = self._settings.request_uri(record.state)
        return CreatedRequest(
            record.id,
            request_link(record.client_id, request_uri, method),
            request_uri,
            record.expires_at,
            record.dcql_query,
        )

    def _query(self, what: WhatToAsk, description: CredentialDescription) -> DcqlQuery:
        askable = [
            fmt
            for fmt in SUPPORTED_FORMATS
            if (description.vct_values if fmt == DC_SD_JWT else description.type_values)
        ]
        if what.formats is not None:
            unknown = sorted(set(what.formats) - set(askable))
            if unknown or not what.formats:
                raise VpFormatsNotSupported(
                    f"{description.label} can be asked for as {', '.join(askable)}, "
                    f"not {', '.join(unknown) or 'no format'}"
                )
            askable = [fmt for fmt in askable if fmt in what.formats]
        names = tuple(dict.fromkeys(what.claims or ()))
        unknown_claims = sorted(set(names) - set(description.claims))
        if unknown_claims:
            raise InvalidRequest(
                f"unknown claim(s) {unknown_claims}; {description.label} has "
                f"{sorted(description.claims)}"
            )
        formats = [f for f in askable if all(f in description.claims[n] for n in names)]
        if not formats:
            raise VpFormatsNotSupported(f"no format of {description.label} has all the claims")
        base = re.sub(r"[^A-Za-z0-9_-]", "_", what.credential)[:40] or "credential"
        queries = []
        for fmt in formats:
            paths: list[ClaimPath] = [description.claims[n][fmt] for n in names]
            queries.append(
                credential_query(
                    f"{base}_{_QUERY_SUFFIX[fmt]}",
                    fmt,
                    vct_values=description.vct_values,
                    type_values=description.type_values,
                    claims=paths,
                )
            )
        return alternatives(queries)

    # -- lookups -----------------------------------------------------------------------------
    def _live(self, state: str) -> StoredRequest:
        stored = self._store.find_by_state(state) if _URL_SAFE.fullmatch(state) else None
        if stored is None:
            raise UnknownState("the state names no presentation request")
        if stored.answer is not None:
            raise RequestAlreadyAnswered("the presentation request was answered already")
        if self._clock() >= stored.record.expires_at:
            raise RequestExpired("the presentation request has expired")
        return stored

    # -- 2. the request object ---------------------------------------------------------------
    def request_object(
        self,
        state: str,
        *,
        wallet_metadata: str | None = None,
        wallet_nonce: str | None = None,
    ) -> str:
        """The Request Object of a pending request (GET; or POST with the wallet's
        ``wallet_metadata``/``wallet_nonce``, §5.10); :class:`RequestNotFound` once it is
        answered, expired or unknown (any HTTP error ends the wallet's processing, §5.10.2)."""
        try:
            record = self._live(state).record
        except InvalidRequest as exc:
            raise RequestNotFound(exc.description) from None
        query = DcqlQuery.parse(record.dcql_query)
        formats = [c.format for c in query.credentials]
        if wallet_metadata is not None:
            self._check_wallet_metadata(wallet_metadata, formats)
        if wallet_nonce is not None and not _URL_SAFE.fullmatch(wallet_nonce):
            raise InvalidRequest("wallet_nonce must be 1-512 URL-safe characters")
        metadata = {"vp_formats_supported": vp_formats_supported(self._verifier.policy, formats)}
        claims = authorization_request(
            record, client_metadata=metadata, issued_at=self._clock(), wallet_nonce=wallet_nonce
        )
        return encode_request_object(claims, self._client, self._signer)

    @staticmethod
    def _check_wallet_metadata(raw: str, formats: Sequence[str]) -> None:
        try:
            metadata = load_json(raw, what="wallet_metadata")
        except UnverifiableInputError as exc:
            raise InvalidRequest(exc.message) from None
        if not isinstance(metadata, dict):
            raise InvalidRequest("wallet_metadata is a JSON object")
        supported = metadata.get("vp_formats_supported")
        if isinstance(supported, dict) and not set(supported) & set(formats):
            raise VpFormatsNotSupported(
                f"the wallet supports none of the requested formats {', '.join(formats)}"
            )

    # -- 3. the response ---------------------------------------------------------------------
    def respond(self, form: Mapping[str, str]) -> dict[str, str]:
        """Process a ``direct_post`` Authorization Response (or Error Response) once; the
        body for the wallet (``{}`` or ``{"redirect_uri": …}``)."""
        received = self._clock()
        state = form.get("state")
        if not state:
            raise InvalidRequest("the response has no state")
        record = self._live(state).record
        if "error" in form:
            answer = Answer(
                received,
                verified=False,
                wallet_error=self._wallet_error(form),
                response_code=self._response_code(record),
            )
        else:
            raw = form.get("vp_token")
            if not raw:
                raise InvalidRequest("the response has no vp_token")
            query = DcqlQuery.parse(record.dcql_query)
            token = read_vp_token(raw, query)
            report = verify_vp_token(
                token,
                query,
                verifier=self._verifier,
                resolver=self._resolver,
                now=received,
                nonce=record.nonce,
                client_id=record.client_id,
            )
            answer = Answer(
                received,
                verified=report.verified,
                report=report.to_dict(),
                response_code=self._response_code(record),
            )
        outcome = self._store.answer_once(record.id, answer, now=received)
        if outcome is AnswerOutcome.ALREADY_ANSWERED:
            raise RequestAlreadyAnswered("the presentation request was answered already")
        if outcome is AnswerOutcome.EXPIRED:
            raise RequestExpired("the presentation request has expired")
        if outcome is AnswerOutcome.UNKNOWN:
            raise UnknownState("the state names no presentation request")
        if record.redirect_uri is None or answer.response_code is None:
            return {}
        separator = "&" if urlsplit(record.redirect_uri).query else "?"
        code = urlencode({"response_code": answer.response_code})
        return {"redirect_uri": f"{record.redirect_uri}{separator}{code}"}

    @staticmethod
    def _response_code(record: PresentationRequestRecord) -> str | None:
        return secrets.token_urlsafe(32) if record.redirect_uri is not None else None

    @staticmethod
    def _wallet_error(form: Mapping[str, str]) -> dict[str, str]:
        error = form["error"]
        if not _ERROR_CODE.fullmatch(error):
            raise InvalidRequest("error is an ASCII error code (RFC 6749 §4.1.2.1)")
        body = {"error": error}
        description = form.get("error_description")
        if description:
            body["error_description"] = description.encode("ascii", "replace").decode()[:512]
        return body

    # -- 4. status ---------------------------------------------------------------------------
    def status(self, request_id: str, *, response_code: str | None = None) -> RequestStatus:
        """The request's state; a same-device answer needs its ``response_code``."""
        stored = self._store.get(request_id) if _URL_SAFE.fullmatch(request_id) else None
        if stored is None:
            raise RequestNotFound("no such presentation request")
        record, answer = stored.record, stored.answer
        if answer is None:
            expired = self._clock() >= record.expires_at
            status: Literal["pending", "expired"] = "expired" if expired else "pending"
            return RequestStatus(record.id, status, record.created_at, record.expires_at)
        if answer.response_code is not None and (
            response_code is None or not secrets.compare_digest(response_code, answer.response_code)
        ):
            raise AccessDenied("a same-device answer is shown with its response_code only")
        return RequestStatus(record.id, "answered", record.created_at, record.expires_at, answer)
