"""W3C Bitstring Status List v1.0 (REC 2025-05-15): the codec and the JSON shapes.

https://www.w3.org/TR/vc-bitstring-status-list/

* §2.1 ``BitstringStatusListEntry``: the ``credentialStatus`` of a credential
  (:class:`BitstringStatusListEntry`, :class:`StatusMessage`, :class:`StatusPurpose`).
* §2.2 ``BitstringStatusListCredential``: its ``credentialSubject`` carries ``encodedList``
  (:meth:`BitstringStatusList.credential_subject`,
  :meth:`BitstringStatusList.from_credential_subject`).
* §3.3/§3.4 Bitstring Generation/Expansion: "GZIP compression [RFC1952] on the bitstring and
  then Multibase-encode the result using base64url (with no padding)"
  (:meth:`BitstringStatusList.encode`, :meth:`BitstringStatusList.decode`).

Bit order (§2.2 ``encodedList``): "the first index, with a value of zero (0), is located at the
left-most bit in the bitstring", i.e. index 0 is the **most** significant bit of byte 0, and the
value of an entry starts at bit position ``statusListIndex * statusSize``. This is the opposite of
the IETF Token Status List (see :mod:`vc_core.status.token_status_list`).

Errors (§3.5, VCDM 2.0 §7.2):

* an ``encodedList`` that cannot be decoded → :class:`~vc_core.errors.StatusListError` with
  ``status_code="STATUS_VERIFICATION_ERROR"``;
* fewer than ``minimumNumberOfEntries`` (131,072 unless an ecosystem says otherwise) entries →
  :class:`~vc_core.errors.StatusListError` with ``status_code="STATUS_LIST_LENGTH_ERROR"``;
* an index (or a value) outside the list → :class:`~vc_core.errors.StatusRangeError`
  (VCDM ``RANGE_ERROR``);
* a malformed ``BitstringStatusListEntry`` → :class:`~vc_core.errors.MalformedInputError`
  (VCDM ``MALFORMED_VALUE_ERROR``, as §3 asks).
"""

from __future__ import annotations

import enum
import gzip
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

from vc_core.errors import KeyFormatError, MalformedInputError, StatusListError
from vc_core.keys import b64url_decode, b64url_encode
from vc_core.status._compression import decompress_bounded
from vc_core.status._packed import PackedStatuses

__all__ = [
    "DEFAULT_MAX_DECOMPRESSED_SIZE",
    "MINIMUM_ENTRIES",
    "SUPPORTED_STATUS_SIZES",
    "BitstringStatusList",
    "BitstringStatusListEntry",
    "StatusMessage",
    "StatusPurpose",
]

MINIMUM_ENTRIES = 131_072
"""§3.2: ``minimumNumberOfEntries`` (16 KB of 1-bit entries), unless an ecosystem says."""

SUPPORTED_STATUS_SIZES = frozenset({1, 2, 4, 8})
"""Entry widths this codec handles (no entry straddles a byte); the spec allows any size > 0."""

DEFAULT_MAX_DECOMPRESSED_SIZE = 16 * 1024 * 1024
"""Largest uncompressed list accepted (16 MiB = 134 Mi one-bit entries); larger is a GZIP bomb."""

ENTRY_TYPE = "BitstringStatusListEntry"
LIST_TYPE = "BitstringStatusList"
MULTIBASE_BASE64URL = "u"

_GZIP_WBITS = 31  # zlib: gzip container only (RFC 1952), no auto-detection
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_DECIMAL = re.compile(r"[0-9]{1,4000}")  # base 10; bounded so int() cannot blow up
_HEX_STATUS = re.compile(r"0x[0-9a-fA-F]+")


class StatusPurpose(enum.StrEnum):
    """§2.1 ``statusPurpose`` values whose meaning the spec fixes (other strings are allowed)."""

    REFRESH = "refresh"
    REVOCATION = "revocation"
    SUSPENSION = "suspension"
    MESSAGE = "message"


