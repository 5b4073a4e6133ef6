"""Which Annex I elements does an ELM credential carry? (specs.md §9.4)

:func:`check_completeness` reads ANY ELM/EDC credential as plain JSON (no JSON-LD processing):
ours, the EC's samples (3.1 string language maps, 3.2 array maps), the EC "uploadable" wrapper
``{credential, deliveryDetails}`` (§9.6.1), a JAdES JSON serialization with the credential as
``payload``, or a VC-JWT ``vc`` claim. It reports, for each of the eleven mandatory elements of
Council Recommendation 2022/C 243/02 Annex I and for the optional ones, whether it is present,
where (a JSON path into the given document) and a short summary of the value.

Where each element is looked for, in order (the first place that has it wins):

* the *primary claim*: the first ``LearningAchievement`` in ``credentialSubject.hasClaim``
  (object or list; else the first claim), its ``specifiedBy`` (``Qualification`` or
  ``LearningAchievementSpecification``), ``provenBy`` and ``awardedBy``;
* then the claims nested in it through ``hasPart`` (depth first), for the elements a composite
  award often states per part only (outcomes, workload, level, assessment type, mode,
  prerequisites, supervision, grade);
* credential-level places named per element below (``issued``, ``evidence``, ``issuer``).

An element whose JSON node is only a reference (``{"id": …}``) is looked up by ``id`` elsewhere in
the document. Country of the issuer: the ``issuer``'s address, else (as in unsealed EC uploads,
which have no issuer yet) the awarding bodies' addresses: the Annex means the provider.
Quality assurance: ``specifiedBy.accreditation``, ``evidence[].accreditation`` (``edc-accredited``
profile) or an awarding body's ``accreditation`` (institutional QA, the DEQAR pattern).

Integration and stackability lists every ``hasPart`` of the claim (``has part: <title>``):
stacked part credentials, and also achievements stated in place, such as the modules of a
course with their results (the EC's joint-degree sample; mcred's module results). A reader that
shows those modules on their own (:func:`vc_core.model.elm.module_achievements`) can leave
their items out with :func:`has_part_item`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from vc_core.errors import MalformedInputError
from vc_core.model import vocab

__all__ = [
    "MANDATORY_ELEMENTS",
    "OPTIONAL_ELEMENTS",
    "AnnexElement",
    "CompletenessReport",
    "ElementReport",
    "check_completeness",
    "has_part_item",
]


class AnnexElement(StrEnum):
    """The information elements of Annex I (2022/C 243/02), mandatory (a) then optional (b)."""

    LEARNER = "learner"
    TITLE = "title"
    COUNTRY_OF_ISSUER = "country_of_issuer"
    AWARDING_BODIES = "awarding_bodies"
    DATE_OF_ISSUE = "date_of_issue"
    LEARNING_OUTCOMES = "learning_outcomes"
    WORKLOAD = "workload"
    EQF_LEVEL = "eqf_level"
    ASSESSMENT_TYPE = "assessment_type"
    FORM_OF_PARTICIPATION = "form_of_participation"
    QUALITY_ASSURANCE = "quality_assurance"
    PREREQUISITES = "prerequisites"
    SUPERVISION_AND_ID_VERIFICATION = "supervision_and_id_verification"
    GRADE = "grade"
    INTEGRATION_STACKABILITY = "integration_stackability"
    FURTHER_INFORMATION = "further_information"


MANDATORY_ELEMENTS: tuple[AnnexElement, ...] = tuple(AnnexElement)[:11]
OPTIONAL_ELEMENTS: tuple[AnnexElement, ...] = tuple(AnnexElement)[11:]


@dataclass(frozen=True)
class ElementReport:
    """One element: present or not, the JSON path where found, and a summary of the values."""

    element: AnnexElement
    mandatory: bool
    present: bool
    path: str | None = None
    items: tuple[str, ...] = ()

    @property
    def value(self) -> str | None:
        """The items joined with ``"; "`` (``None`` when absent)."""
        return "; ".join(self.items) if self.items else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "element": str(self.element),
            "mandatory": self.mandatory,
            "present": self.present,
            "path": self.path,
            "value": self.value,
            "items": list(self.items),
        }


@dataclass(frozen=True)
class CompletenessReport:
    """The Annex I check of one credential; ``complete`` when no mandatory element is missing."""

    elements: tuple[ElementReport, ...]
    credential_path: str = "$"
    by_name: Mapping[AnnexElement, ElementReport] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {report.element: report for report in self.elements})

    def __getitem__(self, element: AnnexElement | str) -> ElementReport:
        return self.by_name[AnnexElement(element)]

    @property
    def missing(self) -> tuple[AnnexElement, ...]:
        """Mandatory elements that are not present."""
        return tuple(r.element for r in self.elements if r.mandatory and not r.present)

    @property
    def missing_optional(self) -> tuple[AnnexElement, ...]:
        return tuple(r.element for r in self.elements if not r.mandatory and not r.present)

    @property
    def present(self) -> tuple[AnnexElement, ...]:
        return tuple(r.element for r in self.elements if r.present)

    @property
    def complete(self) -> bool:
        return not self.missing

    def to_dict(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "missing": [str(e) for e in self.missing],
            "missing_optional": [str(e) for e in self.missing_optional],
            "elements": [r.to_dict() for r in self.elements],
        }


def check_completeness(credential: Mapping[str, Any]) -> CompletenessReport:
    """Report which Annex I elements ``credential`` carries (see the module docstring).

    Raises :class:`~vc_core.errors.MalformedInputError` when no credential with a
    ``credentialSubject`` can be found in the input.
    """
    if not isinstance(credential, Mapping):
        raise MalformedInputError("a credential must be a JSON object")
    path, body = _unwrap(credential)
    return _Reader(path, body).report()


def has_part_item(title: Mapping[str, Any] | str) -> str:
    """The integration-and-stackability item :func:`check_completeness` reports for a
    ``hasPart`` titled ``title`` (a language map, either ELM form, or a string)."""
    return f"has part: {_shorten(_text(title) or '')}"


# --------------------------------------------------------------------------- plumbing

_Loc = tuple[str, Any]
"""A JSON path and the value found there."""

_MAX_ITEM = 200
_MAX_DEPTH = 8


def _unwrap(document: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    if "credentialSubject" in document:
        return "$", document
    for key in ("credential", "payload", "vc"):
        inner = document.get(key)
        if isinstance(inner, str) and key == "payload":
            try:
                inner = json.loads(inner)
            except ValueError:
                inner = None
        if isinstance(inner, Mapping) and "credentialSubject" in inner:
            return f"$.{key}", inner
    raise MalformedInputError(
        "no credential found: expected credentialSubject, or a {credential, deliveryDetails} "
        "wrapper, a JAdES payload or a VC-JWT vc claim"
    )


def _types(node: Any) -> set[str]:
    if not isinstance(node, Mapping):
        return set()
    raw = node.get("type", node.get("@type"))
    if isinstance(raw, str):
        return {raw}
    if isinstance(raw, list):
        return {t for t in raw if isinstance(t, str)}
    return set()


def _text(value: Any) -> str | None:
    """A language map (string or 3.2 array values) or a string, as one string (``en`` first)."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list):
        texts = [t for t in (_text(v) for v in value) if t]
        return texts[0] if texts else None
    if isinstance(value, Mapping):
        if "@value" in value:
            return _text(value["@value"])
        keys = sorted(value, key=lambda k: (k != "en", str(k)))
        for key in keys:
            text = _text(value[key])
            if text:
                return text
    return None


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_ITEM else text[: _MAX_ITEM - 1] + "…"


