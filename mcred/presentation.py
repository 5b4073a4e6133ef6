"""OpenID4VP presentation requests, as the composition root assembles them.

:class:`AllianceCredentialCatalogue` tells the verifier's :class:`PresentationRequests` what "a
micro-credential of alliance N" looks like in each format mcred issues, from the issuer's
catalogue (roles never import each other, so the adapter lives here):

* ``dc+sd-jwt``: the ``vct`` of mcred's SD-JWT VCs; every claim of
  :data:`mcred.wallet.MICRO_CREDENTIAL_CLAIMS` may be asked for by name (its top-level claim);
* ``ldp_vc`` / ``jwt_vc_json``: an ELM ``EuropeanDigitalCredential``; the learner's names and the
  title may be asked for by their JSON paths.

The DCQL query cannot tell one alliance's credentials from another's (they share the type and
the issuer); that is the ``issuer_trust`` check's job once the wallet has answered.

:func:`request_signer` signs Request Objects with the coordinator's P-256 key (``ES256``,
listed in its DID document), looked up at each signature so that a key rotation applies at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from issuer.identity import IssuerIdentity
from mcred.wallet import MICRO_CREDENTIAL_CLAIMS, micro_credential_vct
from vc_core.keys import KeyType, PrivateKey
from verifier.openid4vp.dcql import ClaimPath
from verifier.openid4vp.ports import CredentialDescription
from verifier.openid4vp.request import JwsRequestSigner

__all__ = ["MICRO_CREDENTIAL", "AllianceCredentialCatalogue", "request_signer"]

MICRO_CREDENTIAL = "micro-credential"
"""The one credential type an employer can ask for today."""

_VC = "https://www.w3.org/2018/credentials#VerifiableCredential"
_EDC = "http://data.europa.eu/snb/model/elm/EuropeanDigitalCredential"
_W3C_PATHS: Mapping[str, ClaimPath] = {
    "given_name": ("credentialSubject", "givenName"),
    "family_name": ("credentialSubject", "familyName"),
    "learner": ("credentialSubject", "fullName"),
    "title": ("credentialSubject", "hasClaim", None, "title"),
}


class AllianceCredentialCatalogue:
    """A :class:`verifier.openid4vp.ports.CredentialCatalogue` over the issuer's alliances."""

    def __init__(self, alliance_ids: Callable[[], list[str]], public_url: str) -> None:
        self._alliance_ids = alliance_ids
        claims: dict[str, dict[str, ClaimPath]] = {
            claim.name: {"dc+sd-jwt": (claim.name,)} for claim in MICRO_CREDENTIAL_CLAIMS
        }
        for name, path in _W3C_PATHS.items():
            claims.setdefault(name, {}).update({"ldp_vc": path, "jwt_vc_json": path})
        self._description = CredentialDescription(
            label="Micro-credential",
            vct_values=(micro_credential_vct(public_url),),
            type_values=((_VC, _EDC),),
            claims=claims,
        )

    def describe(self, alliance: str, credential: str) -> CredentialDescription | None:
        if credential != MICRO_CREDENTIAL or alliance not in self._alliance_ids():
            return None
        return self._description


def request_signer(identity: IssuerIdentity) -> JwsRequestSigner:
    def key() -> tuple[PrivateKey, str]:
        signing = identity.signing_key(KeyType.P256)
        return signing.private_key, identity.verification_method_id(signing)

    return JwsRequestSigner(key)
