"""The verifier's configuration (:class:`VerifierPolicy`) and per-call options.

Every algorithm is named: proofs are checked against an explicit allowlist of Data Integrity
cryptosuites and JWS ``alg`` values (style guide §2.7; specs.md §3.1 "use an allow-list of
``alg``, never ``none``"). The limits are denial-of-service guards for a public endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from vc_core.jose import SUPPORTED_JWS_ALGS
from vc_core.proofs.data_integrity import VERIFIABLE_SUITES
from vc_core.status import MINIMUM_ENTRIES

__all__ = [
    "DEFAULT_CLOCK_SKEW",
    "DEFAULT_CRYPTOSUITES",
    "DEFAULT_JWS_ALGS",
    "DEFAULT_MAX_INPUT_BYTES",
    "REMEMBERED_LIST_BYTES",
    "VerificationOptions",
    "VerifierPolicy",
]

DEFAULT_CRYPTOSUITES = frozenset(
    {
        "eddsa-rdfc-2022",
        "eddsa-jcs-2022",
        "ecdsa-rdfc-2019",
        "ecdsa-jcs-2019",
        "Ed25519Signature2020",
    }
)
"""VC-DI EdDSA 1.0 and ECDSA 1.0 suites (specs.md §2) and the legacy ``Ed25519Signature2020``
proof type (verify only: credentials issued before the cryptosuites); ``ecdsa-sd-2023`` is not
verified."""
DEFAULT_JWS_ALGS = frozenset({"EdDSA", "ES256"})
"""RFC 8037 EdDSA (Ed25519) and RFC 7518 ES256 (P-256), specs.md §3.1 and decision D3."""
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)
DEFAULT_MAX_INPUT_BYTES = 256 * 1024
REMEMBERED_LIST_BYTES = 512 * 1024
"""The largest decoded status list the verifier remembers across verifications (2,097,152
two-bit entries; mcred's own lists of up to 1,048,576 entries take half of it): anyone can sign
a huge list, so larger ones are decoded again each time rather than kept."""
"""Largest credential or presentation verified (serialized JSON or compact JWT, UTF-8)."""


@dataclass(frozen=True)
class VerifierPolicy:
    """What the verifier accepts; the defaults are mcred's.

    * ``cryptosuites`` / ``jws_algs``: the allowlists (subsets of what ``vc_core`` implements).
    * ``clock_skew``: tolerance on ``validFrom``/``validUntil``, ``nbf``/``exp`` and the status
      list's validity period.
    * ``minimum_status_entries``: Bitstring Status List §3.2 ``minimumNumberOfEntries``.
    * ``max_status_list_bytes``: largest *uncompressed* status list (GZIP bomb guard).
    * ``max_status_entries``: ``credentialStatus`` entries checked per credential.
    * ``max_input_bytes``: largest input (larger fails ``well_formed`` with ``input_too_large``).
    * ``max_credentials``: credentials per presentation.
    * ``jsonld_safe_mode``: JSON-LD-expand Data Integrity documents with the pinned contexts
      and refuse undefined terms (VCDM 2.0 App. B.1, VC-DI §2.4.3) in ``well_formed``.
    * ``require_completeness``: an ELM credential missing Annex I elements fails
      ``completeness`` (else the check passes with a warning).
    """

    cryptosuites: frozenset[str] = DEFAULT_CRYPTOSUITES
    jws_algs: frozenset[str] = DEFAULT_JWS_ALGS
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW
    minimum_status_entries: int = MINIMUM_ENTRIES
    max_status_list_bytes: int = 4 * 1024 * 1024
    max_status_entries: int = 4
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    max_credentials: int = 16
    jsonld_safe_mode: bool = True
    require_completeness: bool = True

    def __post_init__(self) -> None:
        if not self.cryptosuites or not self.cryptosuites <= frozenset(VERIFIABLE_SUITES):
            raise ValueError(
                f"cryptosuites must be a non-empty subset of {sorted(VERIFIABLE_SUITES)}"
            )
        if not self.jws_algs or not self.jws_algs <= SUPPORTED_JWS_ALGS:
            raise ValueError(f"jws_algs must be a non-empty subset of {sorted(SUPPORTED_JWS_ALGS)}")
        if self.clock_skew < timedelta(0):
            raise ValueError("clock_skew must not be negative")
        for name in (
            "minimum_status_entries",
            "max_status_list_bytes",
            "max_status_entries",
            "max_input_bytes",
            "max_credentials",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")


@dataclass(frozen=True)
class VerificationOptions:
    """Per-call options.

    * ``challenge`` / ``domain``: what the verifier asked the holder to sign (VC-DI §4.4
      ``challenge``/``domain``; VC-JOSE-COSE ``nonce``/``aud``). ``None`` means none was issued
      (the report then warns that the presentation could be replayed).
    * ``force_fresh_status``: fetch status lists anew, bypassing caches.
    * ``checks``: run only these checks (the VC API ``options.checks``); ``well_formed``
      always runs, ``proof`` includes ``issuer_key``/``holder_key``. ``None``: run all.
    """

    challenge: str | None = None
    domain: str | None = None
    force_fresh_status: bool = False
    checks: frozenset[str] | None = None
