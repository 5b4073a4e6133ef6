"""IETF Token Status List (draft-ietf-oauth-status-list -20/-21; HAIP pins -14): the codec.

https://datatracker.ietf.org/doc/draft-ietf-oauth-status-list/

* §4.1 Compressed Byte Array: ``bits`` is 1, 2, 4 or 8; "Each index identifies a contiguous block
  of bits in the byte array, with the blocks being packed into bytes from the least significant
  bit ("0") to the most significant bit ("7")"; the array is compressed "using DEFLATE [RFC1951]
  with the ZLIB [RFC1950] data format". The draft RECOMMENDS the highest compression level;
  mcred uses level 6, ten times faster on sparse lists for output about a quarter larger.
* §4.2 Status List in JSON Format: ``{"bits": 1, "lst": "<base64url, no padding>",
  "aggregation_uri"?: "…"}`` (:meth:`TokenStatusList.to_claim`, :meth:`TokenStatusList.from_claim`).
* §7 Status Types: :class:`StatusType`.
* §8.3: "If the provided index is out of bounds of the Status List, … the Referenced Token MUST
  be rejected" → :class:`~vc_core.errors.StatusRangeError`.

Index 0 is the **least** significant bit of byte 0: the opposite of the W3C Bitstring Status List.
mcred keeps one set of statuses and serves both formats:
:meth:`TokenStatusList.from_bitstring_status_list` and
:meth:`TokenStatusList.to_bitstring_status_list` convert between the two layouts byte by byte.
"""

from __future__ import annotations

import enum
import re
import zlib
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, Self

from vc_core.errors import KeyFormatError, StatusListError
from vc_core.keys import b64url_decode, b64url_encode
from vc_core.status._compression import decompress_bounded
from vc_core.status._packed import PackedStatuses
from vc_core.status.bitstring_status_list import (
    DEFAULT_MAX_DECOMPRESSED_SIZE,
    MINIMUM_ENTRIES,
    SUPPORTED_STATUS_SIZES,
    BitstringStatusList,
)

__all__ = [
    "SUPPORTED_BITS",
    "StatusType",
    "TokenStatusList",
]

SUPPORTED_BITS = SUPPORTED_STATUS_SIZES
"""§4.1: "The allowed values for ``bits`` are 1, 2, 4, and 8"."""

_ZLIB_WBITS = 15  # zlib container only (RFC 1950), no auto-detection
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class StatusType(enum.IntEnum):
    """§7.1 Status Type values. 0x03 and 0x0C-0x0F are application specific."""

    VALID = 0x00
    INVALID = 0x01
    SUSPENDED = 0x02


def _check_bits(bits: object) -> None:
    if isinstance(bits, bool) or bits not in SUPPORTED_BITS:
        raise StatusListError(
            f"unsupported bits {bits!r}; allowed: 1, 2, 4, 8", details={"bits": bits}
        )


@cache
def _swap_entry_order(bits: int) -> bytes:
    """A ``bytes.translate`` table that reverses the order of the ``8 // bits`` entries in a byte.

    It maps an LSB-first byte (IETF) to the MSB-first byte (W3C) holding the same entries, and
    back (it is its own inverse); the bits inside each entry keep their order.
    """
    per_byte, mask = 8 // bits, (1 << bits) - 1
    table = bytearray(256)
    for byte in range(256):
        swapped = 0
        for slot in range(per_byte):
            swapped |= ((byte >> (slot * bits)) & mask) << ((per_byte - 1 - slot) * bits)
        table[byte] = swapped
    return bytes(table)


