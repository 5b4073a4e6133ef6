"""The joint micro-credential: Council Recommendation 2022/C 243/02, Annex I (specs.md §9.4, §9.5).

:class:`MicroCredential` holds the eleven mandatory Annex I elements, the optional ones, and what a
joint award from an alliance needs (§9.5): one *coordinating provider* that issues (its DID is the
credential's ``issuer``) on behalf of one or more *awarding bodies*.

==============================  ===============================================================
Annex I element                 field
==============================  ===============================================================
1 identification of learner     :attr:`MicroCredential.learner`
2 title                         :attr:`MicroCredential.title` (language map)
3 country/region of the issuer  :attr:`MicroCredential.country_of_issuer` (coordinating provider)
4 awarding body(ies)            :attr:`MicroCredential.awarding_bodies` (one or more)
5 date of issuing               :attr:`MicroCredential.date_of_issue`
6 learning outcomes             :attr:`MicroCredential.learning_outcomes`
7 notional workload (ECTS)      :attr:`MicroCredential.workload`
8 level (EQF)                   :attr:`MicroCredential.eqf_level`
9 type of assessment            :attr:`MicroCredential.assessment`
10 form of participation        :attr:`MicroCredential.form_of_participation`
11 type of quality assurance    :attr:`MicroCredential.quality_assurance`
optional                        prerequisites, supervision, grade, stackability,
                                further_information
==============================  ===============================================================

A joint course is often taught in modules, each assessed by one of the awarding bodies:
:attr:`MicroCredential.module_achievements` states each module's result and who assessed it
(:class:`ModuleAchievement`; ELM: a ``LearningAchievement`` in the claim's ``hasPart``).

Multilingual text is a *language map* ``{"en": "…", "de": "…"}`` keyed by ISO 639-1 codes (see
:data:`vc_core.model.vocab.LANGUAGES`). Dates must carry a time zone; a bare date means midnight
UTC. :meth:`MicroCredential.parse` turns pydantic's errors into one
:class:`~vc_core.errors.ModelValidationError` that names every offending field.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from vc_core.errors import FieldError, ModelValidationError
from vc_core.model import vocab

__all__ = [
    "Alliance",
    "Assessment",
    "AwardingBody",
    "ConceptChoice",
    "CoordinatingProvider",
    "DisplayImage",
    "EscoSkill",
    "FurtherInformation",
    "Grade",
    "GradingScheme",
    "Identifier",
    "LanguageMap",
    "Learner",
    "LearningOutcome",
    "MicroCredential",
    "ModuleAchievement",
    "ModuleId",
    "PartAwardingBody",
    "QualificationRef",
    "QualityAssurance",
    "QualityAssuranceAgent",
    "Stackability",
    "StackedPart",
    "Workload",
    "field_errors",
]

MAX_ECTS = Decimal(60)
"""Upper bound for a micro-credential's workload: a full academic year (60 ECTS)."""
MAX_LEARNING_HOURS = 1800
MAX_TEXT_LENGTH = 10_000
"""Longest text in one language of a language map (titles, descriptions, notes)."""
MAX_DISPLAY_IMAGE_BYTES = 64 * 1024
"""Display images are kept small (specs.md §9.6.4); 64 KiB decoded at most."""
MAX_STACKED_PARTS = 50
"""A stacked credential references at most 50 part credentials."""
MAX_MODULES = 50
"""A credential states the results of at most 50 modules."""
MAX_MODULE_GRADE_LENGTH = 200

# --------------------------------------------------------------------------- scalar types


def _language_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValueError("a language map {language: text} is required")
    if not value:
        raise ValueError("a language map needs at least one language")
    result: dict[str, str] = {}
    for tag, text in value.items():
        if not isinstance(tag, str):
            raise ValueError(f"language tag {tag!r} is not a string")
        key = vocab.language(tag).tag  # raises "unknown language tag"
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"text for language {key!r} must be a non-empty string")
        if len(text) > MAX_TEXT_LENGTH:
            raise ValueError(f"text for language {key!r} is longer than {MAX_TEXT_LENGTH}")
        if key in result:
            raise ValueError(f"language {key!r} is given twice")
        result[key] = text.strip()
    return result


