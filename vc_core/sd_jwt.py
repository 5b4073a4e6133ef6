"""SD-JWT (RFC 9901): issuance, holder presentation and verification, compact serialization.

https://www.rfc-editor.org/rfc/rfc9901 (brief §4.1). Three roles, one module:

* **Issuer** (§4.1, §4.2): :func:`make_sd_payload` turns a claim set into the SD-JWT payload plus
  its :class:`Disclosure` list; :func:`issue_sd_jwt` signs it and returns
  ``<Issuer-signed JWT>~<Disclosure 1>~...~<Disclosure N>~``.
* **Holder** (§7.2): :func:`present` keeps the Disclosures for the claims to reveal (and every
  Disclosure they are nested in) and appends a Key Binding JWT (§4.3) when given the key.
* **Verifier** (§7.1, §7.3): :func:`verify_sd_jwt` returns an :class:`SdJwtResult` with the
  Processed SD-JWT Payload or an :class:`SdJwtFailure` reason.

Which claims are selectively disclosable is said with **claim paths** (:data:`ClaimPath`), the
same shape as SD-JWT VC type metadata ``claims[].path`` (draft-ietf-oauth-sd-jwt-vc §4.6.1): a
tuple of object keys (``str``), array indexes (``int``) and ``None`` for "every element of this
array". ``("address",)`` hides the whole address; ``("address", "region")`` one of its members;
both together give a recursive disclosure (§4.2.6); ``("nationalities", None)`` hides each
element of the array (§4.2.2). Paths must name claims that exist: a typo raises instead of
leaving a personal claim in clear.

Salts and encoding. A salt is 128 random bits, base64url-encoded (§4.2.1, §9.3), drawn by the
``salt_source`` callable (injectable for test vectors) in **post-order**: a claim's nested
disclosures draw their salts before the claim itself, as in the RFC's examples. The Disclosure
JSON uses ``", "`` separators as the RFC's examples do; ``ascii_only=True`` escapes non-ASCII
characters (``\\u00f6``) as the generated examples of RFC 9901 §5 and Appendix A do, the default
keeps UTF-8 as §4.2.1 shows. ``_sd`` arrays are sorted (§4.2.4.1); decoy digests (§4.2.5) are
hashes of 16 random bytes.

Verification never raises on a token that is readable but wrong: every RFC 9901 §7 "MUST be
rejected" is an :class:`SdJwtFailure`. It raises :class:`MalformedSdJwtError` (or
:class:`~vc_core.jose.MalformedJwsError` for the issuer-signed JWT or KB-JWT) only when the
serialization itself cannot be split or parsed. The JWS JSON serialization (§8) is not supported.
"""

from __future__ import annotations

import enum
import hashlib
import json
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from vc_core.errors import VCDM_PROBLEM, KeyFormatError, MalformedInputError
from vc_core.jose import (
    DEFAULT_LEEWAY,
    MAX_TOKEN_CHARS,
    CompactJws,
    JoseFailure,
    MalformedJwsError,
    sign_jws,
    verify_jws,
)
from vc_core.keys import PrivateKey, PublicKey, b64url_decode, b64url_encode
from vc_core.strict_json import StrictJsonError, loads_strict, normalize_media_type

__all__ = [
    "ARRAY_DIGEST_KEY",
    "DEFAULT_MAX_KB_AGE",
    "DEFAULT_SD_ALG",
    "KB_JWT_TYP",
    "SD_ALG_CLAIM",
    "SD_DIGESTS_KEY",
    "SUPPORTED_SD_ALGS",
    "ClaimPath",
    "Disclosure",
    "DisclosureSelector",
    "MalformedSdJwtError",
    "SdJwtFailure",
    "SdJwtParts",
    "SdJwtResult",
    "SdPayload",
    "compute_sd_hash",
    "decoy_digest",
    "issue_sd_jwt",
    "make_sd_payload",
    "parse_sd_jwt",
    "present",
    "random_salt",
    "verify_sd_jwt",
]

SD_DIGESTS_KEY = "_sd"
"""§4.2.4.1: the array of digests of an object's selectively disclosable properties."""
ARRAY_DIGEST_KEY = "..."
"""§4.2.4.2: ``{"...": "<digest>"}`` stands for a selectively disclosable array element."""
SD_ALG_CLAIM = "_sd_alg"
"""§4.1.1: the hash algorithm of the digests, top level only."""
DEFAULT_SD_ALG = "sha-256"
"""§4.1.1: "If the _sd_alg claim is not present at the top level, a default value of sha-256
MUST be used"."""
KB_JWT_TYP = "kb+jwt"
"""§4.3: the ``typ`` of a Key Binding JWT."""
DEFAULT_MAX_KB_AGE = timedelta(minutes=5)
"""§7.3 step 5.5: how old a KB-JWT ``iat`` may be ("within an acceptable window")."""

_HASHES: dict[str, Callable[[bytes], Any]] = {
    "sha-256": hashlib.sha256,
    "sha-384": hashlib.sha384,
    "sha-512": hashlib.sha512,
}
SUPPORTED_SD_ALGS: frozenset[str] = frozenset(_HASHES)
"""Names from the IANA "Named Information Hash Algorithm" registry that we compute (§4.1.1)."""

_RESERVED_NAMES = frozenset({SD_DIGESTS_KEY, ARRAY_DIGEST_KEY})
_SALT_BYTES = 16  # §9.3: 128 bits
_TIME_CLAIMS = ("exp", "nbf", "iat")

ClaimPath = tuple[str | int | None, ...]
"""A path to claims: object keys, array indexes, ``None`` = every element of an array."""

DisclosureSelector = Iterable[Sequence[str | int | None]] | Callable[[ClaimPath], bool]
"""What :func:`present` reveals: claim paths, or a predicate over each Disclosure's path."""


# -- errors and results -------------------------------------------------------------------


class MalformedSdJwtError(MalformedInputError):
    """Input that is not an SD-JWT we can split or build (RFC 9901 §4, §7.2)."""

    code = "malformed_sd_jwt"
    problem_type = VCDM_PROBLEM + "PARSING_ERROR"


_CRYPTO = VCDM_PROBLEM + "CRYPTOGRAPHIC_SECURITY_ERROR"
_MALFORMED = VCDM_PROBLEM + "MALFORMED_VALUE_ERROR"
_RANGE = VCDM_PROBLEM + "RANGE_ERROR"