class TokenStatusList(PackedStatuses):
    """A mutable Status List of ``len(self)`` entries of ``bits`` bits each (§4.1).

    Entry ``i`` occupies bits ``[i * bits, (i + 1) * bits)`` packed from the least significant bit
    of each byte. The list lives in a ``bytearray``; :meth:`set` changes it in place.
    ``aggregation_uri`` (§4.2, §9) is carried through :meth:`to_claim`/:meth:`from_claim`.
    """

    __slots__ = ("_buffer", "_width", "aggregation_uri")
    MSB_FIRST = False  # §4.1: packed from the least significant bit
    WIDTH_NAME = "bits"

    def __init__(self, size: int, *, bits: int = 1, aggregation_uri: str | None = None) -> None:
        """An all-zero (VALID) list of at least ``size`` entries (rounded up to whole bytes)."""
        _check_bits(bits)
        if size < 0:
            raise StatusListError("a status list cannot have a negative size")
        self._width = bits
        self._buffer = bytearray(-(-size * bits // 8))
        self.aggregation_uri = aggregation_uri

    @classmethod
    def from_bytes(
        cls, data: bytes | bytearray, *, bits: int = 1, aggregation_uri: str | None = None
    ) -> Self:
        """Wrap an uncompressed byte array (copied)."""
        _check_bits(bits)
        self = cls.__new__(cls)
        self._width = bits
        self._buffer = bytearray(data)
        self.aggregation_uri = aggregation_uri
        return self

    @classmethod
    def from_values(
        cls,
        values: Mapping[int, int] | Iterable[tuple[int, int]],
        *,
        size: int,
        bits: int = 1,
        aggregation_uri: str | None = None,
    ) -> Self:
        """A list of ``size`` entries where the given ``(index, status)`` pairs are set."""
        status_list = cls(size, bits=bits, aggregation_uri=aggregation_uri)
        status_list.set_many(values)
        return status_list

    @classmethod
    def decode(
        cls,
        lst: str,
        *,
        bits: int,
        aggregation_uri: str | None = None,
        max_decompressed_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE,
    ) -> Self:
        """Decode ``lst``: base64url (no padding, no multibase prefix), then ZLIB-inflate (§4.2)."""
        _check_bits(bits)
        if not isinstance(lst, str) or not _BASE64URL.fullmatch(lst):
            raise StatusListError("lst must be base64url text without padding")
        try:
            compressed = b64url_decode(lst)
        except KeyFormatError as exc:
            raise StatusListError("lst is not valid base64url") from exc
        raw = decompress_bounded(compressed, wbits=_ZLIB_WBITS, max_size=max_decompressed_size)
        return cls.from_bytes(raw, bits=bits, aggregation_uri=aggregation_uri)

    @classmethod
    def from_claim(
        cls,
        claim: Mapping[str, Any],
        *,
        max_decompressed_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE,
    ) -> Self:
        """Decode the ``status_list`` claim of a Status List Token (§4.2, §5.1)."""
        if not isinstance(claim, Mapping):
            raise StatusListError("status_list must be a JSON object")
        bits, lst = claim.get("bits"), claim.get("lst")
        aggregation_uri = claim.get("aggregation_uri")
        if not isinstance(bits, int):
            raise StatusListError("status_list.bits must be an integer")
        if not isinstance(lst, str):
            raise StatusListError("status_list.lst must be a string")
        if aggregation_uri is not None and not isinstance(aggregation_uri, str):
            raise StatusListError("status_list.aggregation_uri must be a string")
        return cls.decode(
            lst,
            bits=bits,
            aggregation_uri=aggregation_uri,
            max_decompressed_size=max_decompressed_size,
        )

    @classmethod
    def from_bitstring_status_list(
        cls, status_list: BitstringStatusList, *, aggregation_uri: str | None = None
    ) -> Self:
        """The same statuses in the IETF layout (``bits = status_size``), in O(n) C-speed."""
        table = _swap_entry_order(status_list.status_size)
        return cls.from_bytes(
            status_list.to_bytes().translate(table),
            bits=status_list.status_size,
            aggregation_uri=aggregation_uri,
        )

    def to_bitstring_status_list(
        self, *, minimum_entries: int = MINIMUM_ENTRIES
    ) -> BitstringStatusList:
        """The same statuses in the W3C layout (``status_size = bits``).

        Raises ``STATUS_LIST_LENGTH_ERROR`` if the list is shorter than ``minimum_entries``.
        """
        return BitstringStatusList.from_bytes(
            self._buffer.translate(_swap_entry_order(self._width)),
            status_size=self._width,
            minimum_entries=minimum_entries,
        )

    @property
    def bits(self) -> int:
        return self._width

    def encode(self) -> str:
        """``lst`` = base64url(ZLIB(DEFLATE(byte array))) (§4.1, §4.2); level 6, as for GZIP."""
        return b64url_encode(zlib.compress(self._buffer, level=6))

    def to_claim(self) -> dict[str, Any]:
        """The ``status_list`` claim: ``{"bits": …, "lst": …, "aggregation_uri"?: …}`` (§4.2)."""
        claim: dict[str, Any] = {"bits": self._width, "lst": self.encode()}
        if self.aggregation_uri is not None:
            claim["aggregation_uri"] = self.aggregation_uri
        return claim

    def __eq__(self, other: object) -> bool:
        """Same ``bits`` and statuses (``aggregation_uri`` is metadata and not compared)."""
        if not isinstance(other, TokenStatusList):
            return NotImplemented
        return self._width == other._width and self._buffer == other._buffer

    __hash__ = None  # type: ignore[assignment]  # mutable, like bytearray

    def __repr__(self) -> str:
        return f"TokenStatusList(entries={len(self)}, bits={self._width})"
