"""The alliance catalogue: partners, micro-credential specifications, mandates (specs.md §9.5).

An *alliance file* (YAML or JSON, documented in ``docs/alliance-file.md``) declares:

* ``alliance``: the European Universities alliance (``id`` slug, ``name`` language map);
* ``partners``: the partner organisations (legal name, country, Erasmus code and/or SCHAC home,
  homepage, DID). A partner without a ``did`` is *hosted*: mcred publishes its DID document at
  ``did:web:<host>:partners:<id>`` (:func:`hosted_partner_did`);
* ``coordinator``: the partner that issues. Its DID is the credential's only ``issuer``
  (specs.md §9.5, decision D6); every partner that awards is an ``awardingBody``;
* ``specifications``: the courses, with the fixed Annex I elements (title, outcomes, ECTS, EQF,
  assessment, participation, quality assurance, …) and the partners that award them;
* ``specifications[].stacking``: for a credential composed of module credentials, the stacking
  rules (required parts, minimum total ECTS, allowed EQF levels, maximum part age; see
  :class:`StackingRules` and :mod:`issuer.stacking`);
* ``mandates``: which awarding body authorises the coordinator to award which specification,
  for which period (ELM's *issued-by-mandate* profile). mcred signs these for hosted partners;
  partners with a DID of their own sign theirs and upload them (:mod:`issuer.mandates`).

An *issuance* (:class:`Issuance`) is a specification + a learner + a result (+ the results of
the course's modules, each assessed by an awarding body: :class:`IssuanceModuleResult`);
:func:`microcredential_for` turns it into a validated
:class:`~vc_core.model.microcredential.MicroCredential`. Every field type and vocabulary comes
from :mod:`vc_core.model.microcredential`; this module only adds the catalogue's own rules
(ids, references between sections), each reported as a
:class:`~vc_core.errors.FieldError` with a dotted ``loc`` such as
``specifications.0.awarding_bodies.1``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from issuer.ports import CatalogueStore
from vc_core.errors import FieldError, MalformedInputError, ModelValidationError
from vc_core.model.microcredential import (
    MAX_ECTS,
    MAX_MODULE_GRADE_LENGTH,
    MAX_MODULES,
    AbsoluteIri,
    Assessment,
    ConceptChoice,
    CountryCode,
    Did,
    Email,
    ErasmusCode,
    FurtherInformation,
    GradingScheme,
    HttpUrl,
    LanguageMap,
    LanguageTag,
    Learner,
    LearningOutcome,
    MicroCredential,
    ModuleId,
    NonEmptyStr,
    QualityAssurance,
    SchacHome,
    Stackability,
    StackedPart,
    Timestamp,
    Workload,
    field_errors,
)

__all__ = [
    "KIND_ALLIANCE",
    "KIND_MANDATE",
    "KIND_PARTNER",
    "KIND_SPECIFICATION",
    "MAX_ALLIANCE_FILE_BYTES",
    "AllianceFile",
    "AllianceInfo",
    "Issuance",
    "IssuanceLearner",
    "IssuanceModuleResult",
    "IssuanceResult",
    "MandateDeclaration",
    "MicroCredentialFactory",
    "Partner",
    "Specification",
    "StackingPart",
    "StackingRules",
    "alliance_from_catalogue",
    "alliance_iri",
    "catalogue_document_id",
    "catalogue_documents",
    "hosted_partner_did",
    "load_alliance_file",
    "microcredential_for",
    "partner_did",
    "partner_dids",
    "specification_iri",
]

KIND_ALLIANCE = "alliance"
KIND_PARTNER = "partner"
KIND_SPECIFICATION = "specification"
KIND_MANDATE = "mandate"

MAX_ALLIANCE_FILE_BYTES = 1024 * 1024
"""An alliance file is a few kilobytes; anything above 1 MiB is refused unread."""

HOSTED_PARTNERS_SEGMENT = "partners"
"""``did:web:<host>:partners:<id>``: the DID document is served at ``/partners/<id>/did.json``."""

_STORE_ONLY_KEYS = ("alliance", "origin", "credential", "revision")
"""Keys a catalogue document carries besides the alliance file's own fields (see
:func:`catalogue_documents`)."""

_DEFER_CROSS_CHECKS = "defer_cross_checks"

# --------------------------------------------------------------------------- field types

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            f"{value!r} is not an id: use 1 to 64 lowercase letters, digits and inner hyphens"
        )
    return value


def _checked_slug(value: str) -> str:
    """:func:`_slug` for the public functions: a bad id is malformed input, not a ValueError."""
    try:
        return _slug(value) if isinstance(value, str) else _slug(repr(value))
    except ValueError as exc:
        raise MalformedInputError(str(exc)) from None


Slug = Annotated[str, AfterValidator(_slug)]
"""A catalogue id (``granada``, ``sustainable-urban-mobility``): also a did:web path segment."""


def _as_in_microcredential(field: str) -> BeforeValidator:
    """Validate like :class:`MicroCredential` validates ``field`` (same vocabulary, same messages).

    The controlled-vocabulary fields (form of participation, supervision, learning setting) are
    checked by :class:`MicroCredential`'s own annotation, so the two can never disagree.
    """
    adapter: TypeAdapter[Any] = TypeAdapter(
        MicroCredential.model_fields[field].rebuild_annotation()
    )

    def check(value: Any) -> Any:
        try:
            return adapter.validate_python(value)
        except ValidationError as exc:
            messages = [error.message for error in field_errors(exc)]
            raise ValueError("; ".join(messages)) from None

    return BeforeValidator(check)


ParticipationForm = Annotated[ConceptChoice, _as_in_microcredential("form_of_participation")]
SupervisionMode = Annotated[ConceptChoice, _as_in_microcredential("supervision")]
LearningSetting = Annotated[ConceptChoice, _as_in_microcredential("learning_setting")]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


# --------------------------------------------------------------------------- the alliance file


class AllianceInfo(_Model):
    """The alliance itself (ELM ``Group`` that every awarding body is ``groupMemberOf``)."""

    id: Slug
    name: LanguageMap
    website: HttpUrl | None = None
    email: Email | None = None


class Partner(_Model):
    """A partner organisation; an awarding body of the specifications that list it.

    ``did`` absent means *hosted*: the partner's DID is ``did:web:<host>:partners:<id>`` and mcred
    keeps its key (:func:`partner_did`). The coordinator needs ``legal_identifier`` (an eIDAS or
    VAT registration number): EDC's ``IssuerNodeShape`` demands an ``eIDASIdentifier``.
    """

    id: Slug
    legal_name: LanguageMap
    country: CountryCode
    short_name: NonEmptyStr | None = None
    erasmus_code: ErasmusCode | None = None
    schac_home: SchacHome | None = None
    legal_identifier: NonEmptyStr | None = None
    homepage: HttpUrl | None = None
    address: NonEmptyStr | None = None
    did: Did | None = None

    @field_validator("country", mode="before")
    @classmethod
    def _yaml_norway(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(
                "a country code (ISO 3166-1 alpha-2) is required, not a boolean: YAML reads an "
                'unquoted NO as false, write "NO"'
            )
        return value

    @model_validator(mode="after")
    def _identified(self) -> Partner:
        if self.erasmus_code is None and self.schac_home is None:
            raise ValueError("a partner needs an erasmus_code or a schac_home")
        return self

    @property
    def hosted(self) -> bool:
        """True when mcred hosts the partner's DID (no ``did`` in the file)."""
        return self.did is None


