"""RDF Dataset Canonicalization (RDFC-1.0) of JSON-LD documents, in safe mode.

Two engines produce byte-identical canonical N-Quads:

* :class:`PyldCanonicalizer` — the reference: pyld expands (with the pinned loader), converts
  to RDF and runs RDFC-1.0 (pyld calls it ``URDNA2015``; the algorithm is passed explicitly).
* :class:`OxigraphCanonicalizer` — the fast path: RDFC-1.0 on pyoxigraph, fed either from an
  RDF template of the document's shape or from pyoxigraph's JSON-LD parser, and held to pyld
  shape by shape (see the class); for a template whose blank nodes the first-degree hashes
  label, the template renders the canonical N-Quads itself. Differential tests hold it to
  pyld on the test corpus and on generated documents.

Both refuse unsafe documents (see :mod:`vc_core.jsonld.safe_mode`); pyld is the judge.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import pyoxigraph as ox
from pyld import jsonld
from pyld.canon import URDNA2015

from vc_core.errors import ContextNotAllowedError, MalformedInputError, UnsafeJsonLdError
from vc_core.jsonld.loader import PinnedDocumentLoader, default_loader
from vc_core.jsonld.safe_mode import check_expanded, check_values
from vc_core.jsonld.shapes import RdfTemplate, Shape, shape_of
from vc_core.memo import LruMemo

__all__ = [
    "Canonicalizer",
    "OxigraphCanonicalizer",
    "PyldCanonicalizer",
    "default_canonicalizer",
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


class _BoundedRdfc(URDNA2015):  # type: ignore[misc]  # pyld is untyped
    """RDFC-1.0 (pyld's URDNA2015) with a work budget against poison graphs.

    RDFC-1.0 §4.4 lets implementations bound the N-degree hashing that symmetric blank-node
    graphs make explode (a clique of seven blank nodes takes seconds, eight a minute).
    Credentials need a handful of calls; past ``max_work`` the document is refused.
    """

    def __init__(self, max_work: int) -> None:
        super().__init__()
        self._budget = max_work

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> Any:
        self._budget -= 1
        if self._budget < 0:
            raise MalformedInputError(
                "the document's blank nodes need too much canonicalization work "
                "(a poison graph, RDFC-1.0 §4.4)"
            )
        return super().hash_n_degree_quads(id_, issuer)


class PyldCanonicalizer:
    """The reference engine (pyld), with safe mode and a canonicalization work budget."""

    def __init__(
        self, loader: PinnedDocumentLoader | None = None, *, max_work: int = 1_000
    ) -> None:
        self._loader = loader or default_loader()
        self._max_work = max_work

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
        except (KeyError, TypeError, AttributeError) as exc:
            # pyld trips over some invalid contexts ({"@vocab": null} after a context that set
            # none, …) with a bare Python error: the input is at fault, never a 500
            raise MalformedInputError(
                f"the JSON-LD context cannot be processed ({type(exc).__name__}: {exc})"
            ) from exc
        check_expanded(expanded)
        return expanded

    def check(self, document: JsonObject) -> None:
        """Raise if ``document`` is not safe to sign (pyld is the judge)."""
        self._expand(document)

    def canonize(self, document: JsonObject) -> str:
        expanded = self._expand(document)
        try:
            dataset = jsonld.JsonLdProcessor().to_rdf(
                expanded, {"documentLoader": self._loader, "base": None}
            )
            nquads: str = _BoundedRdfc(self._max_work).main(
                dataset, {"format": "application/n-quads"}
            )
        except jsonld.JsonLdError as exc:
            raise _translate(exc) from exc
        return nquads

    def canonize_pair(self, document: JsonObject, proof_config: JsonObject) -> tuple[str, str]:
        return self.canonize(document), self.canonize(proof_config)


# --- the fast path ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _ShapeVerdict:
    """What pyld said about one document shape, and which fast route reproduced it."""

    template: RdfTemplate | None
    parser_agrees: bool
    quad_count: int
    direct: bool = False
    """The template's own RDFC-1.0 (:meth:`RdfTemplate.canonical_nquads`) reproduced pyld."""


class OxigraphCanonicalizer:
    """RDFC-1.0 on pyoxigraph, held to pyld document shape by document shape.

    The first document of a shape (:func:`~vc_core.jsonld.shapes.shape_of`) is judged by pyld
    (safe mode, canonical N-Quads: that answer is returned) and two fast routes are tried on
    it: an :class:`~vc_core.jsonld.shapes.RdfTemplate` (no JSON-LD processing at all) and
    pyoxigraph's own JSON-LD parser with the pinned contexts inlined. A route is remembered
    only if it reproduced pyld's bytes; later documents of the shape take the first trusted
    route, and fall back to pyld if its quad count ever differs. pyoxigraph 0.5's parser loses
    the properties of nodes nested under type-scoped contexts (the W3C ``employ`` vectors),
    which this catches.

    The template route skips pyoxigraph too
    (:meth:`~vc_core.jsonld.shapes.RdfTemplate.canonical_nquads`: canonical N-Quads rendered
    from the template, blank nodes labelled by their first-degree hashes) when that also
    reproduced pyld's bytes for the shape's first document; a document whose blank nodes
    would need N-degree hashing has its template's quads canonicalized by pyoxigraph.
    """

    def __init__(
        self,
        loader: PinnedDocumentLoader | None = None,
        *,
        shape_cache_size: int = 512,
    ) -> None:
        self._loader = loader or default_loader()
        self._reference = PyldCanonicalizer(self._loader)
        self._shapes: LruMemo[str, _ShapeVerdict] = LruMemo(shape_cache_size)
        self._inlined: dict[str, Any] = {}

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
    def _serialize(quads: Iterable[ox.Quad]) -> str:
        """Canonical N-Quads: RDFC-1.0 labels, one quad per line, lines in code point order."""
        dataset = ox.Dataset(quads)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        data = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS) or b""
        # split on LF only: literals may hold U+0085, U+2028… which str.splitlines would cut
        lines = data.decode("utf-8").split("\n")[:-1]
        lines.sort()
        return "\n".join(lines) + "\n" if lines else ""

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

    def _judge(self, document: JsonObject) -> tuple[_ShapeVerdict | None, Shape | None, str | None]:
        """(verdict, shape) for a known shape, or (None, shape, pyld's N-Quads) on first sight."""
        try:
            shape = shape_of(document)
        except ValueError:
            check_values(document)
            raise AssertionError("safe mode accepted what the shape walk refused") from None
        if shape is not None:
            verdict = self._shapes.get(shape.key)
            if verdict is not None:
                return verdict, shape, None
        reference = self._reference.canonize(document)
        if shape is not None:
            template = RdfTemplate.build(document, shape, self._loader)
            if template is not None and self._from_template(template, shape) != reference:
                template = None
            direct = template is not None and template.canonical_nquads(shape.values) == reference
            parser_agrees = template is None and self._fast(document) == reference
            quad_count = reference.count("\n")
            verdict = _ShapeVerdict(template, parser_agrees, quad_count, direct)
            self._shapes.put(shape.key, verdict)
        return None, shape, reference

    def _from_template(self, template: RdfTemplate, shape: Shape) -> str:
        try:
            return self._serialize(template.instantiate(shape.values))
        except SyntaxError as exc:
            raise MalformedInputError(f"not a valid RDF term: {exc}") from exc

    def canonize(self, document: JsonObject) -> str:
        verdict, shape, reference = self._judge(document)
        if reference is not None:
            return reference
        if verdict is None or shape is None:  # pragma: no cover - _judge gives one or the other
            return self._reference.canonize(document)
        result = None
        if verdict.template is not None:
            if verdict.direct:
                result = verdict.template.canonical_nquads(shape.values)
            if result is None:  # not trusted, or blank nodes that need N-degree hashing
                result = self._from_template(verdict.template, shape)
        elif verdict.parser_agrees:
            result = self._fast(document)
        if result is not None and result.count("\n") == verdict.quad_count:
            return result
        return self._reference.canonize(document)

    def canonize_pair(self, document: JsonObject, proof_config: JsonObject) -> tuple[str, str]:
        return self.canonize(document), self.canonize(proof_config)


_DEFAULT: OxigraphCanonicalizer | None = None


def default_canonicalizer() -> OxigraphCanonicalizer:
    """The process-wide fast canonicalizer over the pinned contexts."""
    global _DEFAULT  # noqa: PLW0603 - one lazily built engine per process
    if _DEFAULT is None:
        _DEFAULT = OxigraphCanonicalizer()
    return _DEFAULT
