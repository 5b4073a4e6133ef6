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

:meth:`RdfTemplate.canonical_nquads` goes one step further: it renders the canonical N-Quads
text itself and labels the blank nodes by RDFC-1.0's first-degree hashes, which settle the
labels whenever those hashes all differ (mcred's credentials: a few blank nodes, each with
its own content); otherwise it steps aside for pyoxigraph's full RDFC-1.0.
"""

from __future__ import annotations

import hashlib
import operator
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

from vc_core.jsonld.loader import PinnedDocumentLoader
from vc_core.jsonld.safe_mode import (
    XSD_DOUBLE,
    has_control_character,
    is_safe_float,
    is_safe_integer,
)

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


_NORMAL, _EXACT, _CONTEXT = 0, 1, 2
_CLEAN_IRI_PREFIX = re.compile(
    r'([A-Za-z][A-Za-z0-9+\-.]*:(?://)?)[^\s\x00-\x20<>"{}|^`\\]*\Z'
).match
"""A plain absolute IRI (nothing N-Quads cannot carry in one): group 1 is its ``scheme:`` or
``scheme://``."""
_MEMO_LIMIT = 4096
_KEYS: dict[str, tuple[str, int]] = {}
"""Memo: a key's token and how its value is walked (bounded: keys come from the input)."""
_IRI_TOKENS: dict[str, str] = {}
"""Memo: the token of a plain IRI by its ``scheme:`` or ``scheme://`` (bounded)."""


def _key(key: str) -> tuple[str, int]:
    info = (
        f"{len(key)}:{key}",
        _CONTEXT if key == "@context" else _EXACT if key in EXACT_KEYS else _NORMAL,
    )
    if len(_KEYS) < _MEMO_LIMIT:
        _KEYS[key] = info
    return info


def _iri_token(prefix: str) -> str:
    scheme = prefix[: prefix.index(":")]
    token = f"i{len(scheme)}:{scheme}{'/' if prefix.endswith('//') else ''}"
    if len(_IRI_TOKENS) < _MEMO_LIMIT:
        _IRI_TOKENS[prefix] = token
    return token


def _string(node: str, exact: bool, values: list[str], tokens: list[str]) -> None:
    if node.startswith("_:"):
        # Blank node labels are how a document links blank nodes into cycles (poison graphs,
        # RDFC-1.0 §4.4): such documents are not cached, so every one meets pyld's work budget.
        raise _NotCacheable
    if exact:
        tokens.append(f"={len(node)}:{node}")
        return
    values.append(node)
    clean = _CLEAN_IRI_PREFIX(node)  # one pass for the common case: a plain absolute IRI
    if clean is not None:
        prefix = clean.group(1)
        tokens.append(_IRI_TOKENS.get(prefix) or _iri_token(prefix))
        return
    match = _SCHEME_OR_PREFIX.match(node)
    if match is None:
        tokens.append("t")
        return
    # an IRI-looking value N-Quads cannot carry as an IRI is its own kind (safe mode refuses
    # it where it would be an IRI; elsewhere it is text)
    prefix = match.group(1)
    slashes = "/" if node.startswith("//", len(prefix) + 1) else ""
    tokens.append(f"x{len(prefix)}:{prefix}{slashes}")


