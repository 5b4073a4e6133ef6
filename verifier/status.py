"""The ``status`` check: Bitstring Status List 1.0 §3.2 ("Validate Algorithm") for every
``credentialStatus`` entry of a credential (specs.md §7.1, §11 step 7).

For each ``BitstringStatusListEntry``:

1. dereference ``statusListCredential`` through the :class:`~verifier.ports.StatusListClient`
   — failure: ``STATUS_RETRIEVAL_ERROR``;
2. it must be a ``BitstringStatusListCredential`` whose ``id`` (when present) is the URL, issued
   by **the credential's issuer** (mcred's policy: a list from anyone else could revoke or
   un-revoke at will), with proofs that verify against the cryptosuite allowlist and the
   issuer's ``assertionMethod`` keys, inside its validity period; the entry's
   ``statusPurpose`` must be one of the list's — failure: ``STATUS_VERIFICATION_ERROR``;
3. decode ``encodedList`` (bounded GUNZIP, so a GZIP bomb is a ``STATUS_VERIFICATION_ERROR``);
   fewer than ``minimumNumberOfEntries`` entries: ``STATUS_LIST_LENGTH_ERROR``;
4. read the value at ``statusListIndex * statusSize`` — out of range: ``RANGE_ERROR``;
5. interpret it: ``revocation`` ≠ 0 → ``revoked``; ``suspension`` ≠ 0 → ``suspended``;
   ``message`` → the entry's ``statusMessage`` for the value (mcred's issuer: ``0x1``
   "revoked", ``0x2`` "suspended"); ``refresh`` ≠ 0 only warns.

The check fails with ``revoked`` or ``suspended`` when any entry says so, else with the first
error code; its ``details.entries`` list every entry's outcome. Lists are fetched and verified
once per verification (a presentation's credentials often share them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vc_core.errors import STATUS_PROBLEM, VCDM_PROBLEM, MalformedInputError, StatusListError
from vc_core.memo import LruMemo
from vc_core.status import BitstringStatusList, BitstringStatusListEntry, StatusPurpose
from verifier.checks import id_of, validity
from verifier.formats import types_of
from verifier.policy import REMEMBERED_LIST_BYTES
from verifier.ports import StatusListClient, StatusListRetrievalError
from verifier.proofs import ProofOutcome
from verifier.report import Check, CheckName, CheckStatus, ReportWarning, mcred_problem

__all__ = ["DecodedStatusLists", "EntryOutcome", "ListProofVerifier", "StatusChecker"]

ENTRY_TYPE = "BitstringStatusListEntry"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
RETRIEVAL = "STATUS_RETRIEVAL_ERROR"
VERIFICATION = "STATUS_VERIFICATION_ERROR"
LENGTH = "STATUS_LIST_LENGTH_ERROR"
RANGE = "RANGE_ERROR"
_REVOKED_WORDS = frozenset({"revoked", "revocation", "invalid"})
_SUSPENDED_WORDS = frozenset({"suspended", "suspension"})

ListProofVerifier = Callable[[Mapping[str, Any], str], ProofOutcome]
"""``(status list credential, its issuer) -> ProofOutcome`` (the service's guarded DI check)."""


def _problem_type(code: str) -> str:
    if code in (RETRIEVAL, VERIFICATION, LENGTH):
        return STATUS_PROBLEM + code
    if code == RANGE:
        return VCDM_PROBLEM + RANGE
    if code == "malformed_status_entry":
        return VCDM_PROBLEM + "MALFORMED_VALUE_ERROR"
    return mcred_problem(code)


@dataclass(frozen=True)
class EntryOutcome:
    """One entry: ``outcome`` is ``valid``, ``revoked``, ``suspended``, ``refresh``,
    ``status_message`` (another non-zero value) or an error code; ``reason`` refines errors."""

    outcome: str
    message: str
    purpose: str | None = None
    index: int | None = None
    list_url: str | None = None
    status: int | None = None
    reason: str | None = None

    @property
    def is_error(self) -> bool:
        return self.outcome not in ("valid", "revoked", "suspended", "refresh", "status_message")

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"outcome": self.outcome, "message": self.message}
        for name in ("purpose", "index", "list_url", "status", "reason"):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        return body


@dataclass(frozen=True)
class _VerifiedList:
    url: str
    subject: Mapping[str, Any]