def _concept_label(node: Any) -> str | None:
    if isinstance(node, str):
        return node
    if not isinstance(node, Mapping):
        return None
    label = _text(node.get("prefLabel"))
    if label:
        return label
    ident = node.get("id")
    return ident if isinstance(ident, str) else None


def _note_text(node: Any) -> str | None:
    if isinstance(node, Mapping):
        return _text(node.get("noteLiteral"))
    return _text(node)


def _uri_tail(node: Any) -> str | None:
    ident = node.get("id") if isinstance(node, Mapping) else node
    return ident.rstrip("/").rsplit("/", 1)[-1] if isinstance(ident, str) else None


class _Reader:
    def __init__(self, path: str, credential: Mapping[str, Any]) -> None:
        self.root: _Loc = (path, credential)
        self.path = path
        self.credential = credential
        self._index: dict[str, Mapping[str, Any]] | None = None
        self.subject: _Loc | None = next(iter(self.get([self.root], "credentialSubject")), None)
        claims = self.get([self.subject] if self.subject else [], "hasClaim")
        achievements = [c for c in claims if "LearningAchievement" in _types(c[1])]
        chosen = achievements or [c for c in claims if isinstance(c[1], Mapping)]
        self.claim: _Loc | None = chosen[0] if chosen else None
        self.nested: list[_Loc] = self._nested(self.claim) if self.claim else []

    # -- navigation ----------------------------------------------------------------------

    def index(self) -> Mapping[str, Mapping[str, Any]]:
        """The fullest node for each ``id`` in the document (to follow references)."""
        if self._index is None:
            index: dict[str, Mapping[str, Any]] = {}

            def visit(value: Any) -> None:
                if isinstance(value, Mapping):
                    ident = value.get("id")
                    if isinstance(ident, str) and len(value) > len(index.get(ident, {})):
                        index[ident] = value
                    for child in value.values():
                        visit(child)
                elif isinstance(value, list):
                    for child in value:
                        visit(child)

            visit(self.credential)
            self._index = index
        return self._index

    def resolve(self, value: Any) -> Any:
        if isinstance(value, Mapping) and set(value) <= {"id", "type"}:
            ident = value.get("id")
            if isinstance(ident, str):
                return self.index().get(ident, value)
        return value

    def get(self, locs: Iterable[_Loc], *keys: str) -> list[_Loc]:
        """Follow ``keys`` from each location; lists fan out as ``[i]``."""
        current = list(locs)
        for key in keys:
            following: list[_Loc] = []
            for path, node in current:
                if not isinstance(node, Mapping) or node.get(key) is None:
                    continue
                value = node[key]
                if isinstance(value, list):
                    following += [
                        (f"{path}.{key}[{i}]", self.resolve(item))
                        for i, item in enumerate(value)
                        if item is not None
                    ]
                else:
                    following.append((f"{path}.{key}", self.resolve(value)))
            current = following
        return current

    def _nested(self, claim: _Loc) -> list[_Loc]:
        found: list[_Loc] = []
        seen: set[int] = {id(claim[1])}

        def visit(loc: _Loc, depth: int) -> None:
            if depth > _MAX_DEPTH:
                return
            for part in self.get([loc], "hasPart"):
                if isinstance(part[1], Mapping) and id(part[1]) not in seen:
                    seen.add(id(part[1]))
                    found.append(part)
                    visit(part, depth + 1)

        visit(claim, 0)
        return found

    def specs(self, claims: list[_Loc]) -> list[_Loc]:
        return self.get(claims, "specifiedBy")

    # -- element search ------------------------------------------------------------------

    def first(
        self,
        tiers: Iterable[Callable[[], list[_Loc]]],
        summarise: Callable[[Any], str | None],
    ) -> tuple[str | None, tuple[str, ...]]:
        """Search tier by tier; the first tier with a summarisable value wins."""
        for tier in tiers:
            path: str | None = None
            items: list[str] = []
            for loc_path, value in tier():
                text = summarise(value)
                if not text:
                    continue
                path = path or loc_path
                short = _shorten(text)
                if short not in items:
                    items.append(short)
            if path is not None:
                return path, tuple(items)
        return None, ()

    def claim_tiers(
        self, select: Callable[[list[_Loc]], list[_Loc]]
    ) -> list[Callable[[], list[_Loc]]]:
        """The primary claim first, then the nested claims (each tier applies ``select``)."""
        primary = [self.claim] if self.claim else []
        return [lambda: select(primary), lambda: select(self.nested)]

    def report(self) -> CompletenessReport:
        finders: dict[AnnexElement, Callable[[], tuple[str | None, tuple[str, ...]]]] = {
            AnnexElement.LEARNER: self.learner,
            AnnexElement.TITLE: self.title,
            AnnexElement.COUNTRY_OF_ISSUER: self.country_of_issuer,
            AnnexElement.AWARDING_BODIES: self.awarding_bodies,
            AnnexElement.DATE_OF_ISSUE: self.date_of_issue,
            AnnexElement.LEARNING_OUTCOMES: self.learning_outcomes,
            AnnexElement.WORKLOAD: self.workload,
            AnnexElement.EQF_LEVEL: self.eqf_level,
            AnnexElement.ASSESSMENT_TYPE: self.assessment_type,
            AnnexElement.FORM_OF_PARTICIPATION: self.form_of_participation,
            AnnexElement.QUALITY_ASSURANCE: self.quality_assurance,
            AnnexElement.PREREQUISITES: self.prerequisites,
            AnnexElement.SUPERVISION_AND_ID_VERIFICATION: self.supervision,
            AnnexElement.GRADE: self.grade,
            AnnexElement.INTEGRATION_STACKABILITY: self.stackability,
            AnnexElement.FURTHER_INFORMATION: self.further_information,
        }
        reports = []
        for element in AnnexElement:
            path, items = finders[element]()
            reports.append(
                ElementReport(
                    element=element,
                    mandatory=element in MANDATORY_ELEMENTS,
                    present=path is not None,
                    path=path,
                    items=items,
                )
            )
        return CompletenessReport(tuple(reports), credential_path=self.path)

    # -- the elements --------------------------------------------------------------------

    def learner(self) -> tuple[str | None, tuple[str, ...]]:
        def name(person: Any) -> str | None:
            if not isinstance(person, Mapping):
                return None
            full = _text(person.get("fullName"))
            if full:
                return full
            parts = [_text(person.get(k)) for k in ("givenName", "familyName")]
            if any(parts):
                return " ".join(p for p in parts if p)
            for key in ("nationalID", "identifier"):
                ids = person.get(key)
                first = ids[0] if isinstance(ids, list) and ids else ids
                if isinstance(first, Mapping) and first.get("notation"):
                    return f"{key} {first['notation']}"
            return None

        subject = [self.subject] if self.subject else []
        return self.first([lambda: subject], name)

    def title(self) -> tuple[str | None, tuple[str, ...]]:
        tiers = self.claim_tiers(lambda c: self.get(c, "title"))[:1]
        tiers += self.claim_tiers(lambda c: self.get(self.specs(c), "title"))[:1]
        tiers.append(lambda: self.get([self.root], "displayParameter", "title"))
        return self.first(tiers, _text)

    def country_of_issuer(self) -> tuple[str | None, tuple[str, ...]]:
        def country(node: Any) -> str | None:
            tail = _uri_tail(node)
            if (
                isinstance(node, Mapping)
                and tail
                and str(node.get("id", "")).startswith(vocab.COUNTRY_SCHEME)
            ):
                return tail
            return _concept_label(node)

        address = ("location", "address", "countryCode")
        bodies = self.get([self.claim] if self.claim else [], "awardedBy", "awardingBody")
        return self.first(
            [
                lambda: self.get([self.root], "issuer", *address),
                lambda: self.get(bodies, *address),
            ],
            country,
        )

    def awarding_bodies(self) -> tuple[str | None, tuple[str, ...]]:
        def body(node: Any) -> str | None:
            if isinstance(node, str):
                return node
            if not isinstance(node, Mapping):
                return None
            return _text(node.get("legalName")) or _text(node.get("prefLabel")) or node.get("id")

        return self.first(
            self.claim_tiers(lambda c: self.get(c, "awardedBy", "awardingBody"))[:1], body
        )

    def date_of_issue(self) -> tuple[str | None, tuple[str, ...]]:
        claim = [self.claim] if self.claim else []
        return self.first(
            [
                lambda: self.get([self.root], "issued"),
                lambda: self.get([self.root], "issuanceDate"),
                lambda: self.get(claim, "awardedBy", "awardingDate"),
            ],
            _text,
        )

    def learning_outcomes(self) -> tuple[str | None, tuple[str, ...]]:
        tiers = self.claim_tiers(lambda c: self.get(self.specs(c), "learningOutcome"))
        tiers += self.claim_tiers(lambda c: self.get(self.specs(c), "learningOutcomeSummary"))
        return self.first(
            tiers,
            lambda n: (_text(n.get("title")) or _note_text(n)) if isinstance(n, Mapping) else None,
        )

    def workload(self) -> tuple[str | None, tuple[str, ...]]:
        def credits(node: Any) -> str | None:
            if not isinstance(node, Mapping):
                return _text(node)  # volumeOfLearning "PT60H"
            point = _text(node.get("point"))
            if not point:
                return None
            framework = node.get("framework")
            is_ects = isinstance(framework, Mapping) and framework.get("id") == vocab.ECTS.uri
            label = "ECTS" if is_ects else (_concept_label(framework) or "credits")
            return f"{point} {label}"

        def select(claims: list[_Loc]) -> list[_Loc]:
            specs = self.specs(claims)
            return self.get(specs, "creditPoint") + self.get(specs, "volumeOfLearning")

        return self.first(self.claim_tiers(select), credits)

    def eqf_level(self) -> tuple[str | None, tuple[str, ...]]:
        def level(node: Any) -> str | None:
            ident = node.get("id") if isinstance(node, Mapping) else node
            if isinstance(ident, str) and ident.startswith(vocab.EQF.namespace):
                tail = ident[len(vocab.EQF.namespace) :]
                if tail.isdigit():
                    return f"EQF {tail}"
            return _concept_label(node)

        tiers = self.claim_tiers(lambda c: self.get(self.specs(c), "eqfLevel"))
        tiers += self.claim_tiers(lambda c: self.get(self.specs(c), "educationLevel"))[:1]
        return self.first(tiers, level)

    def assessment_type(self) -> tuple[str | None, tuple[str, ...]]:
        return self.first(
            self.claim_tiers(lambda c: self.get(c, "provenBy", "specifiedBy", "dcType")),
            _concept_label,
        )

    def form_of_participation(self) -> tuple[str | None, tuple[str, ...]]:
        tiers = self.claim_tiers(lambda c: self.get(self.specs(c), "mode"))
        tiers += self.claim_tiers(lambda c: self.get(c, "influencedBy", "specifiedBy", "mode"))
        return self.first(tiers, _concept_label)

    def quality_assurance(self) -> tuple[str | None, tuple[str, ...]]:
        def accreditation(node: Any) -> str | None:
            if not isinstance(node, Mapping):
                return _text(node)
            kind = _concept_label(node.get("dcType"))
            title = _text(node.get("title"))
            return " — ".join(t for t in (kind, title) if t) or node.get("id")

        claim = [self.claim] if self.claim else []
        return self.first(
            [
                lambda: self.get(self.specs(claim), "accreditation"),
                lambda: self.get([self.root], "evidence", "accreditation"),
                lambda: self.get(claim, "awardedBy", "awardingBody", "accreditation"),
                lambda: self.get(self.specs(self.nested), "accreditation"),
            ],
            accreditation,
        )

    def prerequisites(self) -> tuple[str | None, tuple[str, ...]]:
        return self.first(
            self.claim_tiers(lambda c: self.get(self.specs(c), "entryRequirement")), _note_text
        )

    def supervision(self) -> tuple[str | None, tuple[str, ...]]:
        return self.first(
            self.claim_tiers(lambda c: self.get(c, "provenBy", "idVerification")), _concept_label
        )

    def grade(self) -> tuple[str | None, tuple[str, ...]]:
        def graded(claims: list[_Loc]) -> list[_Loc]:
            found: list[_Loc] = []
            for assessment in self.get(claims, "provenBy"):
                scheme = self.get([assessment], "specifiedBy", "gradingScheme")
                scheme_title = _text(scheme[0][1].get("title")) if scheme else None
                for path, note in self.get([assessment], "grade"):
                    text = _note_text(note)
                    if text:
                        found.append((path, f"{text} ({scheme_title})" if scheme_title else text))
            return found

        return self.first(self.claim_tiers(graded), _text)

    def stackability(self) -> tuple[str | None, tuple[str, ...]]:
        claim = [self.claim] if self.claim else []

        def described(claims: list[_Loc]) -> list[_Loc]:
            found: list[_Loc] = []
            for spec in self.specs(claims):
                for path, value in self.get([spec], "isPartialQualification"):
                    if isinstance(value, bool):
                        found.append((path, f"isPartialQualification={str(value).lower()}"))
            for node in [*claims, *self.specs(claims)]:
                for key, label in (("isPartOf", "part of"), ("hasPart", "has part")):
                    for path, part in self.get([node], key):
                        title = _text(part.get("title")) if isinstance(part, Mapping) else None
                        found.append((path, f"{label}: {title or _uri_tail(part)}"))
            for path, entitlement in self.get(claims, "entitlesTo"):
                title = (
                    _text(entitlement.get("title")) if isinstance(entitlement, Mapping) else None
                )
                found.append((path, f"entitles to: {title or _uri_tail(entitlement)}"))
            for path, note in self.notes(claims):
                if _is_stackability_note(note):
                    found.append((path, _note_text(note) or ""))
            return found

        return self.first([lambda: described(claim)], _text)

    def further_information(self) -> tuple[str | None, tuple[str, ...]]:
        claim = [self.claim] if self.claim else []
        activities = self.get(claim, "influencedBy")

        def information(claims: list[_Loc]) -> list[_Loc]:
            found: list[_Loc] = [
                (path, _note_text(note))
                for path, note in self.notes(claims)
                if not _is_stackability_note(note)
            ]
            for node in [*claims, *self.specs(claims)]:
                for key in ("homepage", "supplementaryDocument"):
                    for path, resource in self.get([node], key):
                        url = resource.get("contentURL") if isinstance(resource, Mapping) else None
                        found.append((path, url if isinstance(url, str) else _uri_tail(resource)))
            return found

        return self.first(
            [lambda: information(claim), lambda: information(activities)],
            lambda v: v if isinstance(v, str) else None,
        )

    def notes(self, claims: list[_Loc]) -> list[_Loc]:
        return self.get(claims, "additionalNote") + self.get(self.specs(claims), "additionalNote")


def _is_stackability_note(note: Any) -> bool:
    if not isinstance(note, Mapping):
        return False
    label = _concept_label(note.get("subject")) or ""
    return "stackab" in label.lower() or "integration" in label.lower()