LanguageMap = Annotated[dict[str, str], BeforeValidator(_language_map)]
"""``{ISO 639-1 tag: text}``; at least one entry; unknown tags are refused."""

NonEmptyStr = Annotated[str, Field(min_length=1, max_length=2000)]

_DID = re.compile(
    r"^did:[a-z0-9]+:(?:[A-Za-z0-9._\-]|%[0-9A-Fa-f]{2})+(?::(?:[A-Za-z0-9._\-]|%[0-9A-Fa-f]{2})*)*$"
)


def _did(value: str) -> str:
    if not _DID.match(value):
        raise ValueError(f"{value!r} is not a DID (did:<method>:<id>)")
    return value


Did = Annotated[str, AfterValidator(_did)]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]


def _matching(pattern: str, what: str) -> AfterValidator:
    """A validator that accepts strings matching ``pattern`` and names ``what`` otherwise."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return AfterValidator(check)


Email = Annotated[str, _matching(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$", "an e-mail address")]


def _country_code(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a country code (ISO 3166-1 alpha-2) is required")
    return vocab.country(value).alpha2


CountryCode = Annotated[str, BeforeValidator(_country_code)]
"""ISO 3166-1 alpha-2 (``ES``); written as the EU authority URI with the alpha-3 code in ELM."""


def _language_tag(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a language tag is required")
    return vocab.language(value).tag


LanguageTag = Annotated[str, BeforeValidator(_language_tag)]

# Erasmus institution codes: country prefix padded to three characters, city, two digits
# ("E  GRANADA01", "D  LEIPZIG01", "F  BORDEAU58", "IRLDUBLIN01").
ErasmusCode = Annotated[
    str,
    _matching(
        r"^(?=.{5,12}$)[A-Z]{1,3} {0,2}[A-Z][A-Z\-]*[0-9]{2}$",
        "an Erasmus institution code such as 'E  GRANADA01'",
    ),
]

SchacHome = Annotated[
    str,
    _matching(
        r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        "a SCHAC home organisation (a domain such as 'ugr.es')",
    ),
]


def _midnight_utc(value: Any) -> Any:
    """A bare date (``2025-06-30``) means midnight UTC; anything else is left to pydantic."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return datetime.fromisoformat(value.strip()).replace(tzinfo=UTC)
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_midnight_utc)]
"""A time-zone-aware date-time; a bare date is taken as midnight UTC."""


def _absolute_iri(value: str) -> str:
    if not re.match(r"^[A-Za-z][A-Za-z0-9+\-.]*:\S+$", value):
        raise ValueError(f"{value!r} is not an absolute IRI")
    return value


AbsoluteIri = Annotated[str, AfterValidator(_absolute_iri)]

# --------------------------------------------------------------------------- parts


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class ConceptChoice(_Model):
    """A controlled-vocabulary concept: a listed name (``"online"``) or the concept's URI.

    A plain string is accepted as ``{"uri": …}``. ``label`` overrides the listed label; it is
    required for a concept of the scheme that :mod:`~vc_core.model.vocab` does not list.
    """

    uri: NonEmptyStr
    label: LanguageMap | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {"uri": data} if isinstance(data, str) else data


def _in_vocabulary(vocabulary: vocab.Vocabulary) -> AfterValidator:
    def check(choice: ConceptChoice) -> ConceptChoice:
        known = vocabulary.resolve(choice.uri)
        if known is not None:
            return choice.model_copy(update={"uri": known.uri})
        if not vocabulary.accepts(choice.uri):
            listed = ", ".join(sorted(vocabulary.concepts))
            raise ValueError(
                f"{choice.uri!r} is not a {vocabulary.name} concept "
                f"(listed: {listed}; or a URI under {vocabulary.namespace})"
            )
        if choice.label is None:
            raise ValueError(
                f"{vocabulary.name} concept {choice.uri!r} is not listed: give a label"
            )
        return choice

    return AfterValidator(check)


