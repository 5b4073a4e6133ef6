"""Statuses packed into a byte array, ``width`` bits each: the part both status lists share.

The two formats differ only in where inside a byte an entry sits: the W3C Bitstring Status
List counts from the most significant bit (index 0 is the left-most bit of byte 0), the IETF
Token Status List from the least significant bit. Subclasses say which with ``MSB_FIRST``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import ClassVar

from vc_core.errors import StatusRangeError

__all__ = ["PackedStatuses"]

_NONZERO_BYTE = re.compile(rb"[^\x00]")


class PackedStatuses:
    """A mutable array of statuses of ``width`` bits (1, 2, 4 or 8) in a ``bytearray``."""

    __slots__ = ()

    MSB_FIRST: ClassVar[bool]
    WIDTH_NAME: ClassVar[str]  # what the format calls the width, for messages

    _buffer: bytearray
    _width: int

    def __len__(self) -> int:
        return len(self._buffer) * 8 // self._width

    @property
    def nbytes(self) -> int:
        """Bytes the decoded statuses take in memory."""
        return len(self._buffer)

    def _locate(self, index: int) -> tuple[int, int]:
        if not 0 <= index < len(self):
            raise StatusRangeError(
                f"status list index {index} outside [0, {len(self)})",
                details={"index": index, "entries": len(self)},
            )
        bit = index * self._width
        return bit >> 3, (8 - self._width - (bit & 7)) if self.MSB_FIRST else bit & 7

    def get(self, index: int) -> int:
        """The status at ``index``."""
        byte, shift = self._locate(index)
        return (self._buffer[byte] >> shift) & ((1 << self._width) - 1)

    def set(self, index: int, value: int) -> None:
        """Set the status at ``index`` in place; ``value`` must fit in the entry width."""
        mask = (1 << self._width) - 1
        if not 0 <= value <= mask:
            raise StatusRangeError(
                f"status value {value} does not fit in {self._width} bit(s)",
                details={"value": value, self.WIDTH_NAME: self._width},
            )
        byte, shift = self._locate(index)
        self._buffer[byte] = (self._buffer[byte] & ~(mask << shift)) | (value << shift)

    def set_many(self, values: Mapping[int, int] | Iterable[tuple[int, int]]) -> None:
        """Set every ``(index, status)`` pair (or ``{index: status}``) in place (what
        :meth:`set` does, inlined: rendering a full list sets thousands of entries)."""
        buffer, width = self._buffer, self._width
        mask, entries, msb = (1 << width) - 1, len(self), self.MSB_FIRST
        for index, value in values.items() if isinstance(values, Mapping) else values:
            if not 0 <= index < entries or not 0 <= value <= mask:
                self.set(index, value)  # raises the same error set() would
            bit = index * width
            shift = (8 - width - (bit & 7)) if msb else bit & 7
            byte = bit >> 3
            buffer[byte] = (buffer[byte] & ~(mask << shift)) | (value << shift)

    def nonzero(self) -> Iterator[tuple[int, int]]:
        """``(index, status)`` of every non-zero entry, in index order (zero bytes skipped in C)."""
        width, mask = self._width, (1 << self._width) - 1
        per_byte = 8 // width
        for match in _NONZERO_BYTE.finditer(self._buffer):
            byte_index, byte = match.start(), self._buffer[match.start()]
            for slot in range(per_byte):
                shift = 8 - width * (slot + 1) if self.MSB_FIRST else slot * width
                value = (byte >> shift) & mask
                if value:
                    yield byte_index * per_byte + slot, value

    def to_bytes(self) -> bytes:
        """The uncompressed byte array."""
        return bytes(self._buffer)
