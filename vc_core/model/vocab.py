"""Controlled vocabularies of the European Learning Model (specs.md §9.3).

ELM writes every coded value as a SKOS ``Concept`` with its ``inScheme``; the EDC SHACL profile
``edc-generic-full`` checks the scheme of each one. This module holds the concept schemes and the
concepts mcred emits, each with the URI the EC's own samples use. We list only concepts seen in the
official EDC samples or specs.md §9.3; a concept we do not list may still be given by its full URI
inside the right scheme (see :meth:`Vocabulary.accepts`), with a label.

Also here: the EU Publications Office authority tables for countries (ISO 3166 alpha-2 in the
model, alpha-3 in the URI ``http://publications.europa.eu/resource/authority/country/ESP``) and
languages (ISO 639-1 in language maps, the authority code in
``http://publications.europa.eu/resource/authority/language/ENG``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "ACCREDITATION",
    "ACCREDITED_PROFILE",
    "ARTEFACT_ASSESSMENT",
    "ASSESSMENT",
    "BASE64_ENCODING",
    "BLENDED",
    "CONTINUOUS_EVALUATION",
    "COUNTRIES",
    "COUNTRY_SCHEME",
    "CREDENTIAL_PROFILE",
    "ECTS",
    "EDUCATIONAL_PROGRAMME",
    "EDUCATION_CREDIT",
    "EQAR_INSTITUTIONAL_ACCREDITATION",
    "EQF",
    "ESCO_SKILLS_SCHEME",
    "ESCO_SKILL_NAMESPACE",
    "EVIDENCE_TYPE",
    "EVIDENCE_TYPE_ACCREDITATION",
    "EVIDENCE_TYPE_MANDATE",
    "E_LEARNING_COURSEWORK",
    "FILE_TYPE_JPEG",
    "FILE_TYPE_PNG",
    "FILE_TYPE_SCHEME",
    "FORMAL_LEARNING",
    "GENERIC_PROFILE",
    "INSTITUTIONAL_LICENCE",
    "LANGUAGES",
    "LANGUAGE_SCHEME",
    "LEARNING_ACTIVITY",
    "LEARNING_ASSESSMENT_MODE",
    "LEARNING_OPPORTUNITY",
    "LEARNING_SETTING",
    "NON_FORMAL_LEARNING",
    "ONLINE",
    "PRESENTIAL",
    "PROGRAMME_MODULE",
    "SHORT_LEARNING_PROGRAMME",
    "SUPERVISED_WITH_ID_VERIFICATION",
    "SUPERVISION_VERIFICATION",
    "UNSUPERVISED_WITHOUT_ID_VERIFICATION",
    "WRITTEN_EXAMINATION",
    "Concept",
    "Country",
    "Language",
    "Vocabulary",
    "country",
    "eqf_level",
    "language",
]


@dataclass(frozen=True)
class Concept:
    """A SKOS concept: its IRI, the IRI of its concept scheme and its labels (``{lang: text}``)."""

    uri: str
    scheme: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", MappingProxyType(dict(self.labels)))

    def __hash__(self) -> int:
        return hash((self.uri, self.scheme))


@dataclass(frozen=True)
class Vocabulary:
    """One concept scheme: its IRI, the IRI prefix of its concepts and the concepts we name.

    ``concepts`` is keyed by a short snake_case name (``"written_examination"``) so that model
    input may say ``"written_examination"`` instead of the opaque URI.
    """

    name: str
    scheme: str
    namespace: str
    concepts: Mapping[str, Concept]
    open: bool = True
    """Whether a concept of the scheme that we do not list may be given by its URI."""

    def resolve(self, ref: str) -> Concept | None:
        """The listed concept named ``ref`` (key, case-insensitive, or URI), else ``None``."""
        key = ref.strip().lower().replace("-", "_").replace(" ", "_")
        if key in self.concepts:
            return self.concepts[key]
        for concept in self.concepts.values():
            if concept.uri == ref.strip():
                return concept
        return None

    def accepts(self, uri: str) -> bool:
        """True if ``uri`` names a concept of this scheme (listed, or unlisted when open)."""
        if self.resolve(uri) is not None:
            return True
        return self.open and uri.startswith(self.namespace) and len(uri) > len(self.namespace)

    def concept(self, uri: str, labels: Mapping[str, str] | None = None) -> Concept:
        """The concept ``uri`` (listed or not) with ``labels`` overriding the listed labels."""
        known = self.resolve(uri)
        base_labels = dict(known.labels) if known is not None else {}
        return Concept(
            uri=known.uri if known is not None else uri,
            scheme=self.scheme,
            labels=dict(labels) if labels else base_labels,
        )


def _vocabulary(
    name: str, scheme: str, namespace: str, concepts: Mapping[str, Concept], *, open_: bool = True
) -> Vocabulary:
    return Vocabulary(name, scheme, namespace, MappingProxyType(dict(concepts)), open_)


_SNB = "http://data.europa.eu/snb/"
_AUTHORITY = "http://publications.europa.eu/resource/authority/"

# --- credential profiles (credentialProfiles, required) ------------------------------------
_CREDENTIAL_SCHEME = _SNB + "credential/25831c2"
GENERIC_PROFILE = Concept(_SNB + "credential/e34929035b", _CREDENTIAL_SCHEME, {"en": "Generic"})
ACCREDITED_PROFILE = Concept(
    _SNB + "credential/6cf8e68c43", _CREDENTIAL_SCHEME, {"en": "Accredited"}
)
CREDENTIAL_PROFILE = _vocabulary(
    "credential profile",
    _CREDENTIAL_SCHEME,
    _SNB + "credential/",
    {"generic": GENERIC_PROFILE, "accredited": ACCREDITED_PROFILE},
)

# --- EQF levels (Qualification.eqfLevel) ---------------------------------------------------
_EQF_SCHEME = _SNB + "eqf/25831c2"
EQF = _vocabulary(
    "EQF level",
    _EQF_SCHEME,
    _SNB + "eqf/",
    {str(n): Concept(f"{_SNB}eqf/{n}", _EQF_SCHEME, {"en": f"Level {n}"}) for n in range(1, 9)},
    open_=False,
)


def eqf_level(level: int) -> Concept:
    """The concept ``http://data.europa.eu/snb/eqf/<level>`` for EQF levels 1 to 8."""
    concept = EQF.concepts.get(str(level))
    if concept is None:
        raise ValueError(f"EQF level must be 1 to 8, not {level}")
    return concept


