"""The Authorization Response: a ``vp_token`` verified against its request (OID4VP 1.0 §8).

:func:`read_vp_token` checks the token's shape (§8.1): a JSON object whose keys are the DCQL
Credential Query ids and whose values are non-empty arrays of presentations (one unless the
query says ``multiple``); a key the query does not define rejects the whole token.

:func:`verify_vp_token` then checks each presentation (§8.6) with the verifier engine:

* ``dc+sd-jwt`` — an SD-JWT+KB: the KB-JWT's ``nonce`` is the request's ``nonce`` and its
  ``aud`` the full ``client_id`` (App. B.3.6); then the SD-JWT VC checks;
* ``ldp_vc`` — a Data Integrity VP: ``challenge`` = ``nonce``, ``domain`` = ``client_id``
  (App. B.1.3.2.5), signed by the holder, each credential bound to it; then the credential
  checks;
* ``jwt_vc_json`` — a VCDM 1.1 JWT VP (:mod:`verifier.openid4vp.jwt_vp`): ``nonce``, ``aud``;

and matches the one verified credential of each presentation against its Credential Query
(:func:`verifier.openid4vp.dcql.match_credential`: format, ``vct``/types, requested claims
disclosed). A presentation that fails is discarded (its report says why); the response is
``verified`` when the presentations that passed satisfy the query (§6.4.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vc_core.dids.resolver import DidResolver
from verifier.errors import UnverifiableInputError
from verifier.formats import load_json
from verifier.openid4vp.dcql import (
    DC_SD_JWT,
    JWT_VC_JSON,
    LDP_VC,
    CredentialQuery,
    DcqlMatch,
    DcqlQuery,
    match_credential,
)
from verifier.openid4vp.errors import InvalidRequest
from verifier.openid4vp.jwt_vp import verify_jwt_vp_json
from verifier.policy import VerificationOptions
from verifier.report import VerificationReport
from verifier.service import Verifier

__all__ = [
    "PresentationOutcome",
    "QueryOutcome",
    "ResponseReport",
    "read_vp_token",
    "verify_vp_token",
]

_MAX_PRESENTATIONS = 8
_CREDENTIAL_FORMAT = {DC_SD_JWT: "dc+sd-jwt", LDP_VC: "data_integrity", JWT_VC_JSON: "jwt_vc_json"}
"""The verifier's report ``format`` of the credential each DCQL format carries."""


@dataclass(frozen=True)
class PresentationOutcome:
    """One presentation: its verification report and how its credential met the query.

    ``problem`` is set when the presentation could not even be verified (unreadable, more than
    one credential, the wrong format)."""

    report: VerificationReport | None
    match: DcqlMatch | None = None
    problem: str | None = None

    @property
    def verified(self) -> bool:
        return (
            self.problem is None
            and self.report is not None
            and self.report.verified
            and self.match is not None
            and self.match.ok
        )

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"verified": self.verified}
        if self.problem is not None:
            body["problem"] = self.problem
        if self.match is not None:
            body["query_match"] = self.match.to_dict()
        if self.report is not None:
            body["verification"] = self.report.to_dict()
        return body


@dataclass(frozen=True)
class QueryOutcome:
    """The presentations sent for one Credential Query."""

    query_id: str
    format: str
    presentations: tuple[PresentationOutcome, ...]

    @property
    def accepted(self) -> bool:
        return bool(self.presentations) and all(p.verified for p in self.presentations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "accepted": self.accepted,
            "presentations": [p.to_dict() for p in self.presentations],
        }


@dataclass(frozen=True)
class ResponseReport:
    """The verdict on one Authorization Response: one entry per Credential Query answered."""

    queries: tuple[QueryOutcome, ...]
    satisfied: bool

    @property
    def verified(self) -> bool:
        return self.satisfied

    def to_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "query_satisfied": self.satisfied,
            "credential_queries": {q.query_id: q.to_dict() for q in self.queries},
        }