class StackingPart(_Model):
    """A part a stacked credential requires: a module credential the learner must hold.

    ``specification`` is one of the alliance's specification ids (the part is recognised by
    that specification's title, in any of its languages) or, for a module of another alliance
    or a partner's own platform, a name for it with its ``title`` and/or ``qualification`` (the
    IRI of the part's ``specifiedBy``). ``issuer`` restricts the part to credentials issued
    under that DID (a partner's own DID, another alliance's coordinator).
    """

    specification: Slug
    issuer: Did | None = None
    title: LanguageMap | None = None
    qualification: AbsoluteIri | None = None


class StackingRules(_Model):
    """How a specification's credential is composed from module credentials (stacking).

    ``parts``: the required parts (each must be present exactly once); ``other_parts``: whether
    further verified parts of the same learner may be added (they count towards the ECTS);
    ``min_total_ects``: the parts' ECTS together; ``allowed_eqf_levels``: the EQF levels a part
    may have (empty: any); ``max_part_age_days``: how old a part may be on the date of issuing.
    """

    parts: tuple[StackingPart, ...] = Field(default=(), max_length=50)
    other_parts: bool = False
    min_total_ects: Decimal | None = Field(default=None, gt=0, le=MAX_ECTS, decimal_places=2)
    allowed_eqf_levels: tuple[Annotated[int, Field(ge=1, le=8)], ...] = Field(
        default=(), max_length=8
    )
    max_part_age_days: int | None = Field(default=None, gt=0, le=36_500)

    @model_validator(mode="after")
    def _some_part(self) -> StackingRules:
        if not self.parts and not self.other_parts:
            raise ValueError("stacking needs required parts, or other_parts: true")
        return self