@dataclass(frozen=True, slots=True)
class StatusMessage:
    """One element of ``statusMessage`` (§2.1): ``{"status": "0x2", "message": "…"}``.

    "``status``, a string representing the hexadecimal value of the status prefixed with ``0x``;
    ``message``, a string used by software developers to assist with debugging which SHOULD NOT be
    displayed to end users."
    """

    status: int
    message: str

    def to_json(self) -> dict[str, str]:
        return {"status": hex(self.status), "message": self.message}

    @classmethod
    def from_json(cls, obj: object) -> StatusMessage:
        if not isinstance(obj, Mapping):
            raise MalformedInputError("statusMessage elements must be objects")
        status, message = obj.get("status"), obj.get("message")
        if not isinstance(status, str) or not _HEX_STATUS.fullmatch(status):
            raise MalformedInputError(
                "statusMessage.status must be a hexadecimal string prefixed with 0x",
                details={"status": status},
            )
        if not isinstance(message, str):
            raise MalformedInputError("statusMessage.message must be a string")
        return cls(int(status, 16), message)


def _check_status_size(status_size: int) -> None:
    if status_size not in SUPPORTED_STATUS_SIZES:
        raise StatusListError(
            f"unsupported statusSize {status_size!r}; supported: 1, 2, 4, 8",
            details={"statusSize": status_size},
        )


def _length_error(entries: int, minimum_entries: int) -> StatusListError:
    return StatusListError(
        f"status list has {entries} entries, fewer than the minimum {minimum_entries}",
        status_code="STATUS_LIST_LENGTH_ERROR",
        details={"entries": entries, "minimumNumberOfEntries": minimum_entries},
    )