class Identifier(_Model):
    """An identifier of the learner, e.g. ``{"scheme_name": "Student ID", "notation": "…"}``."""

    scheme_name: NonEmptyStr
    notation: NonEmptyStr


class Learner(_Model):
    """Annex I element 1: identification of the learner (ELM ``Person``)."""

    given_name: NonEmptyStr
    family_name: NonEmptyStr
    full_name: NonEmptyStr | None = None
    date_of_birth: date | None = None
    identifiers: tuple[Identifier, ...] = ()
    holder_did: Did | None = None
    """The holder's DID; becomes ``credentialSubject.id`` (holder binding)."""
    email: Email | None = None

    @property
    def display_name(self) -> str:
        return self.full_name or f"{self.given_name} {self.family_name}"


class Alliance(_Model):
    """The European Universities alliance the partners belong to (ELM ``Group``)."""

    name: LanguageMap
    email: Email | None = None
    homepage: HttpUrl | None = None


class _Provider(_Model):
    legal_name: LanguageMap
    country: CountryCode
    short_name: NonEmptyStr | None = None
    erasmus_code: ErasmusCode | None = None
    schac_home: SchacHome | None = None
    homepage: HttpUrl | None = None
    address: NonEmptyStr | None = None
    """Full postal address, one line."""


class AwardingBody(_Provider):
    """Annex I element 4: an awarding body (ELM ``Organisation`` in ``awardingBody[]``).

    It needs an Erasmus code or a SCHAC home organisation so that verifiers can tell which
    institution it is. ``legal_identifier`` is an eIDAS/national registration number.
    """

    did: Did | None = None
    legal_identifier: NonEmptyStr | None = None
    alliance_member: bool = True

    @model_validator(mode="after")
    def _identified(self) -> AwardingBody:
        if self.erasmus_code is None and self.schac_home is None:
            raise ValueError("an awarding body needs an erasmus_code or a schac_home")
        return self


class CoordinatingProvider(_Provider):
    """The provider that issues on behalf of all awarding bodies (specs.md §9.5).

    ``did`` is the credential's ``issuer``. ``legal_identifier`` (an eIDAS or VAT registration
    number) is required: EDC's ``IssuerNodeShape`` demands an ``eIDASIdentifier``.
    """

    did: Did
    legal_identifier: NonEmptyStr
    alliance: Alliance | None = None


class EscoSkill(_Model):
    """An ESCO skill (``http://data.europa.eu/esco/skill/<uuid>``); a plain string is the URI."""

    uri: NonEmptyStr
    label: LanguageMap | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {"uri": data} if isinstance(data, str) else data

    @field_validator("uri")
    @classmethod
    def _esco(cls, value: str) -> str:
        if not value.startswith(vocab.ESCO_SKILL_NAMESPACE) or value == vocab.ESCO_SKILL_NAMESPACE:
            raise ValueError(f"{value!r} is not an ESCO skill URI ({vocab.ESCO_SKILL_NAMESPACE}…)")
        return value


class LearningOutcome(_Model):
    """Annex I element 6: one learning outcome."""

    title: LanguageMap
    esco_skills: tuple[EscoSkill, ...] = ()


class Workload(_Model):
    """Annex I element 7: notional workload in ECTS credits, optionally in hours."""

    ects: Decimal = Field(gt=0, le=MAX_ECTS, decimal_places=2)
    hours: int | None = Field(default=None, gt=0, le=MAX_LEARNING_HOURS)

    @property
    def ects_point(self) -> str:
        """The ECTS value as ELM writes ``CreditPoint.point``: a string, no trailing zeros."""
        return format(self.ects.normalize(), "f")

    @property
    def volume_of_learning(self) -> str | None:
        """``volumeOfLearning`` as an xsd:duration (``PT125H``)."""
        return None if self.hours is None else f"PT{self.hours}H"


class GradingScheme(_Model):
    title: LanguageMap
    description: LanguageMap | None = None