class Specification(_Model):
    """A micro-credential specification (the course): the Annex I elements fixed for everyone.

    ``awarding_bodies`` lists partner ids; a joint award needs at least two. A specification
    awarded by one partner alone says ``joint: false``. ``quality_assurance[].organisation`` may
    name an awarding body by partner id, Erasmus code, SCHAC home or DID.
    """

    id: Slug
    title: LanguageMap
    description: LanguageMap | None = None
    learning_outcomes: tuple[LearningOutcome, ...] = Field(min_length=1, max_length=100)
    workload: Workload
    eqf_level: int = Field(ge=1, le=8)
    assessment: Assessment
    form_of_participation: ParticipationForm
    quality_assurance: tuple[QualityAssurance, ...] = Field(min_length=1, max_length=20)
    prerequisites: LanguageMap | None = None
    supervision: SupervisionMode | None = None
    stackability: Stackability | None = None
    further_information: FurtherInformation | None = None
    learning_setting: LearningSetting | None = None
    primary_language: LanguageTag = "en"
    awarding_bodies: tuple[Slug, ...] = Field(min_length=1, max_length=50)
    joint: bool = True
    grading_scheme: GradingScheme | None = None
    stacking: StackingRules | None = None
    """Set for a credential composed of module credentials (:mod:`issuer.stacking`)."""

    @field_validator("primary_language")
    @classmethod
    def _primary_in_title(cls, tag: str, info: ValidationInfo) -> str:
        title: dict[str, str] | None = info.data.get("title")
        if title is not None and tag not in title:
            raise ValueError(f"primary language {tag!r} has no title (title has {sorted(title)})")
        return tag


class MandateDeclaration(_Model):
    """An awarding body authorises the coordinator to award a specification for a period.

    Declared in the file for *hosted* partners (and the coordinator), whose mandates mcred signs
    with the partner's hosted key. Partners with a DID of their own upload a signed mandate.
    A bare date means midnight UTC.
    """

    partner: Slug
    specification: Slug
    valid_from: Timestamp
    valid_until: Timestamp

    @field_validator("valid_until")
    @classmethod
    def _after_valid_from(cls, until: datetime, info: ValidationInfo) -> datetime:
        start: datetime | None = info.data.get("valid_from")
        if start is not None and until <= start:
            raise ValueError("valid_until must be later than valid_from")
        return until