def _walk(node: Any, exact: bool, values: list[str], tokens: list[str]) -> None:
    """Append ``node``'s shape tokens to ``tokens`` and its taken-out strings to ``values``.

    Keys are walked in document order (the same keys in another order make another shape).
    Every key and string is length-prefixed, so the token stream decodes one way only.
    This walk is on the signing hot path: keys' tokens are memoized, and strings (the
    common kinds: a plain IRI, an exact value) are handled in the loops without a call.
    """
    kind = type(node)
    if kind is dict:
        append = tokens.append
        append("{")
        for key, value in node.items():
            info = _KEYS.get(key) or _key(key)
            append(info[0])
            mode = info[1]
            if type(value) is str and mode != _CONTEXT:
                if value.startswith("_:"):
                    raise _NotCacheable  # see _string
                if mode == _EXACT:
                    append(f"={len(value)}:{value}")
                    continue
                clean = _CLEAN_IRI_PREFIX(value)
                if clean is None:
                    _string(value, False, values, tokens)
                else:
                    values.append(value)
                    prefix = clean.group(1)
                    append(_IRI_TOKENS.get(prefix) or _iri_token(prefix))
            elif mode == _CONTEXT:
                if not (
                    isinstance(value, str)
                    or (isinstance(value, list) and all(isinstance(v, str) for v in value))
                ):
                    raise _NotCacheable
                text = repr(value)
                append(f"c{len(text)}:{text}")
            else:
                _walk(value, mode == _EXACT, values, tokens)
        append("}")
    elif kind is list:
        append = tokens.append
        append("[")
        for item in node:
            if type(item) is not str:
                _walk(item, exact, values, tokens)
            elif exact and not item.startswith("_:"):
                append(f"={len(item)}:{item}")
            else:
                _string(item, exact, values, tokens)
        append("]")
    elif kind is str:
        _string(node, exact, values, tokens)
    elif (kind is float and not is_safe_float(node)) or (kind is int and not is_safe_integer(node)):
        raise _UnsafeValue
    elif kind in (int, float, bool) or node is None:
        tokens.append(f"#{node!r}")
    else:
        raise _NotCacheable  # not JSON: let the reference engine say what is wrong