# --- credit systems (CreditPoint.framework) ------------------------------------------------
_CREDIT_SCHEME = _SNB + "education-credit/25831c2"
ECTS = Concept(
    _SNB + "education-credit/6fcec5c5af", _CREDIT_SCHEME, {"en": "European Credit Transfer System"}
)
EDUCATION_CREDIT = _vocabulary(
    "credit system", _CREDIT_SCHEME, _SNB + "education-credit/", {"ects": ECTS}
)

# --- learning/assessment modes: the form of participation (Specification.mode) -------------
_MODE_SCHEME = _SNB + "learning-assessment/25831c2"
ONLINE = Concept(_SNB + "learning-assessment/920fbb3cbe", _MODE_SCHEME, {"en": "Online"})
BLENDED = Concept(_SNB + "learning-assessment/e92d221e4d", _MODE_SCHEME, {"en": "Blended"})
PRESENTIAL = Concept(_SNB + "learning-assessment/9191af2ed9", _MODE_SCHEME, {"en": "Presential"})
LEARNING_ASSESSMENT_MODE = _vocabulary(
    "learning/assessment mode",
    _MODE_SCHEME,
    _SNB + "learning-assessment/",
    {"online": ONLINE, "blended": BLENDED, "presential": PRESENTIAL},
    open_=False,
)

# --- learning setting (Specification.learningSetting) --------------------------------------
_SETTING_SCHEME = _SNB + "learning-setting/25831c2"
FORMAL_LEARNING = Concept(
    _SNB + "learning-setting/6fd4685715", _SETTING_SCHEME, {"en": "formal learning"}
)
NON_FORMAL_LEARNING = Concept(
    _SNB + "learning-setting/e207a81fc7", _SETTING_SCHEME, {"en": "non-formal learning"}
)
LEARNING_SETTING = _vocabulary(
    "learning setting",
    _SETTING_SCHEME,
    _SNB + "learning-setting/",
    {"formal": FORMAL_LEARNING, "non_formal": NON_FORMAL_LEARNING},
    open_=False,
)