class Grade(_Model):
    """Optional element: the grade achieved, with its grading scheme."""

    value: NonEmptyStr
    grading_scheme: GradingScheme | None = None


class Assessment(_Model):
    """Annex I element 9: type of assessment (assessment-type concept), optional title/mode."""

    type: Annotated[ConceptChoice, _in_vocabulary(vocab.ASSESSMENT)]
    title: LanguageMap | None = None
    mode: Annotated[ConceptChoice, _in_vocabulary(vocab.LEARNING_ASSESSMENT_MODE)] | None = None


class QualityAssuranceAgent(_Model):
    """The body that carried out the quality assurance (e.g. an EQAR-registered agency)."""

    legal_name: LanguageMap
    country: CountryCode
    homepage: HttpUrl | None = None
    deqar_id: NonEmptyStr | None = None
    """DEQAR agency id or URL (``https://data.deqar.eu/agency/63``)."""


class QualityAssurance(_Model):
    """Annex I element 11: type of quality assurance (ELM ``Accreditation``).

    ``organisation`` names the awarding body it concerns by DID, Erasmus code or SCHAC home.
    """

    type: Annotated[ConceptChoice, _in_vocabulary(vocab.ACCREDITATION)]
    title: LanguageMap
    accrediting_agent: QualityAssuranceAgent
    organisation: NonEmptyStr | None = None
    report_url: HttpUrl | None = None
    landing_page: HttpUrl | None = None
    date_issued: Timestamp | None = None
    expiry_date: Timestamp | None = None


class QualificationRef(_Model):
    """A larger (or smaller) credential this one stacks into (or is made of)."""

    title: LanguageMap
    uri: AbsoluteIri | None = None


class Stackability(_Model):
    """Optional element: integration/stackability (stand-alone or part of something larger)."""

    is_partial_qualification: bool
    is_part_of: tuple[QualificationRef, ...] = ()
    has_part: tuple[QualificationRef, ...] = ()
    note: LanguageMap | None = None


class FurtherInformation(_Model):
    """Optional element: further information (notes, a homepage)."""

    notes: tuple[LanguageMap, ...] = ()
    homepage: HttpUrl | None = None

    @model_validator(mode="after")
    def _something(self) -> FurtherInformation:
        if not self.notes and self.homepage is None:
            raise ValueError("further_information needs notes or a homepage")
        return self