class SdJwtFailure(enum.StrEnum):
    """Why a readable SD-JWT (or SD-JWT VC) was rejected. The value is the wire ``code``."""

    # The Issuer-signed JWT, §7.1 step 2 (same codes as JoseFailure).
    ALG_NOT_ALLOWED = "alg_not_allowed"
    ALG_KEY_MISMATCH = "alg_key_mismatch"
    CRIT_NOT_UNDERSTOOD = "crit_not_understood"
    INVALID_SIGNATURE = "invalid_signature"
    TYP_MISMATCH = "typ_mismatch"
    INVALID_PAYLOAD = "invalid_payload"
    """The verified payload is not a JSON object, or is nested too deeply to process."""
    UNSUPPORTED_SD_ALG = "unsupported_sd_alg"
    """§7.1 step 2.4: ``_sd_alg`` is not a hash algorithm we accept."""
    INVALID_CLAIM = "invalid_claim"
    """A registered claim of the wrong JSON type (``exp`` as a string, nested ``_sd_alg``)."""
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    # Disclosures and digests, §7.1 steps 3-5.
    INVALID_DISCLOSURE = "invalid_disclosure"
    """Not base64url JSON, not ``[salt, name, value]`` / ``[salt, value]`` where it is used."""
    FORBIDDEN_CLAIM_NAME = "forbidden_claim_name"
    """§7.1 step 3.3.2.2: a Disclosure named ``_sd`` or ``...`` (or ``_sd_alg``)."""
    CLAIM_NAME_COLLISION = "claim_name_collision"
    """§7.1 step 3.3.2.3: the disclosed name already exists at the level of the ``_sd`` key."""
    INVALID_DIGEST = "invalid_digest"
    """§4.2.4: ``_sd`` that is not an array of strings, a ``...`` object with other keys."""
    DUPLICATE_DIGEST = "duplicate_digest"
    """§7.1 step 4: a digest that appears more than once in the payload."""
    DUPLICATE_DISCLOSURE = "duplicate_disclosure"
    """§4: "A Holder MUST NOT ... send a Disclosure more than once"."""
    UNREFERENCED_DISCLOSURE = "unreferenced_disclosure"
    """§7.1 step 5: a Disclosure whose digest is nowhere in the payload."""
    # Key binding, §7.3.
    KEY_BINDING_REQUIRED = "key_binding_required"
    """§7.3 step 2: Key Binding is required and the presentation has no KB-JWT."""
    HOLDER_KEY_MISSING = "holder_key_missing"
    """No usable ``cnf.jwk`` (§4.1.2) to verify the KB-JWT with."""
    KB_ALG_NOT_ALLOWED = "kb_alg_not_allowed"
    KB_INVALID_SIGNATURE = "kb_invalid_signature"
    KB_TYP_MISMATCH = "kb_typ_mismatch"
    KB_INVALID_CLAIM = "kb_invalid_claim"
    """§4.3: ``iat``, ``aud`` (one string), ``nonce`` or ``sd_hash`` missing or mistyped; or
    §7.3 step 5.8: an ``exp``/``nbf`` of the KB-JWT that makes it invalid now."""
    KB_IAT_OUT_OF_WINDOW = "kb_iat_out_of_window"
    AUDIENCE_MISMATCH = "audience_mismatch"
    NONCE_MISMATCH = "nonce_mismatch"
    SD_HASH_MISMATCH = "sd_hash_mismatch"
    # SD-JWT VC (draft-ietf-oauth-sd-jwt-vc-18, see vc_core.sd_jwt_vc).
    VCT_MISSING = "vct_missing"
    VCT_MISMATCH = "vct_mismatch"
    DISCLOSED_RESERVED_CLAIM = "disclosed_reserved_claim"
    """§2.2.2.3: ``iss``/``nbf``/``exp``/``cnf``/``vct``/``status``... came from a Disclosure."""
    INVALID_STATUS = "invalid_status"
    """Token Status List §6.2: ``status.status_list`` without a valid ``idx``/``uri``."""

    @property
    def problem_type(self) -> str:
        """The VCDM 2.0 §7.2 ProblemDetails ``type`` for this failure."""
        if self in _CRYPTO_FAILURES:
            return _CRYPTO
        if self in (SdJwtFailure.EXPIRED, SdJwtFailure.NOT_YET_VALID):
            return _RANGE
        return _MALFORMED


_CRYPTO_FAILURES = frozenset(
    {
        SdJwtFailure.ALG_NOT_ALLOWED,
        SdJwtFailure.ALG_KEY_MISMATCH,
        SdJwtFailure.CRIT_NOT_UNDERSTOOD,
        SdJwtFailure.INVALID_SIGNATURE,
        SdJwtFailure.KEY_BINDING_REQUIRED,
        SdJwtFailure.HOLDER_KEY_MISSING,
        SdJwtFailure.KB_ALG_NOT_ALLOWED,
        SdJwtFailure.KB_INVALID_SIGNATURE,
        SdJwtFailure.KB_IAT_OUT_OF_WINDOW,
        SdJwtFailure.AUDIENCE_MISMATCH,
        SdJwtFailure.NONCE_MISMATCH,
        SdJwtFailure.SD_HASH_MISMATCH,
    }
)

_ISSUER_JWS_FAILURES = {
    JoseFailure.ALG_NOT_ALLOWED: SdJwtFailure.ALG_NOT_ALLOWED,
    JoseFailure.ALG_KEY_MISMATCH: SdJwtFailure.ALG_KEY_MISMATCH,
    JoseFailure.CRIT_NOT_UNDERSTOOD: SdJwtFailure.CRIT_NOT_UNDERSTOOD,
    JoseFailure.INVALID_SIGNATURE: SdJwtFailure.INVALID_SIGNATURE,
    JoseFailure.TYP_MISMATCH: SdJwtFailure.TYP_MISMATCH,
}
_KB_JWS_FAILURES = {
    JoseFailure.ALG_NOT_ALLOWED: SdJwtFailure.KB_ALG_NOT_ALLOWED,
    JoseFailure.ALG_KEY_MISMATCH: SdJwtFailure.KB_ALG_NOT_ALLOWED,
    JoseFailure.CRIT_NOT_UNDERSTOOD: SdJwtFailure.KB_INVALID_SIGNATURE,
    JoseFailure.INVALID_SIGNATURE: SdJwtFailure.KB_INVALID_SIGNATURE,
    JoseFailure.TYP_MISMATCH: SdJwtFailure.KB_TYP_MISMATCH,
}


