"""The verifier's checks that need no key and no network: each returns a :class:`Check`.

* :func:`well_formed_credential` / :func:`well_formed_presentation` — the VCDM structure
  (VCDM 2.0 §4.3-§4.13, VCDM 1.1 §4) and, for Data Integrity documents, JSON-LD expansion in
  safe mode with the pinned contexts only (VCDM 2.0 App. B.1: "if JSON-LD expansion ...
  raises an error, verification MUST fail"; VC-DI §2.4.3; specs.md §11 step 3).
* :func:`validity` — ``validFrom``/``validUntil`` (VCDM 2.0 §4.9), ``issuanceDate``/
  ``expirationDate`` (VCDM 1.1 §4.6, §4.7) and a JWT's ``nbf``/``exp``, with a clock skew.
* :func:`completeness` — the eleven mandatory Annex I elements of Council Recommendation
  2022/C 243/02 in an ELM credential (specs.md §9.4), via
  :func:`vc_core.model.completeness.check_completeness`.
* :func:`issuer_trust` — the issuer against a :class:`~verifier.ports.TrustRegistry`; with an
  :class:`~verifier.ports.AllianceTrustRegistry`, also the awarding bodies and their mandates
  (:func:`verifier.trust.alliance_trust`).
* :func:`holder_binding` — a presented credential's subject is the presenter (specs.md §11
  step 9).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeGuard

from vc_core.errors import VCDM_PROBLEM, MalformedInputError
from vc_core.jsonld.canonicalize import Canonicalizer
from vc_core.jsonld.safe_mode import is_absolute_iri
from vc_core.model.completeness import check_completeness
from verifier.formats import types_of
from verifier.ports import AllianceTrustRegistry, TrustRegistry
from verifier.report import Check, CheckName, ReportWarning
from verifier.trust import MandateVerifier, TrustCode, TrustRegistryError, alliance_trust

__all__ = [
    "VC_V1_CONTEXT",
    "VC_V2_CONTEXT",
    "completeness",
    "did_of",
    "holder_binding",
    "id_of",
    "issuer_trust",
    "parse_xsd_datetime",
    "subject_ids",
    "validity",
    "well_formed_credential",
    "well_formed_presentation",
]

VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
ELM_TYPE = "EuropeanDigitalCredential"
_MALFORMED = VCDM_PROBLEM + "MALFORMED_VALUE_ERROR"
_RANGE = VCDM_PROBLEM + "RANGE_ERROR"
_V2_ZONED = frozenset({"validFrom", "validUntil"})  # VCDM 2.0 §4.9: dateTimeStamp
# XSD 1.1 dateTime lexical form (dateTimeStamp when the zone is present)
_XSD_DATETIME = re.compile(
    r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?P<zone>Z|[+-]\d{2}:\d{2})?"
)


# -- small readers --------------------------------------------------------------------------


def id_of(value: Any) -> str | None:
    """``issuer``/``holder``: a URL string, or an object's ``id`` (VCDM 2.0 §4.7)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def did_of(value: str) -> str:
    """The DID (or URL) without its fragment: ``did:web:a#key-1`` → ``did:web:a``."""
    return value.split("#", 1)[0]


def subject_ids(document: Mapping[str, Any]) -> list[str]:
    subjects = document.get("credentialSubject")
    items = subjects if isinstance(subjects, list) else [subjects]
    return [str(s["id"]) for s in items if isinstance(s, Mapping) and isinstance(s.get("id"), str)]


def parse_xsd_datetime(value: object) -> tuple[datetime, bool] | None:
    """``(instant, had_zone)`` of an XSD ``dateTime`` string (a zoneless one is read as UTC);
    ``None`` when it is not one."""
    if not isinstance(value, str):
        return None
    match = _XSD_DATETIME.fullmatch(value)
    if match is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC), False
    return parsed, True


def _context_list(document: Mapping[str, Any]) -> list[Any] | None:
    context = document.get("@context")
    if isinstance(context, str):
        return [context]
    if isinstance(context, list) and context:
        return context
    return None


class _Malformed(Exception):
    def __init__(self, code: str, message: str, problem_type: str = _MALFORMED) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.problem_type = problem_type


