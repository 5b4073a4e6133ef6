"""Alliance trust registries and the ``issuer_trust`` check of joint micro-credentials.

A European University alliance awards joint micro-credentials through its coordinator: the
coordinator's DID is the credential's only ``issuer`` and every partner that awards is an
``awardingBody`` (specs.md §9.5). A verifier that trusts *the alliance* therefore needs two
answers: is the issuer a member, and did every awarding body authorise the issuer to award on
its behalf (an *awarding mandate*, a small credential the awarding body signed with its own DID:
:mod:`issuer.mandates`)? An :class:`AllianceRegistry` holds what those answers are checked
against (docs/trust-registry.md)::

    {
      "alliance": {"id": "arqus", "name": {"en": "Arqus European University Alliance"}},
      "members": [
        {"did": "did:web:…", "legal_name": {"en": "University of Granada"}, "country": "ES",
         "erasmus_code": "E  GRANADA01", "schac_code": "ugr.es", "role": "coordinator"}, …],
      "mandates": [
        {"id": "urn:uuid:…", "awarding_body": "did:web:…:partners:leipzig",
         "coordinator": "did:web:…", "specifications": ["urn:mcred:arqus:specification:…"],
         "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2028-12-31T23:59:59Z",
         "credential": {… the signed AwardingMandateCredential …}}, …]
    }

Two ways in:

* :func:`load_registry_file` — a JSON file the verifier's operator pinned (one registry, or a
  list of them). Every problem is a :class:`~vc_core.errors.FieldError` with a dotted ``loc``
  (``members.1.country``). Being pinned, its mandates may be bare declarations (no
  ``credential``): the operator vouches for them.
* :func:`verify_signed_registry` — the registry as the coordinator publishes it
  (``GET /alliances/{id}/registry``): a VCDM 2.0 credential of type
  ``AllianceTrustRegistryCredential`` whose ``credentialSubject`` is the registry, secured as
  ``application/vc+jwt`` (VC-JOSE-COSE). Why JOSE and not ``eddsa-rdfc-2022``: the registry's
  terms (``members``, ``erasmus_code``, …) are defined by no pinned JSON-LD context, and a
  Data Integrity proof over them would need a new pinned context (or the VCDM 2.0
  ``issuer-dependent`` ``@vocab``, which is meant for development); a JWS secures the exact
  bytes, with no JSON-LD processing at all. The signer must be a *trust anchor* (a DID pinned
  in the verifier's settings), the registry's coordinator, and the JWT's ``issuer``; its key
  is resolved through the verifier's DID resolver (``assertionMethod``). Every mandate of a
  signed registry carries its signed mandate credential: the coordinator cannot vouch for
  its own mandates.

The ``issuer_trust`` check (:func:`alliance_trust`) passes with "issued by X on behalf of A, B, C
(members of alliance N)", or fails with one reason code: ``unknown_issuer``,
``unknown_awarding_body``, ``mandate_missing``, ``mandate_expired`` (no mandate valid on the
credential's date of issue), ``mandate_invalid`` (a mandate whose proof fails, or that someone
other than the awarding body signed), ``trust_registry_unavailable``. Mandates come from the
registry and from the credential's ``evidence`` (an embedded ``AwardingMandateCredential``);
every mandate credential is verified with the verifier's resolver and must be signed by the
awarding body's DID listed in the registry. A verifier remembers the mandate credentials whose
proofs verified (:class:`VerifiedProofCache`, by exact digest) while the awarding body's DID
document stays the same, so the same mandates are not canonicalized again for every credential.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, ClassVar

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from vc_core.dids.document import DidDocument, split_did_url
from vc_core.dids.resolver import DidResolver, resolve_verification_method
from vc_core.errors import (
    SECURITY_PROBLEM,
    DidError,
    FieldError,
    KeyFormatError,
    MalformedInputError,
    ModelValidationError,
    VcCoreError,
)
from vc_core.jose import decode_unverified_header, verify_vc_jwt
from vc_core.jsonld.canonicalize import Canonicalizer
from vc_core.model.microcredential import (
    CountryCode,
    Did,
    ErasmusCode,
    LanguageMap,
    NonEmptyStr,
    SchacHome,
    Timestamp,
    field_errors,
)
from vc_core.proofs.data_integrity import verify_proofs
from vc_core.strict_json import StrictJsonError, loads_strict
from verifier.ports import AllianceTrustRegistry
from verifier.proofs import KeyLog, guarded_key_resolver
from verifier.report import Check, CheckName

__all__ = [
    "MANDATE_CREDENTIAL_TYPE",
    "MAX_REGISTRY_BYTES",
    "REGISTRY_CREDENTIAL_TYPE",
    "REGISTRY_JWS_ALGS",
    "REGISTRY_SUBJECT_TYPE",
    "AllianceInfo",
    "AllianceRegistries",
    "AllianceRegistry",
    "Member",
    "MemberRole",
    "RegistryMandate",
    "SignedRegistryClient",
    "TrustCode",
    "TrustRegistryError",
    "UntrustedRegistryError",
    "VerifiedProofCache",
    "alliance_trust",
    "document_digest",
    "load_registry_file",
    "parse_registries",
    "verify_signed_registry",
]

REGISTRY_CREDENTIAL_TYPE = "AllianceTrustRegistryCredential"
REGISTRY_SUBJECT_TYPE = "AllianceTrustRegistry"
MANDATE_CREDENTIAL_TYPE = "AwardingMandateCredential"
"""The type of an awarding mandate credential (:mod:`issuer.mandates`)."""
REGISTRY_JWS_ALGS: frozenset[str] = frozenset({"EdDSA", "ES256"})
"""The algorithms a signed registry may use (the coordinator's Ed25519 and P-256 keys)."""
MAX_REGISTRY_BYTES = 1024 * 1024
"""A registry is a few kilobytes per member; anything above 1 MiB is refused unread."""

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+\-.]*:\S+$")
_CITED_MANDATE = re.compile(r"urn:uuid:[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")
_PROOF_ERROR = SECURITY_PROBLEM + "PROOF_VERIFICATION_ERROR"
_DEFER_CROSS_CHECKS = "defer_cross_checks"