class _ListFailure(Exception):
    def __init__(self, code: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message


class DecodedStatusLists:
    """Status lists decoded before, remembered across verifications.

    One list answers for thousands of credentials until it changes; inflating its
    ``encodedList`` again for each is a good part of what the ``status`` check costs. An entry
    is keyed by everything decoding depends on: the exact ``encodedList`` (its SHA-256) and the
    subject's ``type``, the entry's ``statusSize`` and the verifier's limits. Only lists that
    decoded into at most ``max_list_bytes`` are kept, at most ``size`` of them (least recently
    used first out); a list handed out is shared and only read. Thread-safe.
    """

    def __init__(self, size: int = 32, *, max_list_bytes: int = REMEMBERED_LIST_BYTES) -> None:
        self._lists: LruMemo[Hashable, BitstringStatusList] = LruMemo(size)
        self._max_list_bytes = max_list_bytes

    def __len__(self) -> int:
        return len(self._lists)

    def decode(
        self,
        subject: Mapping[str, Any],
        *,
        status_size: int,
        minimum_entries: int,
        max_decompressed_size: int,
    ) -> BitstringStatusList:
        """:meth:`BitstringStatusList.from_credential_subject`, from memory when this very list
        decoded before under the same terms."""
        encoded, types = subject.get("encodedList"), subject.get("type")
        kinds = tuple(types) if isinstance(types, list) else (types,)
        if not isinstance(encoded, str) or not all(isinstance(kind, str) for kind in kinds):
            return BitstringStatusList.from_credential_subject(
                subject,
                status_size=status_size,
                minimum_entries=minimum_entries,
                max_decompressed_size=max_decompressed_size,
            )
        digest = hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).digest()
        key = (digest, kinds, status_size, minimum_entries, max_decompressed_size)
        decoded = self._lists.get(key)
        if decoded is None:
            decoded = BitstringStatusList.from_credential_subject(
                subject,
                status_size=status_size,
                minimum_entries=minimum_entries,
                max_decompressed_size=max_decompressed_size,
            )
            if decoded.nbytes <= self._max_list_bytes:
                self._lists.put(key, decoded)
        return decoded