@dataclass(frozen=True)
class SdJwtResult:
    """Outcome of :func:`verify_sd_jwt`.

    ``claims`` is the Processed SD-JWT Payload (§7.1: Disclosures substituted, ``_sd``,
    ``_sd_alg`` and undisclosed ``...`` elements removed), set only when ``verified``.
    ``issuer_payload`` is the Issuer-signed JWT payload as signed (with digests).
    ``header`` is the issuer JWT's protected header; do not trust it when not ``verified``.
    """

    verified: bool
    header: dict[str, Any]
    claims: dict[str, Any] | None = None
    reason: SdJwtFailure | None = None
    detail: str = ""
    issuer_payload: dict[str, Any] | None = None
    disclosures: tuple[Disclosure, ...] = ()
    """The presented Disclosures (all referenced when ``verified``)."""
    key_binding: dict[str, Any] | None = None
    """The verified KB-JWT payload (``iat``, ``aud``, ``nonce``, ``sd_hash``) if there was one."""

    def to_problem(self) -> dict[str, Any] | None:
        """RFC 9457 ProblemDetails for a failure (VCDM 2.0 §7.2), ``None`` on success."""
        if self.reason is None:
            return None
        return {
            "type": self.reason.problem_type,
            "title": "SD-JWT verification failed",
            "detail": self.detail or self.reason.value,
            "code": self.reason.value,
        }


# -- strict JSON --------------------------------------------------------------------------


def _loads_strict(data: bytes, what: str) -> Any:
    """RFC 8259 JSON in UTF-8, unique member names, no NaN/Infinity (RFC 7519 §4 for claims)."""
    try:
        return loads_strict(data)
    except StrictJsonError as exc:
        raise MalformedSdJwtError(f"{what} {exc}") from None


def _check_json_value(value: Any, where: str) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise MalformedInputError(f"{where} is not JSON: {exc}") from exc


# -- hashing ------------------------------------------------------------------------------


def _hash_b64(sd_alg: str, text: str) -> str:
    """§4.2.3: base64url(hash(US-ASCII bytes of ``text``))."""
    hasher = _HASHES.get(sd_alg)
    if hasher is None:
        raise MalformedInputError(
            f"unsupported _sd_alg {sd_alg!r}", details={"supported": sorted(SUPPORTED_SD_ALGS)}
        )
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        raise MalformedSdJwtError("SD-JWT parts are US-ASCII (base64url)") from None
    digest: bytes = hasher(data).digest()
    return b64url_encode(digest)


def compute_sd_hash(presented_sd_jwt: str, sd_alg: str = DEFAULT_SD_ALG) -> str:
    """§4.3.1 ``sd_hash`` over ``<Issuer-signed JWT>~<Disclosure 1>~...~<Disclosure N>~``."""
    return _hash_b64(sd_alg, presented_sd_jwt)


def random_salt() -> str:
    """A fresh salt: base64url of 128 bits from :mod:`secrets` (§4.2.1, §9.3)."""
    return b64url_encode(secrets.token_bytes(_SALT_BYTES))


def decoy_digest(sd_alg: str = DEFAULT_SD_ALG) -> str:
    """§4.2.5: a digest "by hashing over a cryptographically secure random number"."""
    return _hash_b64(sd_alg, b64url_encode(secrets.token_bytes(_SALT_BYTES)))


# -- Disclosures --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Disclosure:
    """One Disclosure (§4.2): ``encoded`` is the base64url string that is hashed and sent.

    ``name`` is ``None`` for an array element (``[salt, value]``, §4.2.2). Two Disclosures are
    equal when their encoded strings are.
    """

    encoded: str
    salt: str
    value: Any
    name: str | None = None

    @classmethod
    def create(
        cls, salt: str, value: Any, *, name: str | None = None, ascii_only: bool = False
    ) -> Disclosure:
        """Encode ``[salt, name, value]`` (§4.2.1) or ``[salt, value]`` (§4.2.2).

        The JSON uses ``", "``/``": "`` separators like the RFC's examples; ``ascii_only``
        escapes non-ASCII characters.
        """
        if not isinstance(salt, str) or not salt:
            raise MalformedInputError("a salt is a non-empty string (§4.2.1)")
        if name is not None and not isinstance(name, str):
            raise MalformedInputError("a claim name is a string (§4.2.1)")
        if name in _RESERVED_NAMES:
            raise MalformedInputError(f"{name!r} cannot be a disclosed claim name (§4.2.1)")
        items = [salt, value] if name is None else [salt, name, value]
        try:
            text = json.dumps(items, ensure_ascii=ascii_only, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise MalformedInputError(f"the claim value is not JSON: {exc}") from exc
        return cls(b64url_encode(text.encode("utf-8")), salt, value, name)

    @classmethod
    def decode(cls, encoded: str) -> Disclosure:
        """Parse a Disclosure string; raises :class:`MalformedSdJwtError` on a bad shape.

        §7.1 step 3.3.2.1 / 3.3.3.1: a JSON array of three (salt, claim name, value) or two
        (salt, value) elements; salt and claim name are strings (§4.2.1).
        """
        try:
            raw = b64url_decode(encoded)
        except KeyFormatError:
            raise MalformedSdJwtError("a Disclosure is not unpadded base64url") from None
        items = _loads_strict(raw, "a Disclosure")
        if not isinstance(items, list) or len(items) not in (2, 3):
            raise MalformedSdJwtError("a Disclosure is a JSON array of 2 or 3 elements")
        if not isinstance(items[0], str):
            raise MalformedSdJwtError("a Disclosure's salt must be a string")
        if len(items) == 2:
            return cls(encoded, items[0], items[1])
        if not isinstance(items[1], str):
            raise MalformedSdJwtError("a Disclosure's claim name must be a string")
        return cls(encoded, items[0], items[2], items[1])

    @property
    def is_array_element(self) -> bool:
        return self.name is None

    def digest(self, sd_alg: str = DEFAULT_SD_ALG) -> str:
        """§4.2.3: base64url(hash(ASCII(encoded)))."""
        return _hash_b64(sd_alg, self.encoded)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Disclosure) and other.encoded == self.encoded

    def __hash__(self) -> int:
        return hash(self.encoded)

    def __repr__(self) -> str:
        return f"Disclosure(name={self.name!r}, encoded={self.encoded[:16]}…)"