# --------------------------------------------------------------------------- errors


class TrustRegistryError(VcCoreError):
    """A trust registry could not be had or used (the base of this module's errors).

    ``ModelValidationError`` (from :mod:`vc_core.errors`) is raised instead for a registry that
    is readable but breaks a rule: it names every offending field.
    """

    code: ClassVar[str] = "trust_registry_unavailable"
    problem_type: ClassVar[str] = _PROOF_ERROR


class UntrustedRegistryError(TrustRegistryError):
    """A signed registry that does not verify; ``reason`` says why (``untrusted_signer``,
    ``invalid_signature``, ``key_confusion``, ``wrong_type``, ``expired``, ``unreadable``…)."""

    code = "untrusted_registry"

    def __init__(
        self, reason: str, message: str, *, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message, details={**(details or {}), "reason": reason})
        self.reason = reason


# --------------------------------------------------------------------------- the model


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            f"{value!r} is not an id: use 1 to 64 lowercase letters, digits and inner hyphens"
        )
    return value


def _iri(value: str) -> str:
    if not _ABSOLUTE_IRI.match(value):
        raise ValueError(f"{value!r} is not an absolute IRI")
    return value


Slug = Annotated[str, AfterValidator(_slug)]
Iri = Annotated[str, AfterValidator(_iri)]


def pick_text(texts: Mapping[str, str]) -> str:
    """The English text of a language map, else its first."""
    return texts.get("en") or next(iter(texts.values()))


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class MemberRole(enum.StrEnum):
    COORDINATOR = "coordinator"
    PARTNER = "partner"


class AllianceInfo(_Model):
    """The alliance: its id (as in the alliance file) and name."""

    id: Slug
    name: LanguageMap