def read_vp_token(raw: str, query: DcqlQuery) -> dict[str, list[Any]]:
    """The ``vp_token`` form parameter as ``{query id: [presentation, …]}`` (§8.1), or
    :class:`InvalidRequest`."""
    try:
        token = load_json(raw, what="vp_token")
    except UnverifiableInputError as exc:
        raise InvalidRequest(exc.message) from None
    if not isinstance(token, dict) or not token:
        raise InvalidRequest("vp_token is a non-empty JSON object keyed by credential query id")
    for query_id, presentations in token.items():
        credential_query = query.query(query_id)
        if credential_query is None:
            raise InvalidRequest(f"vp_token answers {query_id!r}, which the query does not ask")
        if not isinstance(presentations, list) or not presentations:
            raise InvalidRequest(f"vp_token[{query_id!r}] is not a non-empty array")
        limit = _MAX_PRESENTATIONS if credential_query.multiple else 1
        if len(presentations) > limit:
            raise InvalidRequest(f"vp_token[{query_id!r}] has more than {limit} presentation(s)")
    return token


def _verify_one(
    presentation: Any,
    query: CredentialQuery,
    *,
    verifier: Verifier,
    resolver: DidResolver,
    now: datetime,
    nonce: str,
    client_id: str,
) -> PresentationOutcome:
    options = VerificationOptions(challenge=nonce, domain=client_id)
    try:
        if query.format == JWT_VC_JSON:
            if not isinstance(presentation, str):
                return PresentationOutcome(None, problem="a jwt_vc_json presentation is a JWT")
            report = verify_jwt_vp_json(
                presentation,
                verifier=verifier,
                resolver=resolver,
                now=now,
                nonce=nonce,
                audience=client_id,
            )
        elif query.format == DC_SD_JWT:
            if not isinstance(presentation, str) or "~" not in presentation:
                return PresentationOutcome(None, problem="a dc+sd-jwt presentation is an SD-JWT+KB")
            report = verifier.verify_presentation(presentation, options=options)
        else:
            if not isinstance(presentation, Mapping):
                return PresentationOutcome(None, problem="an ldp_vc presentation is a JSON object")
            report = verifier.verify_presentation(presentation, options=options)
    except UnverifiableInputError as exc:
        return PresentationOutcome(None, problem=f"{exc.code}: {exc.message}")
    if query.format == DC_SD_JWT:
        credentials = report.credentials
    else:
        if report.format != ("data_integrity" if query.format == LDP_VC else JWT_VC_JSON):
            return PresentationOutcome(report, problem=f"not an {query.format} presentation")
        credentials = report.credentials
    if len(credentials) != 1:
        return PresentationOutcome(
            report, problem=f"a presentation carries one credential, not {len(credentials)}"
        )
    credential = credentials[0]
    if credential.format != _CREDENTIAL_FORMAT[query.format]:
        return PresentationOutcome(
            report, problem=f"the credential is {credential.format}, not {query.format}"
        )
    if credential.document is None:
        return PresentationOutcome(report)  # the report says why it was not verified
    return PresentationOutcome(
        report, match_credential(query, query.format, dict(credential.document))
    )


def verify_vp_token(
    token: Mapping[str, list[Any]],
    query: DcqlQuery,
    *,
    verifier: Verifier,
    resolver: DidResolver,
    now: datetime,
    nonce: str,
    client_id: str,
) -> ResponseReport:
    """Verify every presentation of a read ``vp_token`` (module doc)."""
    outcomes: list[QueryOutcome] = []
    for query_id, presentations in token.items():
        credential_query = query.query(query_id)
        if credential_query is None:  # pragma: no cover - read_vp_token refused it
            raise InvalidRequest(f"unknown credential query {query_id!r}")
        checked = tuple(
            _verify_one(
                p,
                credential_query,
                verifier=verifier,
                resolver=resolver,
                now=now,
                nonce=nonce,
                client_id=client_id,
            )
            for p in presentations
        )
        outcomes.append(QueryOutcome(query_id, credential_query.format, checked))
    satisfied = query.satisfied_by(q.query_id for q in outcomes if q.accepted)
    return ResponseReport(tuple(outcomes), satisfied)