class StatusChecker:
    """Runs the ``status`` check for the credentials of one verification (caches lists;
    ``decoded`` remembers decoded lists across verifications)."""

    def __init__(
        self,
        client: StatusListClient,
        verify_list_proof: ListProofVerifier,
        *,
        now: datetime,
        clock_skew: timedelta,
        minimum_entries: int,
        max_list_bytes: int,
        max_entries: int,
        force_fresh: bool = False,
        decoded: DecodedStatusLists | None = None,
    ) -> None:
        self._client = client
        self._decoder = decoded if decoded is not None else DecodedStatusLists()
        self._verify_list_proof = verify_list_proof
        self._now = now
        self._skew = clock_skew
        self._minimum = minimum_entries
        self._max_bytes = max_list_bytes
        self._max_entries = max_entries
        self._force_fresh = force_fresh
        self._lists: dict[tuple[str, str], _VerifiedList | _ListFailure] = {}
        self._decoded: dict[tuple[str, int], BitstringStatusList | StatusListError] = {}

    # -- the check ----------------------------------------------------------------------------
    def check(self, document: Mapping[str, Any], issuer: str) -> tuple[Check, list[ReportWarning]]:
        status = document.get("credentialStatus")
        if status is None:
            return Check.skipped(
                CheckName.STATUS, "no_status", "the credential has no credentialStatus"
            ), []
        entries = status if isinstance(status, list) else [status]
        if len(entries) > self._max_entries:
            return Check.failed(
                CheckName.STATUS,
                "too_many_status_entries",
                f"{len(entries)} credentialStatus entries; at most {self._max_entries} are checked",
            ), []
        outcomes = [self._entry(entry, issuer) for entry in entries]
        details = {"entries": [o.to_dict() for o in outcomes]}
        warnings = [
            ReportWarning("refresh_available", o.message)
            for o in outcomes
            if o.outcome == "refresh"
        ]
        for decisive in ("revoked", "suspended", "status_message"):
            found = next((o for o in outcomes if o.outcome == decisive), None)
            if found is not None:
                return Check.failed(
                    CheckName.STATUS, decisive, found.message, details=details
                ), warnings
        error = next((o for o in outcomes if o.is_error), None)
        if error is not None:
            return Check.failed(
                CheckName.STATUS,
                error.outcome,
                error.message,
                problem_type=_problem_type(error.outcome),
                details=details,
            ), warnings
        purposes = ", ".join(sorted({o.purpose for o in outcomes if o.purpose}))
        return Check.passed(
            CheckName.STATUS, f"status checked ({purposes}): valid", details=details
        ), warnings

    # -- one entry ----------------------------------------------------------------------------
    def _entry(self, raw: Any, issuer: str) -> EntryOutcome:
        if not isinstance(raw, Mapping) or ENTRY_TYPE not in types_of(raw):
            kinds = types_of(raw) if isinstance(raw, Mapping) else []
            return EntryOutcome(
                "unsupported_status_type",
                f"status entries of type {kinds} cannot be checked; only {ENTRY_TYPE}",
            )
        try:
            entry = BitstringStatusListEntry.from_json(raw)
        except MalformedInputError as exc:
            return EntryOutcome("malformed_status_entry", f"credentialStatus: {exc.message}")
        where: dict[str, Any] = {
            "purpose": entry.status_purpose,
            "index": entry.status_list_index,
            "list_url": entry.status_list_credential,
        }
        try:
            verified = self._list(entry.status_list_credential, issuer)
            purposes = verified.subject.get("statusPurpose")
            listed = purposes if isinstance(purposes, list) else [purposes]
            if entry.status_purpose not in listed:
                raise _ListFailure(
                    VERIFICATION,
                    "purpose_mismatch",
                    f"the list's statusPurpose {purposes!r} does not include "
                    f"{entry.status_purpose!r}",
                )
            value = self._decode(verified, entry.status_size).get(entry.status_list_index)
        except _ListFailure as failure:
            return EntryOutcome(failure.code, failure.message, reason=failure.reason, **where)
        except StatusListError as exc:  # StatusRangeError included
            return EntryOutcome(exc.status_code, exc.message, **where)
        return self._interpret(entry, value, where)

    @staticmethod
    def _interpret(
        entry: BitstringStatusListEntry, value: int, where: dict[str, Any]
    ) -> EntryOutcome:
        purpose = entry.status_purpose
        if value == 0:
            return EntryOutcome("valid", f"{purpose}: status 0x0", status=0, **where)
        if purpose == StatusPurpose.REVOCATION:
            return EntryOutcome("revoked", "the credential is revoked", status=value, **where)
        if purpose == StatusPurpose.SUSPENSION:
            return EntryOutcome("suspended", "the credential is suspended", status=value, **where)
        if purpose == StatusPurpose.REFRESH:
            return EntryOutcome(
                "refresh", "a refreshed credential is available", status=value, **where
            )
        text = next((m.message for m in entry.status_message if m.status == value), None)
        word = (text or "").strip().lower()
        if word in _REVOKED_WORDS:
            return EntryOutcome(
                "revoked", f"the credential is revoked ({text})", status=value, **where
            )
        if word in _SUSPENDED_WORDS:
            return EntryOutcome(
                "suspended", f"the credential is suspended ({text})", status=value, **where
            )
        shown = f"{hex(value)} ({text})" if text else hex(value)
        return EntryOutcome("status_message", f"{purpose} status {shown}", status=value, **where)

    # -- the list -----------------------------------------------------------------------------
    def _list(self, url: str, issuer: str) -> _VerifiedList:
        key = (url, issuer)
        cached = self._lists.get(key)
        if cached is None:
            try:
                cached = self._load(url, issuer)
            except _ListFailure as failure:
                cached = failure
            self._lists[key] = cached
        if isinstance(cached, _ListFailure):
            raise cached
        return cached

    def _load(self, url: str, issuer: str) -> _VerifiedList:
        try:
            document = self._client.fetch_status_list_credential(url, force_fresh=self._force_fresh)
        except StatusListRetrievalError as exc:
            raise _ListFailure(RETRIEVAL, "retrieval", exc.message) from None
        if not isinstance(document, Mapping):
            raise _ListFailure(RETRIEVAL, "not_json_object", f"{url} did not serve a JSON object")
        if LIST_CREDENTIAL_TYPE not in types_of(document):
            raise _ListFailure(
                VERIFICATION, "not_a_status_list", f"{url} is not a {LIST_CREDENTIAL_TYPE}"
            )
        if "id" in document and document["id"] != url:
            raise _ListFailure(
                VERIFICATION,
                "list_id_mismatch",
                f"the list served at {url} is {document['id']!r}",
            )
        list_issuer = id_of(document.get("issuer"))
        if list_issuer != issuer:
            raise _ListFailure(
                VERIFICATION,
                "list_issuer_mismatch",
                f"the status list is issued by {list_issuer!r}, not by the credential's "
                f"issuer {issuer}",
            )
        outcome = self._verify_list_proof(document, issuer)
        for check in (outcome.key, outcome.proof):
            if check.status is CheckStatus.FAILED:
                raise _ListFailure(
                    VERIFICATION,
                    f"list_{check.name}_{check.code}",
                    f"the status list's {check.name} check failed: {check.message}",
                )
        window = validity(document, now=self._now, skew=self._skew)
        if window.status is CheckStatus.FAILED:
            raise _ListFailure(
                VERIFICATION, f"list_{window.code}", f"the status list: {window.message}"
            )
        subject = document.get("credentialSubject")
        if not isinstance(subject, Mapping):
            raise _ListFailure(
                VERIFICATION, "invalid_list_subject", "the list's credentialSubject is no object"
            )
        return _VerifiedList(url, subject)

    def _decode(self, verified: _VerifiedList, status_size: int) -> BitstringStatusList:
        key = (verified.url, status_size)
        decoded = self._decoded.get(key)
        if decoded is None:
            try:
                decoded = self._decoder.decode(
                    verified.subject,
                    status_size=status_size,
                    minimum_entries=self._minimum,
                    max_decompressed_size=self._max_bytes,
                )
            except StatusListError as exc:
                decoded = exc
            self._decoded[key] = decoded
        if isinstance(decoded, StatusListError):
            raise decoded
        return decoded
