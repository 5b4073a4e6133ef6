"""RDF Dataset Canonicalization (RDFC-1.0) of JSON-LD documents, in safe mode.

Two engines produce byte-identical canonical N-Quads:

* :class:`PyldCanonicalizer` — the reference: pyld expands (with the pinned loader), converts
  to RDF and runs RDFC-1.0 (pyld calls it ``URDNA2015``; the algorithm is passed explicitly).
* :class:`OxigraphCanonicalizer` — the fast path: pyoxigraph parses the JSON-LD with the pinned
  contexts inlined, and canonicalizes with ``RDFC_1_0``. A differential test holds it to pyld's
  output on every document of the test corpus.

Both refuse unsafe documents (see :mod:`vc_core.jsonld.safe_mode`). pyld is the judge of
safety: the fast path asks pyld once per document *shape* (:func:`shape_key`: keys,
contexts, type values and the kind of every other value) and remembers the shapes that
passed, so a stream of credentials built from one template pays the pyld check once.

:meth:`Canonicalizer.canonize_pair` canonicalizes a document and a proof configuration that
share one ``@context`` (as every ``*-rdfc-*`` cryptosuite does, VC-DI EdDSA §3.2.5); the fast
path parses both in one pass so the contexts are processed once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import pyoxigraph as ox
from pyld import jsonld

from vc_core.errors import ContextNotAllowedError, MalformedInputError, UnsafeJsonLdError
from vc_core.jsonld.loader import PinnedDocumentLoader, default_loader
from vc_core.jsonld.safe_mode import (
    check_expanded,
    check_values,
    has_control_character,
    is_absolute_iri,
    is_safe_float,
)

__all__ = [
    "Canonicalizer",
    "OxigraphCanonicalizer",
    "PyldCanonicalizer",
    "default_canonicalizer",
    "shape_key",
]

JsonObject = Mapping[str, Any]


class Canonicalizer(Protocol):
    """RDFC-1.0 canonical N-Quads of JSON-LD, refusing unsafe input."""

    def canonize(self, document: JsonObject) -> str: ...

    def canonize_pair(self, document: JsonObject, proof_config: JsonObject) -> tuple[str, str]:
        """Canonical N-Quads of ``document`` and of ``proof_config`` (same ``@context``)."""
        ...


def _raise_dropped(term: object) -> None:
    raise UnsafeJsonLdError(
        f"the property {term!r} is not defined by the document's contexts: it would be "
        "dropped from the signed data (safe mode)",
        details={"term": term},
    )


def _translate(exc: jsonld.JsonLdError) -> MalformedInputError:
    """Turn pyld's error (possibly wrapping ours) into a vc_core error."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, MalformedInputError):
            return cause
        details = getattr(cause, "details", None)
        inner = details.get("cause") if isinstance(details, Mapping) else None
        if isinstance(inner, MalformedInputError):
            return inner
        cause = cause.__cause__ or cause.__context__
    return MalformedInputError(f"JSON-LD processing failed: {_jsonld_message(exc)}")


def _jsonld_message(exc: jsonld.JsonLdError) -> str:
    parts = []
    cause: BaseException | None = exc
    while cause is not None:
        parts.append(str(getattr(cause, "message", None) or cause).splitlines()[0])
        cause = cause.__cause__
    return " <- ".join(dict.fromkeys(parts))


class PyldCanonicalizer:
    """The reference engine (pyld), with safe mode."""

    def __init__(self, loader: PinnedDocumentLoader | None = None) -> None:
        self._loader = loader or default_loader()

    def _expand(self, document: JsonObject) -> list[Any]:
        check_values(document)
        processor = jsonld.JsonLdProcessor(on_property_dropped=_raise_dropped)
        try:
            expanded: list[Any] = processor.expand(
                document, {"documentLoader": self._loader, "base": None}
            )
        except UnsafeJsonLdError:
            raise
        except jsonld.JsonLdError as exc:
            raise _translate(exc) from exc
        check_expanded(expanded)
        return expanded

    def check(self, document: JsonObject) -> None:
        """Raise if ``document`` is not safe to sign (pyld is the judge)."""
        self._expand(document)

    def canonize(self, document: JsonObject) -> str:
        expanded = self._expand(document)
        try:
            nquads: str = jsonld.normalize(
                expanded,
                {
                    "algorithm": "URDNA2015",  # = RDFC-1.0
                    "format": "application/n-quads",
                    "documentLoader": self._loader,
                    "base": None,
                },
            )
        except jsonld.JsonLdError as exc:
            raise _translate(exc) from exc
        return nquads

    def canonize_pair(self, document: JsonObject, proof_config: JsonObject) -> tuple[str, str]:
        return self.canonize(document), self.canonize(proof_config)


# --- the fast path ----------------------------------------------------------------------------