def _check_contexts(document: Mapping[str, Any], *, require_v2: bool, what: str) -> str:
    """The base context (v1 or v2) after checking ``@context`` (VCDM 2.0 §4.3)."""
    contexts = _context_list(document)
    if contexts is None:
        raise _Malformed("invalid_context", f"a {what} needs an @context (URL or list)")
    if not all(isinstance(c, str | dict) for c in contexts):
        raise _Malformed("invalid_context", "@context items are URLs or objects")
    first = contexts[0]
    allowed = (VC_V2_CONTEXT,) if require_v2 else (VC_V2_CONTEXT, VC_V1_CONTEXT)
    if first not in allowed:
        raise _Malformed(
            "invalid_context",
            f"the first @context of a {what} must be {' or '.join(allowed)}, not {first!r}",
        )
    return str(first)


def _check_type(document: Mapping[str, Any], required: str) -> None:
    value = document.get("type")
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(t, str) and t for t in items) or required not in items:
        raise _Malformed("invalid_type", f"type must be a string or strings including {required}")


def _check_url(value: Any, name: str, code: str) -> str:
    if not isinstance(value, str) or not is_absolute_iri(value) or value.startswith("_:"):
        raise _Malformed(code, f"{name} must be a URL, not {value!r}")
    return value


def _check_dates(
    document: Mapping[str, Any],
    names: Sequence[str],
    warnings: list[ReportWarning],
    *,
    zoned: frozenset[str] = frozenset(),
) -> None:
    """XSD ``dateTime`` values; those in ``zoned`` must be ``dateTimeStamp`` (with a zone)."""
    for name in names:
        if name not in document:
            continue
        parsed = parse_xsd_datetime(document[name])
        if parsed is None:
            raise _Malformed("invalid_date", f"{name} {document[name]!r} is not an XSD dateTime")
        if parsed[1]:
            continue
        if name in zoned:
            raise _Malformed(
                "invalid_date", f"{name} must be an XSD dateTimeStamp (with a time zone)"
            )
        warnings.append(
            ReportWarning("date_without_timezone", f"{name} has no time zone; read as UTC")
        )


def _jsonld(canonicalizer: Canonicalizer | None, document: Mapping[str, Any]) -> None:
    if canonicalizer is None:
        return
    try:
        canonicalizer.canonize({k: v for k, v in document.items() if k != "proof"})
    except MalformedInputError as exc:
        raise _Malformed(exc.code, exc.message, exc.problem_type) from None


# -- well_formed ----------------------------------------------------------------------------


def well_formed_credential(
    document: Mapping[str, Any],
    *,
    require_v2: bool = False,
    canonicalizer: Canonicalizer | None = None,
) -> tuple[Check, list[ReportWarning]]:
    """The VCDM checks of a credential; JSON-LD safe mode when ``canonicalizer`` is given.

    ``require_v2`` for ``vc+jwt`` (VC-JOSE-COSE secures VCDM 2.0 only). A VCDM 1.1 credential
    needs ``issuanceDate`` (VCDM 1.1 §4.6).
    """
    warnings: list[ReportWarning] = []
    try:
        base = _check_contexts(document, require_v2=require_v2, what="credential")
        _check_type(document, "VerifiableCredential")
        if "id" in document:
            _check_url(document["id"], "id", "invalid_id")
        issuer = id_of(document.get("issuer"))
        if issuer is None:
            raise _Malformed("invalid_issuer", "issuer must be a URL or an object with an id")
        _check_url(issuer, "issuer", "invalid_issuer")
        subjects = document.get("credentialSubject")
        items = subjects if isinstance(subjects, list) else [subjects]
        if not items or not all(isinstance(s, Mapping) and s for s in items):
            raise _Malformed(
                "invalid_credential_subject",
                "credentialSubject must be one or more non-empty objects",
            )
        if base == VC_V1_CONTEXT and "issuanceDate" not in document:
            raise _Malformed("missing_issuance_date", "a VCDM 1.1 credential needs issuanceDate")
        _check_dates(
            document,
            ("validFrom", "validUntil", "issuanceDate", "expirationDate", "issued"),
            warnings,
            zoned=_V2_ZONED if base == VC_V2_CONTEXT else frozenset(),
        )
        status = document.get("credentialStatus")
        if status is not None:
            entries = status if isinstance(status, list) else [status]
            if not all(isinstance(e, Mapping) and types_of(e) for e in entries):
                raise _Malformed(
                    "invalid_credential_status", "each credentialStatus is an object with a type"
                )
        _jsonld(canonicalizer, document)
    except _Malformed as bad:
        return Check.failed(
            CheckName.WELL_FORMED, bad.code, bad.message, problem_type=bad.problem_type
        ), warnings
    version = "2.0" if base == VC_V2_CONTEXT else "1.1"
    return Check.passed(
        CheckName.WELL_FORMED,
        f"a well-formed VCDM {version} credential",
        details={"vcdm": version},
    ), warnings