def shape_of(document: Mapping[str, Any]) -> Shape | None:
    """The shape, or ``None`` when the document has an inline context (or is not plain JSON).

    Raises ``ValueError`` on values safe mode refuses; the caller re-runs the precise check.
    """
    values: list[str] = []
    tokens: list[str] = []
    try:
        _walk(document, False, values, tokens)
    except _NotCacheable:
        return None
    except _UnsafeValue:
        raise ValueError("unsafe value") from None
    joined = " ".join(tokens)
    if has_control_character(joined) or has_control_character("".join(values)):
        raise ValueError("unsafe value")
    return Shape(hashlib.sha256(joined.encode("utf-8")).hexdigest(), tuple(values))


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
        for quad in quads:
            for term in quad:
                if term[0] != "c":
                    specs.setdefault(term, len(specs))
        self._fields = len(specs)
        blanks: dict[str, int] = {}
        for quad in quads:
            for term in quad:
                if term[0] == "c" and isinstance(term[1], ox.BlankNode):
                    blanks.setdefault(term[1].value, len(blanks))

        def line(quad: tuple[_Term, ...]) -> str:
            """One quad as a line of a format string (constants as they are)."""
            parts = []
            for term in quad:
                if term[0] != "c":
                    parts.append("{%d}" % specs[term])  # noqa: UP031
                elif not isinstance(term[1], ox.DefaultGraph):
                    parts.append(str(term[1]).replace("{", "{{").replace("}", "}}"))
            return " ".join(parts) + " .\n"

        self._format = "".join(line(quad) for quad in quads)
        # Rendering plans: IRIs (field, expanded prefix, slot, cut) and literals (field, slot,
        # the text after the closing quote: a language tag, a datatype, or nothing).
        self._iris = [(i, t[1], t[2], t[3]) for t, i in specs.items() if t[0] == "i"]
        self._literals = [(i, t[1], _literal_suffix(t)) for t, i in specs.items() if t[0] == "l"]

        # RDFC-1.0 without pyoxigraph (see :meth:`canonical_nquads`): the quads without blank
        # nodes as one format string, and the quads with blank nodes term by term: text,
        # slot field, or blank node (by number).
        self._blank_count = len(blanks)
        plain: list[str | int] = []  # text, or the number of a slot field
        for quad in quads:
            if any(map(_is_blank, quad)):
                continue
            terms = [t for t in quad if t[0] != "c" or not isinstance(t[1], ox.DefaultGraph)]
            for position, term in enumerate(terms):
                if position:
                    plain.append(" ")
                plain.append(specs[term] if term[0] != "c" else str(term[1]))
            plain.append(" .\n")
        self._plain = _Interleaved(plain)
        blank_quads: list[tuple[tuple[tuple[int, Any], ...], tuple[int, ...]]] = []
        for quad in quads:
            if not any(map(_is_blank, quad)):
                continue
            parts: list[tuple[int, Any]] = []
            for term in quad:
                if term[0] != "c":
                    parts.append((_FIELD, specs[term]))
                elif _is_blank(term):
                    parts.append((_BLANK, blanks[term[1].value]))
                elif not isinstance(term[1], ox.DefaultGraph):
                    parts.append((_TEXT, str(term[1])))
            mentioned = tuple(dict.fromkeys(v for k, v in parts if k == _BLANK))
            blank_quads.append((tuple(parts), mentioned))
        self._blank_quads = blank_quads

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
        if slot >= len(slots.marked) or value != slots.marked[slot] or datatype == XSD_DOUBLE:
            return None  # a @json literal (marker inside other text), a rewritten double
        slots.used.add(slot)
        return ("l", slot, None if language else ox.NamedNode(datatype), language)

    def instantiate(self, values: tuple[str, ...]) -> Iterator[ox.Quad]:
        """The quads of a document of this shape with these values (parsed lazily).

        The N-Quads are parsed in pyoxigraph's lenient mode: every IRI in a slot was checked
        when the shape was walked (absolute, nothing N-Quads cannot carry) and every constant
        came from pyld, so strict IRI validation would only repeat work. A malformed line
        still raises :class:`SyntaxError` while the quads are read.
        """
        if len(values) != self.slots:
            raise ValueError("the values do not fit this template")
        fields = self._render(values, _NEEDS_ECHAR, _ECHAR)
        text = self._format.format(*fields)
        return iter(ox.parse(text, format=ox.RdfFormat.N_QUADS, lenient=True))

    def canonical_nquads(self, values: tuple[str, ...]) -> str | None:
        """RDFC-1.0 canonical N-Quads of a document of this shape, or ``None`` when this
        shortcut does not apply (the caller then canonicalizes :meth:`instantiate`'s quads).

        The canonical N-Quads text is rendered straight from the template (RDF 1.1 N-Quads
        canonical form: ``\\ " LF CR TAB`` escaped in literals, nothing else; ``values`` come
        from :func:`shape_of`, which refuses every other control character), a quad the
        document gives twice kept once (a dataset is a set). Blank nodes get their canonical
        labels from their first-degree hashes (RDFC-1.0 §4.4.3 steps 3 and 4, §4.6.3): when all
        those hashes differ, that is the whole algorithm. When two blank nodes share one,
        N-degree hashing (§4.4.3 step 5) would be needed and the answer is ``None``.
        """
        if len(values) != self.slots:
            raise ValueError("the values do not fit this template")
        fields = self._render(values, _NEEDS_CANONICAL_ECHAR, _CANONICAL_ECHAR)
        lines = self._plain.render(fields).split("\n")
        lines.pop()  # the text ends with a newline
        if self._blank_quads:
            labels = self._blank_labels(fields)
            if labels is None:
                return None
            lines += [_quad_text(terms, fields, labels) for terms, _ in self._blank_quads]
        if not lines:
            return ""
        unique = sorted(set(lines))
        unique.append("")
        return "\n".join(unique)

    def _blank_labels(self, fields: list[str]) -> list[str] | None:
        """The canonical label of each blank node (``_:c14n0``…) by its first-degree hash
        (RDFC-1.0 §4.6.3: the sorted N-Quads of the quads that mention it, itself ``_:a`` and
        every other blank node ``_:z``), or ``None`` if two hashes are the same."""
        count = self._blank_count
        names = [f"_:{n}" for n in range(count)]  # any distinct labels: to see duplicates
        distinct: dict[str, tuple[tuple[tuple[int, Any], ...], tuple[int, ...]]] = {}
        for terms, mentioned in self._blank_quads:
            distinct.setdefault(_quad_text(terms, fields, names), (terms, mentioned))
        first_degree: list[list[str]] = [[] for _ in range(count)]
        others = ["_:z"] * count
        for terms, mentioned in distinct.values():
            for blank in mentioned:
                others[blank] = "_:a"
                first_degree[blank].append(_quad_text(terms, fields, others) + "\n")
                others[blank] = "_:z"
        by_hash: dict[str, int] = {}
        for blank, quads in enumerate(first_degree):
            quads.sort()
            digest = hashlib.sha256("".join(quads).encode("utf-8")).hexdigest()
            if digest in by_hash:
                return None  # RDFC-1.0 §4.4.3 step 5: N-degree hashing needed
            by_hash[digest] = blank
        labels = [""] * count
        for number, digest in enumerate(sorted(by_hash)):
            labels[by_hash[digest]] = f"_:c14n{number}"
        return labels

    def _render(self, values: tuple[str, ...], needs: re.Pattern[str], table: Any) -> list[str]:
        """The slot fields: IRIs in ``<>``, literals quoted and escaped by ``table``."""
        fields: list[str] = [""] * self._fields
        for field_index, prefix, slot, cut in self._iris:
            fields[field_index] = f"<{prefix}{values[slot][cut:]}>"
        search = needs.search
        for field_index, slot, suffix in self._literals:
            value = values[slot]
            if search(value) is not None:
                value = value.translate(table)
            fields[field_index] = f'"{value}{suffix}'
        return fields