_TYPE_KEYS = frozenset({"@type", "type", "proofPurpose"})


class _InlineContextError(Exception):
    """An inline context can define any term: such documents are not cached by shape."""


class _UnsafeValueSeen(Exception):
    """A value :func:`check_values` refuses; it is re-run to say where."""


def _value_shape(node: Any, exact: bool) -> Any:
    if isinstance(node, dict):
        items = []
        for key, value in sorted(node.items()):
            if has_control_character(key):
                raise _UnsafeValueSeen
            if key == "@context":
                if not (
                    isinstance(value, str)
                    or (isinstance(value, list) and all(isinstance(v, str) for v in value))
                ):
                    raise _InlineContextError
                items.append((key, repr(value)))
            else:
                items.append((key, _value_shape(value, key in _TYPE_KEYS)))
        return tuple(items)
    if isinstance(node, list):
        return ("[", *(_value_shape(v, exact) for v in node))
    if isinstance(node, str):
        if has_control_character(node):
            raise _UnsafeValueSeen
        if exact:
            return node
        # Absolute IRIs and other text behave alike for every kind of term except @id and
        # @vocab ones, where text would become a relative IRI and be dropped: tell them apart.
        return "\x00iri" if is_absolute_iri(node) else "\x00text"
    if node is None:
        return "\x00null"
    if isinstance(node, float) and not is_safe_float(node):
        raise _UnsafeValueSeen
    return type(node).__name__