def well_formed_presentation(
    document: Mapping[str, Any],
    *,
    max_credentials: int,
    canonicalizer: Canonicalizer | None = None,
) -> Check:
    """The VCDM checks of a presentation (VCDM 2.0 §4.13): ``type``, ``holder``, and
    ``verifiableCredential`` entries that are objects (strings and URLs are not allowed)."""
    try:
        base = _check_contexts(document, require_v2=False, what="presentation")
        _check_type(document, "VerifiablePresentation")
        if "id" in document:
            _check_url(document["id"], "id", "invalid_id")
        if "holder" in document:
            holder = id_of(document["holder"])
            if holder is None:
                raise _Malformed("invalid_holder", "holder must be a URL or an object with an id")
            _check_url(holder, "holder", "invalid_holder")
        entries = document.get("verifiableCredential", [])
        items = entries if isinstance(entries, list) else [entries]
        if not all(isinstance(e, Mapping) for e in items):
            raise _Malformed(
                "invalid_credential_entry",
                "verifiableCredential entries are objects (wrap a JWT in an "
                "EnvelopedVerifiableCredential)",
            )
        # A credential without a proof of its own is allowed (VCDM 2.0 §4.12.4): the verifier
        # decides per credential whether the presentation's proof covers it.
        if len(items) > max_credentials:
            raise _Malformed(
                "too_many_credentials",
                f"the presentation has {len(items)} credentials; at most {max_credentials}",
            )
        _jsonld(canonicalizer, document)
    except _Malformed as bad:
        return Check.failed(
            CheckName.WELL_FORMED, bad.code, bad.message, problem_type=bad.problem_type
        )
    version = "2.0" if base == VC_V2_CONTEXT else "1.1"
    return Check.passed(
        CheckName.WELL_FORMED,
        f"a well-formed VCDM {version} presentation",
        details={"vcdm": version},
    )


# -- validity -------------------------------------------------------------------------------


def _instant(value: Any) -> datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    parsed = parse_xsd_datetime(value)
    return parsed[0] if parsed else None


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def validity(
    document: Mapping[str, Any],
    *,
    now: datetime,
    skew: timedelta,
    jwt_claims: Mapping[str, Any] | None = None,
) -> Check:
    """Whether ``now`` lies in the credential's validity period, give or take ``skew``.

    Starts: ``validFrom``, ``issuanceDate`` and a JWT's ``nbf``; ends: ``validUntil``,
    ``expirationDate`` and ``exp``. The latest start and the earliest end count. A start after
    the end is ``invalid_validity_period`` (VCDM 2.0 §4.9).
    """
    claims = jwt_claims or {}
    starts = [
        (name, moment)
        for name, value in (
            ("validFrom", document.get("validFrom")),
            ("issuanceDate", document.get("issuanceDate")),
            ("nbf", claims.get("nbf")),
        )
        if (moment := _instant(value)) is not None
    ]
    ends = [
        (name, moment)
        for name, value in (
            ("validUntil", document.get("validUntil")),
            ("expirationDate", document.get("expirationDate")),
            ("exp", claims.get("exp")),
        )
        if (moment := _instant(value)) is not None
    ]
    start = max(starts, key=lambda item: item[1], default=None)
    end = min(ends, key=lambda item: item[1], default=None)
    details: dict[str, Any] = {"now": _stamp(now), "clock_skew_seconds": skew.total_seconds()}
    if start is not None:
        details["valid_from"] = _stamp(start[1])
    if end is not None:
        details["valid_until"] = _stamp(end[1])
    if start is not None and end is not None and start[1] > end[1]:
        return Check.failed(
            CheckName.VALIDITY,
            "invalid_validity_period",
            f"{start[0]} {_stamp(start[1])} is after {end[0]} {_stamp(end[1])}",
            problem_type=_RANGE,
            details=details,
        )
    if start is not None and now + skew < start[1]:
        return Check.failed(
            CheckName.VALIDITY,
            "not_yet_valid",
            f"the credential is not valid before {_stamp(start[1])} ({start[0]})",
            problem_type=_RANGE,
            details=details,
        )
    if end is not None and now - skew > end[1]:
        return Check.failed(
            CheckName.VALIDITY,
            "expired",
            f"the credential expired at {_stamp(end[1])} ({end[0]})",
            problem_type=_RANGE,
            details=details,
        )
    if start is None and end is None:
        return Check.passed(CheckName.VALIDITY, "no validity period is stated", details=details)
    return Check.passed(CheckName.VALIDITY, "within its validity period", details=details)


# -- ELM completeness ----------------------------------------------------------------------