# --- assessment types (LearningAssessmentSpecification.dcType) -----------------------------
_ASSESSMENT_SCHEME = _SNB + "assessment/25831c2"
WRITTEN_EXAMINATION = Concept(
    _SNB + "assessment/6e6cb2cc78", _ASSESSMENT_SCHEME, {"en": "written examination"}
)
ARTEFACT_ASSESSMENT = Concept(
    _SNB + "assessment/de4d165a6c", _ASSESSMENT_SCHEME, {"en": "artefact assessment"}
)
CONTINUOUS_EVALUATION = Concept(
    _SNB + "assessment/3484bd7e51", _ASSESSMENT_SCHEME, {"en": "continuous evaluation"}
)
ASSESSMENT = _vocabulary(
    "assessment type",
    _ASSESSMENT_SCHEME,
    _SNB + "assessment/",
    {
        "written_examination": WRITTEN_EXAMINATION,
        "artefact_assessment": ARTEFACT_ASSESSMENT,
        "continuous_evaluation": CONTINUOUS_EVALUATION,
    },
)

# --- supervision and identity verification (LearningAssessment.idVerification) -------------
_SUPERVISION_SCHEME = _SNB + "supervision-verification/25831c2"
UNSUPERVISED_WITHOUT_ID_VERIFICATION = Concept(
    _SNB + "supervision-verification/c598449d64",
    _SUPERVISION_SCHEME,
    {"en": "Unsupervised without ID Verification"},
)
SUPERVISED_WITH_ID_VERIFICATION = Concept(
    _SNB + "supervision-verification/70be69aaf9",
    _SUPERVISION_SCHEME,
    {"en": "Supervised with ID Verification"},
)
SUPERVISION_VERIFICATION = _vocabulary(
    "supervision and verification",
    _SUPERVISION_SCHEME,
    _SNB + "supervision-verification/",
    {
        "unsupervised_without_id_verification": UNSUPERVISED_WITHOUT_ID_VERIFICATION,
        "supervised_with_id_verification": SUPERVISED_WITH_ID_VERIFICATION,
    },
)

# --- learning opportunity types (Specification.dcType) --------------------------------------
_OPPORTUNITY_SCHEME = _SNB + "learning-opportunity/25831c2"
SHORT_LEARNING_PROGRAMME = Concept(
    _SNB + "learning-opportunity/74a4a268e8",
    _OPPORTUNITY_SCHEME,
    {"en": "Short learning programme"},
)
PROGRAMME_MODULE = Concept(
    _SNB + "learning-opportunity/0f7dac46ca", _OPPORTUNITY_SCHEME, {"en": "Programme module"}
)
EDUCATIONAL_PROGRAMME = Concept(
    _SNB + "learning-opportunity/79343569f3", _OPPORTUNITY_SCHEME, {"en": "Educational programme"}
)
LEARNING_OPPORTUNITY = _vocabulary(
    "learning opportunity type",
    _OPPORTUNITY_SCHEME,
    _SNB + "learning-opportunity/",
    {
        "short_learning_programme": SHORT_LEARNING_PROGRAMME,
        "programme_module": PROGRAMME_MODULE,
        "educational_programme": EDUCATIONAL_PROGRAMME,
    },
)

# --- learning activity types (LearningActivitySpecification.dcType) ------------------------
_ACTIVITY_SCHEME = _SNB + "learning-activity/25831c2"
E_LEARNING_COURSEWORK = Concept(
    _SNB + "learning-activity/bf2e3a7bae", _ACTIVITY_SCHEME, {"en": "e-learning coursework"}
)
LEARNING_ACTIVITY = _vocabulary(
    "learning activity type",
    _ACTIVITY_SCHEME,
    _SNB + "learning-activity/",
    {"e_learning_coursework": E_LEARNING_COURSEWORK},
)

# --- accreditation types (Accreditation.dcType): the type of quality assurance --------------
_ACCREDITATION_SCHEME = _SNB + "accreditation/25831c2"
EQAR_INSTITUTIONAL_ACCREDITATION = Concept(
    _SNB + "accreditation/c_1f1a469a",
    _ACCREDITATION_SCHEME,
    {"en": "EQAR Institutional accreditation"},
)
INSTITUTIONAL_LICENCE = Concept(
    _SNB + "accreditation/003293d2ce", _ACCREDITATION_SCHEME, {"en": "Institutional License"}
)
ACCREDITATION = _vocabulary(
    "accreditation type",
    _ACCREDITATION_SCHEME,
    _SNB + "accreditation/",
    {
        "eqar_institutional_accreditation": EQAR_INSTITUTIONAL_ACCREDITATION,
        "institutional_licence": INSTITUTIONAL_LICENCE,
    },
)