class AllianceFile(_Model):
    """An alliance file (``docs/alliance-file.md``). Build it with :meth:`parse` or
    :func:`load_alliance_file`, which report every broken reference by field."""

    alliance: AllianceInfo
    coordinator: Slug
    partners: tuple[Partner, ...] = Field(min_length=1, max_length=100)
    specifications: tuple[Specification, ...] = Field(default=(), max_length=1000)
    mandates: tuple[MandateDeclaration, ...] = Field(default=(), max_length=10_000)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> AllianceFile:
        if isinstance(info.context, Mapping) and info.context.get(_DEFER_CROSS_CHECKS):
            return self
        problems = self.cross_check()
        if problems:
            raise ValueError("; ".join(f"{p.loc}: {p.message}" for p in problems))
        return self

    # -- lookups -------------------------------------------------------------------------

    def partner(self, partner_id: str) -> Partner:
        """The partner with this id (:class:`KeyError` when there is none)."""
        for partner in self.partners:
            if partner.id == partner_id:
                return partner
        raise KeyError(partner_id)

    def specification(self, specification_id: str) -> Specification:
        """The specification with this id (:class:`KeyError` when there is none)."""
        for spec in self.specifications:
            if spec.id == specification_id:
                return spec
        raise KeyError(specification_id)

    @property
    def coordinator_partner(self) -> Partner:
        return self.partner(self.coordinator)

    def mandates_for(self, specification_id: str) -> tuple[MandateDeclaration, ...]:
        return tuple(m for m in self.mandates if m.specification == specification_id)

    # -- validation ------------------------------------------------------------------------

    @classmethod
    def parse(cls, data: Any) -> AllianceFile:
        """Validate ``data``; raise :class:`ModelValidationError` naming every offending field."""
        if not isinstance(data, Mapping):
            raise ModelValidationError(
                [FieldError(loc="", message="an alliance file must be an object (a mapping)")]
            )
        try:
            parsed = cls.model_validate(dict(data), context={_DEFER_CROSS_CHECKS: True})
        except ValidationError as exc:
            raise ModelValidationError(field_errors(exc)) from None
        problems = parsed.cross_check()
        if problems:
            raise ModelValidationError(problems)
        return parsed

    def cross_check(self) -> list[FieldError]:
        """The references between sections that the field types cannot check."""
        problems: list[FieldError] = []

        def problem(loc: str, message: str, kind: str = "reference_error") -> None:
            problems.append(FieldError(loc=loc, message=message, type=kind))

        # partners: unique ids, unique identities; the coordinator is one and has a legal id
        partner_ids: dict[str, Partner] = {}
        seen_keys: dict[tuple[str, str], int] = {}
        for i, partner in enumerate(self.partners):
            if partner.id in partner_ids:
                problem(f"partners.{i}.id", f"partner id {partner.id!r} is used twice", "duplicate")
            partner_ids.setdefault(partner.id, partner)
            for name in ("erasmus_code", "schac_home", "did"):
                value = getattr(partner, name)
                if value is None:
                    continue
                first = seen_keys.setdefault((name, value), i)
                if first != i:
                    problem(
                        f"partners.{i}.{name}",
                        f"{name} {value!r} is already partner {self.partners[first].id!r}'s",
                        "duplicate",
                    )
        coordinator = partner_ids.get(self.coordinator)
        if coordinator is None:
            problem("coordinator", f"the coordinator {self.coordinator!r} is not a partner id")
        elif coordinator.legal_identifier is None:
            index = self.partners.index(coordinator)
            problem(
                f"partners.{index}.legal_identifier",
                f"the coordinator {coordinator.id!r} needs a legal_identifier (eIDAS or VAT "
                "registration number): EDC requires it of the issuer",
                "missing",
            )

        # specifications: unique ids, known and distinct awarding bodies, QA organisations
        spec_ids: dict[str, Specification] = {}
        for i, spec in enumerate(self.specifications):
            where = f"specifications.{i}"
            if spec.id in spec_ids:
                problem(f"{where}.id", f"specification id {spec.id!r} is used twice", "duplicate")
            spec_ids.setdefault(spec.id, spec)
            listed: set[str] = set()
            for j, body in enumerate(spec.awarding_bodies):
                if body not in partner_ids:
                    problem(f"{where}.awarding_bodies.{j}", f"{body!r} is not a partner id")
                elif body in listed:
                    problem(
                        f"{where}.awarding_bodies.{j}",
                        f"partner {body!r} is listed twice",
                        "duplicate",
                    )
                listed.add(body)
            if spec.joint and len(listed) < 2:
                problem(
                    f"{where}.awarding_bodies",
                    "a joint award needs at least two awarding bodies (set joint: false for a "
                    "specification awarded by one partner)",
                    "too_short",
                )
            names: set[str] = set()
            for body in listed & partner_ids.keys():
                p = partner_ids[body]
                names.update(k for k in (p.id, p.erasmus_code, p.schac_home, p.did) if k)
            for k, qa in enumerate(spec.quality_assurance):
                if qa.organisation is not None and qa.organisation not in names:
                    problem(
                        f"{where}.quality_assurance.{k}.organisation",
                        f"{qa.organisation!r} names none of the specification's awarding bodies "
                        "(use a partner id, Erasmus code, SCHAC home or DID)",
                    )

        # stacking: required parts name a specification, are not the stacked one, not twice
        for i, spec in enumerate(self.specifications):
            if spec.stacking is None:
                continue
            where = f"specifications.{i}.stacking"
            named: set[tuple[str, str | None]] = set()
            for j, part in enumerate(spec.stacking.parts):
                at = f"{where}.parts.{j}"
                if part.specification == spec.id:
                    problem(f"{at}.specification", "a specification cannot be a part of itself")
                elif part.specification not in spec_ids and (
                    part.title is None and part.qualification is None
                ):
                    problem(
                        f"{at}.specification",
                        f"{part.specification!r} is not a specification id: give the part's "
                        "title or qualification (a module of another alliance or platform)",
                    )
                required = (part.specification, part.issuer)
                if required in named:
                    problem(at, f"part {part.specification!r} is required twice", "duplicate")
                named.add(required)
            if len(set(spec.stacking.allowed_eqf_levels)) != len(spec.stacking.allowed_eqf_levels):
                problem(f"{where}.allowed_eqf_levels", "a level is listed twice", "duplicate")

        # mandates: a known awarding body of a known specification, hosted, not repeated
        declared: set[tuple[str, str, datetime]] = set()
        for i, mandate in enumerate(self.mandates):
            where = f"mandates.{i}"
            mandate_spec = spec_ids.get(mandate.specification)
            mandate_partner = partner_ids.get(mandate.partner)
            if mandate_spec is None:
                problem(
                    f"{where}.specification", f"{mandate.specification!r} is not a specification id"
                )
            if mandate_partner is None:
                problem(f"{where}.partner", f"{mandate.partner!r} is not a partner id")
            elif mandate_spec is not None and mandate.partner not in mandate_spec.awarding_bodies:
                problem(
                    f"{where}.partner",
                    f"{mandate.partner!r} is not an awarding body of {mandate.specification!r}",
                )
            elif not mandate_partner.hosted and mandate.partner != self.coordinator:
                problem(
                    f"{where}.partner",
                    f"partner {mandate.partner!r} has a DID of its own: it signs its mandate "
                    "itself and uploads it (declared mandates are for hosted partners)",
                )
            key = (mandate.partner, mandate.specification, mandate.valid_from)
            if key in declared:
                problem(where, "the same mandate is declared twice", "duplicate")
            declared.add(key)
        return problems


# --------------------------------------------------------------------------- loading


