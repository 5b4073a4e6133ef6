"""The compact QR payload a learner shows: a share link with its key in the fragment.

A full credential does not fit in a QR code (our ELM ``jwt_vc_json`` is about 12 KB; a version
40-L code holds at most 2,953 bytes, brief §6.6), so the QR carries a *reference* (brief §6.6
pattern B, decision D12): a plain https URL any phone camera opens::

    {base_url}/v/{share_id}#{key}

* ``share_id`` — 16 random bytes, base64url without padding (22 characters): the name of a
  *share*, the signed credential sealed under ``key`` and kept by the issuing service;
* ``key`` — a fresh random AES-256 key, base64url without padding (43 characters), in the
  fragment, which browsers never send to a server (RFC 3986 §3.5): the service stores only the
  ciphertext and never sees the key unless a verifier hands it the whole link.

The service serves the sealed credential, the *envelope*, at ``{base_url}/shares/{share_id}``::

    {"v": 1, "alg": "A256GCM", "format": "ldp_vc" | "jwt_vc_json",
     "iv": <12 bytes, base64url>, "ciphertext": <AES-GCM ciphertext || 16-byte tag, base64url>,
     "expires_at": "2027-11-20T10:00:00Z"}

Sealing is AES-256-GCM (NIST SP 800-38D) with a random 96-bit IV and the associated data
:func:`associated_data` ``= "mcred-share/1|" + share_id + "|" + format`` (ASCII), so an
envelope cannot be served under another share id or relabelled as another format. The
plaintext is the credential exactly as issued: ``ldp_vc`` a JSON object (compact UTF-8 JSON),
``jwt_vc_json`` the compact JWS (ASCII). Each key seals exactly one plaintext.

Parsing is strict (:func:`parse_share_url`): ``https`` (``http`` only for ``localhost`` and
loopback addresses), no user info, query or percent-encoding; the path is an optional base
path of plain segments followed by exactly ``/v/`` and a canonical 22-character id; the
fragment is exactly a canonical 43-character key. Errors never repeat the link or the key.

The error tree (all :class:`~vc_core.errors.MalformedInputError`, so HTTP ``400``)::

    MalformedInputError
    └── SharePayloadError            share_payload
        ├── ShareLinkError           invalid_share_link: not a share link as defined above
        ├── ShareEnvelopeError       invalid_share_envelope: not an envelope as defined above
        ├── ShareDecryptionError     share_decryption_failed: the key does not open the
        │                            envelope (wrong key, altered link, envelope or id)
        └── SharedCredentialError    invalid_shared_credential: the plaintext is not a
                                     credential of the envelope's format

Pure: no web framework, database or HTTP client; ``cryptography`` for AES-GCM.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import ip_address
from typing import Any, ClassVar, NamedTuple
from urllib.parse import SplitResult, urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vc_core.errors import MalformedInputError
from vc_core.keys import b64url_encode
from vc_core.strict_json import StrictJsonError, loads_strict

__all__ = [
    "ENVELOPE_ALG",
    "ENVELOPE_VERSION",
    "IV_BYTES",
    "MAX_CREDENTIAL_BYTES",
    "MAX_SHARE_URL_LENGTH",
    "SHARE_FORMATS",
    "SHARE_ID_BYTES",
    "SHARE_ID_LENGTH",
    "SHARE_KEY_BYTES",
    "SHARE_KEY_LENGTH",
    "SHARE_PATH",
    "ShareDecryptionError",
    "ShareEnvelope",
    "ShareEnvelopeError",
    "ShareLink",
    "ShareLinkError",
    "SharePayloadError",
    "SharedCredential",
    "SharedCredentialError",
    "associated_data",
    "decode_key",
    "is_share_id",
    "new_share_id",
    "new_share_key",
    "normalize_base_url",
    "open_envelope",
    "parse_share_url",
    "seal_credential",
    "share_url",
]

SHARE_PATH = "v"
"""The path segment of share links: ``{base_url}/v/{share_id}``."""
SHARE_ID_BYTES = 16
SHARE_ID_LENGTH = 22
"""Characters of a share id: 16 bytes in unpadded base64url."""
SHARE_KEY_BYTES = 32
SHARE_KEY_LENGTH = 43
"""Characters of a share key: 32 bytes (AES-256) in unpadded base64url."""
IV_BYTES = 12
"""The AES-GCM IV: 96 bits, random (NIST SP 800-38D §8.2.2)."""
TAG_BYTES = 16
ENVELOPE_VERSION = 1
ENVELOPE_ALG = "A256GCM"
SHARE_FORMATS = ("ldp_vc", "jwt_vc_json")
"""What a share may hold: the Data Integrity credential (JSON) or the VCDM 1.1 JWT."""
MAX_CREDENTIAL_BYTES = 256 * 1024
"""The largest credential a share holds: the verifier's input cap."""
MAX_SHARE_URL_LENGTH = 2048
"""The longest share link parsed (a typical one is about 100 characters)."""