class Member(_Model):
    """A member organisation of the alliance, by DID."""

    did: Did
    legal_name: LanguageMap
    country: CountryCode
    erasmus_code: ErasmusCode | None = None
    schac_code: SchacHome | None = None
    role: MemberRole

    @field_validator("country", mode="before")
    @classmethod
    def _yaml_norway(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("a country code (ISO 3166-1 alpha-2) is required, not a boolean")
        return value

    @model_validator(mode="after")
    def _identified(self) -> Member:
        if self.erasmus_code is None and self.schac_code is None:
            raise ValueError("a member needs an erasmus_code or a schac_code")
        return self

    @property
    def name(self) -> str:
        return pick_text(self.legal_name)

    def summary(self) -> dict[str, Any]:
        """What the report shows of the member."""
        body: dict[str, Any] = {
            "did": self.did,
            "legal_name": self.name,
            "country": self.country,
            "role": str(self.role),
        }
        if self.erasmus_code is not None:
            body["erasmus_code"] = self.erasmus_code
        if self.schac_code is not None:
            body["schac_code"] = self.schac_code
        return body


class RegistryMandate(_Model):
    """An awarding mandate: ``awarding_body`` authorises ``coordinator`` to award
    ``specifications`` from ``valid_from`` to ``valid_until``.

    ``credential`` is the mandate credential the awarding body signed (required in a signed
    registry). When given, it must say what the entry says (issuer, subject, specification,
    period, id); its proof is checked when a credential is verified, with the verifier's
    resolver, not when the registry is loaded.
    """

    id: Iri | None = None
    awarding_body: Did
    coordinator: Did
    specifications: tuple[NonEmptyStr, ...] = Field(min_length=1, max_length=1000)
    valid_from: Timestamp
    valid_until: Timestamp
    credential: dict[str, Any] | None = None

    @field_validator("valid_until")
    @classmethod
    def _after_valid_from(cls, until: datetime, info: ValidationInfo) -> datetime:
        start: datetime | None = info.data.get("valid_from")
        if start is not None and until <= start:
            raise ValueError("valid_until must be later than valid_from")
        return until

    @model_validator(mode="after")
    def _credential_agrees(self) -> RegistryMandate:
        if self.credential is None:
            return self
        read = _read_mandate(self.credential)
        problems = []
        if read.issuer != self.awarding_body:
            problems.append(f"its issuer {read.issuer!r} is not the awarding_body")
        if read.coordinator != self.coordinator:
            problems.append(f"its credentialSubject.id {read.coordinator!r} is not the coordinator")
        if read.specification not in self.specifications:
            problems.append(f"its specification {read.specification!r} is not listed")
        if read.valid_from != self.valid_from or read.valid_until != self.valid_until:
            problems.append("its validFrom/validUntil differ from valid_from/valid_until")
        if self.id is not None and read.id != self.id:
            problems.append(f"its id {read.id!r} is not the mandate's id")
        if problems:
            raise ValueError("the mandate credential disagrees: " + "; ".join(problems))
        return self


class AllianceRegistry(_Model):
    """One alliance's members and mandates (module doc). Build it with :meth:`parse`."""

    alliance: AllianceInfo
    members: tuple[Member, ...] = Field(min_length=1, max_length=1000)
    mandates: tuple[RegistryMandate, ...] = Field(default=(), max_length=10_000)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> AllianceRegistry:
        if isinstance(info.context, Mapping) and info.context.get(_DEFER_CROSS_CHECKS):
            return self  # parse() reports each problem under its own loc
        problems = self.cross_check()
        if problems:
            raise ValueError("; ".join(f"{p.loc}: {p.message}" for p in problems))
        return self

    @classmethod
    def parse(cls, data: Any, *, loc: str = "") -> AllianceRegistry:
        """Validate ``data``; raise :class:`ModelValidationError` naming every offending field
        (``loc`` prefixes every location, e.g. ``"0"`` for the first of a list)."""
        prefix = f"{loc}." if loc else ""
        if not isinstance(data, Mapping):
            raise ModelValidationError(
                [FieldError(loc=loc, message="a trust registry must be a JSON object")]
            )
        try:
            parsed = cls.model_validate(dict(data), context={_DEFER_CROSS_CHECKS: True})
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            errors = parsed.cross_check()
            if not errors:
                return parsed
        raise ModelValidationError(
            [FieldError((prefix + e.loc).rstrip("."), e.message, e.type) for e in errors]
        )

    def cross_check(self) -> list[FieldError]:
        """What field types cannot check: unique DIDs, one coordinator, known mandate parties."""
        problems: list[FieldError] = []
        seen: dict[str, int] = {}
        for i, member in enumerate(self.members):
            first = seen.setdefault(member.did, i)
            if first != i:
                problems.append(
                    FieldError(f"members.{i}.did", f"{member.did} is listed twice", "duplicate")
                )
        coordinators = [m for m in self.members if m.role is MemberRole.COORDINATOR]
        if len(coordinators) != 1:
            problems.append(
                FieldError(
                    "members",
                    f"an alliance has exactly one coordinator, not {len(coordinators)}",
                    "value_error",
                )
            )
        for i, mandate in enumerate(self.mandates):
            for name in ("awarding_body", "coordinator"):
                did = getattr(mandate, name)
                if did not in seen:
                    problems.append(
                        FieldError(
                            f"mandates.{i}.{name}", f"{did} is not a member", "reference_error"
                        )
                    )
        return problems

    # -- lookups --------------------------------------------------------------------------
    def member(self, did: str) -> Member | None:
        return next((m for m in self.members if m.did == did), None)

    @property
    def coordinator(self) -> Member:
        return next(m for m in self.members if m.role is MemberRole.COORDINATOR)

    @property
    def name(self) -> str:
        return pick_text(self.alliance.name)

    def to_json(self) -> dict[str, Any]:
        """The registry as JSON (what :meth:`parse` reads back)."""
        return self.model_dump(mode="json", exclude_none=True)


def parse_registries(data: Any) -> tuple[AllianceRegistry, ...]:
    """One registry (a JSON object) or several (a JSON array of them), every problem named."""
    if isinstance(data, list):
        if not data:
            raise ModelValidationError([FieldError("", "the list of registries is empty")])
        found: list[AllianceRegistry] = []
        problems: list[FieldError] = []
        for i, item in enumerate(data):
            try:
                found.append(AllianceRegistry.parse(item, loc=str(i)))
            except ModelValidationError as exc:
                problems.extend(exc.errors)
        ids = [r.alliance.id for r in found]
        for i, alliance_id in enumerate(ids):
            if alliance_id in ids[:i]:
                problems.append(
                    FieldError(f"{i}.alliance.id", f"alliance {alliance_id!r} twice", "duplicate")
                )
        if problems:
            raise ModelValidationError(problems)
        return tuple(found)
    return (AllianceRegistry.parse(data),)


def _syntax_error(message: str) -> ModelValidationError:
    return ModelValidationError([FieldError(loc="", message=message, type="syntax_error")])


def load_registry_file(path: Path) -> tuple[AllianceRegistry, ...]:
    """Read a pinned registry file (strict JSON: no duplicate members, no NaN).

    Raises :class:`ModelValidationError` for every problem, from a syntax error (``loc`` empty)
    to a mandate naming a stranger (``mandates.2.awarding_body``), and :class:`OSError` when the
    file cannot be read.
    """
    if path.stat().st_size > MAX_REGISTRY_BYTES:
        raise _syntax_error(f"a trust registry file is at most {MAX_REGISTRY_BYTES} bytes")
    try:
        data = loads_strict(path.read_bytes())
    except StrictJsonError as exc:
        raise _syntax_error(f"the trust registry file {exc}") from None
    return parse_registries(data)


# --------------------------------------------------------------------------- signed registries


def verify_signed_registry(
    token: str,
    *,
    resolver: DidResolver,
    trust_anchors: Collection[str],
    now: datetime,
    allowed_algs: Collection[str] = REGISTRY_JWS_ALGS,
    leeway: timedelta = timedelta(minutes=5),
) -> AllianceRegistry:
    """The registry inside a signed ``AllianceTrustRegistryCredential`` (``vc+jwt``).

    In order: the ``kid`` is a DID URL of a trust anchor (before anything is resolved); its key
    is listed under ``assertionMethod``; the JWS verifies (``allowed_algs``, ``typ`` ``vc+jwt``,
    ``exp``/``nbf``); the credential's ``issuer`` is the signer; its type; ``validFrom`` /
    ``validUntil`` contain ``now``; the subject is a valid registry whose coordinator is the
    signer and whose every mandate carries its credential. Raises
    :class:`UntrustedRegistryError` (or :class:`ModelValidationError` for a registry that
    breaks a rule).
    """
    return _verified_registry(
        token,
        resolver=resolver,
        trust_anchors=trust_anchors,
        now=now,
        allowed_algs=allowed_algs,
        leeway=leeway,
    )[0]


def _verified_registry(
    token: str,
    *,
    resolver: DidResolver,
    trust_anchors: Collection[str],
    now: datetime,
    allowed_algs: Collection[str] = REGISTRY_JWS_ALGS,
    leeway: timedelta = timedelta(minutes=5),
) -> tuple[AllianceRegistry, datetime | None]:
    """:func:`verify_signed_registry`, with the registry's ``validUntil``."""
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    if not isinstance(token, str) or len(token) > MAX_REGISTRY_BYTES * 2:
        raise UntrustedRegistryError("unreadable", "a signed registry is a compact JWT string")
    token = token.strip()
    try:
        header = decode_unverified_header(token)
        signer, fragment = split_did_url(header.get("kid"))
    except (MalformedInputError, DidError) as exc:
        raise UntrustedRegistryError("unreadable", f"not a signed registry: {exc}") from None
    if fragment is None:
        raise UntrustedRegistryError("unreadable", "the registry's kid is not a DID URL")
    anchors = frozenset(trust_anchors)
    if signer not in anchors:
        raise UntrustedRegistryError(
            "untrusted_signer",
            f"the registry is signed by {signer}, which is not a trust anchor",
            details={"signer": signer, "trust_anchors": sorted(anchors)},
        )
    try:
        key = resolve_verification_method(resolver, header["kid"], "assertionMethod", now=now)
    except (DidError, KeyFormatError) as exc:
        raise UntrustedRegistryError(
            "signer_key", f"the registry signer's key cannot be used: {exc.message}"
        ) from None
    try:
        result = verify_vc_jwt(token, key, allowed_algs=allowed_algs, now=now, leeway=leeway)
    except MalformedInputError as exc:
        raise UntrustedRegistryError("unreadable", f"not a signed registry: {exc}") from None
    if not result.verified or result.document is None:
        reason = str(result.reason or "invalid_signature")
        raise UntrustedRegistryError(
            reason, f"the signed registry does not verify: {result.detail or reason}"
        )
    document = result.document
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if issuer_id != signer:
        raise UntrustedRegistryError(
            "key_confusion", f"the registry's issuer {issuer_id!r} did not sign it ({signer} did)"
        )
    types = document.get("type")
    if not isinstance(types, list) or REGISTRY_CREDENTIAL_TYPE not in types:
        raise UntrustedRegistryError("wrong_type", f"not an {REGISTRY_CREDENTIAL_TYPE}")
    start = _datetime(document.get("validFrom"))
    end = _datetime(document.get("validUntil"))
    if start is None or (document.get("validUntil") is not None and end is None):
        raise UntrustedRegistryError("unreadable", "validFrom/validUntil are not dateTimeStamps")
    if now + leeway < start:
        raise UntrustedRegistryError("not_yet_valid", f"the registry is valid from {start}")
    if end is not None and now - leeway > end:
        raise UntrustedRegistryError("expired", f"the registry expired at {end}")
    subject = document.get("credentialSubject")
    if not isinstance(subject, Mapping):
        raise UntrustedRegistryError("unreadable", "credentialSubject is not an object")
    subject_types = subject.get("type")
    body = {k: v for k, v in subject.items() if k not in ("type", "id")}
    if subject_types != REGISTRY_SUBJECT_TYPE:
        raise UntrustedRegistryError("wrong_type", f"the subject is not an {REGISTRY_SUBJECT_TYPE}")
    registry = AllianceRegistry.parse(body, loc="credentialSubject")
    if registry.coordinator.did != signer:
        raise UntrustedRegistryError(
            "not_coordinator",
            f"the registry is signed by {signer}, not by its coordinator "
            f"{registry.coordinator.did}",
        )
    unsigned = [
        FieldError(
            f"credentialSubject.mandates.{i}.credential",
            "a signed registry's mandate carries the awarding body's signed mandate credential",
            "missing",
        )
        for i, mandate in enumerate(registry.mandates)
        if mandate.credential is None
    ]
    if unsigned:
        raise ModelValidationError(unsigned)
    return registry, end


class AllianceRegistries:
    """An :class:`~verifier.ports.AllianceTrustRegistry` over a provider of registries.

    ``provider`` is called for every verification (the composition root caches, e.g. the
    alliances this service coordinates); :meth:`of` makes one over fixed registries.
    """

    def __init__(
        self, provider: Callable[[], Sequence[AllianceRegistry]], *, name: str = "alliance registry"
    ) -> None:
        self._provider = provider
        self._name = name

    @classmethod
    def of(cls, *registries: AllianceRegistry, name: str | None = None) -> AllianceRegistries:
        fixed = tuple(registries)
        label = name or "alliance registry " + ", ".join(r.alliance.id for r in fixed)
        return cls(lambda: fixed, name=label)

    @classmethod
    def combine(cls, *parts: AllianceTrustRegistry, name: str) -> AllianceRegistries:
        """Every alliance of ``parts`` (a pinned file, a signed registry, this service's own
        alliances). When one part cannot answer, :meth:`alliances` raises: reporting the
        issuer as unknown would be wrong."""

        def provider() -> Sequence[AllianceRegistry]:
            return tuple(registry for part in parts for registry in part.alliances())

        return cls(provider, name=name)

    @property
    def name(self) -> str:
        return self._name

    def alliances(self) -> Sequence[AllianceRegistry]:
        return tuple(self._provider())

    def is_trusted_issuer(self, issuer: str) -> bool:
        return any(r.member(issuer) is not None for r in self.alliances())


class SignedRegistryClient:
    """An :class:`~verifier.ports.AllianceTrustRegistry` kept from a signed registry URL.

    ``fetch(url)`` returns the compact JWT served at ``url`` (the composition root wraps the
    guarded fetcher) and raises :class:`TrustRegistryError` when nothing usable came back. The
    registry is verified with :func:`verify_signed_registry` against ``trust_anchors`` and kept
    for ``refresh``; when a refresh fails, the last good registry serves until its own
    ``validUntil`` (``max_stale`` when it has none), then :meth:`alliances` raises
    :class:`TrustRegistryError` (the check reports ``trust_registry_unavailable``).
    """

    def __init__(
        self,
        url: str,
        fetch: Callable[[str], str],
        *,
        resolver: DidResolver,
        trust_anchors: Collection[str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        refresh: timedelta = timedelta(minutes=10),
        max_stale: timedelta = timedelta(days=1),
    ) -> None:
        if not trust_anchors:
            raise ValueError("a signed registry needs at least one trust anchor DID")
        self._url = url
        self._fetch = fetch
        self._resolver = resolver
        self._anchors = frozenset(trust_anchors)
        self._clock = clock
        self._refresh = refresh
        self._max_stale = max_stale
        self._lock = threading.Lock()
        self._kept: tuple[AllianceRegistry, datetime, datetime] | None = None
        """(registry, fetched at, usable until)"""

    @property
    def name(self) -> str:
        return f"signed alliance registry {self._url}"

    def alliances(self) -> Sequence[AllianceRegistry]:
        now = self._clock()
        kept = self._kept
        if kept is not None and now < kept[1] + self._refresh:
            return (kept[0],)
        # fetched outside the lock: no verification waits on another's fetch (two threads may
        # both fetch when it is due; the fetcher's cache and timeouts bound that)
        try:
            registry, until = _verified_registry(
                self._fetch(self._url),
                resolver=self._resolver,
                trust_anchors=self._anchors,
                now=now,
            )
        except (TrustRegistryError, ModelValidationError) as exc:
            if kept is not None and now <= kept[2]:
                return (kept[0],)
            raise TrustRegistryError(
                f"the trust registry at {self._url} is unavailable: {exc.message}",
                details={"url": self._url, **exc.details},
            ) from exc
        with self._lock:
            current = self._kept
            if current is None or current[1] <= now:  # never replace a newer fetch
                self._kept = (registry, now, until or now + self._max_stale)
        return (registry,)

    def is_trusted_issuer(self, issuer: str) -> bool:
        try:
            return any(r.member(issuer) is not None for r in self.alliances())
        except TrustRegistryError:
            return False


# --------------------------------------------------------------------------- reading credentials


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _id(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _types(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _claims(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The ELM claims (``credentialSubject.hasClaim``) of the credential."""
    return [
        claim
        for subject in _items(document.get("credentialSubject"))
        if isinstance(subject, Mapping)
        for claim in _items(subject.get("hasClaim"))
        if isinstance(claim, Mapping)
    ]


def awarding_bodies_of(document: Mapping[str, Any]) -> list[str]:
    """The ids of the awarding bodies (``hasClaim[].awardedBy.awardingBody[]``), in order."""
    bodies: list[str] = []
    for claim in _claims(document):
        for process in _items(claim.get("awardedBy")):
            if not isinstance(process, Mapping):
                continue
            for body in _items(process.get("awardingBody")):
                body_id = _id(body)
                if body_id is not None and body_id not in bodies:
                    bodies.append(body_id)
    return bodies


def issue_date_of(document: Mapping[str, Any]) -> tuple[datetime, str] | None:
    """The date of issue the mandates must cover, and where it was read.

    The Annex I date of issuing (``awardedBy.awardingDate``, what the issuer checks mandates
    on), else ``issued``, ``issuanceDate``, ``validFrom``, a JWT's ``iat``.
    """
    for claim in _claims(document):
        for process in _items(claim.get("awardedBy")):
            if isinstance(process, Mapping):
                moment = _datetime(process.get("awardingDate"))
                if moment is not None:
                    return moment, "awardingDate"
    for name in ("issued", "issuanceDate", "validFrom"):
        moment = _datetime(document.get(name))
        if moment is not None:
            return moment, name
    iat = document.get("iat")
    if isinstance(iat, int | float) and not isinstance(iat, bool):
        try:
            return datetime.fromtimestamp(iat, UTC), "iat"
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _cited_mandates(document: Mapping[str, Any]) -> set[str]:
    """Mandate ids the credential's evidence statements cite (the issued-by-mandate profile)."""
    cited: set[str] = set()
    for evidence in _items(document.get("evidence")):
        if not isinstance(evidence, Mapping):
            continue
        statement = evidence.get("evidenceStatement")
        texts: list[Any] = _items(statement)
        if isinstance(statement, Mapping):
            texts = [t for values in statement.values() for t in _items(values)]
        for text in texts:
            if isinstance(text, str):
                cited.update(_CITED_MANDATE.findall(text))
    return cited


def _embedded_mandates(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Mandate credentials carried in ``evidence`` (the entry itself, or its
    ``verifiableCredential``)."""
    found: list[Mapping[str, Any]] = []
    for evidence in _items(document.get("evidence")):
        if not isinstance(evidence, Mapping):
            continue
        for candidate in [evidence, *_items(evidence.get("verifiableCredential"))]:
            if isinstance(candidate, Mapping) and MANDATE_CREDENTIAL_TYPE in _types(
                candidate.get("type")
            ):
                found.append(candidate)
    return found


@dataclass(frozen=True)
class _ReadMandate:
    """What a mandate credential says (not yet verified)."""

    id: str | None
    issuer: str | None
    coordinator: str | None
    specification: str | None
    valid_from: datetime | None
    valid_until: datetime | None


def _read_mandate(credential: Mapping[str, Any]) -> _ReadMandate:
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    specification = subject.get("specification")
    return _ReadMandate(
        id=credential.get("id") if isinstance(credential.get("id"), str) else None,
        issuer=_id(credential.get("issuer")),
        coordinator=subject.get("id") if isinstance(subject.get("id"), str) else None,
        specification=specification if isinstance(specification, str) else None,
        valid_from=_datetime(credential.get("validFrom")),
        valid_until=_datetime(credential.get("validUntil")),
    )


# --------------------------------------------------------------------------- the check


class TrustCode(enum.StrEnum):
    """The codes of a failed ``issuer_trust`` check (docs/trust-registry.md)."""

    UNKNOWN_ISSUER = "unknown_issuer"
    UNKNOWN_AWARDING_BODY = "unknown_awarding_body"
    MANDATE_MISSING = "mandate_missing"
    MANDATE_EXPIRED = "mandate_expired"
    MANDATE_INVALID = "mandate_invalid"
    REGISTRY_UNAVAILABLE = "trust_registry_unavailable"


_SEVERITY: dict[TrustCode | None, int] = {
    TrustCode.MANDATE_INVALID: 2,
    TrustCode.MANDATE_EXPIRED: 1,
}
"""Of several mandates of one awarding body that fail, the report names the gravest."""


@dataclass(frozen=True)
class _Candidate:
    """A mandate that may cover an awarding body: from the registry or the evidence."""

    source: str  # "registry" | "evidence"
    id: str | None
    specifications: tuple[str, ...]
    valid_from: datetime | None
    valid_until: datetime | None
    credential: Mapping[str, Any] | None


@dataclass
class _Outcome:
    """One awarding body's mandate outcome."""

    code: TrustCode | None
    message: str
    mandate: dict[str, Any] | None = None
    tried: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class _Verified:
    """A cache entry: what verified, the signers' DID documents it verified with, and until
    when the verification holds (the earliest proof or verification method ``expires``)."""

    value: Any
    documents: tuple[tuple[str, dict[str, Any]], ...]
    until: datetime | None


def document_digest(document: Mapping[str, Any]) -> str:
    """SHA-256 of ``document`` as JSON (its member order kept): equal digests, equal documents.

    orjson writes the text (a status list credential is hashed on every verification); a text
    with ``null`` in it is written again by :func:`json.dumps`, which refuses NaN and infinities
    where orjson would write them as ``null``."""
    try:
        data = orjson.dumps(document, option=_PLAIN_JSON_ONLY)
    except TypeError:
        data = None
    if data is None or b"null" in data:
        try:
            text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError):
            text = repr(document)  # not JSON at all: never equal to a JSON document's digest
        data = text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


_PLAIN_JSON_ONLY = (  # what orjson would write as if it were JSON (datetimes...) goes to json
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


class VerifiedProofCache:
    """Data Integrity documents whose proofs verified, remembered across verifications.

    Awarding mandates and status list credentials are the same few documents in thousands of
    verifications; canonicalizing them again each time (RDFC-1.0) is most of what checking
    them costs. An entry is keyed by the caller with the document's exact digest
    (:func:`document_digest`) and everything else the outcome depends on (the DID that must
    have signed, the allowed cryptosuites); it keeps the DID documents of the signers as the
    verifier's resolver gave them. :meth:`get` answers only while the resolver still gives the
    very same documents (a key rotation, a revocation, a key removed: the proof is verified
    again) and before the earliest ``expires`` of the proofs and of the keys used. Only
    verifications that succeeded are kept (no cache of failures an attacker could fill), at
    most ``size`` of them, least recently used first out. One cache belongs to one verifier
    (its JSON-LD engine); it is thread-safe.
    """

    def __init__(self, size: int = 1024) -> None:
        if size < 1:
            raise ValueError("a cache holds at least one entry")
        self._size = size
        self._entries: OrderedDict[Hashable, _Verified] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def get(self, key: Hashable, resolver: DidResolver, now: datetime) -> Any | None:
        """The remembered value of ``key`` if it still holds at ``now`` with what ``resolver``
        gives now; ``None`` (and the entry dropped) otherwise."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.until is not None and now > entry.until:
            self._drop(key, entry)
            return None
        for did, document in entry.documents:
            try:
                current = resolver.resolve(did)
            except VcCoreError:
                return None  # unreachable now: verify again (and report why)
            if current != document:
                self._drop(key, entry)
                return None
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
        return entry.value

    def put(
        self,
        key: Hashable,
        value: Any,
        *,
        document: Mapping[str, Any],
        verification_methods: Collection[str],
        relationship: str,
        resolver: DidResolver,
    ) -> None:
        """Remember that ``document``'s proofs verified with ``verification_methods`` (listed
        under ``relationship``) as ``resolver`` resolves them now. Nothing is kept when a
        signer's DID document cannot be had again or no method is named."""
        if not verification_methods:
            return
        documents: dict[str, dict[str, Any]] = {}
        until = _earliest_proof_expiry(document)
        try:
            for vm_id in verification_methods:
                did, _ = split_did_url(vm_id)
                if did not in documents:
                    documents[did] = resolver.resolve(did)
                method = DidDocument.parse(documents[did], did=did).verification_method_for(
                    vm_id, relationship
                )
                if method.expires is not None and (until is None or method.expires < until):
                    until = method.expires
        except (VcCoreError, ValueError):
            return
        entry = _Verified(value, tuple(documents.items()), until)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def _drop(self, key: Hashable, entry: _Verified) -> None:
        with self._lock:
            if self._entries.get(key) is entry:
                del self._entries[key]


def _earliest_proof_expiry(document: Mapping[str, Any]) -> datetime | None:
    """The earliest ``expires`` of the document's proofs (``verify_proofs`` refuses a proof
    whose ``expires`` is before now)."""
    earliest: datetime | None = None
    for proof in _items(document.get("proof")):
        if not isinstance(proof, Mapping):
            continue
        moment = _datetime(proof.get("expires"))
        if moment is not None and (earliest is None or moment < earliest):
            earliest = moment
    return earliest


@dataclass(frozen=True)
class MandateVerifier:
    """Verifies mandate credentials with the verifier's resolver (one verification's state).

    With a ``cache`` (the verifier's, shared by its verifications) a mandate credential whose
    proof verified is not verified again while its awarding body's DID document stays the same
    (:class:`VerifiedProofCache`); type, issuer and validity period are checked every time.
    """

    resolver: DidResolver
    now: datetime
    cryptosuites: frozenset[str]
    canonicalizer: Canonicalizer | None = None
    cache: VerifiedProofCache | None = None

    def problem(self, credential: Mapping[str, Any], *, awarding_body: str) -> str | None:
        """Why ``credential`` is not a mandate the awarding body signed (``None``: it is)."""
        if MANDATE_CREDENTIAL_TYPE not in _types(credential.get("type")):
            return f"not an {MANDATE_CREDENTIAL_TYPE}"
        if _id(credential.get("issuer")) != awarding_body:
            return f"issued by {_id(credential.get('issuer'))}, not by {awarding_body}"
        memo: tuple[str, ...] | None = None
        if self.cache is not None:
            suites = sorted(self.cryptosuites)
            memo = ("mandate", document_digest(credential), awarding_body, *suites)
            if self.cache.get(memo, self.resolver, self.now) is not None:
                return None
        log = KeyLog(CheckName.ISSUER_KEY)
        try:
            verification = verify_proofs(
                credential,
                resolve_key=guarded_key_resolver(
                    self.resolver, expected_did=awarding_body, now=self.now, log=log
                ),
                allowed_cryptosuites=self.cryptosuites,
                now=self.now,
                canonicalizer=self.canonicalizer,
            )
        except VcCoreError as exc:
            return f"its proof cannot be checked: {exc.message}"
        if not verification.verified:
            key = log.check()
            if key.code not in ("ok", "no_key_resolved"):
                return f"{key.code}: {key.message}"
            problems = [p.message for p in verification.problems]
            problems += [p.message for r in verification.proofs for p in r.problems]
            return "its proof does not verify: " + ("; ".join(problems) or "no valid proof")
        if self.cache is not None and memo is not None:
            self.cache.put(
                memo,
                True,
                document=credential,
                verification_methods=[a.verification_method for a in log.attempts if a.ok],
                relationship="assertionMethod",
                resolver=self.resolver,
            )
        return None


def _candidates(
    registry: AllianceRegistry,
    document: Mapping[str, Any],
    *,
    issuer: str,
    body: str,
    cited: set[str],
    specifications: set[str],
) -> list[_Candidate]:
    found = [
        _Candidate("registry", m.id, m.specifications, m.valid_from, m.valid_until, m.credential)
        for m in registry.mandates
        if m.awarding_body == body and m.coordinator == issuer
    ]
    for credential in _embedded_mandates(document):
        read = _read_mandate(credential)
        if read.issuer == body and read.coordinator == issuer:
            found.append(
                _Candidate(
                    "evidence",
                    read.id,
                    (read.specification,) if read.specification else (),
                    read.valid_from,
                    read.valid_until,
                    credential,
                )
            )
    if cited:  # the credential names its mandates: others are for something else
        found = [c for c in found if c.id is None or c.id in cited or c.source == "evidence"]
    if specifications:
        found = [c for c in found if specifications & set(c.specifications)]
    return found


def _stamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _mandate_outcome(
    candidates: list[_Candidate],
    *,
    member: Member,
    on: datetime,
    verifier: MandateVerifier,
) -> _Outcome:
    if not candidates:
        return _Outcome(
            TrustCode.MANDATE_MISSING, f"{member.name} gave the issuer no awarding mandate"
        )
    worst = _Outcome(TrustCode.MANDATE_MISSING, "")
    tried: list[dict[str, Any]] = []
    for candidate in candidates:
        described: dict[str, Any] = {
            "id": candidate.id,
            "source": candidate.source,
            "specifications": list(candidate.specifications),
            "valid_from": _stamp(candidate.valid_from),
            "valid_until": _stamp(candidate.valid_until),
            "verified_by": "proof" if candidate.credential is not None else "pinned registry",
        }
        outcome: _Outcome | None = None
        if candidate.credential is not None:
            problem = verifier.problem(candidate.credential, awarding_body=member.did)
            if problem is not None:
                outcome = _Outcome(
                    TrustCode.MANDATE_INVALID,
                    f"the mandate {candidate.id or '(no id)'} of {member.name} is invalid: "
                    f"{problem}",
                )
        if outcome is None and (
            candidate.valid_from is None
            or candidate.valid_until is None
            or not candidate.valid_from <= on <= candidate.valid_until
        ):
            outcome = _Outcome(
                TrustCode.MANDATE_EXPIRED,
                f"the mandate {candidate.id or '(no id)'} of {member.name} is valid from "
                f"{_stamp(candidate.valid_from)} to {_stamp(candidate.valid_until)}, not on "
                f"{_stamp(on)}",
            )
        if outcome is None:
            return _Outcome(None, "", described)
        tried.append({**described, "problem": str(outcome.code), "message": outcome.message})
        if _SEVERITY.get(outcome.code, 0) > _SEVERITY.get(worst.code, 0):
            worst = outcome
    worst.tried = tried
    return worst


def _join(names: Sequence[str]) -> str:
    return ", ".join(names)


def _judge_alliance(
    registry: AllianceRegistry,
    document: Mapping[str, Any],
    issuer: Member,
    *,
    on: datetime,
    on_source: str,
    verifier: MandateVerifier,
) -> tuple[Check, bool]:
    """The check for one alliance the issuer belongs to, and whether it passed."""
    bodies = awarding_bodies_of(document)
    cited = _cited_mandates(document)
    cited_specs = {
        spec
        for m in registry.mandates
        if m.id is not None and m.id in cited
        for spec in m.specifications
    }
    cited_specs.update(
        read.specification
        for read in map(_read_mandate, _embedded_mandates(document))
        if read.coordinator == issuer.did and read.specification is not None
    )
    alliance = {"id": registry.alliance.id, "name": registry.name}
    details: dict[str, Any] = {
        "alliance": alliance,
        "issuer": issuer.summary(),
        "issue_date": _stamp(on),
        "issue_date_from": on_source,
    }
    entries: list[dict[str, Any]] = []
    failure: tuple[TrustCode, str] | None = None
    names: list[str] = []
    for body in bodies:
        member = registry.member(body)
        if member is None:
            entries.append({"id": body, "problem": str(TrustCode.UNKNOWN_AWARDING_BODY)})
            failure = failure or (
                TrustCode.UNKNOWN_AWARDING_BODY,
                f"the awarding body {body} is not a member of alliance {registry.name}",
            )
            continue
        names.append(member.name)
        entry = member.summary()
        if member.did == issuer.did:
            entry["mandate"] = {"source": "issuer"}  # its own signature covers it
            entries.append(entry)
            continue
        outcome = _mandate_outcome(
            _candidates(
                registry,
                document,
                issuer=issuer.did,
                body=body,
                cited=cited,
                specifications=cited_specs,
            ),
            member=member,
            on=on,
            verifier=verifier,
        )
        if outcome.code is None:
            entry["mandate"] = outcome.mandate
        else:
            entry["problem"] = str(outcome.code)
            if outcome.tried:
                entry["mandates_tried"] = outcome.tried
            failure = failure or (outcome.code, outcome.message)
        entries.append(entry)
    details["awarding_bodies"] = entries
    if failure is not None:
        code, message = failure
        return Check.failed(
            CheckName.ISSUER_TRUST,
            str(code),
            message,
            problem_type=_PROOF_ERROR if code is TrustCode.MANDATE_INVALID else None,
            details=details,
        ), False
    if names:
        message = (
            f"issued by {issuer.name} on behalf of {_join(names)} "
            f"(members of alliance {registry.name})"
        )
    else:
        message = f"issued by {issuer.name} (member of alliance {registry.name})"
    return Check.passed(CheckName.ISSUER_TRUST, message, details=details), True


def alliance_trust(
    registries: Sequence[AllianceRegistry],
    document: Mapping[str, Any],
    issuer: str,
    *,
    registry_name: str,
    verifier: MandateVerifier,
) -> Check:
    """The ``issuer_trust`` check of a verified credential against alliance registries.

    ``document`` is the credential as verified (a JWT's claims, an SD-JWT VC's disclosed
    claims). The issuer must be a member of an alliance; every awarding body a member of the
    same alliance with a mandate to the issuer valid on the date of issue
    (:func:`issue_date_of`; the verification time when the credential states none). The first
    alliance that holds passes; otherwise the first alliance's failure is reported.
    """
    fallback = issue_date_of(document)
    on, on_source = fallback if fallback is not None else (verifier.now, "verification time")
    first_failure: Check | None = None
    for registry in registries:
        member = registry.member(issuer)
        if member is None:
            continue
        check, ok = _judge_alliance(
            registry, document, member, on=on, on_source=on_source, verifier=verifier
        )
        if ok:
            return _with_registry(check, registry_name)
        first_failure = first_failure or check
    if first_failure is not None:
        return _with_registry(first_failure, registry_name)
    return Check.failed(
        CheckName.ISSUER_TRUST,
        str(TrustCode.UNKNOWN_ISSUER),
        f"the issuer {issuer} is not a member of any alliance in {registry_name}",
        details={
            "registry": registry_name,
            "issuer": {"did": issuer},
            "alliances": [r.alliance.id for r in registries],
        },
    )


def _with_registry(check: Check, registry_name: str) -> Check:
    return Check(
        check.name,
        check.status,
        check.code,
        check.message,
        check.problem_type,
        {"registry": registry_name, **check.details},
    )
