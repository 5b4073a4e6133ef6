"""Credential Issuer metadata (OID4VCI 1.0 §12.2.4) and AS metadata (RFC 8414, §12.3).

Three configurations of the same micro-credential, one per format (brief §5.2, App. A):

* ``ldp_vc``: ELM/EDC JSON-LD secured with ``eddsa-rdfc-2022`` (the VCDM 1.1 + edc-ap +
  data-integrity contexts, brief §9.1: the v2 context cannot be combined with edc-ap);
* ``jwt_vc_json``: VC-JWT (VCDM 1.1 §6.3.1) signed ``ES256``;
* ``dc+sd-jwt``: SD-JWT VC with a ``vct``, signed ``ES256``.

Each binds the credential to the wallet key proven with a ``jwt`` proof (``EdDSA``/``ES256``).
Display names are given in English, German and French; claims use path arrays (App. C).

What SD-JWT VC verifiers and wallets fetch besides (draft-ietf-oauth-sd-jwt-vc), filled in by
``mcred`` through two Protocols:

* :class:`JwtVcIssuer`: the ``iss`` of the SD-JWT VCs and the public keys that sign them, for
  ``/.well-known/jwt-vc-issuer<path of iss>`` (§3): ``{"issuer": iss, "jwks": {"keys": […]}}``;
* :class:`TypeMetadataSource`: the SD-JWT VC Type Metadata document of a ``vct`` (§4), as the
  exact bytes that ``vct#integrity`` hashes (:func:`subresource_integrity`). When there is one
  for the bridge's ``vct``, the ``dc+sd-jwt`` configuration's ``credential_metadata.claims``
  are read from it (:func:`claims_from_type_metadata`), so wallets show the same labels.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "DISPLAY_LOCALES",
    "FORMAT_DC_SD_JWT",
    "FORMAT_JWT_VC_JSON",
    "FORMAT_LDP_VC",
    "JWT_VC_JSON_CONFIGURATION_ID",
    "LDP_VC_CONFIGURATION_ID",
    "PROOF_SIGNING_ALGS",
    "SD_JWT_CONFIGURATION_ID",
    "CredentialIssuerMetadata",
    "JwtVcIssuer",
    "TypeMetadataSource",
    "claims_from_type_metadata",
    "subresource_integrity",
]

FORMAT_LDP_VC = "ldp_vc"
FORMAT_JWT_VC_JSON = "jwt_vc_json"
FORMAT_DC_SD_JWT = "dc+sd-jwt"
LDP_VC_CONFIGURATION_ID = "MicroCredential_ldp_vc"
JWT_VC_JSON_CONFIGURATION_ID = "MicroCredential_jwt_vc_json"
SD_JWT_CONFIGURATION_ID = "MicroCredential_dc_sd_jwt"
PROOF_SIGNING_ALGS = ("EdDSA", "ES256")
DISPLAY_LOCALES = ("en", "de", "fr")

_ELM_CONTEXTS = [
    "https://www.w3.org/2018/credentials/v1",
    "http://data.europa.eu/snb/model/context/edc-ap",
    "https://w3id.org/security/data-integrity/v2",
]
_W3C_TYPES = ["VerifiableCredential", "EuropeanDigitalCredential"]
_CREDENTIAL_NAME = {"en": "Micro-credential", "de": "Microcredential", "fr": "Micro-certificat"}
_CREDENTIAL_DESCRIPTION = {
    "en": "A joint European micro-credential",
    "de": "Ein gemeinsames europäisches Microcredential",
    "fr": "Un micro-certificat européen conjoint",
}
_CLAIM_NAMES: dict[str, dict[str, str]] = {
    "title": {"en": "Title", "de": "Titel", "fr": "Titre"},
    "learner": {"en": "Learner", "de": "Lernende Person", "fr": "Apprenant"},
    "issued": {"en": "Issued", "de": "Ausgestellt", "fr": "Délivré"},
}


class JwtVcIssuer(Protocol):
    """The issuer of the bridge's SD-JWT VCs as verifiers discover it (sd-jwt-vc §2.5, §3)."""

    @property
    def sd_jwt_vc_issuer(self) -> str:
        """The ``iss`` of every SD-JWT VC: an https URL without query or fragment (§3)."""
        ...

    def sd_jwt_vc_keys(self) -> list[dict[str, Any]]:
        """Public JWKs (each with the ``kid`` the SD-JWT header names) of every key that signs
        or signed SD-JWT VCs still valid: retired keys included."""
        ...