_AAD_PREFIX = "mcred-share/1"
_ENVELOPE_MEMBERS = frozenset({"v", "alg", "format", "iv", "ciphertext", "expires_at"})
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_EXPIRES_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_DEFAULT_PORTS = {"https": 443, "http": 80}


# -- errors -----------------------------------------------------------------------------------


class SharePayloadError(MalformedInputError):
    """Base of the share payload's errors (module doc); never carries the link or the key."""

    code: ClassVar[str] = "share_payload"


class ShareLinkError(SharePayloadError):
    code = "invalid_share_link"


class ShareEnvelopeError(SharePayloadError):
    code = "invalid_share_envelope"


class ShareDecryptionError(SharePayloadError):
    code = "share_decryption_failed"


class SharedCredentialError(SharePayloadError):
    code = "invalid_shared_credential"


# -- base64url, ids and keys ------------------------------------------------------------------


def _b64url(text: str, length: int, size: int) -> bytes | None:
    """The bytes of canonical unpadded base64url ``text`` of ``length`` characters, or None."""
    if len(text) != length or _B64URL.fullmatch(text) is None:
        return None
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != size or b64url_encode(raw) != text:
        return None  # non-zero trailing bits: two spellings of one value
    return raw


def new_share_id() -> str:
    """A fresh random share id (22 characters)."""
    return b64url_encode(secrets.token_bytes(SHARE_ID_BYTES))


def new_share_key() -> bytes:
    """A fresh random AES-256 key: used for exactly one share."""
    return secrets.token_bytes(SHARE_KEY_BYTES)


def is_share_id(text: str) -> bool:
    """Whether ``text`` is a canonical share id (ids that cannot be ours are not looked up)."""
    return isinstance(text, str) and _b64url(text, SHARE_ID_LENGTH, SHARE_ID_BYTES) is not None


def decode_key(text: str) -> bytes:
    """The 32 key bytes of a canonical 43-character base64url key; :class:`ShareLinkError`."""
    raw = _b64url(text, SHARE_KEY_LENGTH, SHARE_KEY_BYTES) if isinstance(text, str) else None
    if raw is None:
        raise ShareLinkError(
            f"the key of a share link is {SHARE_KEY_LENGTH} base64url characters "
            f"({SHARE_KEY_BYTES} bytes)",
            details={"part": "key"},
        )
    return raw


# -- links ------------------------------------------------------------------------------------


