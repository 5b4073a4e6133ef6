"""The wallet bridge's credential source, filled from the issuer (composition root).

:class:`IssuerCredentialSource` gives the OpenID4VCI bridge what it asks for: whether a record
may be offered, and a copy of the credential bound to the wallet's key:

* ``ldp_vc`` — the ELM credential as issued, ``credentialSubject.id`` set to the holder's DID,
  signed again (``eddsa-rdfc-2022``); the status entry is the record's, so revoking the record
  revokes every copy.
* ``jwt_vc_json`` — the same credential as a VCDM 1.1 JWT (ES256).
* ``dc+sd-jwt`` — an SD-JWT VC (``vct`` below) whose claims are the Annex I elements as the
  completeness check reads them (each under its element name, as a list of strings); the
  learner, the grade and the identity check are selectively disclosable, ``cnf``
  holds the wallet's key, ``status`` points at the record's two-bit list as a Status List Token.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from issuer.api_keys import Principal, Role
from issuer.errors import NotFound
from issuer.identity import IssuerIdentity
from issuer.service import Issuer
from issuer.status_lists import CredentialState as IssuerState
from vc_core.jose import sign_jwt_vc_json
from vc_core.keys import KeyType
from vc_core.model.completeness import AnnexElement, check_completeness
from vc_core.proofs.data_integrity import add_proof
from vc_core.sd_jwt_vc import issue_sd_jwt_vc
from wallet_bridge.errors import CredentialRequestDenied
from wallet_bridge.metadata import (
    JWT_VC_JSON_CONFIGURATION_ID,
    LDP_VC_CONFIGURATION_ID,
    SD_JWT_CONFIGURATION_ID,
)
from wallet_bridge.ports import CredentialState, HolderKey, OfferableCredential

__all__ = ["IssuerCredentialSource", "micro_credential_vct"]

_BRIDGE = Principal("wallet-bridge", Role.ADMIN, None, "OpenID4VCI wallet bridge")
# every Annex I element, under its name; the learner, the grade and how identity was checked
# are selectively disclosable
_SD_JWT_CLAIMS = tuple(element.value for element in AnnexElement)
_DISCLOSABLE = tuple(
    (element.value,)
    for element in (
        AnnexElement.LEARNER,
        AnnexElement.GRADE,
        AnnexElement.SUPERVISION_AND_ID_VERIFICATION,
    )
)


def micro_credential_vct(public_url: str) -> str:
    """The SD-JWT VC type of mcred's micro-credentials (version 1 of its claim set)."""
    return f"{public_url}/vct/micro-credential/1"


class IssuerCredentialSource:
    """A :class:`wallet_bridge.ports.CredentialSource` over the issuer's records."""

    def __init__(
        self,
        issuer: Issuer,
        identity: IssuerIdentity,
        public_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._issuer = issuer
        self._identity = identity
        self._vct = micro_credential_vct(public_url)
        self._clock = clock

    def offerable(self, credential_id: str) -> OfferableCredential | None:
        try:
            issued = self._issuer.get(_BRIDGE, credential_id)
        except NotFound:
            return None
        if "ldp_vc" not in issued.record.documents:
            return None
        state = (
            CredentialState.ACTIVE
            if issued.state is IssuerState.ACTIVE
            else CredentialState.REVOKED
        )
        return OfferableCredential(
            credential_id,
            (LDP_VC_CONFIGURATION_ID, JWT_VC_JSON_CONFIGURATION_ID, SD_JWT_CONFIGURATION_ID),
            state,
        )

    def issue_for_holder(
        self, credential_id: str, configuration_id: str, holder: HolderKey
    ) -> str | dict[str, Any]:
        try:
            issued = self._issuer.get(_BRIDGE, credential_id)
        except NotFound:
            raise CredentialRequestDenied("the credential no longer exists") from None
        if issued.state is not IssuerState.ACTIVE:
            raise CredentialRequestDenied(f"the credential is {issued.state.value}")
        unsigned = {k: v for k, v in issued.record.documents["ldp_vc"].items() if k != "proof"}
        bound = copy.deepcopy(unsigned)
        bound["credentialSubject"]["id"] = holder.did
        now = self._clock()
        if configuration_id == LDP_VC_CONFIGURATION_ID:
            key = self._identity.signing_key(KeyType.ED25519)
            return add_proof(
                bound,
                key.private_key,
                verification_method=self._identity.verification_method_id(key),
                created=now,
            )
        key = self._identity.signing_key(KeyType.P256)
        kid = self._identity.verification_method_id(key)
        if configuration_id == JWT_VC_JSON_CONFIGURATION_ID:
            return sign_jwt_vc_json(bound, key.private_key, kid=kid, issued_at=now)
        if configuration_id == SD_JWT_CONFIGURATION_ID:
            report = check_completeness(unsigned)
            claims: dict[str, Any] = {
                name: list(report[name].items) for name in _SD_JWT_CLAIMS if report[name].present
            }
            claims["credential_id"] = credential_id
            slot = issued.record.status_slots[0]
            return issue_sd_jwt_vc(
                claims,
                key.private_key,
                vct=self._vct,
                iss=self._identity.did,
                kid=kid,
                holder_jwk=holder.jwk,
                iat=now,
                status_list=(slot.index, self._issuer.status.token_url(slot.list_id)),
                disclosable=[p for p in _DISCLOSABLE if p[0] in claims],
            )
        raise CredentialRequestDenied(f"no credential configuration {configuration_id!r}")
