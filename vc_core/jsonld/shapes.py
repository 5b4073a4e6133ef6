"""Document shapes and RDF templates: the machinery behind the fast canonicalizer.

A document's *shape* is everything JSON-LD expansion depends on, with the free-text and IRI
values taken out: keys, contexts, type values (``type``, ``@type``, ``proofPurpose`` — the
one ``@vocab``-typed term of the pinned contexts), numbers, booleans, and for every other
string its kind — text, or an IRI with its scheme or prefix and whether ``//`` follows (the
prefix decides how a compact IRI expands, JSON-LD 1.1 §IRI Expansion). Two documents of one
shape expand to the same RDF graph up to those taken-out values.

An :class:`RdfTemplate` records that graph once, from pyld: every taken-out value is replaced
by a unique marker, pyld converts the marked document to RDF, and the template notes which
term of which quad each marker landed in (an IRI after its expanded prefix, or a literal's
lexical form). Instantiating the template with another document's values gives that
document's quads without any JSON-LD processing. The fast canonicalizer trusts a template
only after it reproduced pyld's canonical N-Quads for the document it was built from.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

from vc_core.errors import MalformedInputError
from vc_core.jsonld.loader import PinnedDocumentLoader
from vc_core.jsonld.safe_mode import has_control_character, is_safe_float

__all__ = ["RdfTemplate", "Shape", "shape_of"]

EXACT_KEYS = frozenset(
    {"@type", "type", "proofPurpose", "@language", "@direction", "@vocab", "@base", "@index"}
)
_SCHEME_OR_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9+\-.]*):[^\s]*$")


class _NotCacheable(Exception):
    """An inline context: it may define anything, so the shape says nothing."""


class _UnsafeValue(Exception):
    """A value safe mode refuses; the caller re-checks to say where."""


@dataclass(frozen=True)
class Shape:
    """A document's shape digest and its taken-out string values, in walk order."""

    key: str
    values: tuple[str, ...]


def _walk(node: Any, exact: bool, values: list[str], texts: list[str]) -> Any:
    """Shape of ``node``; appends taken-out strings to ``values``, every string to ``texts``.

    Keys are walked in document order: the same keys in another order make another shape.
    """
    if isinstance(node, dict):
        items = []
        for key, value in node.items():
            texts.append(key)
            if key == "@context":
                if not (
                    isinstance(value, str)
                    or (isinstance(value, list) and all(isinstance(v, str) for v in value))
                ):
                    raise _NotCacheable
                items.append((key, repr(value)))
            else:
                items.append((key, _walk(value, key in EXACT_KEYS, values, texts)))
        return tuple(items)
    if isinstance(node, list):
        return ("[", *(_walk(v, exact, values, texts) for v in node))
    if isinstance(node, str):
        texts.append(node)
        if exact or node.startswith("_:"):
            return ("=", node)
        match = _SCHEME_OR_PREFIX.match(node)
        values.append(node)
        if match is None:
            return "t"
        prefix = match.group(1)
        return ("i", prefix, node.startswith("//", len(prefix) + 1))
    if isinstance(node, float) and not is_safe_float(node):
        raise _UnsafeValue
    return ("=", repr(node))


def shape_of(document: Mapping[str, Any]) -> Shape | None:
    """The shape, or ``None`` when the document has an inline context.

    Raises ``ValueError`` (via safe mode's checks, by the caller) on unsafe values: callers
    catch :class:`ValueError` subclasses from here and re-run the precise check.
    """
    values: list[str] = []
    texts: list[str] = []
    try:
        shape = _walk(document, False, values, texts)
    except _NotCacheable:
        return None
    except _UnsafeValue:
        raise ValueError("unsafe value") from None
    if has_control_character("".join(texts)):
        raise ValueError("unsafe value")
    return Shape(hashlib.sha256(repr(shape).encode("utf-8")).hexdigest(), tuple(values))


# --- templates ---------------------------------------------------------------------------------

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# A term of a quad: a constant, or a slot filled from the document's values.
#   ("c", term)                      constant
#   ("i", expanded_prefix, slot, n)  NamedNode(expanded_prefix + values[slot][n:])
#   ("l", slot, datatype, language)  Literal(values[slot], …)
_Term = tuple[Any, ...]


class _Marker:
    def __init__(self) -> None:
        self.nonce = "mcredslot" + secrets.token_hex(8) + "n"
        self._pattern = re.compile(re.escape(self.nonce) + r"([0-9]+)x")

    def mark(self, index: int) -> str:
        return f"{self.nonce}{index}x"

    def find(self, text: str) -> re.Match[str] | None:
        return self._pattern.search(text)


def _mark_value(value: str, index: int, marker: _Marker) -> str:
    match = _SCHEME_OR_PREFIX.match(value)
    if match is None:
        return marker.mark(index)
    prefix = match.group(1)
    slashes = "//" if value.startswith("//", len(prefix) + 1) else ""
    return f"{prefix}:{slashes}{marker.mark(index)}"


def _marked(node: Any, exact: bool, counter: list[int], marker: _Marker) -> Any:
    """``node`` with every taken-out string replaced by its marker (same walk as :func:`_walk`)."""
    if isinstance(node, dict):
        return {
            key: value if key == "@context" else _marked(value, key in EXACT_KEYS, counter, marker)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_marked(v, exact, counter, marker) for v in node]
    if isinstance(node, str):
        if exact or node.startswith("_:"):
            return node
        index = counter[0]
        counter[0] += 1
        return _mark_value(node, index, marker)
    return node


