"""A test wallet for OpenID4VP 1.0: reads the ``openid4vp://`` link, fetches and checks the
Request Object, presents what the DCQL query asks for and posts it (``direct_post``).

It does what a real wallet must (§5, §5.9.3, §5.10): ``typ`` ``oauth-authz-req+jwt``, the same
``client_id`` inside and outside, the signature with the ``kid`` of the client's DID (a
``decentralized_identifier`` client) or no signature at all (``redirect_uri``), the
``wallet_nonce`` it sent. Presentations are bound to ``nonce`` and the full ``client_id``:

* ``dc+sd-jwt`` — an SD-JWT+KB disclosing only the requested claims;
* ``ldp_vc`` — a VCDM 2.0 VP with a Data Integrity proof (``authentication``, ``challenge``,
  ``domain``);
* ``jwt_vc_json`` — a VCDM 1.1 JWT VP (``iss``, ``aud``, ``nonce``, ``vp``).

Keyword overrides of :meth:`VpWallet.vp_token` forge what an attacker would (another nonce or
audience, an undisclosed claim, a missing credential).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from vc_core.dids import DidDocument, did_key_from_public_key, did_key_verification_method_id
from vc_core.dids.resolver import DidResolver
from vc_core.jose import sign_jws, verify_jws
from vc_core.keys import PrivateKey, b64url_decode
from vc_core.proofs.data_integrity import add_proof
from vc_core.sd_jwt import present

__all__ = ["AuthorizationRequest", "HeldCredential", "VpWallet", "WalletRefusal"]

REQUEST_TYP = "oauth-authz-req+jwt"


class WalletRefusal(Exception):
    """The wallet refuses the request (what a real wallet shows as an error)."""


@dataclass(frozen=True)
class HeldCredential:
    format: str
    credential: str | dict[str, Any]


@dataclass(frozen=True)
class AuthorizationRequest:
    link: Mapping[str, str]
    request_object: str
    params: dict[str, Any]

    @property
    def client_id(self) -> str:
        return str(self.params["client_id"])

    @property
    def nonce(self) -> str:
        return str(self.params["nonce"])


def _claims(token: str) -> dict[str, Any]:
    value = json.loads(b64url_decode(token.split(".")[1]))
    assert isinstance(value, dict)
    return value


@dataclass
class VpWallet:
    http: httpx.Client
    resolver: DidResolver
    holder: PrivateKey
    credentials: Sequence[HeldCredential]
    now: Callable[[], datetime]
    posted: list[httpx.Response] = field(default_factory=list)

    @property
    def holder_did(self) -> str:
        return did_key_from_public_key(self.holder.public_key)

    # -- the request -------------------------------------------------------------------------
    @staticmethod
    def parse_link(link: str) -> dict[str, str]:
        parts = urlsplit(link)
        if parts.scheme != "openid4vp":
            raise WalletRefusal(f"not an openid4vp link: {link!r}")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if "client_id" not in query or "request_uri" not in query:
            raise WalletRefusal("the link needs client_id and request_uri")
        return query

    def fetch(
        self, link: str, *, wallet_nonce: str | None = None, wallet_metadata: Any = None
    ) -> AuthorizationRequest:
        params = self.parse_link(link)
        method = params.get("request_uri_method", "get")
        if method == "post":
            form: dict[str, str] = {}
            if wallet_nonce is not None:
                form["wallet_nonce"] = wallet_nonce
            if wallet_metadata is not None:
                form["wallet_metadata"] = json.dumps(wallet_metadata)
            response = self.http.post(
                params["request_uri"],
                content=urlencode(form),
                headers={
                    "Accept": "application/oauth-authz-req+jwt",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
        else:
            response = self.http.get(params["request_uri"])
        if response.status_code != 200:
            raise WalletRefusal(f"the request_uri answered {response.status_code}: {response.text}")
        if response.headers["content-type"].split(";")[0] != "application/oauth-authz-req+jwt":
            raise WalletRefusal(f"not a request object: {response.headers['content-type']}")
        return self.check_request_object(params, response.text, wallet_nonce=wallet_nonce)

    def check_request_object(
        self, link: Mapping[str, str], token: str, *, wallet_nonce: str | None = None
    ) -> AuthorizationRequest:
        """RFC 9101 + OID4VP §5: refuse anything a wallet must refuse."""
        header = json.loads(b64url_decode(token.split(".", maxsplit=1)[0]))
        if header.get("typ") != REQUEST_TYP:
            raise WalletRefusal(f"typ {header.get('typ')!r} is not {REQUEST_TYP}")
        client_id = link["client_id"]
        prefix, _, identifier = client_id.partition(":")
        if prefix == "decentralized_identifier":
            kid = header.get("kid")
            if not isinstance(kid, str) or kid.split("#", 1)[0] != identifier:
                raise WalletRefusal(f"kid {kid!r} is not a key of {identifier}")
            document = DidDocument.parse(self.resolver.resolve(identifier), did=identifier)
            key = document.verification_method(kid).public_key
            checked = verify_jws(
                token, key, allowed_algs={"ES256", "EdDSA"}, expected_typ=REQUEST_TYP
            )
            if not checked.verified:
                raise WalletRefusal(f"the request object's signature: {checked.reason}")
            params = checked.payload_json()
        elif prefix == "redirect_uri":
            if header.get("alg") != "none" or not token.endswith("."):
                raise WalletRefusal("a redirect_uri client's request cannot be signed")
            params = _claims(token)
            if params.get("response_uri") != identifier:
                raise WalletRefusal("the response_uri is not the client identifier")
        else:
            raise WalletRefusal(f"unsupported client identifier prefix {prefix!r}")
        if params.get("client_id") != client_id:
            raise WalletRefusal("client_id differs inside and outside the request object")
        if wallet_nonce is not None and params.get("wallet_nonce") != wallet_nonce:
            raise WalletRefusal("the request object lacks our wallet_nonce")
        if params.get("response_type") != "vp_token" or params.get("response_mode") != (
            "direct_post"
        ):
            raise WalletRefusal("only response_type vp_token with direct_post is supported")
        if "redirect_uri" in params or "dcql_query" not in params:
            raise WalletRefusal("invalid_request")
        return AuthorizationRequest(link, token, params)

    # -- the presentations -------------------------------------------------------------------
    def _held(self, fmt: str) -> HeldCredential | None:
        return next((c for c in self.credentials if c.format == fmt), None)

    def vp_token(
        self,
        request: AuthorizationRequest,
        *,
        nonce: str | None = None,
        audience: str | None = None,
        withhold: Sequence[Sequence[Any]] = (),
        query_id: str | None = None,
    ) -> dict[str, list[Any]]:
        """Presentations for the first option the wallet can satisfy; ``withhold`` keeps
        requested SD-JWT claims undisclosed."""
        query = request.params["dcql_query"]
        by_id = {c["id"]: c for c in query["credentials"]}
        if query_id is not None:
            order = [query_id]
        elif "credential_sets" in query:
            order = [ids[0] for ids in query["credential_sets"][0]["options"]]
        else:
            order = list(by_id)
        for candidate in order:
            wanted = by_id[candidate]
            held = self._held(wanted["format"])
            if held is None:
                continue
            presentation = self.present(
                held,
                wanted,
                nonce=nonce or request.nonce,
                audience=audience or request.client_id,
                withhold=withhold,
            )
            return {candidate: [presentation]}
        raise WalletRefusal("access_denied: no credential matches the query")

    def present(
        self,
        held: HeldCredential,
        wanted: Mapping[str, Any],
        *,
        nonce: str,
        audience: str,
        withhold: Sequence[Sequence[Any]] = (),
    ) -> Any:
        now = self.now()
        if held.format == "dc+sd-jwt":
            assert isinstance(held.credential, str)
            paths = [tuple(c["path"]) for c in wanted.get("claims", [])]
            hidden = {tuple(p) for p in withhold}
            return present(
                held.credential,
                disclose=[p for p in paths if p not in hidden],
                kb_key=self.holder,
                aud=audience,
                nonce=nonce,
                iat=now - timedelta(seconds=5),
            )
        holder_vm = did_key_verification_method_id(self.holder_did)
        if held.format == "ldp_vc":
            presentation = {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiablePresentation"],
                "holder": self.holder_did,
                "verifiableCredential": [copy.deepcopy(held.credential)],
            }
            return add_proof(
                presentation,
                self.holder,
                verification_method=holder_vm,
                proof_purpose="authentication",
                challenge=nonce,
                domain=audience,
                created=now - timedelta(seconds=5),
            )
        assert held.format == "jwt_vc_json"
        claims = {
            "iss": self.holder_did,
            "aud": audience,
            "nonce": nonce,
            "iat": int(now.timestamp()) - 5,
            "exp": int(now.timestamp()) + 300,
            "vp": {
                "@context": ["https://www.w3.org/2018/credentials/v1"],
                "type": ["VerifiablePresentation"],
                "verifiableCredential": [held.credential],
            },
        }
        return sign_jws(claims, self.holder, header={"typ": "JWT", "kid": holder_vm})

    # -- the response ------------------------------------------------------------------------
    def post(self, request: AuthorizationRequest, form: Mapping[str, str]) -> httpx.Response:
        response = self.http.post(str(request.params["response_uri"]), data=dict(form))
        self.posted.append(response)
        return response

    def answer(self, request: AuthorizationRequest, vp_token: Mapping[str, Any]) -> httpx.Response:
        return self.post(
            request, {"vp_token": json.dumps(vp_token), "state": request.params["state"]}
        )

    def run(self, link: str, **overrides: Any) -> httpx.Response:
        """Scan, check, present, post."""
        request = self.fetch(link, wallet_nonce="wn-" + "a" * 16)
        return self.answer(request, self.vp_token(request, **overrides))