_TEXT, _FIELD, _BLANK = 0, 1, 2


class _Interleaved:
    """Text with fields: constant text and field numbers, rendered by one ``str.join``
    (several times faster than ``str.format`` on a document's worth of quads)."""

    def __init__(self, items: list[str | int]) -> None:
        texts: list[str] = [""]
        refs: list[int] = []
        for item in items:
            if isinstance(item, str):
                texts[-1] += item
            else:
                refs.append(item)
                texts.append("")
        self._parts: list[str] = [""] * (2 * len(refs) + 1)
        self._parts[0::2] = texts
        self._refs = refs
        self._pick = operator.itemgetter(*refs) if len(refs) > 1 else None

    def render(self, fields: list[str]) -> str:
        parts = self._parts.copy()
        if self._pick is not None:
            parts[1::2] = self._pick(fields)
        elif self._refs:
            parts[1] = fields[self._refs[0]]
        return "".join(parts)


def _is_blank(term: _Term) -> bool:
    return term[0] == "c" and isinstance(term[1], ox.BlankNode)


def _quad_text(terms: tuple[tuple[int, Any], ...], fields: list[str], blanks: list[str]) -> str:
    """One quad in N-Quads (without the newline): constant text, slot fields, blank nodes."""
    return (
        " ".join(
            value if kind == _TEXT else fields[value] if kind == _FIELD else blanks[value]
            for kind, value in terms
        )
        + " ."
    )


def _prefix_length(value: str) -> int:
    """How much of an IRI-kind value its expanded prefix replaces (``scheme:`` or ``scheme://``)."""
    match = _SCHEME_OR_PREFIX.match(value)
    if match is None:
        return 0
    prefix = match.group(1)
    return len(prefix) + 1 + (2 if value.startswith("//", len(prefix) + 1) else 0)


_ECHAR = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


_NEEDS_ECHAR = re.compile(r'[\\"\n\r]')

# Canonical N-Quads (what RDFC-1.0 serializers write, pyld and pyoxigraph alike): TAB too.
_CANONICAL_ECHAR = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_NEEDS_CANONICAL_ECHAR = re.compile(r'[\\"\n\r\t]')


def _literal_suffix(spec: _Term) -> str:
    """What follows a literal's text in N-Quads (RDF 1.1 N-Quads §2.4): ``"@en``, ``"^^<…>``."""
    if spec[3] is not None:
        return f'"@{spec[3]}'
    if spec[2] is None or spec[2].value == _XSD_STRING:
        return '"'
    return f'"^^{spec[2]}'