def _link_error(message: str, part: str) -> ShareLinkError:
    return ShareLinkError(f"not a share link: {message}", details={"part": part})


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _base(parts: SplitResult, path: str) -> str:
    """``scheme://host[:port]{path}`` of split URL ``parts``, normalised (lower-case scheme and
    host, no default port) and checked as the module doc says; ``path`` is the base path
    (empty or ``/seg/seg``)."""
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise _link_error("the scheme must be https", "scheme")
    if "@" in parts.netloc:
        raise _link_error("user information is not allowed", "host")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or parts.netloc.endswith(":"):
        raise _link_error("the port is not a number from 1 to 65535", "port")
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal (urlsplit took the brackets off)
        try:
            authority = f"[{ip_address(host).compressed}]"
        except ValueError:
            raise _link_error("the host is not a valid IP address", "host") from None
    elif _HOST.fullmatch(host) is not None:
        authority = host
    else:
        raise _link_error("the host is not a plain host name or IP address", "host")
    if scheme == "http" and not _is_loopback(host):
        raise _link_error("the scheme must be https (http only for localhost)", "scheme")
    if path:
        segments = path.split("/")
        if segments[0] != "" or any(
            _SEGMENT.fullmatch(s) is None or s in {".", ".."} for s in segments[1:]
        ):
            raise _link_error("the base path has an empty, dot or encoded segment", "path")
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        authority = f"{authority}:{port}"
    return f"{scheme}://{authority}{path}"


def normalize_base_url(url: str) -> str:
    """A service's base URL (``MCRED_PUBLIC_URL``) as share links name it: lower-case scheme
    and host, no default port, no trailing slash. :class:`ShareLinkError` if it cannot serve
    share links (not https, http other than localhost, a query, a fragment, user info)."""
    if not isinstance(url, str) or not url.isascii() or any(c.isspace() for c in url):
        raise _link_error("the base URL is not plain ASCII", "base")
    if "?" in url or "#" in url:
        raise _link_error("a base URL has no query or fragment", "base")
    parts = urlsplit(url)
    return _base(parts, parts.path.rstrip("/"))


@dataclass(frozen=True)
class ShareLink:
    """A parsed share link: where the share lives, its id, and the key (never printed)."""

    base_url: str
    """The service's base URL, normalised (:func:`normalize_base_url`)."""
    share_id: str
    key: bytes = field(repr=False)

    @property
    def url(self) -> str:
        """The link itself, as the QR code carries it."""
        return share_url(self.base_url, self.share_id, self.key)

    @property
    def envelope_url(self) -> str:
        """Where the service serves the envelope: ``{base_url}/shares/{share_id}``."""
        return f"{self.base_url}/shares/{self.share_id}"


def share_url(base_url: str, share_id: str, key: bytes) -> str:
    """``{base_url}/v/{share_id}#{key}``: the text of the QR code (base URL normalised)."""
    if not is_share_id(share_id):
        raise _link_error(f"a share id is {SHARE_ID_LENGTH} base64url characters", "share_id")
    if not isinstance(key, bytes) or len(key) != SHARE_KEY_BYTES:
        raise _link_error(f"a share key is {SHARE_KEY_BYTES} bytes", "key")
    return f"{normalize_base_url(base_url)}/{SHARE_PATH}/{share_id}#{b64url_encode(key)}"


def parse_share_url(url: str) -> ShareLink:
    """The share link ``url`` (strict, module doc); :class:`ShareLinkError` on anything else."""
    if not isinstance(url, str):
        raise _link_error("a share link is a string", "url")
    if len(url) > MAX_SHARE_URL_LENGTH:
        raise _link_error(f"longer than {MAX_SHARE_URL_LENGTH} characters", "url")
    if not url.isascii() or any(c.isspace() or not c.isprintable() for c in url):
        raise _link_error("only printable ASCII without spaces", "url")
    before, hash_sign, fragment = url.partition("#")
    if not hash_sign:
        raise _link_error("the key (the part after '#') is missing", "key")
    if "?" in before:
        raise _link_error("a share link has no query", "query")
    if "%" in before:
        raise _link_error("a share link has no percent-encoding", "path")
    parts = urlsplit(before)
    prefix, slash_v, share_id = parts.path.rpartition(f"/{SHARE_PATH}/")
    if not slash_v or not is_share_id(share_id):
        raise _link_error(
            f"the path must end in /{SHARE_PATH}/ and a {SHARE_ID_LENGTH}-character share id",
            "path",
        )
    base = _base(parts, prefix)
    return ShareLink(base, share_id, decode_key(fragment))


# -- envelopes --------------------------------------------------------------------------------


