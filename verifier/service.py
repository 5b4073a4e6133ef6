"""The verifier: credentials and presentations in, :class:`VerificationReport` out.

The pipeline (specs.md §11 "Verifier pipeline"; VCDM 2.0 §7.1) for a credential:

1. ``well_formed`` — the input's format (:mod:`verifier.formats`), its size, the VCDM
   structure, and JSON-LD safe mode for Data Integrity documents (:mod:`verifier.checks`);
2. ``proof`` and ``issuer_key`` — the Data Integrity proofs or the JWS, against the policy's
   allowlists, with a key of the *issuer's* DID listed under ``assertionMethod``
   (:mod:`verifier.proofs`);
3. ``validity`` — ``validFrom``/``validUntil``, ``issuanceDate``/``expirationDate``,
   ``nbf``/``exp``, with the policy's clock skew;
4. ``status`` — every ``BitstringStatusListEntry`` (:mod:`verifier.status`);
5. ``issuer_trust`` — the :class:`~verifier.ports.TrustRegistry`, when one is configured: an
   alliance registry also checks every awarding body's mandate (:mod:`verifier.trust`);
6. ``completeness`` — the 11 Annex I elements of an ELM credential.

Rules that keep a public verifier safe: nothing after ``well_formed`` runs on a malformed
input; nothing that leaves the process (status lists, trust registries) runs unless the proof
and the issuer's key verified — the status URL is then the issuer's, not an attacker's; DID
documents and status lists are fetched at most once per verification.

A presentation gets ``well_formed``, ``proof`` (``authentication``, with the verifier's
``challenge``/``domain`` or ``nonce``/``aud``), ``holder_key`` (the signer is the ``holder``)
and ``credentials``, plus one report per embedded credential, each ending with
``holder_binding`` (its subject is the holder).

A credential *without a proof* inside a presentation is allowed (VCDM 2.0
§4.12.4/§4.13, as the VCDM 2.0 test suite expects): when its ``issuer`` is the presentation's
``holder`` it is self-asserted and secured by the presentation's proof (``proof`` skipped as
``secured_by_presentation``); when the presentation has no ``holder`` and the credential's issuer
is not its signer, its ``proof`` is skipped as ``unsecured`` with a warning and its claims are not
returned as verified. An unsecured credential whose issuer is not the ``holder``, or one issued
by the signer of a presentation without ``holder``, fails ``proof`` (§4.12.4: a self-asserted
credential MUST come with a ``holder`` identical to its issuer).

An SD-JWT VC (:mod:`verifier.sd_jwt_vc`) gets the credential checks, its status from a Token
Status List; presented (``verify_presentation`` of an SD-JWT+KB) its KB-JWT is the
presentation's ``proof`` (``nonce`` = ``challenge``, ``aud`` = ``domain``) and the ``cnf`` key
its ``holder_key``.

A *stacked* ELM credential (one composed of part credentials, ``hasPart`` naming each part by
id and SHA-256 digest) is verified with its parts by :meth:`Verifier.verify_stacked`: the
credential's report, the parts it names, and for each part given a report of its own plus
whether its digest (as received) and id are those the credential names.

Verification raises only :class:`~verifier.errors.UnverifiableInputError` for input that is
not JSON or a JWT at all (specs.md §1.3: everything else is a failed check in the report).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from vc_core.dids.resolver import DidResolver
from vc_core.errors import SECURITY_PROBLEM, VCDM_PROBLEM, DidError, MalformedInputError
from vc_core.json_codec import json_copy
from vc_core.jsonld.canonicalize import Canonicalizer, default_canonicalizer
from vc_core.model.elm import PartReference, part_digest, stacked_parts
from verifier.checks import (
    completeness,
    holder_binding,
    id_of,
    issuer_trust,
    validity,
    well_formed_credential,
    well_formed_presentation,
)
from verifier.errors import UnverifiableInputError
from verifier.formats import (
    ParsedInput,
    SecuringFormat,
    input_size,
    is_presentation_token,
    parse_credential_input,
    parse_presentation_input,
)
from verifier.issuer_metadata import (
    IssuerKeySet,
    JwtVcIssuerMetadataClient,
    fetch_issuer_keys,
    is_https_issuer,
)
from verifier.policy import VerificationOptions, VerifierPolicy
from verifier.ports import (
    Clock,
    StatusListClient,
    StatusListRetrievalError,
    StatusListTokenClient,
    SystemClock,
    TrustRegistry,
)
from verifier.proofs import (
    ProofOutcome,
    claimed_signer,
    jwt_vc_json_document,
    verify_data_integrity,
    verify_jose,
)
from verifier.report import Check, CheckName, CheckStatus, ReportWarning, VerificationReport
from verifier.sd_jwt_vc import (
    SdJwtVcOutcome,
    TokenFetcher,
    VerifiedStatusTokens,
    check_token_status,
    verify_sd_jwt_vc_input,
)
from verifier.status import DecodedStatusLists, StatusChecker
from verifier.trust import MandateVerifier, VerifiedProofCache, document_digest

__all__ = ["PartVerification", "StackedVerification", "Verifier"]

_PROOF_ERROR = SECURITY_PROBLEM + "PROOF_VERIFICATION_ERROR"

_CREDENTIAL_CHECKS = (
    CheckName.WELL_FORMED,
    CheckName.PROOF,
    CheckName.ISSUER_KEY,
    CheckName.VALIDITY,
    CheckName.STATUS,
    CheckName.ISSUER_TRUST,
    CheckName.COMPLETENESS,
)
_PRESENTATION_CHECKS = (
    CheckName.WELL_FORMED,
    CheckName.PROOF,
    CheckName.HOLDER_KEY,
    CheckName.CREDENTIALS,
)
_OPTIONAL_CHECKS = {
    "status": CheckName.STATUS,
    "credentialStatus": CheckName.STATUS,
    "issuer_trust": CheckName.ISSUER_TRUST,
}
"""``options.checks`` names for the checks a caller may leave out (``credentialStatus`` is the
name other VC API implementations use)."""


class _MemoResolver:
    """Resolves each DID once per verification (failures too)."""

    def __init__(self, inner: DidResolver) -> None:
        self._inner = inner
        self._documents: dict[str, dict[str, Any] | DidError] = {}

    def resolve(self, did: str) -> dict[str, Any]:
        found = self._documents.get(did)
        if found is None:
            try:
                found = self._inner.resolve(did)
            except DidError as exc:
                found = exc
            self._documents[did] = found
        if isinstance(found, DidError):
            raise found
        return json_copy(found)


class _MemoCanonicalizer:
    """Canonicalizes each document once per verification: the JSON-LD safe-mode check of
    ``well_formed`` and the hash of the proof read the same document without its proof (two
    dicts holding the very same member values: recognised by identity, which is exact)."""

    def __init__(self, inner: Canonicalizer) -> None:
        self._inner = inner
        self._done: list[tuple[Mapping[str, Any], str]] = []  # referenced: ids stay unique

    def canonize(self, document: Mapping[str, Any]) -> str:
        for seen, canonical in self._done:
            if _same_members(seen, document):
                return canonical
        canonical = self._inner.canonize(document)
        self._done.append((document, canonical))
        return canonical

    def canonize_pair(
        self, document: Mapping[str, Any], proof_config: Mapping[str, Any]
    ) -> tuple[str, str]:
        return self.canonize(document), self._inner.canonize(proof_config)


def _same_members(one: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Whether two objects have the same names bound to the same (identical) values."""
    if one is other:
        return True
    if len(one) != len(other):
        return False
    missing = object()
    return all(other.get(name, missing) is value for name, value in one.items())