class TypeMetadataSource(Protocol):
    """SD-JWT VC Type Metadata documents (sd-jwt-vc §4), served at their ``vct`` URL."""

    def type_metadata(self, vct: str) -> bytes | None:
        """The JSON document of ``vct`` as the exact bytes to serve, or None if unknown."""
        ...


def subresource_integrity(document: bytes) -> str:
    """The "integrity metadata" string of ``document`` (W3C SRI §3, sd-jwt-vc §5):
    ``sha256-`` + standard base64 of its SHA-256, as in ``vct#integrity``."""
    return "sha256-" + base64.b64encode(hashlib.sha256(document).digest()).decode("ascii")


def claims_from_type_metadata(document: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """OID4VCI claims description objects (§12.2.4, App. C) from SD-JWT VC claim metadata
    (sd-jwt-vc §4.6): the same ``path`` and ``mandatory``; each display ``label`` becomes the
    ``name`` of the same ``locale``."""
    claims = document.get("claims")
    if not isinstance(claims, list):
        return ()
    described: list[dict[str, Any]] = []
    for claim in claims:
        if not isinstance(claim, Mapping) or not isinstance(claim.get("path"), list):
            continue
        description: dict[str, Any] = {"path": list(claim["path"])}
        if claim.get("mandatory") is True:
            description["mandatory"] = True
        display = [
            {"name": d["label"], "locale": d["locale"]}
            for d in claim.get("display", [])
            if isinstance(d, Mapping) and isinstance(d.get("label"), str) and "locale" in d
        ]
        if display:
            description["display"] = display
        described.append(description)
    return tuple(described)


def _display(names: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": names[locale], "locale": locale} for locale in DISPLAY_LOCALES]


def _claim(path: list[str | int | None], name: str, *, mandatory: bool = False) -> dict[str, Any]:
    claim: dict[str, Any] = {"path": path, "display": _display(_CLAIM_NAMES[name])}
    if mandatory:
        claim["mandatory"] = True
    return claim


def _credential_metadata(claims: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "display": [
            {
                "name": _CREDENTIAL_NAME[locale],
                "locale": locale,
                "description": _CREDENTIAL_DESCRIPTION[locale],
            }
            for locale in DISPLAY_LOCALES
        ],
        "claims": claims,
    }


def _narrow_display(value: Any, locales: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {
            key: (
                [d for d in item if d.get("locale") in locales]
                if key == "display" and isinstance(item, list)
                else _narrow_display(item, locales)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_narrow_display(item, locales) for item in value]
    return value


@dataclass(frozen=True)
class CredentialIssuerMetadata:
    """Builds the two discovery documents for one Credential Issuer Identifier (§12.2.1).

    ``credential_issuer`` is an https URL without query or fragment and without a trailing
    slash; endpoint URLs are ``<credential_issuer>/oid4vci/<name>``.
    """

    credential_issuer: str
    issuer_display_names: tuple[tuple[str, str], ...] = (
        ("en", "Alliance micro-credentials"),
        ("de", "Microcredentials der Allianz"),
        ("fr", "Micro-certificats de l'alliance"),
    )
    batch_size: int = 5
    vct: str | None = None
    sd_jwt_claims: tuple[dict[str, Any], ...] | None = None
    """``credential_metadata.claims`` of the ``dc+sd-jwt`` configuration (default: title, iat)."""

    def endpoint(self, name: str) -> str:
        return f"{self.credential_issuer}/oid4vci/{name}"

    @property
    def sd_jwt_vct(self) -> str:
        return self.vct or f"{self.credential_issuer}/vct/micro-credential/1"

    def configurations(self) -> dict[str, dict[str, Any]]:
        """``credential_configurations_supported`` (§12.2.4, App. A)."""
        proof_types = {"jwt": {"proof_signing_alg_values_supported": list(PROOF_SIGNING_ALGS)}}
        w3c_claims = [
            _claim(["credentialSubject", "id"], "learner", mandatory=True),
            _claim(["credentialSubject", "hasClaim", "title"], "title"),
            _claim(["issuanceDate"], "issued"),
        ]
        return {
            LDP_VC_CONFIGURATION_ID: {
                "format": FORMAT_LDP_VC,
                "scope": LDP_VC_CONFIGURATION_ID,
                "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
                "cryptographic_binding_methods_supported": ["did:key", "did:jwk"],
                "proof_types_supported": proof_types,
                "credential_definition": {"@context": list(_ELM_CONTEXTS), "type": _W3C_TYPES},
                "credential_metadata": _credential_metadata(w3c_claims),
            },
            JWT_VC_JSON_CONFIGURATION_ID: {
                "format": FORMAT_JWT_VC_JSON,
                "scope": JWT_VC_JSON_CONFIGURATION_ID,
                "credential_signing_alg_values_supported": ["ES256"],
                "cryptographic_binding_methods_supported": ["did:key", "did:jwk"],
                "proof_types_supported": proof_types,
                "credential_definition": {"type": list(_W3C_TYPES)},
                "credential_metadata": _credential_metadata(list(w3c_claims)),
            },
            SD_JWT_CONFIGURATION_ID: {
                "format": FORMAT_DC_SD_JWT,
                "scope": SD_JWT_CONFIGURATION_ID,
                "vct": self.sd_jwt_vct,
                "credential_signing_alg_values_supported": ["ES256"],
                "cryptographic_binding_methods_supported": ["jwk"],
                "proof_types_supported": proof_types,
                "credential_metadata": _credential_metadata(
                    [_claim(["title"], "title", mandatory=True), _claim(["iat"], "issued")]
                    if self.sd_jwt_claims is None
                    else [dict(claim) for claim in self.sd_jwt_claims]
                ),
            },
        }

    def credential_issuer_metadata(self, languages: Sequence[str] = ()) -> dict[str, Any]:
        """``/.well-known/openid-credential-issuer`` (§12.2.2, §12.2.4).

        §12.2.2: the issuer "MAY" honour ``Accept-Language``; ``languages`` (primary tags, most
        preferred first) narrows every ``display`` array to those locales when one matches.
        """
        metadata = self._full_metadata()
        wanted = [lang.lower() for lang in languages if lang.lower() in DISPLAY_LOCALES]
        return _narrow_display(metadata, frozenset(wanted)) if wanted else metadata

    def _full_metadata(self) -> dict[str, Any]:
        return {
            "credential_issuer": self.credential_issuer,
            "credential_endpoint": self.endpoint("credential"),
            "nonce_endpoint": self.endpoint("nonce"),
            "deferred_credential_endpoint": self.endpoint("deferred"),
            "notification_endpoint": self.endpoint("notification"),
            "batch_credential_issuance": {"batch_size": self.batch_size},
            "display": [{"name": name, "locale": loc} for loc, name in self.issuer_display_names],
            "credential_configurations_supported": self.configurations(),
        }

    def authorization_server_metadata(self) -> dict[str, Any]:
        """``/.well-known/oauth-authorization-server`` (RFC 8414 §2, OID4VCI §12.3): the
        issuer is its own AS and only the pre-authorized code grant is offered."""
        return {
            "issuer": self.credential_issuer,
            "token_endpoint": self.endpoint("token"),
            "grant_types_supported": ["urn:ietf:params:oauth:grant-type:pre-authorized_code"],
            "token_endpoint_auth_methods_supported": ["none"],
            "response_types_supported": [],
            "pre-authorized_grant_anonymous_access_supported": True,
        }
