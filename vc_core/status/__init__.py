"""Credential status lists: the two codecs mcred serves (specs.md §7).

* :mod:`vc_core.status.bitstring_status_list`: W3C Bitstring Status List v1.0 (GZIP, multibase
  ``u``, index 0 = most significant bit of byte 0) for W3C VCs.
* :mod:`vc_core.status.token_status_list`: IETF Token Status List (ZLIB, plain base64url,
  index 0 = least significant bit of byte 0) for SD-JWT VCs.

Both keep the list in a ``bytearray`` (``set`` is O(1)), refuse compressed lists that inflate
beyond a cap, and raise :class:`~vc_core.errors.StatusListError` on lists they cannot decode.
"""

from vc_core.errors import StatusRangeError
from vc_core.status._compression import decompress_bounded
from vc_core.status.bitstring_status_list import (
    DEFAULT_MAX_DECOMPRESSED_SIZE,
    MINIMUM_ENTRIES,
    SUPPORTED_STATUS_SIZES,
    BitstringStatusList,
    BitstringStatusListEntry,
    StatusMessage,
    StatusPurpose,
)
from vc_core.status.token_status_list import SUPPORTED_BITS, StatusType, TokenStatusList

__all__ = [
    "DEFAULT_MAX_DECOMPRESSED_SIZE",
    "MINIMUM_ENTRIES",
    "SUPPORTED_BITS",
    "SUPPORTED_STATUS_SIZES",
    "BitstringStatusList",
    "BitstringStatusListEntry",
    "StatusMessage",
    "StatusPurpose",
    "StatusRangeError",
    "StatusType",
    "TokenStatusList",
    "decompress_bounded",
]