class DisplayImage(_Model):
    """A small PNG/JPEG rendering of the credential for ``displayParameter`` (base64)."""

    content_base64: str = Field(min_length=4, max_length=(MAX_DISPLAY_IMAGE_BYTES + 2) // 3 * 4)
    media_type: Literal["image/png", "image/jpeg"] = "image/png"

    @field_validator("content_base64")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("content_base64 is not base64") from None
        if len(raw) > MAX_DISPLAY_IMAGE_BYTES:
            raise ValueError(f"display image is larger than {MAX_DISPLAY_IMAGE_BYTES} bytes")
        return value


_SRI_SHA256 = re.compile(r"^sha256-[A-Za-z0-9+/]{43}=$")


def _sri_sha256(value: str) -> str:
    if not _SRI_SHA256.match(value):
        raise ValueError(f"{value!r} is not a SHA-256 digest as 'sha256-<base64>' (SRI)")
    return value


DigestSri = Annotated[str, AfterValidator(_sri_sha256)]
"""A SHA-256 digest written as Subresource Integrity metadata: ``sha256-`` + base64 (44 chars)."""


class PartAwardingBody(_Model):
    """An awarding body of a part credential, as the part names it (the part was verified)."""

    legal_name: LanguageMap
    country: CountryCode
    did: Did | None = None


class StackedPart(_Model):
    """A credential this (larger) credential is stacked from: ELM ``hasPart``.

    ``credential_id`` and ``digest`` (SHA-256 of the part exactly as received: the RFC 8785
    canonical JSON of a JSON credential, the compact JWT's characters for a JWT) identify the
    part; the rest summarises it for the reader.
    """

    credential_id: AbsoluteIri
    digest: DigestSri
    issuer: AbsoluteIri
    title: LanguageMap
    awarding_bodies: tuple[PartAwardingBody, ...] = Field(min_length=1, max_length=50)
    date_of_issue: Timestamp
    ects: Decimal | None = Field(default=None, gt=0, le=MAX_ECTS, decimal_places=2)
    eqf_level: int | None = Field(default=None, ge=1, le=8)

    @property
    def ects_point(self) -> str | None:
        """The ECTS value as ELM writes ``CreditPoint.point`` (no trailing zeros)."""
        return None if self.ects is None else format(self.ects.normalize(), "f")


ModuleId = Annotated[
    str,
    _matching(
        r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        "a module id (1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit)",
    ),
]
"""The id an alliance gives a module of a course (``sump-design``)."""


class ModuleAchievement(_Model):
    """A module of the course and its result: ELM ``LearningAchievement`` stated in place in the
    claim's ``hasPart``, awarded by the awarding body that assessed it, proven by a
    ``LearningAssessment`` with its ``grade``.

    ``awarding_body`` names that awarding body by DID, Erasmus code or SCHAC home (as
    :attr:`QualityAssurance.organisation` does); ``title`` defaults to the module id.
    """

    module: ModuleId
    awarding_body: NonEmptyStr
    grade: Annotated[str, Field(min_length=1, max_length=MAX_MODULE_GRADE_LENGTH)]
    title: LanguageMap | None = None


# --------------------------------------------------------------------------- the credential


class MicroCredential(_Model):
    """A joint micro-credential with every Annex I element (see the module docstring)."""

    # Annex I, mandatory (the coordinating provider carries element 3, its country).
    learner: Learner
    title: LanguageMap
    coordinating_provider: CoordinatingProvider
    awarding_bodies: tuple[AwardingBody, ...] = Field(min_length=1, max_length=50)
    date_of_issue: Timestamp
    learning_outcomes: tuple[LearningOutcome, ...] = Field(min_length=1, max_length=100)
    workload: Workload
    eqf_level: int = Field(ge=1, le=8)
    assessment: Assessment
    form_of_participation: Annotated[ConceptChoice, _in_vocabulary(vocab.LEARNING_ASSESSMENT_MODE)]
    quality_assurance: tuple[QualityAssurance, ...] = Field(min_length=1, max_length=20)
    # Annex I, optional.
    prerequisites: LanguageMap | None = None
    supervision: Annotated[ConceptChoice, _in_vocabulary(vocab.SUPERVISION_VERIFICATION)] | None = (
        None
    )
    grade: Grade | None = None
    stackability: Stackability | None = None
    further_information: FurtherInformation | None = None
    # Presentation and validity.
    description: LanguageMap | None = None
    learning_setting: Annotated[ConceptChoice, _in_vocabulary(vocab.LEARNING_SETTING)] | None = None
    primary_language: LanguageTag = "en"
    valid_from: Timestamp
    valid_until: Timestamp | None = None
    display_image: DisplayImage | None = None
    # Stacking: the part credentials this one is made of (none for a stand-alone credential).
    parts: tuple[StackedPart, ...] = Field(default=(), max_length=MAX_STACKED_PARTS)
    # The modules of the course, each with its result and the awarding body that assessed it.
    module_achievements: tuple[ModuleAchievement, ...] = Field(default=(), max_length=MAX_MODULES)

    # -- cross-field rules (field validators see the fields declared before them) ----------

    @field_validator("awarding_bodies")
    @classmethod
    def _distinct_bodies(cls, bodies: tuple[AwardingBody, ...]) -> tuple[AwardingBody, ...]:
        seen: set[str] = set()
        for body in bodies:
            for key in (body.did, body.erasmus_code, body.schac_home):
                if key is not None and key in seen:
                    raise ValueError(f"awarding body {key!r} is listed twice")
            seen.update(k for k in (body.did, body.erasmus_code, body.schac_home) if k)
        return bodies

    @field_validator("quality_assurance")
    @classmethod
    def _qa_organisations(
        cls, entries: tuple[QualityAssurance, ...], info: ValidationInfo
    ) -> tuple[QualityAssurance, ...]:
        bodies: tuple[AwardingBody, ...] | None = info.data.get("awarding_bodies")
        if bodies is None:
            return entries
        keys = {k for b in bodies for k in (b.did, b.erasmus_code, b.schac_home) if k}
        for index, entry in enumerate(entries):
            if entry.organisation is not None and entry.organisation not in keys:
                raise ValueError(
                    f"quality_assurance[{index}].organisation {entry.organisation!r} "
                    "names no awarding body (use its DID, Erasmus code or SCHAC home)"
                )
        return entries

    @field_validator("primary_language")
    @classmethod
    def _primary_in_title(cls, tag: str, info: ValidationInfo) -> str:
        title: dict[str, str] | None = info.data.get("title")
        if title is not None and tag not in title:
            raise ValueError(f"primary language {tag!r} has no title (title has {sorted(title)})")
        return tag

    @field_validator("valid_until")
    @classmethod
    def _after_valid_from(cls, until: datetime | None, info: ValidationInfo) -> datetime | None:
        start: datetime | None = info.data.get("valid_from")
        if until is not None and start is not None and until <= start:
            raise ValueError("valid_until must be later than valid_from")
        return until

    @field_validator("parts")
    @classmethod
    def _distinct_parts(cls, parts: tuple[StackedPart, ...]) -> tuple[StackedPart, ...]:
        seen: set[str] = set()
        for part in parts:
            if part.credential_id in seen:
                raise ValueError(f"part {part.credential_id!r} is listed twice")
            seen.add(part.credential_id)
        return parts

    @field_validator("module_achievements")
    @classmethod
    def _modules(
        cls, modules: tuple[ModuleAchievement, ...], info: ValidationInfo
    ) -> tuple[ModuleAchievement, ...]:
        seen: set[str] = set()
        for index, module in enumerate(modules):
            if module.module in seen:
                raise ValueError(f"module {module.module!r} is listed twice (entry {index})")
            seen.add(module.module)
        bodies: tuple[AwardingBody, ...] | None = info.data.get("awarding_bodies")
        if bodies is None:
            return modules
        keys = {k for b in bodies for k in (b.did, b.erasmus_code, b.schac_home) if k}
        for index, module in enumerate(modules):
            if module.awarding_body not in keys:
                raise ValueError(
                    f"module_achievements[{index}].awarding_body {module.awarding_body!r} names "
                    "no awarding body (use its DID, Erasmus code or SCHAC home)"
                )
        return modules

    # -- derived -------------------------------------------------------------------------

    @property
    def country_of_issuer(self) -> str:
        """Annex I element 3: the coordinating provider's country (ISO 3166-1 alpha-2)."""
        return self.coordinating_provider.country

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the credential is available in: primary first, then the others."""
        others = sorted(tag for tag in self.title if tag != self.primary_language)
        return (self.primary_language, *others)

    @property
    def is_joint(self) -> bool:
        return len(self.awarding_bodies) > 1

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> MicroCredential:
        """Validate ``data``; raise :class:`ModelValidationError` naming every offending field."""
        if not isinstance(data, Mapping):
            raise ModelValidationError(
                [FieldError(loc="", message="a micro-credential must be a JSON object")]
            )
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise ModelValidationError(field_errors(exc)) from None


def field_errors(exc: ValidationError) -> list[FieldError]:
    """pydantic's errors as :class:`FieldError` (``loc`` dotted: ``awarding_bodies.1.country``)."""
    errors: list[FieldError] = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"])
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        errors.append(FieldError(loc=loc, message=message, type=str(error["type"])))
    # pydantic checks a sequence's min_length after dropping the items that failed, so a list
    # whose only item is invalid also reports "too short": that error names no real problem.
    return [
        e
        for e in errors
        if not (e.type == "too_short" and any(o.loc.startswith(e.loc + ".") for o in errors))
    ]
