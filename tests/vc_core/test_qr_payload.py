"""vc_core.qr_payload: the share link, the envelope, and what is refused.

Vectors: ``tests/data/qr_payload_vectors.json`` (made by ``tests/data/make_qr_payload_vectors.py``
from the documented wire format, without this module).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import segno
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import DATA
from vc_core.errors import MalformedInputError
from vc_core.keys import b64url_decode, b64url_encode
from vc_core.qr_payload import (
    MAX_CREDENTIAL_BYTES,
    SHARE_ID_LENGTH,
    SHARE_KEY_LENGTH,
    SharedCredential,
    SharedCredentialError,
    ShareDecryptionError,
    ShareEnvelope,
    ShareEnvelopeError,
    ShareLinkError,
    associated_data,
    decode_key,
    is_share_id,
    new_share_id,
    new_share_key,
    normalize_base_url,
    open_envelope,
    parse_share_url,
    seal_credential,
    share_url,
)

VECTORS: dict[str, Any] = json.loads((DATA / "qr_payload_vectors.json").read_text("utf-8"))
EXPIRES = datetime(2027, 11, 20, 10, 0, tzinfo=UTC)
ALLIANCE = "https://verify.example-alliance.eu"


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


# -- vectors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS["envelopes"], ids=lambda v: v["name"])
def test_sealing_reproduces_the_vector(vector: dict[str, Any]) -> None:
    envelope = seal_credential(
        vector["share_id"],
        b64url_decode(vector["key"]),
        vector["format"],
        vector["credential"],
        expires_at=EXPIRES,
        iv=b64url_decode(vector["envelope"]["iv"]),
    )
    assert envelope.to_json() == vector["envelope"]
    assert associated_data(vector["share_id"], vector["format"]).decode() == vector["aad"]


@pytest.mark.parametrize("vector", VECTORS["envelopes"], ids=lambda v: v["name"])
def test_opening_the_vector_gives_the_credential(vector: dict[str, Any]) -> None:
    envelope = ShareEnvelope.from_json(vector["envelope"])
    assert envelope.expires_at == EXPIRES
    opened = open_envelope(vector["share_id"], decode_key(vector["key"]), envelope)
    assert opened == SharedCredential(vector["format"], vector["credential"])


@pytest.mark.parametrize("vector", VECTORS["invalid_envelopes"], ids=lambda v: v["name"])
def test_malformed_envelopes_are_refused(vector: dict[str, Any]) -> None:
    with pytest.raises(ShareEnvelopeError) as caught:
        ShareEnvelope.from_json(vector["envelope"])
    assert caught.value.code == vector["code"]
    assert isinstance(caught.value, MalformedInputError)


@pytest.mark.parametrize("vector", VECTORS["links"]["valid"], ids=lambda v: v["url"])
def test_valid_links_parse(vector: dict[str, Any]) -> None:
    link = parse_share_url(vector["url"])
    assert link.base_url == vector["base_url"]
    assert link.share_id == VECTORS["links"]["share_id"]
    assert link.key == b64url_decode(VECTORS["links"]["key"])
    assert link.envelope_url == f"{vector['base_url']}/shares/{link.share_id}"
    assert parse_share_url(link.url) == link  # the normalised link reads back the same
    assert VECTORS["links"]["key"] not in repr(link)


@pytest.mark.parametrize("vector", VECTORS["links"]["invalid"], ids=lambda v: v["name"])
def test_invalid_links_are_refused_without_repeating_the_key(vector: dict[str, Any]) -> None:
    with pytest.raises(ShareLinkError) as caught:
        parse_share_url(vector["url"])
    error = caught.value
    assert error.code == "invalid_share_link"
    assert error.details["part"] == vector["part"]
    shown = json.dumps(error.to_problem()) + str(error)
    assert VECTORS["links"]["key"][:20] not in shown
    assert vector["url"] not in shown


# -- the QR code ------------------------------------------------------------------------------


def test_a_typical_share_link_is_a_small_qr_code() -> None:
    url = share_url(ALLIANCE, new_share_id(), new_share_key())
    assert len(url) == len(ALLIANCE) + len("/v/") + SHARE_ID_LENGTH + 1 + SHARE_KEY_LENGTH
    qr = segno.make_qr(url, error="m")  # what mcred.offer_page.offer_qr makes
    assert qr.mode == "byte"
    version = int(qr.version)
    assert version <= 7
    assert version == 6  # the measure docs/qr-payload.md gives (41 x 41 modules)


# -- round trips ------------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
_credentials = st.dictionaries(st.text(max_size=12), _json_values, max_size=6)
_ids = st.binary(min_size=16, max_size=16).map(b64url_encode)
_keys = st.binary(min_size=32, max_size=32)
_hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z]{2,6}){1,2}", fullmatch=True)
_paths = st.lists(st.from_regex(r"[A-Za-z0-9._~-]{1,8}", fullmatch=True), max_size=3).map(
    lambda segments: "".join(f"/{s}" for s in segments if s not in {".", ".."})
)


@settings(max_examples=60, deadline=None)
@given(share_id=_ids, key=_keys, credential=_credentials)
def test_an_ldp_vc_round_trips(share_id: str, key: bytes, credential: dict[str, Any]) -> None:
    envelope = seal_credential(share_id, key, "ldp_vc", credential, expires_at=EXPIRES)
    parsed = ShareEnvelope.from_json(json.loads(json.dumps(envelope.to_json())))
    assert open_envelope(share_id, key, parsed) == ("ldp_vc", credential)


@settings(max_examples=40, deadline=None)
@given(
    share_id=_ids,
    key=_keys,
    parts=st.lists(st.binary(min_size=1, max_size=40).map(b64url_encode), min_size=3, max_size=3),
)
def test_a_jwt_vc_json_round_trips(share_id: str, key: bytes, parts: list[str]) -> None:
    token = ".".join(parts)
    envelope = seal_credential(share_id, key, "jwt_vc_json", token, expires_at=EXPIRES)
    assert open_envelope(share_id, key, envelope) == SharedCredential("jwt_vc_json", token)


@settings(max_examples=60, deadline=None)
@given(
    host=_hosts,
    port=st.none() | st.integers(1, 65535),
    path=_paths,
    share_id=_ids,
    key=_keys,
)
def test_links_round_trip(
    host: str, port: int | None, path: str, share_id: str, key: bytes
) -> None:
    base = f"https://{host}{'' if port is None else f':{port}'}{path}"
    link = parse_share_url(share_url(base, share_id, key))
    assert (link.share_id, link.key) == (share_id, key)
    assert link.base_url == normalize_base_url(base)
    assert link.base_url == (f"https://{host}{path}" if port in (None, 443) else base)


# -- tampering --------------------------------------------------------------------------------

_SID, _KEY = new_share_id(), new_share_key()
_ENVELOPE = seal_credential(
    _SID, _KEY, "ldp_vc", {"id": "urn:uuid:1", "type": ["VerifiableCredential"]}, expires_at=EXPIRES
)


@settings(max_examples=60, deadline=None)
@given(index=st.integers(0, len(_ENVELOPE.ciphertext) - 1))
def test_a_flipped_ciphertext_byte_is_refused(index: int) -> None:
    tampered = ShareEnvelope(
        "ldp_vc", _ENVELOPE.iv, _flip(_ENVELOPE.ciphertext, index), _ENVELOPE.expires_at
    )
    with pytest.raises(ShareDecryptionError) as caught:
        open_envelope(_SID, _KEY, tampered)
    assert caught.value.code == "share_decryption_failed"


@pytest.mark.parametrize("index", range(12))
def test_a_flipped_iv_byte_is_refused(index: int) -> None:
    tampered = ShareEnvelope(
        "ldp_vc", _flip(_ENVELOPE.iv, index), _ENVELOPE.ciphertext, _ENVELOPE.expires_at
    )
    with pytest.raises(ShareDecryptionError):
        open_envelope(_SID, _KEY, tampered)


def test_a_wrong_key_is_refused() -> None:
    with pytest.raises(ShareDecryptionError):
        open_envelope(_SID, new_share_key(), _ENVELOPE)
    with pytest.raises(ShareDecryptionError):
        open_envelope(_SID, _flip(_KEY, 31), _ENVELOPE)


def test_an_envelope_served_under_another_share_id_is_refused() -> None:
    with pytest.raises(ShareDecryptionError):
        open_envelope(new_share_id(), _KEY, _ENVELOPE)


def test_an_envelope_relabelled_as_another_format_is_refused() -> None:
    relabelled = ShareEnvelope(
        "jwt_vc_json", _ENVELOPE.iv, _ENVELOPE.ciphertext, _ENVELOPE.expires_at
    )
    with pytest.raises(ShareDecryptionError):
        open_envelope(_SID, _KEY, relabelled)


def test_a_truncated_ciphertext_is_refused() -> None:
    cut = ShareEnvelope("ldp_vc", _ENVELOPE.iv, _ENVELOPE.ciphertext[:-1], _ENVELOPE.expires_at)
    with pytest.raises(ShareDecryptionError):
        open_envelope(_SID, _KEY, cut)


@pytest.mark.parametrize(
    ("fmt", "plaintext"),
    [
        ("ldp_vc", b'{"id": 1, "id": 2}'),
        ("ldp_vc", b"[1, 2]"),
        ("ldp_vc", b"\xff"),
        ("ldp_vc", b'{"n": NaN}'),
        ("jwt_vc_json", b"not.a jwt.token"),
        ("jwt_vc_json", b"two.parts"),
    ],
)
def test_an_authentic_plaintext_that_is_no_credential_is_refused(
    fmt: str, plaintext: bytes
) -> None:
    iv = bytes(12)
    ciphertext = AESGCM(_KEY).encrypt(iv, plaintext, associated_data(_SID, fmt))
    with pytest.raises(SharedCredentialError) as caught:
        open_envelope(_SID, _KEY, ShareEnvelope(fmt, iv, ciphertext, EXPIRES))
    assert caught.value.code == "invalid_shared_credential"


# -- limits and arguments ---------------------------------------------------------------------


def test_sealing_refuses_a_credential_over_the_cap() -> None:
    big = {"blob": "x" * MAX_CREDENTIAL_BYTES}
    with pytest.raises(SharedCredentialError) as caught:
        seal_credential(_SID, _KEY, "ldp_vc", big, expires_at=EXPIRES)
    assert caught.value.details["limit"] == MAX_CREDENTIAL_BYTES


def test_an_envelope_over_the_cap_is_refused_before_decoding() -> None:
    huge = _ENVELOPE.to_json() | {"ciphertext": "A" * (MAX_CREDENTIAL_BYTES * 2)}
    with pytest.raises(ShareEnvelopeError, match="at most"):
        ShareEnvelope.from_json(huge)


@pytest.mark.parametrize(
    ("fmt", "credential"),
    [
        ("ldp_vc", "eyJ.eyJ.sig"),
        ("ldp_vc", {"n": float("nan")}),
        ("jwt_vc_json", {"id": 1}),
        ("jwt_vc_json", "a.b"),
        ("dc+sd-jwt", "a.b.c~"),
    ],
)
def test_sealing_refuses_what_is_not_a_credential_of_the_format(
    fmt: str, credential: object
) -> None:
    with pytest.raises(SharedCredentialError):
        seal_credential(_SID, _KEY, fmt, credential, expires_at=EXPIRES)


def test_ids_and_keys() -> None:
    ids = {new_share_id() for _ in range(64)}
    assert len(ids) == 64
    assert all(is_share_id(i) and len(i) == SHARE_ID_LENGTH for i in ids)
    assert not is_share_id("A" * 21 + "B")  # non-zero trailing bits
    assert not is_share_id("../../../etc/passwd")
    assert len(new_share_key()) == 32
    with pytest.raises(ShareLinkError):
        decode_key(base64.urlsafe_b64encode(bytes(32)).decode())  # padded
    with pytest.raises(ShareLinkError):
        share_url(ALLIANCE, _SID, bytes(16))
    with pytest.raises(ShareLinkError):
        share_url("http://verify.example-alliance.eu", _SID, _KEY)
    with pytest.raises(ValueError, match="time-zone"):
        seal_credential(_SID, _KEY, "ldp_vc", {}, expires_at=datetime(2027, 1, 1))


def test_expires_at_is_whole_seconds_in_utc() -> None:
    at = datetime(2027, 1, 1, 13, 0, 0, 999, tzinfo=timezone(timedelta(hours=1)))
    envelope = seal_credential(_SID, _KEY, "ldp_vc", {}, expires_at=at)
    assert envelope.to_json()["expires_at"] == "2027-01-01T12:00:00Z"