@dataclass
class _Slots:
    prefix_lengths: list[int]
    marked: list[str]
    used: set[int] = field(default_factory=set)


class RdfTemplate:
    """The RDF quads of one document shape, with slots for the shape's taken-out values."""

    def __init__(self, quads: list[tuple[_Term, _Term, _Term, _Term]], slots: int) -> None:
        self.slots = slots
        # The whole document as one N-Quads format string; each distinct slot term is one
        # positional field, rendered once per instantiation and parsed by pyoxigraph (in Rust).
        specs: dict[_Term, int] = {}
        lines = []
        for quad in quads:
            parts = []
            for term in quad:
                if term[0] == "c":
                    if not isinstance(term[1], ox.DefaultGraph):
                        parts.append(str(term[1]).replace("{", "{{").replace("}", "}}"))
                else:
                    parts.append("{%d}" % specs.setdefault(term, len(specs)))  # noqa: UP031
            lines.append(" ".join(parts) + " .\n")
        self._specs = list(specs)
        self._format = "".join(lines)

    @classmethod
    def build(
        cls, document: Mapping[str, Any], shape: Shape, loader: PinnedDocumentLoader
    ) -> RdfTemplate | None:
        """Ask pyld for the marked document's RDF; ``None`` if a marker landed where no slot can."""
        marker = _Marker()
        counter = [0]
        marked = _marked(document, False, counter, marker)
        if counter[0] != len(shape.values):
            return None
        try:
            dataset = jsonld.to_rdf(marked, {"documentLoader": loader, "base": None})
        except jsonld.JsonLdError:
            return None
        slots = _Slots(
            [_prefix_length(v) for v in shape.values],
            [_mark_value(v, i, marker) for i, v in enumerate(shape.values)],
        )
        quads = []
        for graph, triples in dataset.items():
            graph_term = (
                ("c", ox.DefaultGraph())
                if graph == "@default"
                else cls._node(
                    {"type": "blank node" if graph.startswith("_:") else "IRI", "value": graph},
                    marker,
                    slots,
                )
            )
            if graph_term is None:
                return None
            for triple in triples:
                subject = cls._node(triple["subject"], marker, slots)
                predicate = cls._node(triple["predicate"], marker, slots)
                obj = cls._node(triple["object"], marker, slots)
                if subject is None or predicate is None or obj is None:
                    return None
                quads.append((subject, predicate, obj, graph_term))
        if len(slots.used) != len(shape.values):
            return None  # a value left no trace in the RDF: never sign around it
        return cls(quads, len(shape.values))

    @staticmethod
    def _node(node: Mapping[str, Any], marker: _Marker, slots: _Slots) -> _Term | None:
        kind, value = node["type"], node["value"]
        if kind == "blank node":
            return ("c", ox.BlankNode(value[2:]))
        match = marker.find(value)
        if kind == "IRI":
            if match is None:
                return ("c", ox.NamedNode(value))
            slot = int(match.group(1))
            if match.end() != len(value) or slot >= len(slots.prefix_lengths):
                return None
            slots.used.add(slot)
            return ("i", value[: match.start()], slot, slots.prefix_lengths[slot])
        datatype = node.get("datatype", _XSD_STRING)
        language = node.get("language")
        if match is None:
            if language is not None:
                return ("c", ox.Literal(value, language=language))
            return ("c", ox.Literal(value, datatype=ox.NamedNode(datatype)))
        slot = int(match.group(1))
        if slot >= len(slots.marked) or value != slots.marked[slot]:
            return None  # e.g. a @json literal: the marker sits inside other text
        slots.used.add(slot)
        return ("l", slot, None if language else ox.NamedNode(datatype), language)

    def instantiate(self, values: tuple[str, ...]) -> list[ox.Quad]:
        """The quads of a document of this shape with these values."""
        if len(values) != self.slots:
            raise ValueError("the values do not fit this template")
        text = self._format.format(*[_render(spec, values) for spec in self._specs])
        try:
            return list(ox.parse(text, format=ox.RdfFormat.N_QUADS))
        except SyntaxError as exc:
            raise MalformedInputError(f"not a valid RDF term: {exc}") from exc


def _prefix_length(value: str) -> int:
    """How much of an IRI-kind value its expanded prefix replaces (``scheme:`` or ``scheme://``)."""
    match = _SCHEME_OR_PREFIX.match(value)
    if match is None:
        return 0
    prefix = match.group(1)
    return len(prefix) + 1 + (2 if value.startswith("//", len(prefix) + 1) else 0)


_ECHAR = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def _render(spec: _Term, values: tuple[str, ...]) -> str:
    """One slot term in N-Quads syntax (RDF 1.1 N-Quads §2.4, ECHAR escapes for literals)."""
    if spec[0] == "i":
        return f"<{spec[1]}{values[spec[2]][spec[3] :]}>"
    text = values[spec[1]].translate(_ECHAR)
    if spec[3] is not None:
        return f'"{text}"@{spec[3]}'
    if spec[2] is None or spec[2].value == _XSD_STRING:
        return f'"{text}"'
    return f'"{text}"^^{spec[2]}'