def shape_key(document: JsonObject) -> str | None:
    """A digest of everything JSON-LD expansion's dropping behaviour depends on.

    Keys, ``@context`` values and type values (``type``, ``@type``, and ``proofPurpose``, the
    one ``@vocab``-typed term of the pinned contexts) are kept exactly; other strings by kind
    (absolute IRI or blank node, or text); numbers, booleans and null by type. Returns ``None``
    for a document with an inline context anywhere, whose safety is then checked every time.
    Raises like :func:`~vc_core.jsonld.safe_mode.check_values` on unsafe values.
    """
    try:
        shape = _value_shape(document, False)
    except _InlineContextError:
        return None
    except _UnsafeValueSeen:
        check_values(document)
        raise AssertionError("check_values accepted what the shape walk refused") from None
    return hashlib.sha256(repr(shape).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _ShapeVerdict:
    """What pyld said about one document shape: safe, and whether pyoxigraph agreed."""

    fast_path_agrees: bool
    quad_count: int


class _ShapeCache:
    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[str, _ShapeVerdict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> _ShapeVerdict | None:
        with self._lock:
            verdict = self._entries.get(key)
            if verdict is not None:
                self._entries.move_to_end(key)
            return verdict

    def put(self, key: str, verdict: _ShapeVerdict) -> None:
        with self._lock:
            self._entries[key] = verdict
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)


class OxigraphCanonicalizer:
    """pyoxigraph RDFC-1.0 with the pinned contexts inlined, held to pyld shape by shape.

    The first document of a shape (see :func:`shape_key`) is canonicalized by both engines:
    pyld's result is returned, and the shape is remembered as safe, with its quad count and
    whether pyoxigraph produced the same bytes. Later documents of that shape take the fast
    path only when pyoxigraph agreed, and fall back to pyld if pyoxigraph's quad count ever
    differs. pyoxigraph 0.5 is known to lose the properties of a node nested under a
    type-scoped context (the W3C ``employ`` vectors): such shapes always go to pyld.
    """

    def __init__(
        self,
        loader: PinnedDocumentLoader | None = None,
        *,
        shape_cache_size: int = 4096,
    ) -> None:
        self._loader = loader or default_loader()
        self._reference = PyldCanonicalizer(self._loader)
        self._shapes = _ShapeCache(shape_cache_size)
        self._inlined: dict[str, Any] = {}
        # The proof configuration's blank node gets a label no document can guess, so its
        # quads can be told apart from the document's after one shared parse.
        self._proof_label = "pc" + secrets.token_hex(16)

    # -- contexts -----------------------------------------------------------------------------
    def _inline_context(self, url: str) -> Any:
        inlined = self._inlined.get(url)
        if inlined is None:
            inlined = self._inline(self._loader.context(url).get("@context", {}))
            self._inlined[url] = inlined
        return inlined

    def _inline(self, node: Any) -> Any:
        """Replace every context URL (also in scoped contexts) by its pinned content."""
        if isinstance(node, str):
            return self._inline_context(node)
        if isinstance(node, list):
            return [self._inline(item) for item in node]
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for key, value in node.items():
                if key == "@import":
                    raise MalformedInputError("@import in a context is not supported")
                if key == "@context":
                    out[key] = self._inline(value)
                elif isinstance(value, dict) and "@context" in value:
                    out[key] = {**value, "@context": self._inline(value["@context"])}
                else:
                    out[key] = value
            return out
        return node

    def _contexts(self, document: JsonObject) -> Any:
        if "@context" not in document:
            raise MalformedInputError("a JSON-LD document needs an @context")
        try:
            return self._inline(document["@context"])
        except ContextNotAllowedError:
            raise
        except (TypeError, AttributeError) as exc:
            raise MalformedInputError(f"invalid @context: {exc}") from exc

    # -- canonicalization ---------------------------------------------------------------------
    @staticmethod
    def _serialize(quads: list[ox.Quad]) -> str:
        dataset = ox.Dataset(quads)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        return "".join(sorted(f"{quad} .\n" for quad in dataset))

    @staticmethod
    def _parse(body: Mapping[str, Any]) -> list[ox.Quad]:
        try:
            return list(ox.parse(json.dumps(body), format=ox.RdfFormat.JSON_LD))
        except (SyntaxError, ValueError) as exc:
            raise MalformedInputError(f"JSON-LD could not be converted to RDF: {exc}") from exc

    def _inline_nested(self, node: Any) -> Any:
        """The document with every embedded ``@context`` (e.g. of a VC in a VP) inlined."""
        if isinstance(node, list):
            return [self._inline_nested(item) for item in node]
        if isinstance(node, dict):
            return {
                key: self._inline(value) if key == "@context" else self._inline_nested(value)
                for key, value in node.items()
            }
        return node

    def _body(self, document: JsonObject) -> dict[str, Any]:
        if "@context" not in document:
            raise MalformedInputError("a JSON-LD document needs an @context")
        return {
            key: self._contexts(document) if key == "@context" else self._inline_nested(value)
            for key, value in document.items()
        }

    def _fast(self, document: JsonObject) -> str:
        return self._serialize(self._parse(self._body(document)))

    def _verdict(self, document: JsonObject) -> tuple[_ShapeVerdict | None, str | None]:
        """The shape's verdict, or (on a first sight) pyld's canonical form after judging it."""
        key = shape_key(document)
        verdict = self._shapes.get(key) if key is not None else None
        if verdict is not None:
            return verdict, None
        reference = self._reference.canonize(document)
        if key is not None:
            agrees = self._fast(document) == reference
            self._shapes.put(key, _ShapeVerdict(agrees, reference.count("\n")))
        return None, reference

    def canonize(self, document: JsonObject) -> str:
        verdict, reference = self._verdict(document)
        if reference is not None:
            return reference
        assert verdict is not None  # noqa: S101 - _verdict returns one of the two
        if verdict.fast_path_agrees:
            result = self._fast(document)
            if result.count("\n") == verdict.quad_count:
                return result
        return self._reference.canonize(document)

    def canonize_pair(self, document: JsonObject, proof_config: JsonObject) -> tuple[str, str]:
        doc_verdict, doc_reference = self._verdict(document)
        config_verdict, config_reference = self._verdict(proof_config)
        ctx = document.get("@context")
        if (
            doc_verdict is None
            or config_verdict is None
            or not (doc_verdict.fast_path_agrees and config_verdict.fast_path_agrees)
            or proof_config.get("@context") != ctx
            or "@graph" in document
            or "@id" in proof_config
            or "id" in proof_config
            or any(isinstance(v, dict | list) for v in proof_config.values() if v is not ctx)
        ):
            return (
                doc_reference if doc_reference is not None else self.canonize(document),
                config_reference if config_reference is not None else self.canonize(proof_config),
            )
        doc_body = {k: v for k, v in self._body(document).items() if k != "@context"}
        config_body = {k: v for k, v in proof_config.items() if k != "@context"}
        config_body["@id"] = "_:" + self._proof_label
        quads = self._parse(
            {"@context": self._contexts(document), "@graph": [doc_body, config_body]}
        )
        doc_quads: list[ox.Quad] = []
        config_quads: list[ox.Quad] = []
        for quad in quads:
            subject = quad.subject
            if isinstance(subject, ox.BlankNode) and subject.value == self._proof_label:
                config_quads.append(quad)
            else:
                doc_quads.append(quad)
        doc_nquads, config_nquads = self._serialize(doc_quads), self._serialize(config_quads)
        if (doc_nquads.count("\n"), config_nquads.count("\n")) != (
            doc_verdict.quad_count,
            config_verdict.quad_count,
        ):
            return self._reference.canonize(document), self._reference.canonize(proof_config)
        return doc_nquads, config_nquads


_DEFAULT: OxigraphCanonicalizer | None = None


def default_canonicalizer() -> OxigraphCanonicalizer:
    """The process-wide fast canonicalizer over the pinned contexts."""
    global _DEFAULT  # noqa: PLW0603 - one lazily built engine per process
    if _DEFAULT is None:
        _DEFAULT = OxigraphCanonicalizer()
    return _DEFAULT
