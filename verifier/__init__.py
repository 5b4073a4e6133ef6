"""The verifier role: proofs, DIDs, validity, status, trust, holder binding, the 11 elements.

Build a :class:`Verifier` with a DID resolver and a :class:`StatusListClient` (the composition
root, :mod:`mcred.verification`, plugs in the guarded fetcher), then call
:meth:`Verifier.verify_credential` / :meth:`Verifier.verify_presentation`; each returns a
:class:`VerificationReport`. :func:`verifier.routes.build_verifier_router` serves it over HTTP
(import it from there: this package does not import the web framework).
"""

from verifier.errors import InputTooLargeError, UnsupportedFormatError, UnverifiableInputError
from verifier.memory import InMemoryStatusListClient, StaticTrustRegistry
from verifier.policy import VerificationOptions, VerifierPolicy
from verifier.ports import (
    Clock,
    StatusListClient,
    StatusListRetrievalError,
    SystemClock,
    TrustRegistry,
)
from verifier.report import Check, CheckName, CheckStatus, ReportWarning, VerificationReport
from verifier.service import Verifier

__all__ = [
    "Check",
    "CheckName",
    "CheckStatus",
    "Clock",
    "InMemoryStatusListClient",
    "InputTooLargeError",
    "ReportWarning",
    "StaticTrustRegistry",
    "StatusListClient",
    "StatusListRetrievalError",
    "SystemClock",
    "TrustRegistry",
    "UnsupportedFormatError",
    "UnverifiableInputError",
    "VerificationOptions",
    "VerificationReport",
    "Verifier",
    "VerifierPolicy",
]