def associated_data(share_id: str, credential_format: str) -> bytes:
    """The AES-GCM associated data: ``mcred-share/1|{share_id}|{format}`` in ASCII."""
    return f"{_AAD_PREFIX}|{share_id}|{credential_format}".encode("ascii")


def _expires_text(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError("expires_at must be time-zone aware")
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ShareEnvelope:
    """The sealed credential as the service keeps and serves it (module doc)."""

    format: str
    iv: bytes
    ciphertext: bytes = field(repr=False)
    expires_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "v": ENVELOPE_VERSION,
            "alg": ENVELOPE_ALG,
            "format": self.format,
            "iv": b64url_encode(self.iv),
            "ciphertext": b64url_encode(self.ciphertext),
            "expires_at": _expires_text(self.expires_at),
        }

    @classmethod
    def from_json(cls, document: object) -> ShareEnvelope:
        """An envelope from its JSON object (strict: exactly the members above, this version,
        this algorithm, a known format, canonical base64url); :class:`ShareEnvelopeError`."""
        if not isinstance(document, Mapping):
            raise ShareEnvelopeError("a share envelope is a JSON object")
        members = set(document)
        if members != _ENVELOPE_MEMBERS:
            raise ShareEnvelopeError(
                "a share envelope has exactly the members " + ", ".join(sorted(_ENVELOPE_MEMBERS)),
                details={
                    "missing": sorted(_ENVELOPE_MEMBERS - members),
                    "unexpected": sorted(str(m) for m in members - _ENVELOPE_MEMBERS)[:10],
                },
            )
        version = document["v"]
        if type(version) is not int or version != ENVELOPE_VERSION:
            raise ShareEnvelopeError(
                f"unsupported share envelope version (this reader knows {ENVELOPE_VERSION})"
            )
        if document["alg"] != ENVELOPE_ALG:
            raise ShareEnvelopeError(f"unsupported share envelope algorithm (only {ENVELOPE_ALG})")
        credential_format = document["format"]
        if credential_format not in SHARE_FORMATS:
            raise ShareEnvelopeError(f"a share holds one of {', '.join(SHARE_FORMATS)}")
        iv_text, ciphertext_text = document["iv"], document["ciphertext"]
        iv = _b64url(iv_text, 16, IV_BYTES) if isinstance(iv_text, str) else None
        if iv is None:
            raise ShareEnvelopeError(f"iv is {IV_BYTES} bytes in canonical base64url")
        ciphertext = _ciphertext(ciphertext_text)
        expires_text = document["expires_at"]
        if not isinstance(expires_text, str) or _EXPIRES_AT.fullmatch(expires_text) is None:
            raise ShareEnvelopeError("expires_at is a UTC date-time like 2027-11-20T10:00:00Z")
        try:
            expires_at = datetime.strptime(expires_text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise ShareEnvelopeError("expires_at is not a valid date-time") from None
        return cls(str(credential_format), iv, ciphertext, expires_at)


def _ciphertext(text: object) -> bytes:
    limit = MAX_CREDENTIAL_BYTES + TAG_BYTES
    if not isinstance(text, str) or len(text) > (limit * 4 + 2) // 3:
        raise ShareEnvelopeError(
            f"ciphertext is base64url of at most {limit} bytes", details={"limit": limit}
        )
    if _B64URL.fullmatch(text) is None or len(text) % 4 == 1:
        raise ShareEnvelopeError("ciphertext is not unpadded base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(raw) != text:
        raise ShareEnvelopeError("ciphertext is not canonical base64url")
    if len(raw) <= TAG_BYTES:
        raise ShareEnvelopeError("ciphertext is shorter than the authentication tag")
    return raw


def _encode_credential(credential_format: str, credential: object) -> bytes:
    if credential_format == "ldp_vc":
        if not isinstance(credential, Mapping):
            raise SharedCredentialError("an ldp_vc credential is a JSON object")
        try:
            text = json.dumps(
                credential, ensure_ascii=False, separators=(",", ":"), allow_nan=False
            )
        except (TypeError, ValueError) as exc:
            raise SharedCredentialError(f"the credential is not JSON: {exc}") from None
        return text.encode("utf-8")
    if credential_format == "jwt_vc_json":
        if not isinstance(credential, str) or _COMPACT_JWS.fullmatch(credential) is None:
            raise SharedCredentialError("a jwt_vc_json credential is a compact JWS")
        return credential.encode("ascii")
    raise SharedCredentialError(f"a share holds one of {', '.join(SHARE_FORMATS)}")


def _decode_credential(credential_format: str, plaintext: bytes) -> dict[str, Any] | str:
    if credential_format == "ldp_vc":
        try:
            value = loads_strict(plaintext)
        except StrictJsonError as exc:
            raise SharedCredentialError(f"the shared credential {exc}") from None
        if not isinstance(value, dict):
            raise SharedCredentialError("the shared ldp_vc credential is not a JSON object")
        return value
    try:
        token = plaintext.decode("ascii")
    except UnicodeDecodeError:
        token = ""
    if _COMPACT_JWS.fullmatch(token) is None:
        raise SharedCredentialError("the shared jwt_vc_json credential is not a compact JWS")
    return token


class SharedCredential(NamedTuple):
    """What a share holds: its format and the credential (a JSON object or a compact JWT)."""

    format: str
    credential: dict[str, Any] | str


def seal_credential(
    share_id: str,
    key: bytes,
    credential_format: str,
    credential: object,
    *,
    expires_at: datetime,
    iv: bytes | None = None,
) -> ShareEnvelope:
    """Seal ``credential`` for the share ``share_id`` under ``key`` (AES-256-GCM, module doc).

    ``iv`` is random unless given (test vectors only: an IV must never repeat under a key).
    """
    if not is_share_id(share_id):
        raise _link_error(f"a share id is {SHARE_ID_LENGTH} base64url characters", "share_id")
    if not isinstance(key, bytes) or len(key) != SHARE_KEY_BYTES:
        raise _link_error(f"a share key is {SHARE_KEY_BYTES} bytes", "key")
    plaintext = _encode_credential(credential_format, credential)
    if len(plaintext) > MAX_CREDENTIAL_BYTES:
        raise SharedCredentialError(
            f"the credential is {len(plaintext)} bytes; a share holds at most "
            f"{MAX_CREDENTIAL_BYTES}",
            details={"limit": MAX_CREDENTIAL_BYTES, "size": len(plaintext)},
        )
    nonce = secrets.token_bytes(IV_BYTES) if iv is None else iv
    if len(nonce) != IV_BYTES:
        raise ValueError(f"an AES-GCM IV here is {IV_BYTES} bytes")
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, associated_data(share_id, credential_format))
    _expires_text(expires_at)  # refuses a naive datetime now rather than when served
    return ShareEnvelope(credential_format, nonce, ciphertext, expires_at)


def open_envelope(share_id: str, key: bytes, envelope: ShareEnvelope) -> SharedCredential:
    """The credential in ``envelope``, opened with the link's id and key.

    :class:`ShareDecryptionError` when the key, the id or the format does not match what was
    sealed (or a byte was changed); :class:`SharedCredentialError` when the authentic plaintext
    is not a credential of the envelope's format. Expiry is the service's to enforce.
    """
    if not is_share_id(share_id):
        raise _link_error(f"a share id is {SHARE_ID_LENGTH} base64url characters", "share_id")
    if not isinstance(key, bytes) or len(key) != SHARE_KEY_BYTES:
        raise _link_error(f"a share key is {SHARE_KEY_BYTES} bytes", "key")
    if envelope.format not in SHARE_FORMATS:
        raise ShareEnvelopeError(f"a share holds one of {', '.join(SHARE_FORMATS)}")
    try:
        plaintext = AESGCM(key).decrypt(
            envelope.iv, envelope.ciphertext, associated_data(share_id, envelope.format)
        )
    except InvalidTag:
        raise ShareDecryptionError(
            "the key in the share link does not open this share (a wrong or altered link, "
            "or an altered share)"
        ) from None
    return SharedCredential(envelope.format, _decode_credential(envelope.format, plaintext))