class BitstringStatusList(PackedStatuses):
    """A mutable bitstring of ``len(self)`` entries of ``status_size`` bits each (§2.2, §3.3).

    Entry ``i`` occupies bits ``[i * status_size, (i + 1) * status_size)`` counted from the most
    significant bit of byte 0. The list lives in a ``bytearray``; :meth:`set` changes it in place.
    """

    __slots__ = ("_buffer", "_width")
    MSB_FIRST = True  # §2.2: index 0 is the left-most bit
    WIDTH_NAME = "statusSize"

    def __init__(
        self,
        size: int = MINIMUM_ENTRIES,
        *,
        status_size: int = 1,
        minimum_entries: int = MINIMUM_ENTRIES,
    ) -> None:
        """An all-zero list of at least ``size`` entries (rounded up to whole bytes)."""
        _check_status_size(status_size)
        if size < 0:
            raise StatusListError("a status list cannot have a negative size")
        if size < minimum_entries:
            raise _length_error(size, minimum_entries)
        self._width = status_size
        self._buffer = bytearray(-(-size * status_size // 8))

    @classmethod
    def _adopt(cls, buffer: bytearray, status_size: int, minimum_entries: int) -> Self:
        _check_status_size(status_size)
        entries = len(buffer) * 8 // status_size
        if entries < minimum_entries:
            raise _length_error(entries, minimum_entries)
        self = cls.__new__(cls)
        self._width = status_size
        self._buffer = buffer
        return self

    @classmethod
    def from_bytes(
        cls,
        data: bytes | bytearray,
        *,
        status_size: int = 1,
        minimum_entries: int = MINIMUM_ENTRIES,
    ) -> Self:
        """Wrap an uncompressed bitstring (copied)."""
        return cls._adopt(bytearray(data), status_size, minimum_entries)

    @classmethod
    def from_values(
        cls,
        values: Mapping[int, int] | Iterable[tuple[int, int]],
        *,
        size: int = MINIMUM_ENTRIES,
        status_size: int = 1,
        minimum_entries: int = MINIMUM_ENTRIES,
    ) -> Self:
        """A list of ``size`` entries where the given ``(index, status)`` pairs are set."""
        status_list = cls(size, status_size=status_size, minimum_entries=minimum_entries)
        status_list.set_many(values)
        return status_list

    @classmethod
    def decode(
        cls,
        encoded_list: str,
        *,
        status_size: int = 1,
        minimum_entries: int = MINIMUM_ENTRIES,
        max_decompressed_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE,
    ) -> Self:
        """Bitstring Expansion Algorithm (§3.4) plus the length check of §3.2.

        Only the multibase ``u`` prefix (base64url, no padding) is valid for ``encodedList``.
        """
        _check_status_size(status_size)
        if not isinstance(encoded_list, str) or not encoded_list.startswith(MULTIBASE_BASE64URL):
            prefix = encoded_list[:1] if isinstance(encoded_list, str) else None
            raise StatusListError(
                "encodedList must be multibase base64url without padding ('u' prefix)",
                details={"prefix": prefix},
            )
        body = encoded_list[1:]
        if not _BASE64URL.fullmatch(body):
            raise StatusListError("encodedList contains characters outside base64url")
        try:
            compressed = b64url_decode(body)
        except KeyFormatError as exc:
            raise StatusListError("encodedList is not valid base64url") from exc
        raw = decompress_bounded(compressed, wbits=_GZIP_WBITS, max_size=max_decompressed_size)
        return cls._adopt(bytearray(raw), status_size, minimum_entries)

    @classmethod
    def from_credential_subject(
        cls,
        subject: Mapping[str, Any],
        *,
        status_size: int = 1,
        minimum_entries: int = MINIMUM_ENTRIES,
        max_decompressed_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE,
    ) -> Self:
        """Decode the ``encodedList`` of a ``BitstringStatusList`` credential subject (§2.2)."""
        types = subject.get("type")
        if LIST_TYPE not in (types if isinstance(types, list) else [types]):
            raise StatusListError(f"credentialSubject type must be {LIST_TYPE}")
        encoded = subject.get("encodedList")
        if not isinstance(encoded, str):
            raise StatusListError("credentialSubject.encodedList must be a string")
        return cls.decode(
            encoded,
            status_size=status_size,
            minimum_entries=minimum_entries,
            max_decompressed_size=max_decompressed_size,
        )

    @property
    def status_size(self) -> int:
        return self._width

    def encode(self) -> str:
        """``encodedList`` = ``"u"`` + base64url(GZIP(bitstring)) (§3.3); mtime 0, deterministic."""
        # level 4: on a sparse 1 Mi-entry list 2.5x faster than level 6 for ~15% more bytes (a
        # revocation is served sooner; the list is cached by verifiers anyway)
        compressed = gzip.compress(self._buffer, compresslevel=4, mtime=0)
        return MULTIBASE_BASE64URL + b64url_encode(compressed)

    def credential_subject(
        self,
        *,
        subject_id: str,
        status_purpose: str | Sequence[str],
        ttl: int | None = None,
    ) -> dict[str, Any]:
        """The ``credentialSubject`` of a ``BitstringStatusListCredential`` (§2.2).

        ``ttl`` is in **milliseconds**. ``statusSize``/``statusMessage`` are not emitted here: the
        ``BitstringStatusList`` type-scoped context defines only ``id``, ``type``,
        ``statusPurpose``, ``encodedList`` and ``ttl`` (they belong on the entry, §2.1).
        """
        purposes = [status_purpose] if isinstance(status_purpose, str) else list(status_purpose)
        if not purposes or not all(isinstance(p, str) and p for p in purposes):
            raise MalformedInputError("statusPurpose must be one or more non-empty strings")
        subject: dict[str, Any] = {
            "id": subject_id,
            "type": LIST_TYPE,
            "statusPurpose": status_purpose if isinstance(status_purpose, str) else purposes,
            "encodedList": self.encode(),
        }
        if ttl is not None:
            if ttl < 0:
                raise MalformedInputError("ttl must be a non-negative number of milliseconds")
            subject["ttl"] = ttl
        return subject

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BitstringStatusList):
            return NotImplemented
        return self._width == other._width and self._buffer == other._buffer

    __hash__ = None  # type: ignore[assignment]  # mutable, like bytearray

    def __repr__(self) -> str:
        return f"BitstringStatusList(entries={len(self)}, status_size={self._width})"


@dataclass(frozen=True, slots=True)
class BitstringStatusListEntry:
    """A ``credentialStatus`` entry of type ``BitstringStatusListEntry`` (§2.1).

    ``status_list_index`` is an int here and a base-10 **string** on the wire. When
    ``status_size`` > 1, ``status_message`` "MUST be present, and the number of status messages
    MUST equal the number of possible values" (2^``status_size``). ``extra_types`` are types
    besides ``BitstringStatusListEntry``, e.g. ELM's ``CredentialStatus`` (specs.md §9.6).
    """

    status_purpose: str
    status_list_index: int
    status_list_credential: str
    id: str | None = None
    status_size: int = 1
    status_message: tuple[StatusMessage, ...] = ()
    status_reference: tuple[str, ...] = ()
    extra_types: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.status_purpose, str) or not self.status_purpose:
            raise MalformedInputError("statusPurpose must be a non-empty string")
        if isinstance(self.status_list_index, bool) or not isinstance(self.status_list_index, int):
            raise MalformedInputError("statusListIndex must be an integer")
        if self.status_list_index < 0:
            raise MalformedInputError("statusListIndex must be >= 0")
        if not isinstance(self.status_list_credential, str) or not self.status_list_credential:
            raise MalformedInputError("statusListCredential must be a URL")
        if self.id is not None and self.id == self.status_list_credential:
            raise MalformedInputError("the entry id MUST NOT be the URL of the status list")
        if isinstance(self.status_size, bool) or not isinstance(self.status_size, int):
            raise MalformedInputError("statusSize must be an integer")
        if self.status_size < 1:
            raise MalformedInputError("statusSize must be an integer greater than zero")
        if self.status_size > max(SUPPORTED_STATUS_SIZES):
            raise MalformedInputError(
                f"statusSize {self.status_size} is beyond what mcred reads (at most 8 bits)"
            )
        possible = 1 << self.status_size
        if self.status_size > 1 and not self.status_message:
            raise MalformedInputError("statusMessage MUST be present when statusSize > 1")
        if self.status_message:
            statuses = [m.status for m in self.status_message]
            if len(statuses) != possible:
                raise MalformedInputError(
                    f"statusMessage must have {possible} elements for statusSize "
                    f"{self.status_size}, got {len(statuses)}"
                )
            if sorted(statuses) != list(range(possible)):
                raise MalformedInputError(
                    f"statusMessage statuses must be 0x0 … {hex(possible - 1)}, each once"
                )

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {}
        if self.id is not None:
            entry["id"] = self.id
        entry["type"] = [ENTRY_TYPE, *self.extra_types] if self.extra_types else ENTRY_TYPE
        entry["statusPurpose"] = str(self.status_purpose)
        entry["statusListIndex"] = str(self.status_list_index)
        entry["statusListCredential"] = self.status_list_credential
        if self.status_size != 1:
            entry["statusSize"] = self.status_size
        if self.status_message:
            entry["statusMessage"] = [m.to_json() for m in self.status_message]
        if self.status_reference:
            refs = self.status_reference
            entry["statusReference"] = refs[0] if len(refs) == 1 else list(refs)
        return entry

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> BitstringStatusListEntry:
        """Parse and check a ``credentialStatus`` object; extra properties are ignored."""
        if not isinstance(obj, Mapping):
            raise MalformedInputError("credentialStatus must be an object")
        types = obj.get("type")
        if ENTRY_TYPE not in (types if isinstance(types, list) else [types]):
            raise MalformedInputError(f"credentialStatus type must include {ENTRY_TYPE}")
        index = obj.get("statusListIndex")
        if not isinstance(index, str) or not _DECIMAL.fullmatch(index):
            raise MalformedInputError(
                "statusListIndex must be a base-10 integer >= 0 expressed as a string",
                details={"statusListIndex": index},
            )
        status_size = obj.get("statusSize", 1)
        messages = obj.get("statusMessage", [])
        if not isinstance(messages, list):
            raise MalformedInputError("statusMessage must be an array")
        reference = obj.get("statusReference", [])
        references = [reference] if isinstance(reference, str) else reference
        if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
            raise MalformedInputError("statusReference must be a URL or an array of URLs")
        entry_id = obj.get("id")
        if entry_id is not None and not isinstance(entry_id, str):
            raise MalformedInputError("credentialStatus id must be a URL")
        extra_types = [t for t in types if t != ENTRY_TYPE] if isinstance(types, list) else []
        if not all(isinstance(t, str) for t in extra_types):
            raise MalformedInputError("credentialStatus type must be a string or strings")
        return cls(
            status_purpose=obj.get("statusPurpose"),  # type: ignore[arg-type]  # checked
            status_list_index=int(index),
            status_list_credential=obj.get("statusListCredential"),  # type: ignore[arg-type]
            id=entry_id,
            status_size=status_size,
            status_message=tuple(StatusMessage.from_json(m) for m in messages),
            status_reference=tuple(references),
            extra_types=tuple(extra_types),
        )