# --- evidence types (Evidence.dcType) ------------------------------------------------------
_EVIDENCE_SCHEME = _SNB + "evidence-type/25831c2"
EVIDENCE_TYPE_ACCREDITATION = Concept(
    _SNB + "evidence-type/c_991b06c6", _EVIDENCE_SCHEME, {"en": "Accreditation"}
)
EVIDENCE_TYPE_MANDATE = Concept(
    _SNB + "evidence-type/c_18016257", _EVIDENCE_SCHEME, {"en": "Mandate"}
)
EVIDENCE_TYPE = _vocabulary(
    "evidence type",
    _EVIDENCE_SCHEME,
    _SNB + "evidence-type/",
    {"accreditation": EVIDENCE_TYPE_ACCREDITATION, "mandate": EVIDENCE_TYPE_MANDATE},
)

# --- skills ---------------------------------------------------------------------------------
ESCO_SKILLS_SCHEME = "http://data.europa.eu/esco/concept-scheme/skills"
ESCO_SKILL_NAMESPACE = "http://data.europa.eu/esco/skill/"

# --- media objects (displayParameter images) -----------------------------------------------
_ENCODING_SCHEME = _SNB + "encoding/25831c2"
BASE64_ENCODING = Concept(_SNB + "encoding/6146cde7dd", _ENCODING_SCHEME, {"en": "base64"})
FILE_TYPE_SCHEME = _AUTHORITY + "file-type"
FILE_TYPE_PNG = Concept(_AUTHORITY + "file-type/PNG", FILE_TYPE_SCHEME, {"en": "PNG"})
FILE_TYPE_JPEG = Concept(_AUTHORITY + "file-type/JPEG", FILE_TYPE_SCHEME, {"en": "JPEG"})

# --- countries (EU authority table "country", ISO 3166-1 alpha-3 codes) ---------------------
COUNTRY_SCHEME = _AUTHORITY + "country"


@dataclass(frozen=True)
class Country:
    """A country: ISO 3166-1 alpha-2 (model) and alpha-3 (EU authority URI) codes."""

    alpha2: str
    alpha3: str
    name: str

    @property
    def uri(self) -> str:
        return f"{COUNTRY_SCHEME}/{self.alpha3}"

    @property
    def concept(self) -> Concept:
        return Concept(self.uri, COUNTRY_SCHEME, {"en": self.name})


_COUNTRY_ROWS = """
AT AUT Austria|BE BEL Belgium|BG BGR Bulgaria|HR HRV Croatia|CY CYP Cyprus|CZ CZE Czechia
DK DNK Denmark|EE EST Estonia|FI FIN Finland|FR FRA France|DE DEU Germany|GR GRC Greece
HU HUN Hungary|IE IRL Ireland|IT ITA Italy|LV LVA Latvia|LT LTU Lithuania|LU LUX Luxembourg
MT MLT Malta|NL NLD Netherlands|PL POL Poland|PT PRT Portugal|RO ROU Romania|SK SVK Slovakia
SI SVN Slovenia|ES ESP Spain|SE SWE Sweden|IS ISL Iceland|LI LIE Liechtenstein|NO NOR Norway
CH CHE Switzerland|GB GBR United Kingdom|AL ALB Albania|BA BIH Bosnia and Herzegovina
ME MNE Montenegro|MK MKD North Macedonia|RS SRB Serbia|TR TUR Türkiye|UA UKR Ukraine
MD MDA Moldova|GE GEO Georgia|AM ARM Armenia|AZ AZE Azerbaijan|AD AND Andorra|MC MCO Monaco
SM SMR San Marino|VA VAT Holy See|US USA United States|CA CAN Canada|MX MEX Mexico
BR BRA Brazil|AR ARG Argentina|CL CHL Chile|CO COL Colombia|AU AUS Australia
NZ NZL New Zealand|JP JPN Japan|CN CHN China|KR KOR South Korea|IN IND India|IL ISR Israel
ZA ZAF South Africa|EG EGY Egypt|MA MAR Morocco|TN TUN Tunisia|SG SGP Singapore
"""