class _StrictYamlLoader(yaml.SafeLoader):
    """``yaml.safe_load`` without aliases (no "billion laughs") and without duplicate keys."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed here", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        keys: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable) and key in keys:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice", key_node.start_mark
                )
            keys.add(key)
        return super().construct_mapping(node, deep=deep)


def _json_object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {key!r} is given twice")
        result[key] = value
    return result


def _syntax_error(message: str) -> ModelValidationError:
    return ModelValidationError([FieldError(loc="", message=message, type="syntax_error")])


def load_alliance_file(
    text_or_path: str | Path, *, format: Literal["yaml", "json"] | None = None
) -> AllianceFile:
    """Read and validate an alliance file.

    A :class:`~pathlib.Path` is read from disk (format from its suffix: ``.json``, else YAML); a
    ``str`` is the document itself (JSON when it starts with ``{``, else YAML). YAML is read with
    the safe loader, refusing aliases and duplicate keys. Every problem, from a syntax error
    (``loc`` empty) to a broken reference, raises :class:`ModelValidationError`.
    """
    if isinstance(text_or_path, Path):
        if text_or_path.stat().st_size > MAX_ALLIANCE_FILE_BYTES:
            raise _syntax_error(f"an alliance file is at most {MAX_ALLIANCE_FILE_BYTES} bytes")
        text = text_or_path.read_text(encoding="utf-8")
        if format is None:
            format = "json" if text_or_path.suffix.lower() == ".json" else "yaml"
    elif isinstance(text_or_path, str):
        text = text_or_path
    else:
        raise MalformedInputError("an alliance file is given as text (str) or as a Path")
    if len(text.encode("utf-8")) > MAX_ALLIANCE_FILE_BYTES:
        raise _syntax_error(f"an alliance file is at most {MAX_ALLIANCE_FILE_BYTES} bytes")
    if format is None:
        format = "json" if text.lstrip().startswith("{") else "yaml"
    data: Any
    if format == "json":
        try:
            data = json.loads(text, object_pairs_hook=_json_object_without_duplicates)
        except ValueError as exc:
            raise _syntax_error(f"not valid JSON: {exc}") from None
    elif format == "yaml":
        try:
            data = yaml.load(text, Loader=_StrictYamlLoader)  # noqa: S506 (a SafeLoader)
        except yaml.YAMLError as exc:
            raise _syntax_error(f"not valid YAML: {exc}") from None
    else:
        raise MalformedInputError(f"unknown alliance file format {format!r} (yaml or json)")
    return AllianceFile.parse(data)


# --------------------------------------------------------------------------- identifiers


def alliance_iri(alliance_id: str) -> str:
    """The alliance's IRI in mandates: ``urn:mcred:<alliance>``."""
    return f"urn:mcred:{_checked_slug(alliance_id)}"


def specification_iri(alliance_id: str, specification_id: str) -> str:
    """A specification's IRI in mandates: ``urn:mcred:<alliance>:specification:<id>``."""
    return f"{alliance_iri(alliance_id)}:specification:{_checked_slug(specification_id)}"


def hosted_partner_did(issuer_did: str, partner_id: str) -> str:
    """``did:web:<host>[:<path>]:partners:<id>`` under the issuer's did:web.

    did:web Read: its document is ``https://<host>[/<path>]/partners/<id>/did.json``. Raises
    :class:`MalformedInputError` when the issuer's DID is not a did:web (nothing to host under).
    """
    if not isinstance(issuer_did, str) or not issuer_did.startswith("did:web:"):
        raise MalformedInputError(
            f"partners can be hosted only under a did:web, not {issuer_did!r}"
        )
    return f"{issuer_did}:{HOSTED_PARTNERS_SEGMENT}:{_checked_slug(partner_id)}"


def partner_did(partner: Partner, issuer_did: str) -> str:
    """The partner's own ``did``, or its hosted did:web under ``issuer_did``."""
    return partner.did if partner.did is not None else hosted_partner_did(issuer_did, partner.id)


def partner_dids(alliance_file: AllianceFile, issuer_did: str) -> dict[str, str]:
    """Every partner's DID by partner id. The coordinator's DID is the issuer's (specs.md §9.5)
    unless the file names it (then it must be the issuer's: mcred signs as the coordinator)."""
    dids = {p.id: partner_did(p, issuer_did) for p in alliance_file.partners}
    coordinator = alliance_file.coordinator_partner
    if coordinator.did is not None and coordinator.did != issuer_did:
        raise MalformedInputError(
            f"the coordinator's DID in the alliance file ({coordinator.did}) is not the "
            f"issuer's ({issuer_did})"
        )
    dids[coordinator.id] = issuer_did
    return dids


# --------------------------------------------------------------------------- issuance


class IssuanceLearner(Learner):
    """Annex I element 1 as :class:`~vc_core.model.microcredential.Learner`, plus ``learner_ref``:
    the learner's id within the alliance (student id or e-mail). It is kept in the issuer's
    records to find the learner's credentials; it is not written into the credential."""

    learner_ref: NonEmptyStr


class IssuanceResult(_Model):
    """What the assessment gave: the date of issuing, the grade, how identity was verified
    (``supervision`` overrides the specification's)."""

    date_of_issue: Timestamp
    grade: NonEmptyStr | None = None
    supervision: SupervisionMode | None = None


class IssuanceModuleResult(_Model):
    """A module of the course: its id, the partner that assessed it (an awarding body of the
    specification, by partner id) and the result. ``title`` names the module in the credential
    (default: the module id). Written into the credential as a
    :class:`~vc_core.model.microcredential.ModuleAchievement`."""

    module: ModuleId
    partner: Slug
    result: Annotated[str, Field(min_length=1, max_length=MAX_MODULE_GRADE_LENGTH)]
    title: LanguageMap | None = None


def _no_module_results(results: tuple[IssuanceModuleResult, ...]) -> bool:
    return not results


class Issuance(_Model):
    """One credential to issue: which specification, for whom, with what result.

    ``module_results`` is left out of every dump when empty, so that an issuance without
    module results serializes (and fingerprints, for idempotency keys) exactly as it did
    before modules existed.
    """

    specification: Slug
    learner: IssuanceLearner
    result: IssuanceResult
    holder_did: Did | None = None
    valid_from: Timestamp | None = None
    """When the credential becomes valid; default: the date of issuing."""
    valid_until: Timestamp | None = None
    module_results: tuple[IssuanceModuleResult, ...] = Field(
        default=(), max_length=MAX_MODULES, exclude_if=_no_module_results
    )
    """The results of the course's modules (each partner must be an awarding body of the
    specification: checked by :func:`microcredential_for`)."""

    @field_validator("module_results")
    @classmethod
    def _distinct_modules(
        cls, results: tuple[IssuanceModuleResult, ...]
    ) -> tuple[IssuanceModuleResult, ...]:
        first: dict[str, int] = {}
        for index, module in enumerate(results):
            if module.module in first:
                raise ValueError(
                    f"module {module.module!r} is given twice (entries {first[module.module]} "
                    f"and {index})"
                )
            first[module.module] = index
        return results

    @field_validator("holder_did")
    @classmethod
    def _one_holder(cls, did: str | None, info: ValidationInfo) -> str | None:
        learner: IssuanceLearner | None = info.data.get("learner")
        if did is not None and learner is not None and learner.holder_did not in (None, did):
            raise ValueError("holder_did and learner.holder_did name different holders")
        return did

    @field_validator("valid_until")
    @classmethod
    def _after_start(cls, until: datetime | None, info: ValidationInfo) -> datetime | None:
        result: IssuanceResult | None = info.data.get("result")
        start = info.data.get("valid_from") or (result.date_of_issue if result else None)
        if until is not None and start is not None and until <= start:
            raise ValueError("valid_until must be later than valid_from (or the date of issuing)")
        return until

    @property
    def holder(self) -> str | None:
        return self.holder_did or self.learner.holder_did

    @classmethod
    def parse(cls, data: Any) -> Issuance:
        """Validate ``data``; raise :class:`ModelValidationError` naming every offending field."""
        if not isinstance(data, Mapping):
            raise ModelValidationError(
                [FieldError(loc="", message="an issuance must be a JSON object")]
            )
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise ModelValidationError(field_errors(exc)) from None


def _dump(model: BaseModel | None) -> Any:
    return None if model is None else model.model_dump(mode="json", exclude_none=True)


def _organisation_data(partner: Partner, did: str) -> dict[str, Any]:
    data = partner.model_dump(mode="json", exclude_none=True, exclude={"id", "did"})
    data["did"] = did
    return data


def microcredential_for(
    alliance_file: AllianceFile,
    issuance: Issuance,
    *,
    coordinator_did: str,
    partner_did_of: Callable[[Partner], str],
    parts: Sequence[StackedPart] = (),
) -> MicroCredential:
    """The :class:`MicroCredential` for ``issuance`` (specs.md §9.4, §9.5).

    The coordinating provider is the coordinator partner with ``coordinator_did`` (the issuer);
    the awarding bodies are the specification's partners, in its order, each with its DID
    (``coordinator_did`` for the coordinator, ``partner_did_of(partner)`` for the others). A
    quality-assurance ``organisation`` given as a partner id becomes that partner's Erasmus code
    (or SCHAC home). ``parts`` are the part credentials of a stacked credential
    (:mod:`issuer.stacking` checks them first). A module result's partner becomes that
    awarding body's Erasmus code (or SCHAC home, or DID). Raises :class:`ModelValidationError`
    for an unknown specification, for a module assessed by a partner that is no awarding body
    of the specification (``loc`` ``module_results.<i>.partner``), and for anything
    :meth:`MicroCredential.parse` refuses (``loc`` relative to the micro-credential).
    :class:`MicroCredentialFactory` does the same for many issuances of one specification.
    """
    factory = MicroCredentialFactory(
        alliance_file,
        issuance.specification,
        coordinator_did=coordinator_did,
        partner_did_of=partner_did_of,
    )
    return factory.microcredential_for(issuance, parts=parts)


class MicroCredentialFactory:
    """:func:`microcredential_for` for the issuances of one specification of one alliance
    file, with what all its credentials share validated once.

    The shared part (the title, the coordinating provider, the awarding bodies, the outcomes,
    the workload, the assessment, the quality assurance, …) is written from the alliance file
    when the factory is made; the first micro-credential validates it, and every later one is
    validated from the models that validation gave (pydantic does not validate a model again
    where it expects that model) together with its own part (the learner, the result and the
    dates, the supervision, the grade, the parts and modules). The micro-credential and the
    errors are those of :func:`microcredential_for` for the same issuance: equal models, the
    same field errors in the same order. Raises :class:`ModelValidationError` (``loc``
    ``specification``) when the alliance has no such specification.
    """

    def __init__(
        self,
        alliance_file: AllianceFile,
        specification_id: str,
        *,
        coordinator_did: str,
        partner_did_of: Callable[[Partner], str],
    ) -> None:
        try:
            self.specification = alliance_file.specification(specification_id)
        except KeyError:
            raise ModelValidationError(
                [
                    FieldError(
                        loc="specification",
                        message=f"{specification_id!r} is not a specification of "
                        f"alliance {alliance_file.alliance.id!r}",
                        type="reference_error",
                    )
                ]
            ) from None
        self._shared, self._body_keys = _shared_data(
            alliance_file, self.specification, coordinator_did, partner_did_of
        )
        spec = self.specification
        self._grading_scheme: Any = (
            None if spec.grading_scheme is None else _dump(spec.grading_scheme)
        )
        self._validated: dict[str, Any] | None = None
        """The shared part as validated models, once a micro-credential validated it."""

    def microcredential_for(
        self, issuance: Issuance, *, parts: Sequence[StackedPart] = ()
    ) -> MicroCredential:
        """:func:`microcredential_for` ``issuance`` (of this factory's specification)."""
        spec = self.specification
        if issuance.specification != spec.id:
            raise ValueError(f"an issuance of {issuance.specification!r}, not of {spec.id!r}")
        own = _own_data(issuance, spec, self._body_keys, self._grading_scheme, parts)
        validated = self._validated
        mc = MicroCredential.parse({**(self._shared if validated is None else validated), **own})
        if validated is None:
            self._validated = {name: getattr(mc, name) for name in self._shared}
            if mc.grade is not None and mc.grade.grading_scheme is not None:
                self._grading_scheme = mc.grade.grading_scheme
        return mc


def _shared_data(
    alliance_file: AllianceFile,
    spec: Specification,
    coordinator_did: str,
    partner_did_of: Callable[[Partner], str],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The :class:`MicroCredential` data every credential of ``spec`` shares, and the key of
    each awarding body (Erasmus code, SCHAC home or DID) by partner id."""
    coordinator = alliance_file.coordinator_partner
    alliance = alliance_file.alliance
    provider = _organisation_data(coordinator, coordinator_did)
    provider["alliance"] = {
        k: v
        for k, v in {
            "name": alliance.name,
            "email": alliance.email,
            "homepage": alliance.website,
        }.items()
        if v is not None
    }
    bodies = []
    by_partner: dict[str, str] = {}
    for body_id in spec.awarding_bodies:
        partner = alliance_file.partner(body_id)
        did = coordinator_did if body_id == coordinator.id else partner_did_of(partner)
        bodies.append(_organisation_data(partner, did))
        by_partner[body_id] = partner.erasmus_code or partner.schac_home or did
    quality_assurance = []
    for qa in spec.quality_assurance:
        entry = _dump(qa)
        if qa.organisation in by_partner:
            entry["organisation"] = by_partner[qa.organisation]
        quality_assurance.append(entry)
    data: dict[str, Any] = {
        "title": spec.title,
        "coordinating_provider": provider,
        "awarding_bodies": bodies,
        "learning_outcomes": [_dump(o) for o in spec.learning_outcomes],
        "workload": _dump(spec.workload),
        "eqf_level": spec.eqf_level,
        "assessment": _dump(spec.assessment),
        "form_of_participation": _dump(spec.form_of_participation),
        "quality_assurance": quality_assurance,
        "primary_language": spec.primary_language,
    }
    optional: dict[str, Any] = {
        "description": spec.description,
        "prerequisites": spec.prerequisites,
        "stackability": _dump(spec.stackability),
        "further_information": _dump(spec.further_information),
        "learning_setting": _dump(spec.learning_setting),
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    return data, by_partner


def _own_data(
    issuance: Issuance,
    spec: Specification,
    body_keys: Mapping[str, str],
    grading_scheme: Any,
    parts: Sequence[StackedPart],
) -> dict[str, Any]:
    """The :class:`MicroCredential` data of this issuance: the learner, the dates, the
    supervision, the grade (with ``grading_scheme``, the specification's), parts and modules."""
    modules = _module_achievements(issuance, spec, body_keys)
    learner = issuance.learner.model_dump(mode="json", exclude_none=True, exclude={"learner_ref"})
    if issuance.holder is not None:
        learner["holder_did"] = issuance.holder
    result = issuance.result
    supervision = result.supervision or spec.supervision
    data: dict[str, Any] = {
        "learner": learner,
        "date_of_issue": result.date_of_issue,
        "valid_from": issuance.valid_from or result.date_of_issue,
    }
    optional: dict[str, Any] = {
        "supervision": _dump(supervision),
        "valid_until": issuance.valid_until,
    }
    if result.grade is not None:
        grade: dict[str, Any] = {"value": result.grade}
        if grading_scheme is not None:
            grade["grading_scheme"] = grading_scheme
        optional["grade"] = grade
    data.update({k: v for k, v in optional.items() if v is not None})
    if parts:
        data["parts"] = [part.model_dump(mode="json", exclude_none=True) for part in parts]
    if modules:
        data["module_achievements"] = modules
    return data


def _module_achievements(
    issuance: Issuance, spec: Specification, body_keys: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The issuance's module results as ``MicroCredential.module_achievements`` data, each
    partner named by its awarding body's key; every partner that is no awarding body of
    ``spec`` is a :class:`ModelValidationError`."""
    modules: list[dict[str, Any]] = []
    problems: list[FieldError] = []
    for index, result in enumerate(issuance.module_results):
        if result.partner not in body_keys:
            problems.append(
                FieldError(
                    loc=f"module_results.{index}.partner",
                    message=f"{result.partner!r} is not an awarding body of {spec.id!r} "
                    f"({', '.join(spec.awarding_bodies)})",
                    type="reference_error",
                )
            )
            continue
        module: dict[str, Any] = {
            "module": result.module,
            "awarding_body": body_keys[result.partner],
            "grade": result.result,
        }
        if result.title is not None:
            module["title"] = result.title
        modules.append(module)
    if problems:
        raise ModelValidationError(problems)
    return modules


# --------------------------------------------------------------------------- the catalogue store


def catalogue_document_id(alliance_id: str, *parts: str) -> str:
    """A catalogue document id: ids are unique within a kind across alliances, so partners,
    specifications and mandates are scoped by alliance (``arqus:granada``)."""
    return ":".join((alliance_id, *parts))


def catalogue_documents(alliance_file: AllianceFile) -> list[tuple[str, str, dict[str, Any]]]:
    """The alliance file as ``(kind, id, document)`` for a
    :class:`~issuer.ports.CatalogueStore`.

    The ``alliance`` document holds the alliance section and the coordinator; every other
    document is the section's entry plus ``"alliance": <id>``. Declared mandates carry
    ``"origin": "declared"``: a store may hold uploaded mandates too (``"origin": "uploaded"``,
    with the signed ``credential``), which :func:`alliance_from_catalogue` leaves out.
    """
    alliance_id = alliance_file.alliance.id
    documents: list[tuple[str, str, dict[str, Any]]] = [
        (
            KIND_ALLIANCE,
            alliance_id,
            {**_dump(alliance_file.alliance), "coordinator": alliance_file.coordinator},
        )
    ]
    for partner in alliance_file.partners:
        documents.append(
            (
                KIND_PARTNER,
                catalogue_document_id(alliance_id, partner.id),
                {**_dump(partner), "alliance": alliance_id},
            )
        )
    for spec in alliance_file.specifications:
        documents.append(
            (
                KIND_SPECIFICATION,
                catalogue_document_id(alliance_id, spec.id),
                {**_dump(spec), "alliance": alliance_id},
            )
        )
    for mandate in alliance_file.mandates:
        doc_id = catalogue_document_id(
            alliance_id,
            mandate.specification,
            mandate.partner,
            mandate.valid_from.strftime("%Y%m%dT%H%M%SZ"),
        )
        documents.append(
            (
                KIND_MANDATE,
                doc_id,
                {**_dump(mandate), "alliance": alliance_id, "origin": "declared"},
            )
        )
    return documents


def _without_store_keys(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in _STORE_ONLY_KEYS}


def alliance_from_catalogue(store: CatalogueStore, alliance_id: str) -> AllianceFile | None:
    """The alliance file as stored (``None`` when there is no such alliance); validated again.

    Entries come back sorted by id (a store keeps no order). Raises
    :class:`ModelValidationError` when the stored documents no longer fit together.
    """
    alliance = store.get(KIND_ALLIANCE, alliance_id)
    if alliance is None:
        return None

    def entries(kind: str, *, declared_only: bool = False) -> list[dict[str, Any]]:
        found = [
            doc
            for doc in store.list(kind)
            if doc.get("alliance") == alliance_id
            and (not declared_only or doc.get("origin") == "declared")
        ]
        return [_without_store_keys(doc) for doc in found]

    mandates = sorted(
        entries(KIND_MANDATE, declared_only=True),
        key=lambda m: (
            str(m.get("specification")),
            str(m.get("partner")),
            str(m.get("valid_from")),
        ),
    )
    data = {
        "alliance": {
            k: v for k, v in alliance.items() if k != "coordinator" and k not in _STORE_ONLY_KEYS
        },
        "coordinator": alliance.get("coordinator"),
        "partners": sorted(entries(KIND_PARTNER), key=lambda p: str(p.get("id"))),
        "specifications": sorted(entries(KIND_SPECIFICATION), key=lambda s: str(s.get("id"))),
        "mandates": mandates,
    }
    return AllianceFile.parse(data)