# -- serialization ------------------------------------------------------------------------


@dataclass(frozen=True)
class SdJwtParts:
    """The parts of a compact SD-JWT or SD-JWT+KB (§4), not yet verified."""

    issuer_jwt: str
    disclosures: tuple[str, ...]
    kb_jwt: str | None = None

    @property
    def sd_jwt(self) -> str:
        """``<Issuer-signed JWT>~<D1>~...~<DN>~``: the SD-JWT without its KB-JWT (§4.3.1)."""
        return "".join(part + "~" for part in (self.issuer_jwt, *self.disclosures))

    def serialize(self) -> str:
        return self.sd_jwt + (self.kb_jwt or "")

    def unverified_claims(self) -> dict[str, Any]:
        """The Issuer-signed JWT payload **without verification**: only for key discovery
        (``iss`` → JWT VC Issuer Metadata) and for the Holder's own bookkeeping."""
        segments = self.issuer_jwt.split(".")
        if len(segments) != 3:
            raise MalformedSdJwtError("the Issuer-signed JWT is not a compact JWS")
        try:
            payload = _loads_strict(b64url_decode(segments[1]), "the Issuer-signed JWT payload")
        except KeyFormatError:
            raise MalformedSdJwtError("the Issuer-signed JWT payload is not base64url") from None
        if not isinstance(payload, dict):
            raise MalformedSdJwtError("the Issuer-signed JWT payload is not a JSON object")
        return payload


def parse_sd_jwt(serialized: str) -> SdJwtParts:
    """Split a compact SD-JWT / SD-JWT+KB (§4). Disclosures are checked later, not here.

    Raises :class:`MalformedSdJwtError` when there is no ``~``, a part is empty, the text is
    too long, or it looks like the (unsupported) JWS JSON serialization.
    """
    if not isinstance(serialized, str):
        raise MalformedSdJwtError("an SD-JWT is a string")
    if len(serialized) > MAX_TOKEN_CHARS:
        raise MalformedSdJwtError(f"the SD-JWT is longer than {MAX_TOKEN_CHARS} characters")
    if serialized.lstrip().startswith("{"):
        raise MalformedSdJwtError("the JWS JSON serialization of SD-JWT (§8) is not supported")
    if "~" not in serialized:
        raise MalformedSdJwtError("an SD-JWT has at least one '~' after the Issuer-signed JWT")
    issuer_jwt, *middle, last = serialized.split("~")
    if not issuer_jwt or issuer_jwt.count(".") != 2:
        raise MalformedSdJwtError("the SD-JWT does not start with a compact JWS")
    if any(not part for part in middle):
        raise MalformedSdJwtError("an SD-JWT has no empty Disclosures ('~~')")
    if last and last.count(".") != 2:
        raise MalformedSdJwtError("the part after the last '~' is neither empty nor a KB-JWT")
    return SdJwtParts(issuer_jwt, tuple(middle), last or None)


# -- claim paths --------------------------------------------------------------------------


def _normalize_path(path: Sequence[str | int | None]) -> ClaimPath:
    if isinstance(path, str | bytes) or not isinstance(path, Sequence):
        raise MalformedInputError(f"a claim path is a sequence of keys/indexes, not {path!r}")
    if not path:
        raise MalformedInputError("a claim path is never empty")
    for step in path:
        if isinstance(step, bool) or not (step is None or isinstance(step, str | int)):
            raise MalformedInputError(f"claim path {list(path)!r}: {step!r} is not a key/index")
        if isinstance(step, int) and step < 0:
            raise MalformedInputError(f"claim path {list(path)!r}: negative index {step}")
    return tuple(path)


def _select(claims: Any, path: ClaimPath) -> list[tuple[str | int, ...]]:
    """The concrete paths ``path`` selects in ``claims`` (type metadata §4.6.1.2 semantics)."""
    selected: list[tuple[tuple[str | int, ...], Any]] = [((), claims)]
    for step in path:
        following: list[tuple[tuple[str | int, ...], Any]] = []
        for prefix, node in selected:
            if isinstance(step, str):
                if isinstance(node, Mapping) and step in node:
                    following.append(((*prefix, step), node[step]))
            elif isinstance(node, list):
                if step is None:
                    following.extend(((*prefix, i), item) for i, item in enumerate(node))
                elif step < len(node):
                    following.append(((*prefix, step), node[step]))
        selected = following
    return [concrete for concrete, _ in selected]


def _paths_match(wanted: ClaimPath, actual: ClaimPath) -> bool:
    """Whether ``actual`` lies inside ``wanted`` or on the way to it (one is a prefix)."""
    return all(
        w == a or (w is None and isinstance(a, int)) for w, a in zip(wanted, actual, strict=False)
    )


# -- issuance -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SdPayload:
    """The SD-JWT payload to sign and the Disclosures, in salt order (§4.1, §4.2)."""

    payload: dict[str, Any]
    disclosures: tuple[Disclosure, ...]


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})
"""Types of JSON leaves: nothing below them to check or encode."""


def _check_claim_names(value: Any, path: tuple[str | int, ...]) -> None:
    if isinstance(value, Mapping):
        for name, item in value.items():
            if not isinstance(name, str):
                raise MalformedInputError(f"claim names are strings, found {name!r} at {path}")
            if name in _RESERVED_NAMES:
                raise MalformedInputError(
                    f"claim name {name!r} at {list(path)} is reserved by SD-JWT (§4.1 rule 7)"
                )
            if type(item) not in _JSON_SCALARS:
                _check_claim_names(item, (*path, name))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if type(item) not in _JSON_SCALARS:
                _check_claim_names(item, (*path, index))