def _parse_countries(rows: str) -> Mapping[str, Country]:
    table: dict[str, Country] = {}
    for cell in rows.replace("\n", "|").split("|"):
        if cell.strip():
            alpha2, alpha3, name = cell.strip().split(" ", 2)
            table[alpha2] = Country(alpha2, alpha3, name)
    return MappingProxyType(table)


COUNTRIES: Mapping[str, Country] = _parse_countries(_COUNTRY_ROWS)
"""Known countries by ISO 3166-1 alpha-2 code (EU, EEA, candidates, main partners)."""

_COUNTRY_ALIASES = {"EL": "GR", "UK": "GB"}  # EU protocol-order codes for Greece and the UK


def country(code: str) -> Country:
    """The country for an ISO 3166-1 alpha-2 code (``EL``/``UK`` accepted as EU aliases)."""
    key = code.strip().upper()
    key = _COUNTRY_ALIASES.get(key, key)
    try:
        return COUNTRIES[key]
    except KeyError:
        raise ValueError(
            f"unknown country code {code!r}: give an ISO 3166-1 alpha-2 code"
        ) from None


# --- languages (EU authority table "language"; language-map keys are ISO 639-1) ------------
LANGUAGE_SCHEME = _AUTHORITY + "language"


@dataclass(frozen=True)
class Language:
    """A language: ISO 639-1 tag (language maps) and EU authority code (``ENG``)."""

    tag: str
    code: str
    name: str

    @property
    def uri(self) -> str:
        return f"{LANGUAGE_SCHEME}/{self.code}"

    @property
    def concept(self) -> Concept:
        return Concept(self.uri, LANGUAGE_SCHEME, {"en": self.name})


_LANGUAGE_ROWS = """
bg BUL Bulgarian|cs CES Czech|da DAN Danish|de DEU German|el ELL Greek|en ENG English
es SPA Spanish|et EST Estonian|fi FIN Finnish|fr FRA French|ga GLE Irish|hr HRV Croatian
hu HUN Hungarian|it ITA Italian|lt LIT Lithuanian|lv LAV Latvian|mt MLT Maltese|nl NLD Dutch
pl POL Polish|pt POR Portuguese|ro RON Romanian|sk SLK Slovak|sl SLV Slovenian|sv SWE Swedish
is ISL Icelandic|no NOR Norwegian|nb NOB Norwegian Bokmål|nn NNO Norwegian Nynorsk
tr TUR Turkish|mk MKD Macedonian|sr SRP Serbian|sq SQI Albanian|bs BOS Bosnian|uk UKR Ukrainian
ru RUS Russian|ca CAT Catalan|eu EUS Basque|gl GLG Galician|lb LTZ Luxembourgish|cy CYM Welsh
gd GLA Scottish Gaelic|fo FAO Faroese|se SME Northern Sami|ka KAT Georgian|hy HYE Armenian
az AZE Azerbaijani|be BEL Belarusian|ar ARA Arabic|zh ZHO Chinese|ja JPN Japanese
ko KOR Korean|hi HIN Hindi|he HEB Hebrew|fa FAS Persian|la LAT Latin|eo EPO Esperanto
"""


def _parse_languages(rows: str) -> Mapping[str, Language]:
    table: dict[str, Language] = {}
    for cell in rows.replace("\n", "|").split("|"):
        if cell.strip():
            tag, code, name = cell.strip().split(" ", 2)
            table[tag] = Language(tag, code, name)
    return MappingProxyType(table)


LANGUAGES: Mapping[str, Language] = _parse_languages(_LANGUAGE_ROWS)
"""Known language-map keys (ISO 639-1): the 24 EU languages and those of neighbours/partners.

The EBSI EDC JSON Schema (ELM 3.2) keys language maps by bare ISO 639-1 codes only, so region
subtags (``en-GB``) are refused rather than emitted.
"""


def language(tag: str) -> Language:
    """The language for an ISO 639-1 tag (case-insensitive); ``ValueError`` when unknown."""
    key = tag.strip().lower()
    try:
        return LANGUAGES[key]
    except KeyError:
        raise ValueError(
            f"unknown language tag {tag!r}: language maps are keyed by ISO 639-1 codes "
            "such as 'en', 'de', 'fr'"
        ) from None
