"""Credential Issuer metadata (OID4VCI 1.0 §12.2.4) and AS metadata (RFC 8414, §12.3).

Three configurations of the same micro-credential, one per format (brief §5.2, App. A):

* ``ldp_vc``: ELM/EDC JSON-LD secured with ``eddsa-rdfc-2022`` (the VCDM 1.1 + edc-ap +
  data-integrity contexts, brief §9.1: the v2 context cannot be combined with edc-ap);
* ``jwt_vc_json``: VC-JWT (VCDM 1.1 §6.3.1) signed ``ES256``;
* ``dc+sd-jwt``: SD-JWT VC with a ``vct``, signed ``ES256``.

Each binds the credential to the wallet key proven with a ``jwt`` proof (``EdDSA``/``ES256``).
Display names are given in English, German and French; claims use path arrays (App. C).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