def completeness(
    document: Mapping[str, Any], *, required: bool = True
) -> tuple[Check, list[ReportWarning]]:
    """The Annex I check of an ELM credential (``EuropeanDigitalCredential``); skipped for any
    other credential. ``required=False`` turns missing elements into a warning."""
    if ELM_TYPE not in types_of(document):
        return Check.skipped(
            CheckName.COMPLETENESS, "not_elm", "not an ELM credential (EuropeanDigitalCredential)"
        ), []
    try:
        report = check_completeness(document)
    except MalformedInputError as exc:
        return Check.failed(
            CheckName.COMPLETENESS, "incomplete", f"no Annex I element can be read: {exc.message}"
        ), []
    details = {
        "missing": [str(e) for e in report.missing],
        "missing_optional": [str(e) for e in report.missing_optional],
    }
    if report.complete:
        return Check.passed(
            CheckName.COMPLETENESS,
            "all 11 mandatory Annex I elements are present",
            details=details,
        ), []
    message = "missing mandatory Annex I elements: " + ", ".join(details["missing"])
    if not required:
        return Check.passed(CheckName.COMPLETENESS, message, details=details), [
            ReportWarning("incomplete", message)
        ]
    return Check.failed(CheckName.COMPLETENESS, "incomplete", message, details=details), []


# -- trust and holder binding ---------------------------------------------------------------


_ALLIANCE_KINDS: dict[type, bool] = {}


def _speaks_alliances(registry: TrustRegistry) -> TypeGuard[AllianceTrustRegistry]:
    """``isinstance(registry, AllianceTrustRegistry)``, answered once per class (a protocol
    check inspects every member, on every verification otherwise; the members are methods)."""
    kind = type(registry)
    known = _ALLIANCE_KINDS.get(kind)
    if known is None:
        known = _ALLIANCE_KINDS[kind] = isinstance(registry, AllianceTrustRegistry)
    return known


def issuer_trust(
    registry: TrustRegistry | None,
    issuer: str,
    *,
    document: Mapping[str, Any] | None = None,
    mandates: MandateVerifier | None = None,
) -> Check:
    """The issuer against ``registry``: skipped without one (``no_trust_registry``).

    An :class:`~verifier.ports.AllianceTrustRegistry` given the verified ``document`` and a
    :class:`~verifier.trust.MandateVerifier` also checks the awarding bodies and their
    mandates (:func:`verifier.trust.alliance_trust`); any other registry is an allow-list of
    issuers (``untrusted_issuer``).
    """
    if registry is None:
        return Check.skipped(
            CheckName.ISSUER_TRUST, "no_trust_registry", "no trust registry configured"
        )
    if document is not None and mandates is not None and _speaks_alliances(registry):
        try:
            alliances = registry.alliances()
        except TrustRegistryError as exc:
            return Check.failed(
                CheckName.ISSUER_TRUST,
                str(TrustCode.REGISTRY_UNAVAILABLE),
                exc.message,
                details={"registry": registry.name},
            )
        return alliance_trust(
            alliances, document, issuer, registry_name=registry.name, verifier=mandates
        )
    if registry.is_trusted_issuer(issuer):
        return Check.passed(
            CheckName.ISSUER_TRUST,
            f"{issuer} is trusted by {registry.name}",
            details={"registry": registry.name},
        )
    return Check.failed(
        CheckName.ISSUER_TRUST,
        "untrusted_issuer",
        f"{issuer} is not in {registry.name}",
        details={"registry": registry.name},
    )


def holder_binding(document: Mapping[str, Any], holder: str | None) -> Check:
    """A presented credential must be about its presenter: a ``credentialSubject.id`` equals the
    holder's DID (the presentation's ``holder``, else the DID that signed it)."""
    if holder is None:
        return Check.skipped(
            CheckName.HOLDER_BINDING, "no_holder", "the presentation's holder is unknown"
        )
    ids = subject_ids(document)
    if not ids:
        return Check.failed(
            CheckName.HOLDER_BINDING,
            "no_subject_id",
            "the credential names no credentialSubject.id to bind to the holder",
            details={"holder": holder},
        )
    if did_of(holder) in {did_of(i) for i in ids}:
        return Check.passed(
            CheckName.HOLDER_BINDING,
            f"the credential's subject is the holder {did_of(holder)}",
            details={"holder": holder},
        )
    return Check.failed(
        CheckName.HOLDER_BINDING,
        "holder_mismatch",
        f"the credential's subject {ids} is not the holder {did_of(holder)}",
        details={"holder": holder, "subjects": ids},
    )
