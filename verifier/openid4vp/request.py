"""The Authorization Request (OpenID4VP 1.0 §5) and its Request Object (RFC 9101, JAR).

The verifier is identified by a Client Identifier with a prefix (§5.9.3):

* ``decentralized_identifier:<did>`` — mcred's choice (brief D12): the verifier is the
  coordinator's ``did:web``; the Request Object MUST be signed with a key of that DID, named by
  the JOSE header ``kid`` (a verification method of its DID document). The wallet resolves the
  DID to check the signature; every other metadata comes in ``client_metadata``.
* ``redirect_uri:<response_uri>`` — for deployments without a DID: the Request Object
  cannot be signed (no key the wallet could trust, §5.9.3), so it is an unsecured JWT
  (``alg: none``, RFC 7519 §6).

The request is passed *by reference* (§5.7, brief §6.5): the QR code or link carries only
``client_id``, ``request_uri`` and ``request_uri_method``
(``openid4vp://?client_id=…&request_uri=…``); the Request Object served there has the JOSE
header ``typ: oauth-authz-req+jwt`` (§5: wallets reject anything else) and the parameters
``response_type=vp_token``, ``response_mode=direct_post``, ``response_uri``, ``nonce``,
``state``, ``dcql_query``, ``client_metadata.vp_formats_supported``, ``aud``
``https://self-issued.me/v2`` (static wallet metadata, §5.8), ``iat``/``exp``, and the
``wallet_nonce`` a wallet sent with ``request_uri_method=post`` (§5.10).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from vc_core.jose import sign_jws
from vc_core.keys import PrivateKey, b64url_encode
from vc_core.proofs.data_integrity import CRYPTOSUITES
from verifier.openid4vp.dcql import DC_SD_JWT, JWT_VC_JSON, LDP_VC
from verifier.openid4vp.ports import PresentationRequestRecord, RequestObjectSigner
from verifier.policy import VerifierPolicy

__all__ = [
    "REQUEST_OBJECT_MEDIA_TYPE",
    "REQUEST_OBJECT_TYP",
    "STATIC_WALLET_AUDIENCE",
    "WALLET_SCHEME",
    "ClientIdPrefix",
    "ClientIdentifier",
    "JwsRequestSigner",
    "authorization_request",
    "encode_request_object",
    "request_link",
    "vp_formats_supported",
]

REQUEST_OBJECT_TYP = "oauth-authz-req+jwt"
REQUEST_OBJECT_MEDIA_TYPE = "application/oauth-authz-req+jwt"
STATIC_WALLET_AUDIENCE = "https://self-issued.me/v2"
"""``aud`` of a Request Object for wallets known by static metadata (§5.8)."""
WALLET_SCHEME = "openid4vp://"
"""The custom scheme bound to the static wallet configuration of §13.1.2."""


class ClientIdPrefix(enum.StrEnum):
    DECENTRALIZED_IDENTIFIER = "decentralized_identifier"
    REDIRECT_URI = "redirect_uri"


@dataclass(frozen=True)
class ClientIdentifier:
    """``<prefix>:<identifier>`` (§5.9.1); the full string is the audience of every
    presentation (KB-JWT ``aud``, VP ``domain``/``aud``, §14.1.2, §15.6)."""

    prefix: ClientIdPrefix
    identifier: str

    @classmethod
    def for_did(cls, did: str) -> ClientIdentifier:
        if not did.startswith("did:"):
            raise ValueError(f"{did!r} is not a DID")
        return cls(ClientIdPrefix.DECENTRALIZED_IDENTIFIER, did)

    @classmethod
    def for_response_uri(cls, response_uri: str) -> ClientIdentifier:
        return cls(ClientIdPrefix.REDIRECT_URI, response_uri)

    @property
    def client_id(self) -> str:
        return f"{self.prefix}:{self.identifier}"

    @property
    def signs_requests(self) -> bool:
        """``decentralized_identifier`` MUST sign; ``redirect_uri`` cannot (§5.9.3)."""
        return self.prefix is ClientIdPrefix.DECENTRALIZED_IDENTIFIER


class JwsRequestSigner:
    """A :class:`~verifier.openid4vp.ports.RequestObjectSigner` over a key source.

    ``key_source`` gives the current private key and its verification method id (a DID URL
    of the client's DID); it is called at every signature, so a key rotation takes effect at
    once (mcred: the coordinator's active P-256 key, ES256, which every wallet verifies).
    """

    def __init__(self, key_source: Callable[[], tuple[PrivateKey, str]]) -> None:
        self._key_source = key_source

    @property
    def alg(self) -> str:
        return self._key_source()[0].key_type.jws_alg

    def sign(self, claims: Mapping[str, Any], *, typ: str) -> str:
        key, kid = self._key_source()
        return sign_jws(claims, key, header={"typ": typ, "kid": kid})


def vp_formats_supported(policy: VerifierPolicy, formats: Iterable[str]) -> dict[str, Any]:
    """``client_metadata.vp_formats_supported`` (§11.1) for ``formats``, from the policy's
    allowlists (App. B.1.3.1.3, B.1.3.2.3, B.3.4)."""
    algs = sorted(policy.jws_algs)
    known: dict[str, dict[str, Any]] = {
        DC_SD_JWT: {"sd-jwt_alg_values": algs, "kb-jwt_alg_values": algs},
        JWT_VC_JSON: {"alg_values": algs},
        LDP_VC: {
            "proof_type_values": ["DataIntegrityProof"],
            # cryptosuites only: a legacy proof type (Ed25519Signature2020) is not one
            "cryptosuite_values": sorted(policy.cryptosuites & set(CRYPTOSUITES)),
        },
    }
    return {fmt: known[fmt] for fmt in formats if fmt in known}


def _numeric_date(moment: datetime) -> int:
    return int(moment.timestamp())


def authorization_request(
    record: PresentationRequestRecord,
    *,
    client_metadata: Mapping[str, Any],
    issued_at: datetime,
    wallet_nonce: str | None = None,
) -> dict[str, Any]:
    """The Authorization Request parameters of ``record``, as Request Object claims."""
    claims: dict[str, Any] = {
        "aud": STATIC_WALLET_AUDIENCE,
        "client_id": record.client_id,
        "response_type": "vp_token",
        "response_mode": "direct_post",
        "response_uri": record.response_uri,
        "nonce": record.nonce,
        "state": record.state,
        "dcql_query": dict(record.dcql_query),
        "client_metadata": dict(client_metadata),
        "iat": _numeric_date(issued_at),
        "exp": _numeric_date(record.expires_at),
    }
    if wallet_nonce is not None:
        claims["wallet_nonce"] = wallet_nonce
    return claims


def encode_request_object(
    claims: Mapping[str, Any], client: ClientIdentifier, signer: RequestObjectSigner | None
) -> str:
    """The Request Object: signed by ``signer`` when the prefix requires it, else an
    unsecured JWT (``redirect_uri:`` only)."""
    if client.signs_requests:
        if signer is None:
            raise ValueError(f"a {client.prefix} client must sign its Request Objects")
        return signer.sign(claims, typ=REQUEST_OBJECT_TYP)

    def encode(value: Mapping[str, Any]) -> str:
        return b64url_encode(json.dumps(value, separators=(",", ":")).encode("utf-8"))

    return f"{encode({'alg': 'none', 'typ': REQUEST_OBJECT_TYP})}.{encode(claims)}."


def request_link(client_id: str, request_uri: str, request_uri_method: str | None) -> str:
    """``openid4vp://?client_id=…&request_uri=…[&request_uri_method=…]`` for a QR code or a
    same-device link (§5.7, brief §6.5)."""
    params = {"client_id": client_id, "request_uri": request_uri}
    if request_uri_method is not None:
        params["request_uri_method"] = request_uri_method
    return f"{WALLET_SCHEME}?{urlencode(params)}"