def _plain(node: Any) -> Any:
    """``node`` with no disclosable claim inside: objects as dicts, arrays as lists (copies)."""
    if type(node) in _JSON_SCALARS:
        return node
    scalars = _JSON_SCALARS
    if isinstance(node, Mapping):
        return {k: v if type(v) in scalars else _plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [item if type(item) in scalars else _plain(item) for item in node]
    return node


@dataclass
class _Encoder:
    concrete: frozenset[tuple[str | int, ...]]
    salt_source: Callable[[], str]
    sd_alg: str
    decoys: int
    ascii_only: bool
    disclosures: list[Disclosure] = field(default_factory=list)
    salts: set[str] = field(default_factory=set)
    holding: frozenset[tuple[str | int, ...]] = field(init=False)
    """The paths with a disclosable claim below them (the proper prefixes of ``concrete``):
    everything else is copied as it is."""

    def __post_init__(self) -> None:
        self.holding = frozenset(c[:end] for c in self.concrete for end in range(len(c)))

    def disclose(self, value: Any, name: str | None) -> str:
        salt = self.salt_source()
        if not isinstance(salt, str) or not salt:
            raise MalformedInputError("the salt source must return non-empty strings")
        if salt in self.salts:
            raise MalformedInputError("the salt source repeated a salt (§4.2.1: MUST be unique)")
        self.salts.add(salt)
        disclosure = Disclosure.create(salt, value, name=name, ascii_only=self.ascii_only)
        self.disclosures.append(disclosure)
        return disclosure.digest(self.sd_alg)

    def encode(self, node: Any, path: tuple[str | int, ...]) -> Any:
        if path not in self.holding:
            return _plain(node)
        if isinstance(node, Mapping):
            digests: list[str] = []
            plain: dict[str, Any] = {}
            for name, value in node.items():
                child_path = (*path, name)
                child = self.encode(value, child_path)
                if child_path in self.concrete:
                    digests.append(self.disclose(child, name))
                else:
                    plain[name] = child
            if not digests:
                return plain
            if self.decoys:
                count = 1 + secrets.randbelow(self.decoys)
                digests.extend(decoy_digest(self.sd_alg) for _ in range(count))
            return {SD_DIGESTS_KEY: sorted(digests), **plain}
        if isinstance(node, list | tuple):
            items: list[Any] = []
            for index, value in enumerate(node):
                child_path = (*path, index)
                child = self.encode(value, child_path)
                if child_path in self.concrete:
                    items.append({ARRAY_DIGEST_KEY: self.disclose(child, None)})
                else:
                    items.append(child)
            return items
        return node


def make_sd_payload(
    claims: Mapping[str, Any],
    *,
    disclosable: Iterable[Sequence[str | int | None]] = (),
    holder_jwk: Mapping[str, Any] | None = None,
    decoys: int = 0,
    salt_source: Callable[[], str] | None = None,
    sd_alg: str = DEFAULT_SD_ALG,
    ascii_only: bool = False,
) -> SdPayload:
    """Build the SD-JWT payload (§4.1) and its Disclosures (§4.2) without signing.

    ``disclosable`` lists :data:`ClaimPath` s; each must select at least one claim (a path with
    a ``None`` wildcard may select none). ``holder_jwk`` becomes ``cnf: {"jwk": ...}`` (§4.1.2,
    RFC 7800 §3.2). ``decoys`` > 0 adds between 1 and ``decoys`` decoy digests to every ``_sd``
    array (§4.2.5). ``_sd_alg`` is always written.

    Raises :class:`~vc_core.errors.MalformedInputError` for claims named ``_sd``/``...``, a
    top-level ``_sd_alg``, a ``cnf`` together with ``holder_jwk``, a path naming nothing, a
    private or unsupported holder key, an unknown ``sd_alg``, or a value that is not JSON.
    """
    if not isinstance(claims, Mapping):
        raise MalformedInputError("the claim set is a JSON object")
    if sd_alg not in SUPPORTED_SD_ALGS:
        raise MalformedInputError(f"unsupported _sd_alg {sd_alg!r}")
    if isinstance(decoys, bool) or not isinstance(decoys, int) or decoys < 0:
        raise MalformedInputError("decoys is a non-negative integer")
    _check_claim_names(claims, ())
    _check_json_value(claims, "the claim set")
    if SD_ALG_CLAIM in claims:
        raise MalformedInputError("_sd_alg is set by the issuer function, not the claims")
    concrete: set[tuple[str | int, ...]] = set()
    for raw_path in disclosable:
        path = _normalize_path(raw_path)
        selected = _select(claims, path)
        if not selected and None not in path:
            raise MalformedInputError(
                f"disclosable path {list(path)!r} names no claim", details={"path": list(path)}
            )
        concrete.update(selected)
    body = dict(claims)
    if holder_jwk is not None:
        if "cnf" in claims:
            raise MalformedInputError("give either a 'cnf' claim or holder_jwk, not both")
        if ("cnf",) in concrete:
            raise MalformedInputError("cnf cannot be selectively disclosable")
        try:
            PublicKey.from_jwk(holder_jwk)
        except KeyFormatError as exc:
            raise MalformedInputError(f"holder_jwk: {exc.message}") from exc
        body["cnf"] = {"jwk": dict(holder_jwk)}
    encoder = _Encoder(
        concrete=frozenset(concrete),
        salt_source=salt_source or random_salt,
        sd_alg=sd_alg,
        decoys=decoys,
        ascii_only=ascii_only,
    )
    payload = encoder.encode(body, ())
    payload[SD_ALG_CLAIM] = sd_alg
    return SdPayload(payload, tuple(encoder.disclosures))


def issue_sd_jwt(
    claims: Mapping[str, Any],
    key: PrivateKey,
    *,
    header: Mapping[str, Any],
    disclosable: Iterable[Sequence[str | int | None]] = (),
    holder_jwk: Mapping[str, Any] | None = None,
    decoys: int = 0,
    salt_source: Callable[[], str] | None = None,
    sd_alg: str = DEFAULT_SD_ALG,
    ascii_only: bool = False,
) -> str:
    """Issue an SD-JWT: ``<Issuer-signed JWT>~<Disclosure 1>~...~<Disclosure N>~`` (§4).

    The payload comes from :func:`make_sd_payload` (same arguments); ``header`` gives ``typ``
    (SHOULD be explicit, §9.11), ``kid``...; ``alg`` is the key's (never ``none``, §4.1).
    """
    built = make_sd_payload(
        claims,
        disclosable=disclosable,
        holder_jwk=holder_jwk,
        decoys=decoys,
        salt_source=salt_source,
        sd_alg=sd_alg,
        ascii_only=ascii_only,
    )
    jwt = sign_jws(built.payload, key, header=header)
    return SdJwtParts(jwt, tuple(d.encoded for d in built.disclosures)).serialize()


# -- processing (§7.1 step 3) ---------------------------------------------------------------


class _Rejected(Exception):
    def __init__(self, reason: SdJwtFailure, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class _Placed:
    """Where a referenced Disclosure sits: its claim path and the Disclosure it is inside."""

    path: ClaimPath
    parent: str | None


@dataclass
class _Processor:
    """RFC 9901 §7.1 steps 3-5 over a payload and the Disclosures keyed by digest."""

    by_digest: Mapping[str, Disclosure]
    seen: set[str] = field(default_factory=set)
    placed: dict[str, _Placed] = field(default_factory=dict)

    def _register(self, digest: Any) -> Disclosure | None:
        if not isinstance(digest, str):
            raise _Rejected(SdJwtFailure.INVALID_DIGEST, "a digest must be a string")
        if digest in self.seen:
            raise _Rejected(
                SdJwtFailure.DUPLICATE_DIGEST, f"digest {digest} appears more than once"
            )
        self.seen.add(digest)
        return self.by_digest.get(digest)

    def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        body = {k: v for k, v in payload.items() if k != SD_ALG_CLAIM}
        result: dict[str, Any] = self.process(body, (), None)
        unreferenced = sorted(set(self.by_digest) - set(self.placed))
        if unreferenced:
            raise _Rejected(
                SdJwtFailure.UNREFERENCED_DISCLOSURE,
                f"{len(unreferenced)} Disclosure(s) are not referenced by any digest",
            )
        return result

    def process(self, node: Any, path: ClaimPath, parent: str | None) -> Any:
        if isinstance(node, dict):
            return self._object(node, path, parent)
        if isinstance(node, list):
            return self._array(node, path, parent)
        return node

    def _object(self, node: dict[str, Any], path: ClaimPath, parent: str | None) -> Any:
        out: dict[str, Any] = {}
        for name, value in node.items():
            if name == SD_DIGESTS_KEY:
                continue
            if name == ARRAY_DIGEST_KEY:
                raise _Rejected(
                    SdJwtFailure.INVALID_DIGEST,
                    f"'...' at {list(path)} is only allowed alone in an array element",
                )
            if name == SD_ALG_CLAIM:
                raise _Rejected(SdJwtFailure.INVALID_CLAIM, "_sd_alg is only allowed top level")
            out[name] = self.process(value, (*path, name), parent)
        if SD_DIGESTS_KEY not in node:
            return out
        digests = node[SD_DIGESTS_KEY]
        if not isinstance(digests, list):
            raise _Rejected(SdJwtFailure.INVALID_DIGEST, f"_sd at {list(path)} is not an array")
        for digest in digests:
            disclosure = self._register(digest)
            if disclosure is None:
                continue  # a decoy or an undisclosed claim (§7.1 step 3.3.1)
            if disclosure.name is None:
                raise _Rejected(
                    SdJwtFailure.INVALID_DISCLOSURE,
                    f"the Disclosure for {digest} in _sd has no claim name (§7.1 3.3.2.1)",
                )
            if disclosure.name in _RESERVED_NAMES or disclosure.name == SD_ALG_CLAIM:
                raise _Rejected(
                    SdJwtFailure.FORBIDDEN_CLAIM_NAME,
                    f"a Disclosure names the claim {disclosure.name!r} (§7.1 3.3.2.2)",
                )
            if disclosure.name in out:
                raise _Rejected(
                    SdJwtFailure.CLAIM_NAME_COLLISION,
                    f"claim {disclosure.name!r} already exists at {list(path)} (§7.1 3.3.2.3)",
                )
            child_path = (*path, disclosure.name)
            self.placed[digest] = _Placed(child_path, parent)
            out[disclosure.name] = self.process(disclosure.value, child_path, digest)
        return out

    def _array(self, node: list[Any], path: ClaimPath, parent: str | None) -> list[Any]:
        out: list[Any] = []
        for index, item in enumerate(node):
            child_path = (*path, index)
            if not (isinstance(item, dict) and ARRAY_DIGEST_KEY in item):
                out.append(self.process(item, child_path, parent))
                continue
            if len(item) != 1:
                raise _Rejected(
                    SdJwtFailure.INVALID_DIGEST,
                    f"the '...' element at {list(child_path)} has other keys (§4.2.4.2)",
                )
            digest = item[ARRAY_DIGEST_KEY]
            disclosure = self._register(digest)
            if disclosure is None:
                continue  # §7.1 step 3.4: remove elements that were not disclosed
            if disclosure.name is not None:
                raise _Rejected(
                    SdJwtFailure.INVALID_DISCLOSURE,
                    f"the Disclosure for array element {list(child_path)} is not [salt, value]",
                )
            self.placed[digest] = _Placed(child_path, parent)
            out.append(self.process(disclosure.value, child_path, digest))
        return out


def _sd_alg_of(payload: Mapping[str, Any]) -> str:
    sd_alg = payload.get(SD_ALG_CLAIM, DEFAULT_SD_ALG)
    if not isinstance(sd_alg, str) or sd_alg not in SUPPORTED_SD_ALGS:
        raise _Rejected(SdJwtFailure.UNSUPPORTED_SD_ALG, f"_sd_alg {sd_alg!r} is not supported")
    return sd_alg


def _index_disclosures(
    encoded: Sequence[str], sd_alg: str
) -> tuple[dict[str, Disclosure], tuple[Disclosure, ...]]:
    by_digest: dict[str, Disclosure] = {}
    decoded: list[Disclosure] = []
    for position, text in enumerate(encoded):
        try:
            disclosure = Disclosure.decode(text)
        except MalformedSdJwtError as exc:
            raise _Rejected(
                SdJwtFailure.INVALID_DISCLOSURE, f"Disclosure {position}: {exc.message}"
            ) from None
        digest = disclosure.digest(sd_alg)
        if digest in by_digest:
            raise _Rejected(
                SdJwtFailure.DUPLICATE_DISCLOSURE, f"Disclosure {position} is sent twice"
            )
        by_digest[digest] = disclosure
        decoded.append(disclosure)
    return by_digest, tuple(decoded)


# -- holder -------------------------------------------------------------------------------


def _aware(moment: datetime | None, what: str) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware")
    return moment


def present(
    sd_jwt: str,
    *,
    disclose: DisclosureSelector,
    kb_key: PrivateKey | None = None,
    aud: str | None = None,
    nonce: str | None = None,
    iat: datetime | None = None,
) -> str:
    """Holder side (§7.2): select Disclosures and optionally append a KB-JWT (§4.3).

    ``disclose`` is either claim paths (each reveals the claim it names, everything inside it,
    and every Disclosure on the way to it) or a predicate called with each Disclosure's path
    (the Disclosures containing a chosen one are added, §7.2 step 2). Array indexes in paths
    count positions in the issued array. With ``kb_key`` the KB-JWT gets ``typ: kb+jwt``,
    ``iat`` (default now), ``aud``, ``nonce`` and ``sd_hash``; ``kb_key`` must match
    ``cnf.jwk`` when the SD-JWT has one.

    Raises :class:`MalformedSdJwtError` for an SD-JWT+KB (§7.2: the Holder MUST reject it) or an
    SD-JWT whose Disclosures do not fit its payload (§7.1 checks except the signature).
    """
    parts = parse_sd_jwt(sd_jwt)
    if parts.kb_jwt is not None:
        raise MalformedSdJwtError("the Holder received an SD-JWT+KB, not an SD-JWT (§7.2)")
    payload = parts.unverified_claims()
    try:
        sd_alg = _sd_alg_of(payload)
        by_digest, decoded = _index_disclosures(parts.disclosures, sd_alg)
        processor = _Processor(by_digest)
        processor.run(payload)
    except _Rejected as exc:
        raise MalformedSdJwtError(
            f"the SD-JWT is not valid: {exc.detail}", details={"code": exc.reason.value}
        ) from None
    except RecursionError:
        raise MalformedSdJwtError("the SD-JWT is nested too deeply") from None
    if callable(disclose):
        chosen = {d for d, where in processor.placed.items() if disclose(where.path)}
    else:
        wanted = [_normalize_path(path) for path in disclose]
        chosen = {
            digest
            for digest, where in processor.placed.items()
            if any(_paths_match(path, where.path) for path in wanted)
        }
    for digest in list(chosen):
        parent = processor.placed[digest].parent
        while parent is not None and parent not in chosen:
            chosen.add(parent)
            parent = processor.placed[parent].parent
    digest_of = {d: digest for digest, d in by_digest.items()}
    selected = tuple(d.encoded for d in decoded if digest_of[d] in chosen)
    presented = SdJwtParts(parts.issuer_jwt, selected)
    if kb_key is None:
        if aud is not None or nonce is not None:
            raise MalformedInputError("aud and nonce go into a KB-JWT: give kb_key too")
        return presented.serialize()
    _check_holder_key(payload, kb_key)
    for name, value in (("aud", aud), ("nonce", nonce)):
        if not isinstance(value, str) or not value:
            raise MalformedInputError(f"a KB-JWT needs a non-empty {name} string (§4.3)")
    kb_claims = {
        "iat": int(_aware(iat, "iat").timestamp()),
        "aud": aud,
        "nonce": nonce,
        "sd_hash": compute_sd_hash(presented.sd_jwt, sd_alg),
    }
    kb_jwt = sign_jws(kb_claims, kb_key, header={"typ": KB_JWT_TYP})
    return presented.sd_jwt + kb_jwt


def _check_holder_key(payload: Mapping[str, Any], kb_key: PrivateKey) -> None:
    cnf = payload.get("cnf")
    if not isinstance(cnf, Mapping) or "jwk" not in cnf:
        return
    try:
        bound = PublicKey.from_jwk(cnf["jwk"])
    except KeyFormatError as exc:
        raise MalformedSdJwtError(f"the SD-JWT's cnf.jwk is not usable: {exc.message}") from None
    if bound != kb_key.public_key:
        raise MalformedInputError("kb_key is not the key in the SD-JWT's cnf.jwk (§4.1.2)")


# -- verifier -----------------------------------------------------------------------------


_media_type = normalize_media_type


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_validity(claims: Mapping[str, Any], now: datetime, leeway: timedelta) -> None:
    """§7.1 step 6: ``exp``/``nbf`` of the processed payload (``iat`` must be a number)."""
    for name in _TIME_CLAIMS:
        if name in claims and not _is_number(claims[name]):
            raise _Rejected(SdJwtFailure.INVALID_CLAIM, f"{name!r} must be a NumericDate")
    moment, slack = now.timestamp(), leeway.total_seconds()
    if "exp" in claims and moment >= claims["exp"] + slack:
        raise _Rejected(SdJwtFailure.EXPIRED, f"the SD-JWT expired at {claims['exp']}")
    if "nbf" in claims and moment < claims["nbf"] - slack:
        raise _Rejected(
            SdJwtFailure.NOT_YET_VALID, f"the SD-JWT is not valid before {claims['nbf']}"
        )


def _holder_key(claims: Mapping[str, Any]) -> PublicKey:
    cnf = claims.get("cnf")
    if not isinstance(cnf, Mapping) or not isinstance(cnf.get("jwk"), Mapping):
        raise _Rejected(SdJwtFailure.HOLDER_KEY_MISSING, "the SD-JWT has no cnf.jwk (§4.1.2)")
    try:
        return PublicKey.from_jwk(cnf["jwk"])
    except KeyFormatError as exc:
        raise _Rejected(SdJwtFailure.HOLDER_KEY_MISSING, f"cnf.jwk: {exc.message}") from None


def _verify_key_binding(
    kb_jwt: str,
    presented_sd_jwt: str,
    claims: Mapping[str, Any],
    *,
    sd_alg: str,
    allowed_algs: Collection[str],
    expected_aud: str | None,
    expected_nonce: str | None,
    now: datetime,
    max_kb_age: timedelta,
    leeway: timedelta,
) -> dict[str, Any]:
    """§7.3 step 5."""
    holder_key = _holder_key(claims)
    jws = verify_jws(kb_jwt, holder_key, allowed_algs=allowed_algs, expected_typ=None)
    if not jws.verified:
        reason = _KB_JWS_FAILURES.get(jws.reason or JoseFailure.INVALID_SIGNATURE)
        raise _Rejected(reason or SdJwtFailure.KB_INVALID_SIGNATURE, f"KB-JWT: {jws.detail}")
    typ = jws.header.get("typ")
    if typ is None or _media_type(typ) != _media_type(KB_JWT_TYP):
        raise _Rejected(SdJwtFailure.KB_TYP_MISMATCH, f"KB-JWT typ {typ!r}, expected kb+jwt")
    try:
        kb = jws.payload_json()
    except MalformedJwsError as exc:
        raise _Rejected(SdJwtFailure.KB_INVALID_CLAIM, f"KB-JWT payload: {exc.message}") from None
    if not _is_number(kb.get("iat")):
        raise _Rejected(SdJwtFailure.KB_INVALID_CLAIM, "the KB-JWT iat must be a NumericDate")
    for name in ("aud", "nonce", "sd_hash"):
        if not isinstance(kb.get(name), str):
            raise _Rejected(SdJwtFailure.KB_INVALID_CLAIM, f"the KB-JWT {name} must be a string")
    moment, slack = now.timestamp(), leeway.total_seconds()
    for name in ("exp", "nbf"):
        if name in kb and not _is_number(kb[name]):
            raise _Rejected(SdJwtFailure.KB_INVALID_CLAIM, f"the KB-JWT {name} must be a number")
    if "exp" in kb and moment >= kb["exp"] + slack:
        raise _Rejected(SdJwtFailure.KB_INVALID_CLAIM, f"the KB-JWT expired at {kb['exp']}")
    if "nbf" in kb and moment < kb["nbf"] - slack:
        raise _Rejected(
            SdJwtFailure.KB_INVALID_CLAIM, f"the KB-JWT is not valid before {kb['nbf']}"
        )
    if not moment - max_kb_age.total_seconds() - slack <= kb["iat"] <= moment + slack:
        raise _Rejected(
            SdJwtFailure.KB_IAT_OUT_OF_WINDOW,
            f"the KB-JWT iat {kb['iat']} is outside the accepted window",
        )
    if expected_nonce is not None and kb["nonce"] != expected_nonce:
        raise _Rejected(SdJwtFailure.NONCE_MISMATCH, "the KB-JWT nonce is not the one issued")
    if expected_aud is not None and kb["aud"] != expected_aud:
        raise _Rejected(SdJwtFailure.AUDIENCE_MISMATCH, f"the KB-JWT aud {kb['aud']!r} is not ours")
    if kb["sd_hash"] != compute_sd_hash(presented_sd_jwt, sd_alg):
        raise _Rejected(
            SdJwtFailure.SD_HASH_MISMATCH,
            "sd_hash does not match the Issuer-signed JWT and Disclosures presented",
        )
    return kb


def verify_sd_jwt(
    serialized: str,
    *,
    issuer_key: PublicKey,
    allowed_algs: Collection[str],
    expected_typ: str | Collection[str] | None,
    require_key_binding: bool,
    expected_aud: str | None = None,
    expected_nonce: str | None = None,
    now: datetime | None = None,
    max_kb_age: timedelta = DEFAULT_MAX_KB_AGE,
    leeway: timedelta = DEFAULT_LEEWAY,
    kb_allowed_algs: Collection[str] | None = None,
    issuer_jws: CompactJws | None = None,
) -> SdJwtResult:
    """Verify an SD-JWT or SD-JWT+KB (RFC 9901 §7.1 and §7.3).

    ``issuer_key`` must already be the Issuer's key (§7.1 step 2.3 is the caller's: pick it
    from ``parse_sd_jwt(...).issuer_jwt`` header ``kid`` / ``unverified_claims()['iss']``).
    ``expected_typ`` is one media type or several (``None``: not checked). With
    ``require_key_binding`` a KB-JWT must be present and ``expected_aud`` and
    ``expected_nonce`` are required. A KB-JWT that is present is always verified (signature by
    ``cnf.jwk``, ``typ``, ``iat`` no older than ``max_kb_age``, ``sd_hash``; ``aud``/``nonce``
    when expected values are given). ``kb_allowed_algs`` defaults to ``allowed_algs``.
    ``issuer_jws``: :func:`~vc_core.jose.parse_compact_jws` of the Issuer-signed JWT, when the
    caller read it already (for the ``kid`` and ``iss``): it is not decoded again.

    Raises only for unparseable input (:class:`MalformedSdJwtError`,
    :class:`~vc_core.jose.MalformedJwsError`) and for bad arguments (``ValueError``).
    """
    if require_key_binding and (expected_aud is None or expected_nonce is None):
        raise ValueError("key binding needs the expected aud and nonce of this transaction")
    moment = _aware(now, "now")
    parts = parse_sd_jwt(serialized)
    if require_key_binding and parts.kb_jwt is None:
        return SdJwtResult(
            False, {}, reason=SdJwtFailure.KEY_BINDING_REQUIRED, detail="no KB-JWT (§7.3 step 2)"
        )
    jws = verify_jws(
        parts.issuer_jwt,
        issuer_key,
        allowed_algs=allowed_algs,
        expected_typ=None,
        parsed=issuer_jws,
    )
    header = jws.header
    if not jws.verified:
        reason = _ISSUER_JWS_FAILURES.get(jws.reason or JoseFailure.INVALID_SIGNATURE)
        return SdJwtResult(
            False, header, reason=reason or SdJwtFailure.INVALID_SIGNATURE, detail=jws.detail
        )
    if expected_typ is not None:
        accepted = [expected_typ] if isinstance(expected_typ, str) else list(expected_typ)
        typ = header.get("typ")
        if typ is None or _media_type(typ) not in {_media_type(t) for t in accepted}:
            return SdJwtResult(
                False, header, reason=SdJwtFailure.TYP_MISMATCH, detail=f"typ {typ!r}"
            )
    try:
        payload = jws.payload_json()
    except MalformedJwsError as exc:
        return SdJwtResult(False, header, reason=SdJwtFailure.INVALID_PAYLOAD, detail=exc.message)
    decoded: tuple[Disclosure, ...] = ()
    try:
        sd_alg = _sd_alg_of(payload)
        by_digest, decoded = _index_disclosures(parts.disclosures, sd_alg)
        claims = _Processor(by_digest).run(payload)
        _check_validity(claims, moment, leeway)
        kb = None
        if parts.kb_jwt is not None:
            kb = _verify_key_binding(
                parts.kb_jwt,
                parts.sd_jwt,
                claims,
                sd_alg=sd_alg,
                allowed_algs=allowed_algs if kb_allowed_algs is None else kb_allowed_algs,
                expected_aud=expected_aud,
                expected_nonce=expected_nonce,
                now=moment,
                max_kb_age=max_kb_age,
                leeway=leeway,
            )
    except _Rejected as exc:
        return SdJwtResult(
            False,
            header,
            reason=exc.reason,
            detail=exc.detail,
            issuer_payload=payload,
            disclosures=decoded,
        )
    except RecursionError:
        return SdJwtResult(
            False, header, reason=SdJwtFailure.INVALID_PAYLOAD, detail="nested too deeply"
        )
    return SdJwtResult(
        True,
        header,
        claims=claims,
        issuer_payload=payload,
        disclosures=decoded,
        key_binding=kb,
    )
