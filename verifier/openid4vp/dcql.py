"""DCQL, the Digital Credentials Query Language (OpenID4VP 1.0 §6, §7), for mcred's formats.

* **Building**: :func:`credential_query` makes one Credential Query (§6.1) per format —
  ``dc+sd-jwt`` with ``meta.vct_values`` (App. B.3.5), ``ldp_vc`` / ``jwt_vc_json`` with
  ``meta.type_values`` (fully expanded type IRIs, App. B.1.1) — and claims as claims path
  pointers; :func:`alternatives` puts several in one query with a ``credential_sets`` entry
  whose options are "any one of them" (§6.2).
* **Reading**: :meth:`DcqlQuery.parse` checks a query's structure (ids, paths, ``claim_sets``
  referring to claim ids, ``credential_sets`` to credential ids; unknown members are ignored
  as §6 requires).
* **Matching** a verified credential against its Credential Query: :func:`match_credential`
  checks the ``meta`` constraints and that every requested claim is present (disclosed), by
  the claims path pointer processing of §7.1 (a ``values`` list must match exactly, type and
  value, §6.3); :meth:`DcqlQuery.satisfied_by` says whether the set of Credential Query ids
  that came back with valid presentations fulfils the query (§6.4.2).

For W3C credentials the claims path starts at the credential, not the presentation
(App. B.1.2); for an SD-JWT VC at its processed claims (disclosures applied). Types are
expanded by JSON-LD (pyld over the pinned contexts: nothing is fetched); a credential whose
``@context`` is not pinned has no expanded types and does not match ``type_values``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pyld import jsonld

from vc_core.errors import MalformedInputError
from vc_core.jsonld.loader import default_loader
from verifier.openid4vp.errors import InvalidRequest, VpFormatsNotSupported

__all__ = [
    "DC_SD_JWT",
    "JWT_VC_JSON",
    "LDP_VC",
    "SUPPORTED_FORMATS",
    "ClaimPath",
    "ClaimsPathError",
    "ClaimsQuery",
    "CredentialQuery",
    "CredentialSetQuery",
    "DcqlMatch",
    "DcqlQuery",
    "alternatives",
    "credential_query",
    "expanded_types",
    "match_credential",
    "select_claims",
]

DC_SD_JWT = "dc+sd-jwt"
"""IETF SD-JWT VC (App. B.3)."""
LDP_VC = "ldp_vc"
"""W3C VC secured with Data Integrity (App. B.1.3.2)."""
JWT_VC_JSON = "jwt_vc_json"
"""W3C VC as a VCDM 1.1 JWT, presented in a VCDM 1.1 JWT VP (App. B.1.3.1)."""
SUPPORTED_FORMATS = (DC_SD_JWT, LDP_VC, JWT_VC_JSON)
W3C_FORMATS = frozenset({LDP_VC, JWT_VC_JSON})

ClaimPath = tuple[str | int | None, ...]
"""A claims path pointer (§7): key names, array indexes, ``None`` for every element."""

_ID = re.compile(r"[A-Za-z0-9_-]+")
_MAX_PATH = 16
_MAX_ITEMS = 64


class ClaimsPathError(ValueError):
    """Claims path processing aborted (§7.1.1 step 2 and 3): nothing is selected."""


# -- the query ------------------------------------------------------------------------------


def _fail(message: str) -> InvalidRequest:
    return InvalidRequest(f"invalid DCQL query: {message}")


def _check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise _fail(f"{what} must be a non-empty string of letters, digits, '_' or '-'")
    return value


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list) or not value or len(value) > _MAX_ITEMS:
        raise _fail(f"{what} must be a non-empty array (at most {_MAX_ITEMS} items)")
    return value


def _path(value: object) -> ClaimPath:
    items = _list(value, "a claims path")
    if len(items) > _MAX_PATH:
        raise _fail(f"a claims path has at most {_MAX_PATH} components")
    for item in items:
        ok = item is None or isinstance(item, str)
        ok = ok or (isinstance(item, int) and not isinstance(item, bool) and item >= 0)
        if not ok:
            raise _fail("a claims path holds strings, null and non-negative integers (§7)")
    return tuple(items)


def _scalar(value: object) -> bool:
    return isinstance(value, str | int | bool) and not isinstance(value, float)


@dataclass(frozen=True)
class ClaimsQuery:
    """One claim of a Credential Query (§6.3)."""

    path: ClaimPath
    id: str | None = None
    values: tuple[str | int | bool, ...] | None = None

    @classmethod
    def parse(cls, value: object) -> ClaimsQuery:
        if not isinstance(value, Mapping):
            raise _fail("a claims query is an object")
        claim_id = None if value.get("id") is None else _check_id(value["id"], "a claim id")
        values = None
        if "values" in value:
            items = _list(value["values"], "values")
            if not all(_scalar(v) for v in items):
                raise _fail("values are strings, integers or booleans")
            values = tuple(items)
        return cls(_path(value.get("path")), claim_id, values)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.id is not None:
            body["id"] = self.id
        body["path"] = list(self.path)
        if self.values is not None:
            body["values"] = list(self.values)
        return body


@dataclass(frozen=True)
class CredentialQuery:
    """A Credential Query (§6.1) of one of :data:`SUPPORTED_FORMATS`."""

    id: str
    format: str
    meta: Mapping[str, Any]
    claims: tuple[ClaimsQuery, ...] | None = None
    claim_sets: tuple[tuple[str, ...], ...] | None = None
    multiple: bool = False
    require_cryptographic_holder_binding: bool = True

    @property
    def vct_values(self) -> tuple[str, ...]:
        return tuple(self.meta.get("vct_values", ()))

    @property
    def type_values(self) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(option) for option in self.meta.get("type_values", ()))

    @classmethod
    def parse(cls, value: object) -> CredentialQuery:
        if not isinstance(value, Mapping):
            raise _fail("a credential query is an object")
        query_id = _check_id(value.get("id"), "a credential query id")
        fmt = value.get("format")
        if not isinstance(fmt, str) or not fmt:
            raise _fail(f"credential query {query_id!r} has no format")
        if fmt not in SUPPORTED_FORMATS:
            raise VpFormatsNotSupported(
                f"format {fmt!r} is not one of {', '.join(SUPPORTED_FORMATS)}"
            )
        meta = value.get("meta")
        if not isinstance(meta, Mapping):
            raise _fail(f"credential query {query_id!r} has no meta object")
        if fmt == DC_SD_JWT:
            vcts = _list(meta.get("vct_values"), "meta.vct_values")
            if not all(isinstance(v, str) and v for v in vcts):
                raise _fail("meta.vct_values are non-empty strings")
        else:
            for option in _list(meta.get("type_values"), "meta.type_values"):
                if not all(isinstance(t, str) and t for t in _list(option, "a type_values entry")):
                    raise _fail("meta.type_values entries are arrays of type IRIs")
        for flag in ("multiple", "require_cryptographic_holder_binding"):
            if flag in value and not isinstance(value[flag], bool):
                raise _fail(f"{flag} is a boolean")
        claims = None
        if "claims" in value:
            claims = tuple(ClaimsQuery.parse(c) for c in _list(value["claims"], "claims"))
            ids = [c.id for c in claims if c.id is not None]
            if len(ids) != len(set(ids)):
                raise _fail(f"credential query {query_id!r} repeats a claim id")
        claim_sets = None
        if "claim_sets" in value:
            if claims is None:
                raise _fail("claim_sets needs claims (§6.4.1)")
            known = {c.id for c in claims}
            sets: list[tuple[str, ...]] = []
            for option in _list(value["claim_sets"], "claim_sets"):
                members = tuple(_check_id(i, "a claim id") for i in _list(option, "a claim set"))
                if not set(members) <= known:
                    raise _fail("claim_sets name claim ids that claims does not define")
                sets.append(members)
            claim_sets = tuple(sets)
        return cls(
            query_id,
            fmt,
            dict(meta),
            claims,
            claim_sets,
            bool(value.get("multiple", False)),
            bool(value.get("require_cryptographic_holder_binding", True)),
        )

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "format": self.format, "meta": dict(self.meta)}
        if self.multiple:
            body["multiple"] = True
        if self.claims is not None:
            body["claims"] = [c.to_json() for c in self.claims]
        if self.claim_sets is not None:
            body["claim_sets"] = [list(s) for s in self.claim_sets]
        if not self.require_cryptographic_holder_binding:
            body["require_cryptographic_holder_binding"] = False
        return body


@dataclass(frozen=True)
class CredentialSetQuery:
    """A Credential Set Query (§6.2): one of ``options`` (each a list of query ids)."""

    options: tuple[tuple[str, ...], ...]
    required: bool = True

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"options": [list(o) for o in self.options]}
        if not self.required:
            body["required"] = False
        return body


@dataclass(frozen=True)
class DcqlQuery:
    """A DCQL query (§6): Credential Queries and, optionally, Credential Set Queries."""

    credentials: tuple[CredentialQuery, ...]
    credential_sets: tuple[CredentialSetQuery, ...] | None = None

    @classmethod
    def parse(cls, value: object) -> DcqlQuery:
        if not isinstance(value, Mapping):
            raise _fail("a DCQL query is an object")
        credentials = tuple(
            CredentialQuery.parse(c) for c in _list(value.get("credentials"), "credentials")
        )
        ids = [c.id for c in credentials]
        if len(ids) != len(set(ids)):
            raise _fail("two credential queries share an id")
        sets = None
        if "credential_sets" in value:
            parsed = []
            for entry in _list(value["credential_sets"], "credential_sets"):
                if not isinstance(entry, Mapping):
                    raise _fail("a credential set query is an object")
                options = tuple(
                    tuple(_check_id(i, "a credential id") for i in _list(o, "an option"))
                    for o in _list(entry.get("options"), "options")
                )
                if not {i for o in options for i in o} <= set(ids):
                    raise _fail("credential_sets name credential query ids that do not exist")
                required = entry.get("required", True)
                if not isinstance(required, bool):
                    raise _fail("required is a boolean")
                parsed.append(CredentialSetQuery(options, required))
            sets = tuple(parsed)
        return cls(credentials, sets)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"credentials": [c.to_json() for c in self.credentials]}
        if self.credential_sets is not None:
            body["credential_sets"] = [s.to_json() for s in self.credential_sets]
        return body

    def query(self, query_id: str) -> CredentialQuery | None:
        return next((c for c in self.credentials if c.id == query_id), None)

    def satisfied_by(self, ids: Iterable[str]) -> bool:
        """Whether presentations for ``ids`` fulfil the query (§6.4.2): every Credential Query
        without ``credential_sets``; else one option of every required set."""
        present = set(ids)
        if self.credential_sets is None:
            return all(c.id in present for c in self.credentials)
        return all(
            any(set(option) <= present for option in entry.options)
            for entry in self.credential_sets
            if entry.required
        )


# -- building -------------------------------------------------------------------------------


def credential_query(
    query_id: str,
    fmt: str,
    *,
    vct_values: Sequence[str] = (),
    type_values: Sequence[Sequence[str]] = (),
    claims: Sequence[ClaimPath] = (),
) -> CredentialQuery:
    """A Credential Query for ``fmt`` asking for the ``claims`` paths (all of them)."""
    if fmt == DC_SD_JWT:
        if not vct_values:
            raise ValueError("a dc+sd-jwt query needs vct_values")
        meta: dict[str, Any] = {"vct_values": list(vct_values)}
    elif fmt in W3C_FORMATS:
        if not type_values:
            raise ValueError(f"a {fmt} query needs type_values")
        meta = {"type_values": [list(option) for option in type_values]}
    else:
        raise VpFormatsNotSupported(f"format {fmt!r} is not one of {', '.join(SUPPORTED_FORMATS)}")
    queries = tuple(ClaimsQuery(tuple(path)) for path in claims) or None
    built = CredentialQuery(_check_id(query_id, "a credential query id"), fmt, meta, queries)
    return CredentialQuery.parse(built.to_json())  # the same checks as a received query


def alternatives(queries: Sequence[CredentialQuery]) -> DcqlQuery:
    """A query satisfied by any one of ``queries`` (one ``credential_sets`` entry, §6.2)."""
    if not queries:
        raise ValueError("a DCQL query needs at least one credential query")
    if len(queries) == 1:
        return DcqlQuery(tuple(queries))
    return DcqlQuery(tuple(queries), (CredentialSetQuery(tuple((q.id,) for q in queries)),))


# -- claims path pointers (§7.1) --------------------------------------------------------------


def select_claims(document: Any, path: Sequence[str | int | None]) -> list[Any]:
    """The elements ``path`` selects in ``document`` (§7.1.1); :class:`ClaimsPathError` when
    processing aborts or nothing is selected."""
    selected = [document]
    for component in path:
        if isinstance(component, str):
            if not all(isinstance(e, Mapping) for e in selected):
                raise ClaimsPathError(f"{component!r} selects a key in something not an object")
            selected = [e[component] for e in selected if component in e]
        elif component is None:
            if not all(isinstance(e, list) for e in selected):
                raise ClaimsPathError("null selects the elements of something not an array")
            selected = [item for e in selected for item in e]
        elif isinstance(component, int) and not isinstance(component, bool) and component >= 0:
            if not all(isinstance(e, list) for e in selected):
                raise ClaimsPathError(f"{component} selects an index in something not an array")
            selected = [e[component] for e in selected if component < len(e)]
        else:
            raise ClaimsPathError(f"{component!r} is not a claims path component")
    if not selected:
        raise ClaimsPathError("the path selects nothing")
    return selected


def _matches_value(element: Any, values: tuple[str | int | bool, ...]) -> bool:
    """Exact by type and value (§6.3): ``True`` never matches ``1``."""
    return any(type(element) is type(v) and element == v for v in values)


# -- types (App. B.1.1) -----------------------------------------------------------------------


@lru_cache(maxsize=256)
def _expand_types(context_json: str, types_json: str) -> frozenset[str]:
    document = {"@context": json.loads(context_json), "type": json.loads(types_json)}
    try:
        expanded = jsonld.expand(document, {"documentLoader": default_loader(), "base": None})
    except (jsonld.JsonLdError, MalformedInputError, ValueError, TypeError):
        return frozenset()  # not expandable over the pinned contexts: no types, no match
    found: set[str] = set()
    for node in expanded if isinstance(expanded, list) else []:
        found.update(t for t in node.get("@type", []) if isinstance(t, str))
    return frozenset(found)


def expanded_types(document: Mapping[str, Any]) -> frozenset[str]:
    """The fully expanded ``type`` IRIs of a W3C credential (JSON-LD over pinned contexts);
    empty when its context cannot be expanded."""
    context, types = document.get("@context"), document.get("type")
    if context is None or types is None:
        return frozenset()
    try:
        key = json.dumps(context, sort_keys=True), json.dumps(types, sort_keys=True)
    except (TypeError, ValueError):
        return frozenset()
    return _expand_types(*key)


# -- matching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DcqlMatch:
    """Whether one verified credential meets its Credential Query, and the claims it gave.

    ``code`` is ``ok``, ``format_mismatch``, ``vct_mismatch``, ``type_mismatch`` or
    ``claims_missing``; ``claims`` are the requested paths with the values found.
    """

    ok: bool
    code: str
    message: str
    claims: tuple[tuple[ClaimPath, tuple[Any, ...]], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "matches": self.ok,
            "code": self.code,
            "message": self.message,
            "claims": [
                {"path": list(path), "values": list(values)} for path, values in self.claims
            ],
        }


def _claim(document: Mapping[str, Any], claim: ClaimsQuery) -> tuple[Any, ...] | None:
    try:
        selected = select_claims(document, claim.path)
    except ClaimsPathError:
        return None
    if claim.values is not None:
        selected = [e for e in selected if _matches_value(e, claim.values)]
        if not selected:
            return None
    return tuple(selected)


def match_credential(query: CredentialQuery, fmt: str, document: Mapping[str, Any]) -> DcqlMatch:
    """Check a *verified* credential (``document``: W3C credential, or SD-JWT VC claims)
    presented as ``fmt`` against ``query`` (meta, then claims)."""
    if fmt != query.format:
        return DcqlMatch(False, "format_mismatch", f"presented as {fmt}, asked for {query.format}")
    if query.format == DC_SD_JWT:
        vct = document.get("vct")
        if vct not in query.vct_values:
            return DcqlMatch(
                False, "vct_mismatch", f"vct {vct!r} is not one of {list(query.vct_values)}"
            )
    else:
        types = expanded_types(document)
        if not any(set(option) <= types for option in query.type_values):
            return DcqlMatch(
                False,
                "type_mismatch",
                f"the credential's types {sorted(types)} match no type_values option",
            )
    if query.claims is None:
        return DcqlMatch(True, "ok", "no claims were asked for")
    found = {index: _claim(document, c) for index, c in enumerate(query.claims)}
    if query.claim_sets is None:
        wanted = list(range(len(query.claims)))
    else:
        by_id = {c.id: index for index, c in enumerate(query.claims)}
        options = [[by_id[i] for i in option] for option in query.claim_sets]
        wanted = next((o for o in options if all(found[i] is not None for i in o)), options[0])
    missing = [list(query.claims[i].path) for i in wanted if found[i] is None]
    if missing:
        return DcqlMatch(False, "claims_missing", f"requested claims not disclosed: {missing}")
    claims = tuple((query.claims[i].path, found[i] or ()) for i in wanted)
    return DcqlMatch(True, "ok", f"all {len(wanted)} requested claim(s) disclosed", claims)