@dataclass
class _Session:
    """The state of one ``verify_*`` call."""

    now: datetime
    options: VerificationOptions
    resolver: DidResolver
    status: StatusChecker
    wanted_optional: frozenset[CheckName] | None
    warnings: list[ReportWarning] = field(default_factory=list)
    fetch_token: TokenFetcher | None = None
    canonicalizer: Canonicalizer | None = None
    """The verifier's JSON-LD engine, each document canonicalized once per verification."""

    def wants(self, name: CheckName) -> bool:
        """``status``/``issuer_trust`` may be left out by ``options.checks``; nothing else."""
        if self.wanted_optional is None or name not in _OPTIONAL_CHECKS.values():
            return True
        return name in self.wanted_optional


def _skipped(names: tuple[CheckName, ...], code: str, message: str) -> list[Check]:
    return [Check.skipped(name, code, message) for name in names]


@dataclass(frozen=True)
class PartVerification:
    """One part given alongside a stacked credential: which named part it is (by digest),
    whether its id is the named one, and its own report."""

    index: int
    digest: str | None
    named: PartReference | None
    report: VerificationReport | None
    problem: str | None = None

    @property
    def verified(self) -> bool:
        return (
            self.problem is None
            and self.named is not None
            and self.report is not None
            and self.report.verified
        )

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "index": self.index,
            "verified": self.verified,
            "digest": self.digest,
            "digest_matches": self.named is not None,
            "named_as": self.named.to_dict() if self.named is not None else None,
        }
        if self.problem is not None:
            body["problem"] = self.problem
        if self.report is not None:
            body["report"] = self.report.to_dict(include_document=False)
        return body


@dataclass(frozen=True)
class StackedVerification:
    """A stacked credential's report, the parts it names and the parts given, checked."""

    report: VerificationReport
    parts: tuple[PartReference, ...]
    checked: tuple[PartVerification, ...] = ()

    @property
    def verified(self) -> bool:
        return self.report.verified and all(p.verified for p in self.checked)

    @property
    def not_given(self) -> tuple[PartReference, ...]:
        """Named parts no given part matched (not a failure: only given parts are checked)."""
        given = {p.named.digest for p in self.checked if p.named is not None}
        return tuple(p for p in self.parts if p.digest not in given)

    def to_dict(self) -> dict[str, Any]:
        body = self.report.to_dict()
        body["verified"] = self.verified
        body["parts"] = [p.to_dict() for p in self.parts]
        body["part_checks"] = [p.to_dict() for p in self.checked]
        body["parts_not_given"] = [p.to_dict() for p in self.not_given]
        return body


class Verifier:
    """Verifies credentials and presentations (see the module doc).

    ``resolver`` gives DID documents (did:web over the guarded fetcher in production);
    ``status_lists`` gives status list credentials; ``clock`` defaults to the system clock;
    ``trust_registry`` to none (``issuer_trust`` is then skipped; an
    :class:`~verifier.ports.AllianceTrustRegistry` such as
    :class:`verifier.trust.AllianceRegistries` checks members and mandates); ``canonicalizer`` to
    ``vc_core``'s pinned-context RDFC-1.0 engine; ``issuer_metadata`` gives the keys of SD-JWT
    VC issuers whose ``iss`` is an https URL (:mod:`verifier.issuer_metadata`; none: they fail).

    Awarding mandates and status list credentials whose Data Integrity proofs verified are
    remembered in ``proof_cache`` (default: a :class:`~verifier.trust.VerifiedProofCache` of
    this verifier's own) and not verified again while their signers' DID documents stay the
    same; Status List Tokens that verified are remembered by exact token and key
    (:class:`~verifier.sd_jwt_vc.VerifiedStatusTokens`, their ``exp``/``nbf`` checked on every
    use), and status lists once decoded by their exact ``encodedList``
    (:class:`~verifier.status.DecodedStatusLists`). The credential or presentation being
    verified is always verified.
    """

    def __init__(
        self,
        resolver: DidResolver,
        status_lists: StatusListClient,
        *,
        policy: VerifierPolicy | None = None,
        clock: Clock | None = None,
        trust_registry: TrustRegistry | None = None,
        canonicalizer: Canonicalizer | None = None,
        status_tokens: StatusListTokenClient | None = None,
        issuer_metadata: JwtVcIssuerMetadataClient | None = None,
        proof_cache: VerifiedProofCache | None = None,
    ) -> None:
        self._resolver = resolver
        self._issuer_metadata = issuer_metadata
        self._status_lists = status_lists
        if status_tokens is None and isinstance(status_lists, StatusListTokenClient):
            status_tokens = status_lists
        self._status_tokens = status_tokens
        self._policy = policy or VerifierPolicy()
        self._clock: Clock = clock or SystemClock()
        self._trust = trust_registry
        self._canonicalizer = canonicalizer
        self._proofs = proof_cache if proof_cache is not None else VerifiedProofCache()
        self._verified_tokens = VerifiedStatusTokens()
        self._decoded_lists = DecodedStatusLists()

    @property
    def policy(self) -> VerifierPolicy:
        return self._policy

    # -- entry points -------------------------------------------------------------------------
    def verify_credential(
        self,
        credential: object,
        *,
        options: VerificationOptions | None = None,
        size_at_most: int | None = None,
    ) -> VerificationReport:
        """Verify a Data Integrity credential (VCDM 1.1 or 2.0), an
        ``EnvelopedVerifiableCredential``, a ``vc+jwt`` or a ``jwt_vc_json`` compact JWT.

        ``size_at_most``: a bound the caller knows on the input's size as compact JSON (see
        :data:`~verifier.formats.REENCODED_GROWTH`); within ``max_input_bytes`` it spares
        encoding the input again to measure it."""
        session = self._session(options)
        if size_at_most is None or size_at_most > self._policy.max_input_bytes:
            size = input_size(credential)
            if size > self._policy.max_input_bytes:
                return self._too_large("credential", size, session)
        parsed = parse_credential_input(credential)
        return self._credential(parsed, session)

    def verify_presentation(
        self,
        presentation: object,
        *,
        options: VerificationOptions | None = None,
        size_at_most: int | None = None,
    ) -> VerificationReport:
        """Verify a Data Integrity presentation, an ``EnvelopedVerifiablePresentation`` or a
        ``vp+jwt``, and every credential in it (``size_at_most``: as for
        :meth:`verify_credential`)."""
        session = self._session(options)
        if size_at_most is None or size_at_most > self._policy.max_input_bytes:
            size = input_size(presentation)
            if size > self._policy.max_input_bytes:
                return self._too_large("presentation", size, session)
        parsed = parse_presentation_input(presentation)
        return self._presentation(parsed, session)

    def verify_jwt(
        self, token: str, *, options: VerificationOptions | None = None
    ) -> VerificationReport:
        """A compact JWT: a presentation when it says so (``typ`` ``vp+jwt``), else a credential."""
        if not isinstance(token, str):
            raise UnverifiableInputError("a JWT is a string")
        if len(token) <= self._policy.max_input_bytes and is_presentation_token(token):
            return self.verify_presentation(token, options=options)
        return self.verify_credential(token, options=options)

    def _fresh_issuer_keys(self, issuer: str) -> Callable[[], IssuerKeySet] | None:
        """Refetch an https issuer's keys past every cache (a Status List Token signed with a
        key rotated in after the metadata was cached)."""
        client = self._issuer_metadata
        if client is None or not is_https_issuer(issuer):
            return None
        return lambda: fetch_issuer_keys(issuer, client, force_fresh=True)

    def verify_stacked(
        self,
        credential: object,
        parts: Sequence[object] = (),
        *,
        options: VerificationOptions | None = None,
    ) -> StackedVerification:
        """Verify a stacked credential and the ``parts`` given with it (as received).

        The parts it names are read from the credential as verified (none when its proof
        failed). Each given part is matched to a named one by its digest
        (:func:`~vc_core.model.elm.part_digest`), must carry the named id, and is verified on
        its own; a part that matches no named digest fails (``not_a_part``).
        """
        report = self.verify_credential(credential, options=options)
        named = stacked_parts(report.document) if report.document is not None else ()
        by_digest = {p.digest: p for p in named if p.digest is not None}
        checked: list[PartVerification] = []
        for index, part in enumerate(parts):
            try:
                digest = part_digest(part)
            except MalformedInputError as exc:
                checked.append(PartVerification(index, None, None, None, exc.message))
                continue
            reference = by_digest.get(digest)
            try:
                part_report = self.verify_credential(part, options=options)
            except MalformedInputError as exc:
                checked.append(PartVerification(index, digest, reference, None, exc.message))
                continue
            problem = None
            if reference is None:
                problem = "not_a_part: its digest is none of the parts the credential names"
            else:
                part_id = (part_report.document or {}).get("id")
                if part_report.document is not None and part_id != reference.credential_id:
                    problem = (
                        f"id_mismatch: the part is {part_id!r}, named {reference.credential_id!r}"
                    )
            checked.append(PartVerification(index, digest, reference, part_report, problem))
        return StackedVerification(report, named, tuple(checked))

    # -- plumbing -----------------------------------------------------------------------------
    def _session(self, options: VerificationOptions | None) -> _Session:
        options = options or VerificationOptions()
        now = self._clock.now()
        if now.tzinfo is None:
            raise ValueError("the verifier's clock must give time-zone-aware instants")
        resolver = _MemoResolver(self._resolver)
        canonicalizer = _MemoCanonicalizer(self._canonicalizer or default_canonicalizer())
        wanted: frozenset[CheckName] | None = None
        warnings: list[ReportWarning] = []
        if options.checks is not None:
            wanted = frozenset(_OPTIONAL_CHECKS[n] for n in options.checks if n in _OPTIONAL_CHECKS)
            known = {str(n) for n in CheckName} | set(_OPTIONAL_CHECKS)
            warnings.extend(
                ReportWarning("unknown_check", f"options.checks names an unknown check {n!r}")
                for n in sorted(set(options.checks) - known)
            )

        def verify_list_proof(document: Mapping[str, Any], issuer: str) -> ProofOutcome:
            suites = sorted(self._policy.cryptosuites)
            key = ("status_list", document_digest(document), issuer, *suites)
            known = self._proofs.get(key, resolver, now)
            if isinstance(known, ProofOutcome):
                return known
            outcome = verify_data_integrity(
                document,
                resolver=resolver,
                expected_did=issuer,
                key_check=CheckName.ISSUER_KEY,
                cryptosuites=self._policy.cryptosuites,
                now=now,
                canonicalizer=canonicalizer,
            )
            if outcome.proof.status is CheckStatus.PASSED and (
                outcome.key.status is CheckStatus.PASSED
            ):
                methods = outcome.key.details.get("verification_methods")
                self._proofs.put(
                    key,
                    dataclasses.replace(outcome, document=None),
                    document=document,
                    verification_methods=methods if isinstance(methods, list) else (),
                    relationship="assertionMethod",
                    resolver=resolver,
                )
            return outcome

        status = StatusChecker(
            self._status_lists,
            verify_list_proof,
            now=now,
            clock_skew=self._policy.clock_skew,
            minimum_entries=self._policy.minimum_status_entries,
            max_list_bytes=self._policy.max_status_list_bytes,
            max_entries=self._policy.max_status_entries,
            force_fresh=options.force_fresh_status,
            decoded=self._decoded_lists,
        )
        return _Session(
            now, options, resolver, status, wanted, warnings, self._token_fetcher(), canonicalizer
        )

    def _token_fetcher(self) -> TokenFetcher | None:
        """The Status List Token port, each ``uri`` fetched at most once per verification."""
        client = self._status_tokens
        if client is None:
            return None
        fetched: dict[str, str | StatusListRetrievalError] = {}

        def fetch(uri: str) -> str:
            if uri not in fetched:
                try:
                    fetched[uri] = client.fetch_status_list_token(uri)
                except StatusListRetrievalError as exc:
                    fetched[uri] = exc
            found = fetched[uri]
            if isinstance(found, StatusListRetrievalError):
                raise found
            return found

        return fetch

    def _mandates(self, session: _Session) -> MandateVerifier:
        """Verifies awarding mandates for ``issuer_trust``: the session's resolver (each DID
        once) and clock, the policy's cryptosuites, the verifier's JSON-LD engine, and the
        verifier's cache of mandates already verified."""
        return MandateVerifier(
            session.resolver,
            session.now,
            self._policy.cryptosuites,
            session.canonicalizer,
            self._proofs,
        )

    def _jsonld(self, parsed: ParsedInput, session: _Session) -> Canonicalizer | None:
        if parsed.format is not SecuringFormat.DATA_INTEGRITY or not self._policy.jsonld_safe_mode:
            return None
        return session.canonicalizer or self._canonicalizer or default_canonicalizer()

    def _too_large(
        self, kind: Literal["credential", "presentation"], size: int, session: _Session
    ) -> VerificationReport:
        names = _CREDENTIAL_CHECKS if kind == "credential" else _PRESENTATION_CHECKS
        failed = Check.failed(
            CheckName.WELL_FORMED,
            "input_too_large",
            f"the {kind} is {size} bytes; at most {self._policy.max_input_bytes} are verified",
            details={"size": size, "max_input_bytes": self._policy.max_input_bytes},
        )
        checks = [failed, *_skipped(names[1:], "not_well_formed", f"the {kind} is too large")]
        return VerificationReport(
            kind, str(SecuringFormat.UNKNOWN), tuple(checks), tuple(session.warnings)
        )

    # -- credentials --------------------------------------------------------------------------
    def _credential(
        self,
        parsed: ParsedInput,
        session: _Session,
        *,
        presented_by: str | None = None,
        in_presentation: bool = False,
        holder: str | None = None,
        presentation_secured: bool = False,
    ) -> VerificationReport:
        policy = self._policy
        fmt = parsed.format
        if fmt is SecuringFormat.SD_JWT_VC:
            report, _ = self._sd_jwt_credential(
                parsed, session, require_key_binding=False, in_presentation=in_presentation
            )
            return report
        if fmt is SecuringFormat.DATA_INTEGRITY:
            unverified: Mapping[str, Any] = parsed.document or {}
        elif fmt is SecuringFormat.JWT_VC_JSON:
            unverified = jwt_vc_json_document(parsed.claims)
        else:
            unverified = parsed.claims
        warnings = [] if in_presentation else list(session.warnings)
        well, more = well_formed_credential(
            unverified,
            require_v2=fmt is SecuringFormat.VC_JWT,
            canonicalizer=self._jsonld(parsed, session),
        )
        warnings.extend(more)
        checks = [well]
        binding = (CheckName.HOLDER_BINDING,) if in_presentation else ()
        if well.status is CheckStatus.FAILED:
            checks += _skipped(
                (*_CREDENTIAL_CHECKS[1:], *binding),
                "not_well_formed",
                "the credential is not well formed",
            )
            return VerificationReport(
                "credential", str(fmt), tuple(checks), tuple(warnings), enveloped=parsed.enveloped
            )
        issuer = id_of(unverified.get("issuer")) or ""
        if in_presentation and fmt is SecuringFormat.DATA_INTEGRITY and "proof" not in unverified:
            return self._unsecured_in_presentation(
                unverified,
                checks,
                warnings,
                session,
                issuer=issuer,
                holder=holder,
                signer=presented_by,
                presentation_secured=presentation_secured,
            )
        if fmt is SecuringFormat.DATA_INTEGRITY:
            outcome = verify_data_integrity(
                unverified,
                resolver=session.resolver,
                expected_did=issuer,
                key_check=CheckName.ISSUER_KEY,
                cryptosuites=policy.cryptosuites,
                now=session.now,
                canonicalizer=session.canonicalizer,
            )
        else:
            outcome = verify_jose(
                parsed,
                resolver=session.resolver,
                expected_did=issuer,
                key_check=CheckName.ISSUER_KEY,
                jws_algs=policy.jws_algs,
                now=session.now,
                leeway=policy.clock_skew,
            )
        checks += [outcome.proof, outcome.key]
        secured = outcome.proof.status is CheckStatus.PASSED and (
            outcome.key.status is CheckStatus.PASSED
        )
        document = outcome.document if secured and outcome.document is not None else unverified
        jwt_claims = outcome.jwt_claims if outcome.jwt_claims is not None else parsed.claims
        checks.append(
            validity(document, now=session.now, skew=policy.clock_skew, jwt_claims=jwt_claims)
        )
        unverified_reason = "only a credential whose proof and issuer key verified is checked"
        if not session.wants(CheckName.STATUS):
            checks.append(Check.skipped(CheckName.STATUS, "not_requested", "not requested"))
        elif not secured:
            checks.append(Check.skipped(CheckName.STATUS, "unverified", unverified_reason))
        else:
            status, more = session.status.check(document, issuer)
            checks.append(status)
            warnings.extend(more)
        if not session.wants(CheckName.ISSUER_TRUST):
            checks.append(Check.skipped(CheckName.ISSUER_TRUST, "not_requested", "not requested"))
        elif not secured:
            checks.append(Check.skipped(CheckName.ISSUER_TRUST, "unverified", unverified_reason))
        else:
            checks.append(
                issuer_trust(
                    self._trust, issuer, document=document, mandates=self._mandates(session)
                )
            )
        complete, more = completeness(document, required=policy.require_completeness)
        checks.append(complete)
        warnings.extend(more)
        if in_presentation:
            checks.append(holder_binding(document, presented_by))
        return VerificationReport(
            "credential",
            str(fmt),
            tuple(checks),
            tuple(warnings),
            document=outcome.document if secured else None,
            enveloped=parsed.enveloped,
        )

    def _unreadable_credential(self, error: UnverifiableInputError) -> VerificationReport:
        """An entry of a presentation that cannot be read as a credential at all."""
        failed = Check.failed(
            CheckName.WELL_FORMED, error.code, error.message, problem_type=error.problem_type
        )
        rest = _skipped(
            (*_CREDENTIAL_CHECKS[1:], CheckName.HOLDER_BINDING),
            "not_well_formed",
            "the credential cannot be read",
        )
        return VerificationReport("credential", str(SecuringFormat.UNKNOWN), (failed, *rest))

    # -- presentations ------------------------------------------------------------------------
    def _presentation(self, parsed: ParsedInput, session: _Session) -> VerificationReport:
        policy = self._policy
        options = session.options
        if parsed.format is SecuringFormat.SD_JWT_VC:
            return self._sd_jwt_presentation(parsed, session)
        vp: Mapping[str, Any] = parsed.document if parsed.document is not None else parsed.claims
        warnings = list(session.warnings)
        if options.challenge is None:
            warnings.append(
                ReportWarning(
                    "no_challenge",
                    "no challenge was given: the presentation could be a replay",
                )
            )
        well = well_formed_presentation(
            vp, max_credentials=policy.max_credentials, canonicalizer=self._jsonld(parsed, session)
        )
        if well.status is CheckStatus.FAILED:
            checks = [
                well,
                *_skipped(
                    _PRESENTATION_CHECKS[1:],
                    "not_well_formed",
                    "the presentation is not well formed",
                ),
            ]
            return VerificationReport(
                "presentation",
                str(parsed.format),
                tuple(checks),
                tuple(warnings),
                enveloped=parsed.enveloped,
            )
        holder = id_of(vp.get("holder"))
        if parsed.format is SecuringFormat.DATA_INTEGRITY:
            outcome = verify_data_integrity(
                vp,
                resolver=session.resolver,
                expected_did=holder,
                key_check=CheckName.HOLDER_KEY,
                cryptosuites=policy.cryptosuites,
                now=session.now,
                proof_purpose="authentication",
                challenge=options.challenge,
                domain=options.domain,
                canonicalizer=session.canonicalizer,
            )
        else:
            outcome = verify_jose(
                parsed,
                resolver=session.resolver,
                expected_did=holder or claimed_signer(parsed),
                key_check=CheckName.HOLDER_KEY,
                jws_algs=policy.jws_algs,
                now=session.now,
                leeway=policy.clock_skew,
                challenge=options.challenge,
                domain=options.domain,
            )
        secured = outcome.proof.status is CheckStatus.PASSED and (
            outcome.key.status is CheckStatus.PASSED
        )
        presenter = holder or (outcome.signers[0] if secured and outcome.signers else None)
        entries = vp.get("verifiableCredential", [])
        reports: list[VerificationReport] = []
        for entry in entries if isinstance(entries, list) else [entries]:
            try:
                credential = parse_credential_input(entry)
            except UnverifiableInputError as exc:
                reports.append(self._unreadable_credential(exc))
                continue
            reports.append(
                self._credential(
                    credential,
                    session,
                    presented_by=presenter,
                    in_presentation=True,
                    holder=holder,
                    presentation_secured=secured,
                )
            )
        failing = [i for i, report in enumerate(reports) if not report.verified]
        if not reports:
            summary = Check.skipped(
                CheckName.CREDENTIALS, "no_credentials", "the presentation has no credentials"
            )
        elif failing:
            summary = Check.failed(
                CheckName.CREDENTIALS,
                "credential_not_verified",
                f"credential(s) {failing} of {len(reports)} did not verify",
                details={"failed": failing},
            )
        else:
            summary = Check.passed(
                CheckName.CREDENTIALS, f"all {len(reports)} credential(s) verified"
            )
        return VerificationReport(
            "presentation",
            str(parsed.format),
            (well, outcome.proof, outcome.key, summary),
            tuple(warnings),
            credentials=tuple(reports),
            document=outcome.document if secured else None,
            enveloped=parsed.enveloped,
        )

    # -- unsecured credentials in a presentation (VCDM 2.0 §4.12.4) ---------------------------
    def _unsecured_in_presentation(
        self,
        document: Mapping[str, Any],
        checks: list[Check],
        warnings: list[ReportWarning],
        session: _Session,
        *,
        issuer: str,
        holder: str | None,
        signer: str | None,
        presentation_secured: bool,
    ) -> VerificationReport:
        """A credential without ``proof`` inside a Data Integrity presentation (module doc)."""
        policy = self._policy
        self_asserted = holder is not None and issuer == holder
        if self_asserted:
            message = "self-asserted by the holder: secured by the presentation's proof"
            proof = Check.skipped(CheckName.PROOF, "secured_by_presentation", message)
            binding = Check.passed(
                CheckName.HOLDER_BINDING,
                f"the credential is self-asserted by the holder {holder}",
                details={"holder": holder},
            )
        elif holder is None and (signer is None or issuer != signer):
            proof = Check.skipped(
                CheckName.PROOF, "unsecured", "the credential has no proof of its own"
            )
            binding = Check.skipped(
                CheckName.HOLDER_BINDING, "unsecured", "the credential has no proof of its own"
            )
            warnings.append(
                ReportWarning(
                    "unsecured_credential",
                    f"a credential of {issuer} has no proof: its claims are not verified "
                    "(VCDM 2.0 §4.12)",
                )
            )
        else:
            code, message = (
                ("self_asserted_without_holder", "a self-asserted credential needs a holder")
                if holder is None
                else (
                    "unsecured_credential",
                    f"a credential without proof must be self-asserted: its issuer {issuer} "
                    f"is not the holder {holder}",
                )
            )
            proof = Check.failed(
                CheckName.PROOF,
                code,
                message + " (VCDM 2.0 §4.12.4)",
                problem_type=_PROOF_ERROR,
            )
            binding = Check.skipped(CheckName.HOLDER_BINDING, "unverified", message)
        reason = (
            "a self-asserted credential"
            if self_asserted
            else "only a credential whose proof and issuer key verified is checked"
        )
        checks += [
            proof,
            Check.skipped(CheckName.ISSUER_KEY, proof.code, proof.message),
            validity(document, now=session.now, skew=policy.clock_skew),
            Check.skipped(CheckName.STATUS, "unverified", reason),
            Check.skipped(CheckName.ISSUER_TRUST, "unverified", reason),
        ]
        complete, more = completeness(document, required=False)
        checks.append(complete)
        warnings.extend(more)
        checks.append(binding)
        return VerificationReport(
            "credential",
            str(SecuringFormat.DATA_INTEGRITY),
            tuple(checks),
            tuple(warnings),
            document=dict(document) if self_asserted and presentation_secured else None,
        )

    # -- SD-JWT VC ----------------------------------------------------------------------------
    def _sd_jwt_credential(
        self,
        parsed: ParsedInput,
        session: _Session,
        *,
        require_key_binding: bool,
        in_presentation: bool,
    ) -> tuple[VerificationReport, SdJwtVcOutcome | None]:
        """An SD-JWT VC (:mod:`verifier.sd_jwt_vc`); its KB-JWT binds it to the presenter."""
        policy = self._policy
        options = session.options
        warnings = [] if in_presentation else list(session.warnings)
        claims = parsed.claims
        fmt = str(parsed.format)
        binding = (CheckName.HOLDER_BINDING,) if in_presentation else ()
        problems = [
            name
            for name in ("iss", "vct")
            if not isinstance(claims.get(name), str) or not claims[name]
        ]
        if problems:
            well = Check.failed(
                CheckName.WELL_FORMED,
                "invalid_sd_jwt_vc",
                f"the SD-JWT VC has no {' or '.join(problems)} string (SD-JWT VC §2.2.2)",
                problem_type=VCDM_PROBLEM + "MALFORMED_VALUE_ERROR",
            )
            checks = [
                well,
                *_skipped(
                    (*_CREDENTIAL_CHECKS[1:], *binding),
                    "not_well_formed",
                    "the credential is not well formed",
                ),
            ]
            report = VerificationReport(
                "credential", fmt, tuple(checks), tuple(warnings), enveloped=parsed.enveloped
            )
            return report, None
        checks = [Check.passed(CheckName.WELL_FORMED, f"an SD-JWT VC ({parsed.header['typ']})")]
        outcome = verify_sd_jwt_vc_input(
            parsed,
            resolver=session.resolver,
            jws_algs=policy.jws_algs,
            now=session.now,
            leeway=policy.clock_skew,
            require_key_binding=require_key_binding,
            nonce=options.challenge,
            aud=options.domain,
            issuer_metadata=self._issuer_metadata,
        )
        checks += [outcome.proof, outcome.key]
        secured = outcome.claims is not None and outcome.key.status is CheckStatus.PASSED
        verified_claims = outcome.claims if secured else None
        issuer = outcome.issuer or ""
        checks.append(
            validity(
                {}, now=session.now, skew=policy.clock_skew, jwt_claims=verified_claims or claims
            )
        )
        unverified_reason = "only a credential whose proof and issuer key verified is checked"
        if not session.wants(CheckName.STATUS):
            checks.append(Check.skipped(CheckName.STATUS, "not_requested", "not requested"))
        elif not secured:
            checks.append(Check.skipped(CheckName.STATUS, "unverified", unverified_reason))
        elif outcome.status_list is None:
            if verified_claims is not None and "status" in verified_claims:
                warnings.append(
                    ReportWarning(
                        "unsupported_status", "only status.status_list (Token Status List) is read"
                    )
                )
            checks.append(
                Check.skipped(CheckName.STATUS, "no_status", "the credential has no status_list")
            )
        else:
            checks.append(
                check_token_status(
                    outcome.status_list,
                    issuer=issuer,
                    fetch=session.fetch_token,
                    resolver=session.resolver,
                    jws_algs=policy.jws_algs,
                    now=session.now,
                    leeway=policy.clock_skew,
                    issuer_keys=outcome.issuer_keys,
                    refresh_issuer_keys=self._fresh_issuer_keys(issuer),
                    verified_tokens=self._verified_tokens,
                )
            )
        if not session.wants(CheckName.ISSUER_TRUST):
            checks.append(Check.skipped(CheckName.ISSUER_TRUST, "not_requested", "not requested"))
        elif not secured:
            checks.append(Check.skipped(CheckName.ISSUER_TRUST, "unverified", unverified_reason))
        else:
            checks.append(
                issuer_trust(
                    self._trust,
                    # an https issuer whose key is a DID's (kid in its DID document): trust is
                    # judged by that DID, which the registries list
                    outcome.issuer_did or issuer,
                    document=verified_claims,
                    mandates=self._mandates(session),
                )
            )
        checks.append(
            Check.skipped(
                CheckName.COMPLETENESS, "not_elm", "an SD-JWT VC is not an ELM credential"
            )
        )
        if in_presentation:
            kb = outcome.key_binding
            checks.append(
                Check(
                    CheckName.HOLDER_BINDING,
                    kb.status,
                    kb.code,
                    kb.message,
                    kb.problem_type,
                    kb.details,
                )
            )
        report = VerificationReport(
            "credential",
            fmt,
            tuple(checks),
            tuple(warnings),
            document=verified_claims,
            enveloped=parsed.enveloped,
        )
        return report, outcome

    def _sd_jwt_presentation(self, parsed: ParsedInput, session: _Session) -> VerificationReport:
        """An SD-JWT+KB: the KB-JWT is the presentation's proof (RFC 9901 §7.3)."""
        warnings = list(session.warnings)
        if session.options.challenge is None:
            warnings.append(
                ReportWarning(
                    "no_challenge",
                    "no challenge was given: the presentation could be a replay",
                )
            )
        credential, outcome = self._sd_jwt_credential(
            parsed, session, require_key_binding=True, in_presentation=False
        )
        own = tuple(w for w in credential.warnings if w not in session.warnings)
        credential = dataclasses.replace(credential, warnings=own)
        well = credential.check(CheckName.WELL_FORMED)
        if outcome is None:
            checks = [
                well,
                *_skipped(
                    _PRESENTATION_CHECKS[1:],
                    "not_well_formed",
                    "the presentation is not well formed",
                ),
            ]
        else:
            kb = outcome.key_binding
            proof = Check(
                CheckName.PROOF, kb.status, kb.code, kb.message, kb.problem_type, kb.details
            )
            holder_key = (
                Check.passed(CheckName.HOLDER_KEY, "the credential's cnf key signed the KB-JWT")
                if kb.status is CheckStatus.PASSED
                else Check.skipped(CheckName.HOLDER_KEY, kb.code, kb.message)
            )
            summary = (
                Check.passed(CheckName.CREDENTIALS, "the SD-JWT VC verified")
                if credential.verified
                else Check.failed(
                    CheckName.CREDENTIALS,
                    "credential_not_verified",
                    "credential(s) [0] of 1 did not verify",
                    details={"failed": [0]},
                )
            )
            checks = [Check.passed(CheckName.WELL_FORMED, well.message), proof, holder_key, summary]
        return VerificationReport(
            "presentation",
            str(parsed.format),
            tuple(checks),
            tuple(warnings),
            credentials=(credential,),
            document=credential.document,
            enveloped=parsed.enveloped,
        )
