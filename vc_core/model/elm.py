"""Build an ELM 3.2 / EDC credential from a :class:`MicroCredential` (specs.md §9.1 to §9.5).

The output follows the envelope of the EC's own samples, which is the one that JSON-LD-expands
in safe mode and signs with ``eddsa-rdfc-2022`` (specs.md §0.1 item 1, §9.1): the VCDM **1.1**
context, then the EDC application-profile context, then Data Integrity v2 (plus the Bitstring
Status List context when a status entry is given). The class tree is the one of §9.2:

``EuropeanDigitalCredential`` → ``credentialSubject`` ``Person`` → ``hasClaim``
``LearningAchievement`` → ``specifiedBy`` ``Qualification`` (EQF level, ECTS, outcomes, mode,
accreditation), ``awardedBy`` ``AwardingProcess`` (every awarding body), ``provenBy``
``LearningAssessment`` (assessment type, grade, ID verification).

Choices, each checked by the tests against the pinned 3.2 context and the EDC SHACL shapes:

* **Language maps** use the ELM 3.2 array form ``{"en": ["…"]}`` (as the 3.2 samples and the EBSI
  3.2 schema do). The 3.2 context declares these terms ``@container: @language``, so the array
  and the string form expand to the same ``rdf:langString`` values; we emit one form only.
* **Node ids** are ``urn:epass:<class>:<uuid5>`` where the UUID is derived from the credential id
  and the node's position, so a build is reproducible and ids never collide across credentials.
  Organisations with a DID use the DID; the credential subject uses the holder DID when known.
* **Joint award** (§9.5): the coordinating provider is ``issuer`` (with the ``eIDASIdentifier``
  that EDC's ``IssuerNodeShape`` requires); every partner is an ``awardingBody``; an ``evidence``
  with the *Mandate* evidence type states that the coordinator issues on their behalf, and
  ``credentialSchema`` names the ``edc-issued-by-mandate`` profile. An awarding body that shares
  the coordinator's DID is written as the same ``Organisation`` node as the issuer.
* **Display**: ``displayParameter`` with one ``individualDisplay`` for the primary language. EDC
  requires an image there; without :attr:`MicroCredential.display_image` a 1x1 PNG stands in.
* **Grade**: EDC requires ``grade`` on every ``LearningAssessment``; without a grade it is "Pass"
  (the credential exists because the assessment was passed).
* **Dates** are written in UTC with ``Z`` (§9.6.3). ``issued`` and ``issuanceDate`` (VCDM 1.1)
  are the ``issued`` argument; the Annex I date of issuing is ``awardedBy.awardingDate``.
* **Stacking**: a credential made of part credentials (:attr:`MicroCredential.parts`) lists each
  part as a ``LearningAchievement`` in its claim's ``hasPart`` (ELM: "smaller units of
  achievement, which when combined make up this achievement"): the part's title, its awarding
  bodies and date (``awardedBy``), its ECTS (``creditReceived``) and EQF level (``specifiedBy``),
  and two ``Identifier`` nodes: the part credential's ``id`` (scheme :data:`PART_ID_SCHEME`,
  ``creator`` the part's issuer) and its SHA-256 digest as received (scheme
  :data:`PART_DIGEST_SCHEME`, SRI form ``sha256-<base64>``; :func:`part_digest`). ELM has no
  digest property; an ``Identifier`` of a named scheme is what EDC's shapes accept there.
  :func:`stacked_parts` reads the references back; :func:`read_part` summarises a part.
* **Modules** (:attr:`MicroCredential.module_achievements`): each module is a
  ``LearningAchievement`` stated in place in the claim's ``hasPart``, after any stacked parts,
  as the EC's joint-degree sample states its courses: its ``title`` (the module id unless a
  title is given), an ``Identifier`` holding the module id (scheme :data:`MODULE_ID_SCHEME`),
  ``awardedBy`` an ``AwardingProcess`` whose ``awardingBody`` is the awarding body that assessed
  it (a reference to the ``Organisation`` the credential already describes; no
  ``awardingDate``: the module's own date is not known), and ``provenBy`` a
  ``LearningAssessment`` with the result as its ``grade`` ``Note``, ``assessedBy`` that body and
  ``awardedBy`` the same process (EDC requires ``title``, ``grade`` and ``awardedBy`` there).
  ELM 3 links a claim to its assessment by ``provenBy``; ``wasDerivedFrom`` was ELM 2's
  (EDCI) term and is not in the 3.x context. :func:`module_achievements` reads modules back
  (any achievement stated in place, ours or the EC's).
* **Templates**: the credentials of one specification differ in little but their node ids, the
  learner, the dates and the grade. :class:`ElmTemplate` builds such a credential once with
  those values left open and fills them in for the next ones: the same document, byte for
  byte, as :func:`build_elm_credential` (which builds what a template does not fit).
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
import rfc8785
from pydantic import BaseModel

from vc_core.errors import MalformedInputError
from vc_core.json_codec import json_copy
from vc_core.model import vocab
from vc_core.model.microcredential import (
    AwardingBody,
    ConceptChoice,
    CoordinatingProvider,
    EscoSkill,
    MicroCredential,
    ModuleAchievement,
    PartAwardingBody,
    QualificationRef,
    QualityAssurance,
    StackedPart,
)

__all__ = [
    "DATA_INTEGRITY_V2_CONTEXT",
    "EDC_AP_CONTEXT",
    "EDC_GENERIC_FULL",
    "EDC_ISSUED_BY_MANDATE",
    "ELM_CONTEXT",
    "MODULE_ID_SCHEME",
    "PART_DIGEST_SCHEME",
    "PART_DIGEST_SCHEME_ID",
    "PART_ID_SCHEME",
    "PART_ID_SCHEME_ID",
    "PLACEHOLDER_PNG_BASE64",
    "STATUS_LIST_CONTEXT",
    "VC_V1_CONTEXT",
    "ElmShape",
    "ElmTemplate",
    "ModuleSummary",
    "PartReference",
    "PartSummary",
    "build_elm_credential",
    "elm_shape",
    "format_datetime",
    "module_achievements",
    "part_digest",
    "read_part",
    "stacked_parts",
]

VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
EDC_AP_CONTEXT = "http://data.europa.eu/snb/model/context/edc-ap"
DATA_INTEGRITY_V2_CONTEXT = "https://w3id.org/security/data-integrity/v2"
STATUS_LIST_CONTEXT = "https://www.w3.org/ns/credentials/status/v1"
ELM_CONTEXT: tuple[str, ...] = (VC_V1_CONTEXT, EDC_AP_CONTEXT, DATA_INTEGRITY_V2_CONTEXT)
"""``@context`` of an ELM credential without status (specs.md §9.1)."""

EDC_GENERIC_FULL = "http://data.europa.eu/snb/model/ap/edc-generic-full"
EDC_ISSUED_BY_MANDATE = "http://data.europa.eu/snb/model/ap/edc-issued-by-mandate"

PLACEHOLDER_PNG_BASE64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR42mP4DwABAQEAHLCMmQAAAABJRU5ErkJggg=="
)
"""A 1x1 white PNG (67 bytes): EDC's ``DisplayDetail`` needs an image; we keep it tiny (§9.6.4)."""

PART_ID_SCHEME = "Verifiable Credential id"
"""``schemeName`` of the ``Identifier`` that names a part credential by its ``id``."""
PART_ID_SCHEME_ID = "https://www.w3.org/TR/vc-data-model/#identifiers"
PART_DIGEST_SCHEME = "SHA-256 digest (SRI) of the credential as received"
"""``schemeName`` of the ``Identifier`` that holds a part's digest (:func:`part_digest`)."""
PART_DIGEST_SCHEME_ID = "https://www.w3.org/TR/SRI/#integrity-metadata"
MODULE_ID_SCHEME = "Module id"
"""``schemeName`` of the ``Identifier`` that holds a module's id (the alliance's, e.g.
``sump-design``) on a module stated in a claim's ``hasPart``."""

_NODE_NAMESPACE = uuid.UUID("0b3f4c1e-6a53-5d0e-9a62-3f0f6f5e2a11")
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+\-.]*:\S+$")


def format_datetime(value: datetime) -> str:
    """xsd:dateTime in UTC with ``Z``, whole seconds (specs.md §9.6.3)."""
    if value.tzinfo is None:
        raise MalformedInputError("a date-time without a time zone cannot be written")
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def build_elm_credential(
    mc: MicroCredential,
    *,
    credential_id: str,
    issued: datetime,
    status_entry: Mapping[str, Any] | None = None,
    mandate_ids: Sequence[str] = (),
) -> dict[str, Any]:
    """The unsigned ELM 3.2 / EDC credential for ``mc`` (see the module docstring).

    ``mandate_ids`` name the awarding mandates the coordinator holds from the awarding bodies
    (issued-by-mandate profile); the evidence statement lists them.

    ``credential_id`` must be an absolute IRI (``urn:uuid:…``) and ``issued`` time-zone-aware.
    ``status_entry`` (a ``BitstringStatusListEntry`` with an IRI ``id``) is copied as the single
    ``credentialStatus``; EDC allows at most one (specs.md §9.6.5).
    """
    _check_arguments(credential_id, issued, status_entry)
    return _ElmBuilder(mc, credential_id, tuple(mandate_ids)).credential(issued, status_entry)


def _check_arguments(
    credential_id: str, issued: datetime, status_entry: Mapping[str, Any] | None
) -> None:
    if not isinstance(credential_id, str) or not _ABSOLUTE_IRI.match(credential_id):
        raise MalformedInputError(f"credential id {credential_id!r} is not an absolute IRI")
    if issued.tzinfo is None:
        raise MalformedInputError("issued must be a time-zone-aware datetime")
    if status_entry is not None:
        entry_id = status_entry.get("id")
        if not isinstance(entry_id, str) or not _ABSOLUTE_IRI.match(entry_id):
            raise MalformedInputError("a credentialStatus entry needs an absolute IRI id")
        if not status_entry.get("type"):
            raise MalformedInputError("a credentialStatus entry needs a type")


def _uuid5(prefix: Any, name: str) -> str:
    """``str(uuid.uuid5(_NODE_NAMESPACE, <the prefix's name> + name))`` without building a
    :class:`uuid.UUID`: ``prefix`` is a SHA-1 that has hashed the namespace and the name's start
    (:func:`_uuid5_prefix`)."""
    hashed = prefix.copy()
    hashed.update(name.encode("utf-8"))
    return _uuid5_text(hashed.hexdigest())


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _uuid5_text(sha1_hex: str) -> str:
    """The UUID text of a name-based SHA-1 UUID (RFC 9562 §5.5) from the SHA-1 in hex: its
    first 16 bytes, the version nibble 5, the variant bits ``10``."""
    h = sha1_hex
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def _uuid5_prefix(start: str) -> Any:
    return hashlib.sha1(_NODE_NAMESPACE.bytes + start.encode("utf-8"), usedforsecurity=False)


class _NodeIds:
    """``urn:epass:<class>:<uuid5>`` ids, numbered per class in build order."""

    def __init__(self, credential_id: str) -> None:
        self._prefix = _uuid5_prefix(f"{credential_id}#")
        self._counters: dict[str, int] = {}

    def new(self, node_class: str) -> str:
        n = self._counters.get(node_class, 0) + 1
        self._counters[node_class] = n
        return f"urn:epass:{node_class}:{_uuid5(self._prefix, f'{node_class}/{n}')}"


class _ElmBuilder:
    def __init__(
        self, mc: MicroCredential, credential_id: str, mandate_ids: tuple[str, ...] = ()
    ) -> None:
        self.mc = mc
        self.mandate_ids = mandate_ids
        self.credential_id = credential_id
        self.ids = _NodeIds(credential_id)
        self.primary = mc.primary_language
        self._group: dict[str, Any] | None = None
        self._issuer: dict[str, Any] | None = None
        self._body_nodes: list[dict[str, Any]] = []
        self._part_orgs: set[str] = set()

    # -- values --------------------------------------------------------------------------

    def lang_map(self, texts: Mapping[str, str]) -> dict[str, list[str]]:
        """ELM 3.2 array form, primary language first, then the others in tag order."""
        order = sorted(texts, key=lambda tag: (tag != self.primary, tag))
        return {tag: [texts[tag]] for tag in order}

    def one_language(self, text: str) -> dict[str, str]:
        """Text that has no language of its own (names), tagged with the primary language."""
        return {self.primary: text}

    def pick(self, texts: Mapping[str, str]) -> str:
        for tag in (self.primary, "en"):
            if tag in texts:
                return texts[tag]
        return next(iter(texts.values()))

    def concept(self, concept: vocab.Concept) -> dict[str, Any]:
        node: dict[str, Any] = {
            "id": concept.uri,
            "type": "Concept",
            "inScheme": {"id": concept.scheme, "type": "ConceptScheme"},
        }
        if concept.labels:
            node["prefLabel"] = self.lang_map(concept.labels)
        return node

    def choice(self, vocabulary: vocab.Vocabulary, choice: ConceptChoice) -> dict[str, Any]:
        return self.concept(vocabulary.concept(choice.uri, choice.label))

    def note(self, texts: Mapping[str, str], subject: str | None = None) -> dict[str, Any]:
        node: dict[str, Any] = {
            "id": self.ids.new("note"),
            "type": "Note",
            "noteLiteral": self.lang_map(texts),
        }
        if subject is not None:
            # A local subject concept, as the EC samples do for "More information" notes.
            scheme = f"urn:epass:conceptScheme:{uuid.uuid5(_NODE_NAMESPACE, 'note-subjects')}"
            concept_id = f"urn:epass:concept:{uuid.uuid5(_NODE_NAMESPACE, subject)}"
            node["subject"] = self.concept(vocab.Concept(concept_id, scheme, {"en": subject}))
        return node

    def web_resource(self, url: str) -> dict[str, Any]:
        return {"id": self.ids.new("webResource"), "type": "WebResource", "contentURL": url}

    def location(self, alpha2: str, address: str | None) -> dict[str, Any]:
        address_node: dict[str, Any] = {
            "id": self.ids.new("address"),
            "type": "Address",
            "countryCode": self.concept(vocab.country(alpha2).concept),
        }
        if address is not None:
            address_node["fullAddress"] = self.note(self.one_language(address))
        return {"id": self.ids.new("location"), "type": "Location", "address": [address_node]}

    def legal_identifier(self, notation: str, alpha2: str) -> dict[str, Any]:
        return {
            "id": self.ids.new("legalIdentifier"),
            "type": "LegalIdentifier",
            "notation": notation,
            "spatial": self.concept(vocab.country(alpha2).concept),
        }

    def identifier(self, scheme_name: str, notation: str) -> dict[str, Any]:
        return {
            "id": self.ids.new("identifier"),
            "type": "Identifier",
            "schemeName": scheme_name,
            "notation": notation,
        }

    # -- organisations -------------------------------------------------------------------

    def group(self) -> dict[str, Any] | None:
        alliance = self.mc.coordinating_provider.alliance
        if alliance is None:
            return None
        if self._group is None:
            group: dict[str, Any] = {
                "id": self.ids.new("group"),
                "type": "Group",
                "prefLabel": self.lang_map(alliance.name),
            }
            if alliance.email is not None:
                group["contactPoint"] = [
                    {
                        "id": self.ids.new("contactPoint"),
                        "type": "ContactPoint",
                        "emailAddress": [{"id": f"mailto:{alliance.email}", "type": "Mailbox"}],
                    }
                ]
            self._group = group
        return json_copy(self._group)

    def organisation(
        self,
        provider: AwardingBody | CoordinatingProvider,
        *,
        node_id: str,
        member: bool,
        erasmus: list[str],
        schac: list[str],
        eidas: str | None,
        registration: str | None,
        homepage: str | None,
    ) -> dict[str, Any]:
        node: dict[str, Any] = {
            "id": node_id,
            "type": "Organisation",
            "legalName": self.lang_map(provider.legal_name),
        }
        if provider.short_name is not None:
            node["altLabel"] = self.lang_map(self.one_language(provider.short_name))
        node["location"] = [self.location(provider.country, provider.address)]
        identifiers = [self.identifier("Erasmus code", code) for code in erasmus]
        identifiers += [self.identifier("SCHAC home organisation", home) for home in schac]
        if identifiers:
            node["identifier"] = identifiers
        if eidas is not None:
            node["eIDASIdentifier"] = self.legal_identifier(eidas, provider.country)
        if registration is not None:
            node["registration"] = self.legal_identifier(registration, provider.country)
        if homepage is not None:
            node["homepage"] = [self.web_resource(homepage)]
        group = self.group() if member else None
        if group is not None:
            node["groupMemberOf"] = [group]
        return node

    def issuer(self) -> dict[str, Any]:
        """The coordinating provider, merged with the awarding body that shares its DID."""
        if self._issuer is None:
            coordinator: CoordinatingProvider = self.mc.coordinating_provider
            twin = next((b for b in self.mc.awarding_bodies if b.did == coordinator.did), None)
            providers: list[AwardingBody | CoordinatingProvider] = (
                [coordinator] if twin is None else [coordinator, twin]
            )
            self._issuer = self.organisation(
                coordinator,
                node_id=coordinator.did,
                member=twin.alliance_member if twin is not None else True,
                erasmus=_unique(p.erasmus_code for p in providers),
                schac=_unique(p.schac_home for p in providers),
                eidas=coordinator.legal_identifier,
                registration=twin.legal_identifier if twin is not None else None,
                homepage=coordinator.homepage or (twin.homepage if twin is not None else None),
            )
        return json_copy(self._issuer)

    def awarding_body(self, body: AwardingBody) -> dict[str, Any]:
        if body.did is not None and body.did == self.mc.coordinating_provider.did:
            return self.issuer()
        return self.organisation(
            body,
            node_id=body.did or self.ids.new("org"),
            member=body.alliance_member,
            erasmus=_unique([body.erasmus_code]),
            schac=_unique([body.schac_home]),
            eidas=None,
            registration=body.legal_identifier,
            homepage=body.homepage,
        )

    def body_node_id(self, key: str) -> str:
        """The node id of the awarding body named by DID, Erasmus code or SCHAC home."""
        for body, node in zip(self.mc.awarding_bodies, self._body_nodes, strict=True):
            if key in (body.did, body.erasmus_code, body.schac_home):
                return str(node["id"])
        raise MalformedInputError(f"no awarding body {key!r}")  # the model prevents this

    # -- the claim -----------------------------------------------------------------------

    def accreditation(self, qa: QualityAssurance) -> dict[str, Any]:
        agent_in = qa.accrediting_agent
        agent: dict[str, Any] = {
            "id": self.ids.new("org"),
            "type": "Organisation",
            "legalName": self.lang_map(agent_in.legal_name),
            "location": [self.location(agent_in.country, None)],
        }
        if agent_in.deqar_id is not None:
            agent["identifier"] = [self.identifier("DEQAR agency", agent_in.deqar_id)]
        if agent_in.homepage is not None:
            agent["homepage"] = [self.web_resource(agent_in.homepage)]
        node: dict[str, Any] = {
            "id": self.ids.new("accreditation"),
            "type": "Accreditation",
            "dcType": self.choice(vocab.ACCREDITATION, qa.type),
            "title": self.lang_map(qa.title),
            "accreditingAgent": agent,
        }
        if qa.organisation is not None:
            node["organisation"] = [
                {"id": self.body_node_id(qa.organisation), "type": "Organisation"}
            ]
        if qa.report_url is not None:
            node["report"] = self.web_resource(qa.report_url)
        if qa.landing_page is not None:
            node["landingPage"] = [self.web_resource(qa.landing_page)]
        if qa.date_issued is not None:
            node["dateIssued"] = format_datetime(qa.date_issued)
        if qa.expiry_date is not None:
            node["expiryDate"] = format_datetime(qa.expiry_date)
        return node

    def qualification_ref(self, ref: QualificationRef) -> dict[str, Any]:
        return {
            "id": ref.uri or self.ids.new("qualification"),
            "type": "Qualification",
            "title": self.lang_map(ref.title),
        }

    def qualification(self) -> dict[str, Any]:
        mc = self.mc
        node: dict[str, Any] = {
            "id": self.ids.new("qualification"),
            "type": "Qualification",
            "title": self.lang_map(mc.title),
        }
        if mc.description is not None:
            node["description"] = self.lang_map(mc.description)
        node["dcType"] = [self.concept(vocab.SHORT_LEARNING_PROGRAMME)]
        node["learningOutcome"] = [
            self.learning_outcome(outcome.title, outcome.esco_skills)
            for outcome in mc.learning_outcomes
        ]
        node["creditPoint"] = [
            {
                "id": self.ids.new("creditPoint"),
                "type": "CreditPoint",
                "framework": self.concept(vocab.ECTS),
                "point": mc.workload.ects_point,
            }
        ]
        if mc.workload.volume_of_learning is not None:
            node["volumeOfLearning"] = mc.workload.volume_of_learning
        node["eqfLevel"] = self.concept(vocab.eqf_level(mc.eqf_level))
        node["mode"] = [self.choice(vocab.LEARNING_ASSESSMENT_MODE, mc.form_of_participation)]
        if mc.learning_setting is not None:
            node["learningSetting"] = self.choice(vocab.LEARNING_SETTING, mc.learning_setting)
        if mc.prerequisites is not None:
            node["entryRequirement"] = self.note(mc.prerequisites)
        notes: list[dict[str, Any]] = []
        if mc.stackability is not None:
            stack = mc.stackability
            node["isPartialQualification"] = stack.is_partial_qualification
            if stack.is_part_of:
                node["isPartOf"] = [self.qualification_ref(r) for r in stack.is_part_of]
            if stack.has_part:
                node["hasPart"] = [self.qualification_ref(r) for r in stack.has_part]
            if stack.note is not None:
                notes.append(self.note(stack.note, subject="Integration and stackability"))
        node["accreditation"] = [self.accreditation(qa) for qa in mc.quality_assurance]
        if mc.further_information is not None:
            info = mc.further_information
            notes += [self.note(text, subject="Further information") for text in info.notes]
            if info.homepage is not None:
                node["homepage"] = [self.web_resource(info.homepage)]
        if notes:
            node["additionalNote"] = notes
        return node

    def learning_outcome(
        self, title: Mapping[str, str], skills: tuple[EscoSkill, ...]
    ) -> dict[str, Any]:
        node: dict[str, Any] = {
            "id": self.ids.new("learningOutcome"),
            "type": "LearningOutcome",
            "title": self.lang_map(title),
        }
        if skills:
            node["relatedESCOSkill"] = [
                self.concept(vocab.Concept(s.uri, vocab.ESCO_SKILLS_SCHEME, s.label or {}))
                for s in skills
            ]
        return node

    def assessment(self, awarding_process_id: str) -> dict[str, Any]:
        mc = self.mc
        assessment = mc.assessment
        kind = vocab.ASSESSMENT.concept(assessment.type.uri, assessment.type.label)
        title = self.lang_map(assessment.title or dict(kind.labels))
        spec: dict[str, Any] = {
            "id": self.ids.new("learningAssessmentSpec"),
            "type": "LearningAssessmentSpecification",
            "title": title,
            "dcType": [self.concept(kind)],
        }
        if assessment.mode is not None:
            spec["mode"] = [self.choice(vocab.LEARNING_ASSESSMENT_MODE, assessment.mode)]
        grade = mc.grade
        if grade is not None and grade.grading_scheme is not None:
            scheme: dict[str, Any] = {
                "id": self.ids.new("gradingScheme"),
                "type": "GradingScheme",
                "title": self.lang_map(grade.grading_scheme.title),
            }
            if grade.grading_scheme.description is not None:
                scheme["description"] = self.lang_map(grade.grading_scheme.description)
            spec["gradingScheme"] = scheme
        node: dict[str, Any] = {
            "id": self.ids.new("learningAssessment"),
            "type": "LearningAssessment",
            "title": title,
            "grade": self.note(
                self.one_language(grade.value) if grade is not None else {"en": "Pass"}
            ),
        }
        if mc.supervision is not None:
            node["idVerification"] = self.choice(vocab.SUPERVISION_VERIFICATION, mc.supervision)
        node["awardedBy"] = {"id": awarding_process_id, "type": "AwardingProcess"}
        node["specifiedBy"] = spec
        return node

    def claim(self) -> dict[str, Any]:
        mc = self.mc
        self._body_nodes = [self.awarding_body(body) for body in mc.awarding_bodies]
        process: dict[str, Any] = {
            "id": self.ids.new("awardingProcess"),
            "type": "AwardingProcess",
            "awardingBody": self._body_nodes,
            "awardingDate": format_datetime(mc.date_of_issue),
        }
        claim: dict[str, Any] = {
            "id": self.ids.new("learningAchievement"),
            "type": "LearningAchievement",
            "title": self.lang_map(mc.title),
        }
        if mc.description is not None:
            claim["description"] = self.lang_map(mc.description)
        claim["awardedBy"] = process
        claim["provenBy"] = [self.assessment(process["id"])]
        claim["specifiedBy"] = self.qualification()
        parts = [self.part(part) for part in mc.parts]
        parts += [self.module(module) for module in mc.module_achievements]
        if parts:
            claim["hasPart"] = parts
        return claim

    def module(self, module: ModuleAchievement) -> dict[str, Any]:
        """A module stated in place: who assessed it and the result (module docstring)."""
        title = self.lang_map(module.title or self.one_language(module.module))
        body = {"id": self.body_node_id(module.awarding_body), "type": "Organisation"}
        process_id = self.ids.new("awardingProcess")
        return {
            "id": self.ids.new("learningAchievement"),
            "type": "LearningAchievement",
            "title": title,
            "identifier": [self.identifier(MODULE_ID_SCHEME, module.module)],
            "awardedBy": {
                "id": process_id,
                "type": "AwardingProcess",
                "awardingBody": [json_copy(body)],
            },
            "provenBy": [
                {
                    "id": self.ids.new("learningAssessment"),
                    "type": "LearningAssessment",
                    "title": json_copy(title),
                    "grade": self.note(self.one_language(module.grade)),
                    "assessedBy": [body],
                    "awardedBy": {"id": process_id, "type": "AwardingProcess"},
                }
            ],
        }

    # -- stacking ------------------------------------------------------------------------

    def part_organisation(self, body: PartAwardingBody) -> dict[str, Any]:
        """A part's awarding body: a reference when this credential describes it already."""
        known = {self.mc.coordinating_provider.did} | {
            b.did for b in self.mc.awarding_bodies if b.did is not None
        }
        if body.did is not None and (body.did in known or body.did in self._part_orgs):
            return {"id": body.did, "type": "Organisation"}
        node: dict[str, Any] = {
            "id": body.did or self.ids.new("org"),
            "type": "Organisation",
            "legalName": self.lang_map(body.legal_name),
            "location": [self.location(body.country, None)],
        }
        if body.did is not None:
            self._part_orgs.add(body.did)
        return node

    def part(self, part: StackedPart) -> dict[str, Any]:
        node: dict[str, Any] = {
            "id": self.ids.new("learningAchievement"),
            "type": "LearningAchievement",
            "title": self.lang_map(part.title),
            "identifier": [
                {
                    "id": self.ids.new("identifier"),
                    "type": "Identifier",
                    "schemeName": PART_ID_SCHEME,
                    "schemeId": PART_ID_SCHEME_ID,
                    "notation": part.credential_id,
                    "creator": part.issuer,
                },
                {
                    "id": self.ids.new("identifier"),
                    "type": "Identifier",
                    "schemeName": PART_DIGEST_SCHEME,
                    "schemeId": PART_DIGEST_SCHEME_ID,
                    "notation": part.digest,
                },
            ],
            "awardedBy": {
                "id": self.ids.new("awardingProcess"),
                "type": "AwardingProcess",
                "awardingBody": [self.part_organisation(b) for b in part.awarding_bodies],
                "awardingDate": format_datetime(part.date_of_issue),
            },
        }
        credit: list[dict[str, Any]] = []
        if part.ects_point is not None:
            credit = [
                {
                    "id": self.ids.new("creditPoint"),
                    "type": "CreditPoint",
                    "framework": self.concept(vocab.ECTS),
                    "point": part.ects_point,
                }
            ]
            node["creditReceived"] = credit
        if part.eqf_level is not None or credit:
            spec: dict[str, Any] = {
                "id": self.ids.new("qualification"),
                "type": "Qualification",
                "title": self.lang_map(part.title),
            }
            if credit:
                spec["creditPoint"] = json_copy(credit)
            if part.eqf_level is not None:
                spec["eqfLevel"] = self.concept(vocab.eqf_level(part.eqf_level))
            node["specifiedBy"] = spec
        return node

    def subject(self) -> dict[str, Any]:
        learner = self.mc.learner
        person: dict[str, Any] = {
            "id": learner.holder_did or self.ids.new("person"),
            "type": "Person",
            "givenName": self.lang_map(self.one_language(learner.given_name)),
            "familyName": self.lang_map(self.one_language(learner.family_name)),
            "fullName": self.lang_map(self.one_language(learner.display_name)),
        }
        if learner.date_of_birth is not None:
            person["dateOfBirth"] = _date_as_datetime(learner.date_of_birth)
        if learner.identifiers:
            person["identifier"] = [
                self.identifier(i.scheme_name, i.notation) for i in learner.identifiers
            ]
        if learner.email is not None:
            person["contactPoint"] = [
                {
                    "id": self.ids.new("contactPoint"),
                    "type": "ContactPoint",
                    "emailAddress": [{"id": f"mailto:{learner.email}", "type": "Mailbox"}],
                }
            ]
        person["hasClaim"] = [self.claim()]
        return person

    # -- envelope ------------------------------------------------------------------------

    def evidence(self) -> dict[str, Any]:
        mc = self.mc
        coordinator = self.pick(mc.coordinating_provider.legal_name)
        bodies = "; ".join(self.pick(b.legal_name) for b in mc.awarding_bodies)
        alliance = mc.coordinating_provider.alliance
        under = (
            f" under the cooperation agreement of {self.pick(alliance.name)}" if alliance else ""
        )
        statement = (
            f"{coordinator} issues this credential on behalf of the awarding bodies named in it "
            f"({bodies}){under}. Every claim in it is made by those awarding bodies."
        )
        if self.mandate_ids:
            statement += (
                " Each awarding body authorised the coordinator by a signed awarding mandate: "
                + ", ".join(self.mandate_ids)
                + "."
            )
        return {
            "id": self.ids.new("evidence"),
            "type": "Evidence",
            "dcType": self.concept(vocab.EVIDENCE_TYPE_MANDATE),
            "evidenceStatement": statement,
        }

    def display_parameter(self) -> dict[str, Any]:
        mc = self.mc
        languages = [self.concept(vocab.language(tag).concept) for tag in mc.languages]
        image = mc.display_image
        content = image.content_base64 if image is not None else PLACEHOLDER_PNG_BASE64
        file_type = (
            vocab.FILE_TYPE_JPEG
            if image is not None and image.media_type == "image/jpeg"
            else vocab.FILE_TYPE_PNG
        )
        node: dict[str, Any] = {
            "id": self.ids.new("displayParameter"),
            "type": "DisplayParameter",
            "title": self.lang_map(mc.title),
        }
        if mc.description is not None:
            node["description"] = self.lang_map(mc.description)
        node["primaryLanguage"] = json_copy(languages[0])
        node["language"] = languages
        node["individualDisplay"] = [
            {
                "id": self.ids.new("individualDisplay"),
                "type": "IndividualDisplay",
                "language": json_copy(languages[0]),
                "displayDetail": [
                    {
                        "id": self.ids.new("displayDetail"),
                        "type": "DisplayDetail",
                        "page": 1,
                        "image": {
                            "id": self.ids.new("mediaObject"),
                            "type": "MediaObject",
                            "content": content,
                            "contentEncoding": self.concept(vocab.BASE64_ENCODING),
                            "contentType": self.concept(file_type),
                        },
                    }
                ],
            }
        ]
        return node

    def credential(
        self, issued: datetime, status_entry: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        mc = self.mc
        contexts = list(ELM_CONTEXT)
        if status_entry is not None:
            contexts.insert(2, STATUS_LIST_CONTEXT)
        issued_at = format_datetime(issued)
        doc: dict[str, Any] = {
            "@context": contexts,
            "id": self.credential_id,
            "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
            "credentialSchema": [
                {"id": EDC_GENERIC_FULL, "type": "ShaclValidator2017"},
                {"id": EDC_ISSUED_BY_MANDATE, "type": "ShaclValidator2017"},
            ],
            "credentialProfiles": [self.concept(vocab.GENERIC_PROFILE)],
            "issuer": self.issuer(),
            "issued": issued_at,
            "issuanceDate": issued_at,
            "validFrom": format_datetime(mc.valid_from),
        }
        if mc.valid_until is not None:
            doc["validUntil"] = format_datetime(mc.valid_until)
            doc["expirationDate"] = doc["validUntil"]
        doc["credentialSubject"] = self.subject()
        doc["evidence"] = [self.evidence()]
        doc["displayParameter"] = self.display_parameter()
        if status_entry is not None:
            doc["credentialStatus"] = json_copy(dict(status_entry))
        return doc


def _unique(values: Any) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value is not None and value not in seen:
            seen.append(value)
    return seen


def _date_as_datetime(value: date) -> str:
    return f"{value.isoformat()}T00:00:00Z"


# --------------------------------------------------------------------------- templates

ElmShape = tuple[Any, ...]
"""What decides the structure of a credential's ELM form besides the parts it shares with the
other credentials of its specification (:func:`elm_shape`)."""

_MARK = "\x00"
r"""Marks an open value of a template: ``\x00<n>\x00`` stands for value ``n``; JSON writes it
``\u0000<n>\u0000``."""
_OPEN_VALUE = re.compile(rb"\\u0000(\d+)\\u0000")
_PER_CREDENTIAL = frozenset(
    {
        "learner",
        "date_of_issue",
        "valid_from",
        "valid_until",
        "grade",
        "supervision",
        "parts",
        "module_achievements",
    }
)
_SHARED = tuple(name for name in MicroCredential.model_fields if name not in _PER_CREDENTIAL)
"""The fields a template's credentials share (a field added later is shared until said
otherwise: a template then serves only credentials equal in it, never a wrong one)."""
_LEARNER_FIELDS = frozenset(
    {
        "given_name",
        "family_name",
        "full_name",
        "date_of_birth",
        "identifiers",
        "holder_did",
        "email",
    }
)
_TEMPLATE_ID = "urn:mcred:elm-template"
_TEMPLATE_ISSUED = datetime(2000, 1, 1, tzinfo=UTC)
_TEMPLATE_STATUS = {"id": f"{_TEMPLATE_ID}#status", "type": "BitstringStatusListEntry"}


def elm_shape(
    mc: MicroCredential, *, mandate_ids: Sequence[str] = (), with_status: bool = True
) -> ElmShape | None:
    """What, beyond the parts shared by a specification's credentials, decides the structure of
    ``mc``'s ELM credential: which learner fields are given (and how many identifiers), whether
    there is a grade, an end of validity, a status entry, the supervision, the mandates. Two
    credentials of one specification with the same shape differ in their ELM form only in
    values (ids, names, dates, the grade), which is what :class:`ElmTemplate` fills in. None
    for what no template serves: a stacked credential (parts) or one with module results.
    """
    if mc.parts or mc.module_achievements:
        return None
    learner = mc.learner
    supervision = mc.supervision
    return (
        tuple(mandate_ids),
        with_status,
        type(learner),
        learner.full_name is not None,
        learner.date_of_birth is not None,
        len(learner.identifiers),
        learner.holder_did is not None,
        learner.email is not None,
        mc.grade is not None,
        None
        if supervision is None
        else (supervision.uri, tuple(sorted((supervision.label or {}).items()))),
        mc.valid_until is not None,
    )


_Text = Callable[[MicroCredential], str]
"""An open text of a template: from the credential (the learner's name, the grade, …)."""


@dataclass(frozen=True)
class _OpenNodeId:
    """An open node id of a template: ``urn:epass:<node_class>:<uuid5>`` of the credential's
    id and ``suffix`` (``<node_class>/<n>``), as :class:`_NodeIds` makes it."""

    node_class: str
    suffix: bytes


def _identifier_text(n: int, field: str) -> _Text:
    """The open text of the learner's ``n``-th identifier's ``field``."""

    def text(mc: MicroCredential) -> str:
        return str(getattr(mc.learner.identifiers[n], field))

    return text


class _TemplateIds(_NodeIds):
    """Node ids left open: each is computed from the credential id when rendering."""

    def __init__(self, mark: Callable[[_OpenNodeId | _Text], str]) -> None:
        super().__init__(_TEMPLATE_ID)
        self._mark = mark

    def new(self, node_class: str) -> str:
        n = self._counters.get(node_class, 0) + 1
        self._counters[node_class] = n
        return self._mark(_OpenNodeId(node_class, f"{node_class}/{n}".encode()))


class ElmTemplate:
    """:func:`build_elm_credential` for the credentials of one specification and shape
    (:func:`elm_shape`), most of it built once.

    The template is the builder's own output for a stand-in credential whose per-credential
    values (node ids, the learner's names, identifiers, e-mail and DID, the grade) are open
    marks, serialized once; :meth:`build_elm_credential` writes the values in as JSON text,
    reads it back and sets the dates, the id and the status entry. It returns exactly what
    :func:`build_elm_credential` returns for the same arguments; a credential the template
    does not fit (another shape, other shared parts: compared field by field, equal in value,
    type and order) is built by :func:`build_elm_credential` itself. :meth:`make` checks the
    template on two credentials (the one it is made from and one with every per-credential
    value changed) against the builder before handing it out.
    """

    def __init__(
        self,
        mc: MicroCredential,
        shape: ElmShape,
        text: bytes,
        values: Sequence[_OpenNodeId | _Text],
    ) -> None:
        self._mc = mc
        self._shape = shape
        pieces: list[bytes] = _OPEN_VALUE.split(text)  # text, value number, text, …, text
        self._positions = tuple((at, int(pieces[at])) for at in range(1, len(pieces), 2))
        self._pieces = tuple(pieces)
        self._size = len(values)
        self._node_ids = tuple(
            (n, value.node_class, value.suffix)
            for n, value in enumerate(values)
            if isinstance(value, _OpenNodeId)
        )
        self._texts = tuple(
            (n, value) for n, value in enumerate(values) if not isinstance(value, _OpenNodeId)
        )

    @property
    def shape(self) -> ElmShape:
        return self._shape

    @classmethod
    def make(
        cls, mc: MicroCredential, *, mandate_ids: Sequence[str] = (), with_status: bool = True
    ) -> ElmTemplate | None:
        """The template for credentials like ``mc`` (the same shared parts and shape); None
        when no template serves them (see :func:`elm_shape`) or this one fails its check."""
        shape = elm_shape(mc, mandate_ids=mandate_ids, with_status=with_status)
        if shape is None or set(type(mc.learner).model_fields) != _LEARNER_FIELDS:
            return None
        values: list[_OpenNodeId | _Text] = []

        def mark(value: _OpenNodeId | _Text) -> str:
            values.append(value)
            return f"{_MARK}{len(values) - 1}{_MARK}"

        learner = mc.learner
        identifiers = tuple(
            identifier.model_copy(
                update={
                    "scheme_name": mark(_identifier_text(n, "scheme_name")),
                    "notation": mark(_identifier_text(n, "notation")),
                }
            )
            for n, identifier in enumerate(learner.identifiers)
        )
        open_learner = learner.model_copy(
            update={
                "given_name": mark(lambda m: m.learner.given_name),
                "family_name": mark(lambda m: m.learner.family_name),
                "full_name": None
                if learner.full_name is None
                else mark(lambda m: str(m.learner.full_name)),
                "holder_did": None
                if learner.holder_did is None
                else mark(lambda m: str(m.learner.holder_did)),
                "email": None if learner.email is None else mark(lambda m: str(m.learner.email)),
                "identifiers": identifiers,
            }
        )
        grade = mc.grade
        if grade is not None:
            grade = grade.model_copy(update={"value": mark(lambda m: m.grade.value)})  # type: ignore[union-attr]
        builder = _ElmBuilder(
            mc.model_copy(update={"learner": open_learner, "grade": grade}),
            _TEMPLATE_ID,
            tuple(mandate_ids),
        )
        builder.ids = _TemplateIds(mark)
        document = builder.credential(_TEMPLATE_ISSUED, _TEMPLATE_STATUS if with_status else None)
        try:
            text = orjson.dumps(document)
        except TypeError:  # (orjson.JSONEncodeError) something JSON cannot hold: no template
            return None
        template = cls(mc, shape, text, values)
        status = {"id": "urn:mcred:check#1", "type": "BitstringStatusListEntry", "n": [1]}
        for sample, credential_id in ((mc, "urn:uuid:check-1"), (_changed(mc), "urn:x:check-2")):
            issued = sample.date_of_issue
            entry = status if with_status else None
            expected = build_elm_credential(
                sample,
                credential_id=credential_id,
                issued=issued,
                status_entry=entry,
                mandate_ids=mandate_ids,
            )
            rendered = template._render(sample, credential_id, issued, entry)
            if rendered is None or orjson.dumps(rendered) != orjson.dumps(expected):
                return None
        return template

    def fits(self, mc: MicroCredential, *, mandate_ids: Sequence[str], with_status: bool) -> bool:
        """Whether :meth:`build_elm_credential` renders ``mc`` from this template (else it
        builds it)."""
        if elm_shape(mc, mandate_ids=mandate_ids, with_status=with_status) != self._shape:
            return False
        reference = self._mc
        if not all(_same(getattr(mc, name), getattr(reference, name)) for name in _SHARED):
            return False
        if mc.grade is None or reference.grade is None:
            return mc.grade is None and reference.grade is None
        return _same(mc.grade.grading_scheme, reference.grade.grading_scheme)

    def build_elm_credential(
        self,
        mc: MicroCredential,
        *,
        credential_id: str,
        issued: datetime,
        status_entry: Mapping[str, Any] | None = None,
        mandate_ids: Sequence[str] = (),
    ) -> dict[str, Any]:
        """``build_elm_credential(mc, …)`` for the same arguments (see the class docstring)."""
        if self.fits(mc, mandate_ids=mandate_ids, with_status=status_entry is not None):
            _check_arguments(credential_id, issued, status_entry)
            rendered = self._render(mc, credential_id, issued, status_entry)
            if rendered is not None:
                return rendered
        return build_elm_credential(
            mc,
            credential_id=credential_id,
            issued=issued,
            status_entry=status_entry,
            mandate_ids=mandate_ids,
        )

    def _render(
        self,
        mc: MicroCredential,
        credential_id: str,
        issued: datetime,
        status_entry: Mapping[str, Any] | None,
    ) -> dict[str, Any] | None:
        """The template filled in for ``mc`` (None when a value cannot be written as JSON)."""
        values: list[bytes] = [b""] * self._size
        prefix = _uuid5_prefix(f"{credential_id}#")
        for n, node_class, suffix in self._node_ids:
            hashed = prefix.copy()
            hashed.update(suffix)
            values[n] = f"urn:epass:{node_class}:{_uuid5_text(hashed.hexdigest())}".encode()
        try:
            for n, text_of in self._texts:
                values[n] = orjson.dumps(text_of(mc))[1:-1]  # JSON string contents
        except TypeError:  # (orjson.JSONEncodeError: e.g. a lone surrogate in a name)
            return None
        pieces = list(self._pieces)
        for at, n in self._positions:
            pieces[at] = values[n]
        document: dict[str, Any] = orjson.loads(b"".join(pieces))
        issued_at = format_datetime(issued)
        document["id"] = credential_id
        document["issued"] = issued_at
        document["issuanceDate"] = issued_at
        document["validFrom"] = format_datetime(mc.valid_from)
        if mc.valid_until is not None:
            document["validUntil"] = format_datetime(mc.valid_until)
            document["expirationDate"] = document["validUntil"]
        subject = document["credentialSubject"]
        if mc.learner.date_of_birth is not None:
            subject["dateOfBirth"] = _date_as_datetime(mc.learner.date_of_birth)
        subject["hasClaim"][0]["awardedBy"]["awardingDate"] = format_datetime(mc.date_of_issue)
        if status_entry is not None:
            document["credentialStatus"] = json_copy(dict(status_entry))
        return document


def _same(a: Any, b: Any) -> bool:
    """Equal in every value, type and order (what the builder reads), as cheaply as may be."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, BaseModel):
        return all(_same(getattr(a, name), getattr(b, name)) for name in type(a).model_fields)
    return bool(a == b)


def _changed(mc: MicroCredential) -> MicroCredential:
    """``mc`` with every per-credential value changed and its shape kept (a template's check):
    quotes, a backslash and non-ASCII letters in the texts, other dates."""
    learner = mc.learner
    day = timedelta(days=1)

    def text(value: str) -> str:
        return f'{value} "\\ é'

    changed = learner.model_copy(
        update={
            "given_name": text(learner.given_name),
            "family_name": text(learner.family_name),
            "full_name": None if learner.full_name is None else text(learner.full_name),
            "date_of_birth": None if learner.date_of_birth is None else learner.date_of_birth - day,
            "holder_did": None if learner.holder_did is None else f"{learner.holder_did}x",
            "email": None if learner.email is None else f"x{learner.email}",
            "identifiers": tuple(
                i.model_copy(
                    update={"scheme_name": text(i.scheme_name), "notation": text(i.notation)}
                )
                for i in learner.identifiers
            ),
        }
    )
    grade = mc.grade
    if grade is not None:
        grade = grade.model_copy(update={"value": text(grade.value)})
    return mc.model_copy(
        update={
            "learner": changed,
            "grade": grade,
            "date_of_issue": mc.date_of_issue + day,
            "valid_from": mc.valid_from + 2 * day,
            "valid_until": None if mc.valid_until is None else mc.valid_until + 3 * day,
        }
    )


# --------------------------------------------------------------------------- stacking: reading


def part_digest(part: object) -> str:
    """SHA-256 of a part credential exactly as received, as SRI (``sha256-<base64>``).

    A compact JWT (a ``str``) is hashed as its ASCII characters; a JSON credential (a mapping)
    as its RFC 8785 (JCS) canonical form, so key order and white space do not matter but every
    value does. Raises :class:`MalformedInputError` for anything else (a float JCS cannot write,
    a list, a number).
    """
    if isinstance(part, str):
        try:
            data = part.strip().encode("ascii")
        except UnicodeEncodeError:
            raise MalformedInputError("a compact JWT is ASCII") from None
    elif isinstance(part, Mapping):
        try:
            data = rfc8785.dumps(dict(part))
        except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
            raise MalformedInputError(
                f"the part cannot be canonicalized (RFC 8785): {exc}"
            ) from None
    else:
        raise MalformedInputError("a part credential is a JSON object or a compact JWT string")
    return "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


@dataclass(frozen=True)
class PartReference:
    """A part as a stacked credential names it (:func:`stacked_parts`)."""

    credential_id: str | None
    digest: str | None
    issuer: str | None
    title: Mapping[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.credential_id,
            "digest": self.digest,
            "issuer": self.issuer,
            "title": dict(self.title),
        }


def _nodes(value: Any) -> list[Mapping[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, Mapping)]


def _has_type(node: Mapping[str, Any], name: str) -> bool:
    kind = node.get("type", node.get("@type"))
    return name in kind if isinstance(kind, list) else kind == name


def _texts(value: Any) -> dict[str, str]:
    """A language map in either ELM form (``{"en": "…"}`` or ``{"en": ["…"]}``), flattened."""
    if isinstance(value, str):
        return {"en": value}
    if not isinstance(value, Mapping):
        return {}
    texts: dict[str, str] = {}
    for tag, text in value.items():
        first = text[0] if isinstance(text, list) and text else text
        if isinstance(tag, str) and isinstance(first, str) and first.strip():
            texts[tag] = first.strip()
    return texts


def _subject(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    subjects = _nodes(credential.get("credentialSubject"))
    return subjects[0] if subjects else {}


def _primary_claim(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    claims = _nodes(_subject(credential).get("hasClaim"))
    achievements = [c for c in claims if _has_type(c, "LearningAchievement")]
    return (achievements or claims or [{}])[0]


def _node_id(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def stacked_parts(credential: Mapping[str, Any]) -> tuple[PartReference, ...]:
    """The parts a stacked ELM credential names (its primary claim's ``hasPart``); ``()`` for
    a credential that is not stacked. Reads plain JSON (the credential as verified)."""
    parts: list[PartReference] = []
    for node in _nodes(_primary_claim(credential).get("hasPart")):
        credential_id = digest = issuer = None
        for identifier in _nodes(node.get("identifier")):
            scheme = identifier.get("schemeName")
            notation = identifier.get("notation")
            if not isinstance(notation, str):
                continue
            if scheme == PART_ID_SCHEME:
                credential_id = notation
                issuer = _node_id(identifier.get("creator"))
            elif scheme == PART_DIGEST_SCHEME:
                digest = notation
        if credential_id is None and digest is None:
            continue  # a hasPart that names no credential (an achievement stated in place)
        parts.append(PartReference(credential_id, digest, issuer, _texts(node.get("title"))))
    return tuple(parts)


@dataclass(frozen=True)
class ModuleSummary:
    """An achievement stated in place in a credential's primary claim (``hasPart``): a module
    of the course as :func:`module_achievements` reads it.

    ``module`` is the module id (an ``Identifier`` of scheme :data:`MODULE_ID_SCHEME`; None
    when the credential gives none, as the EC's samples); ``awarding_bodies`` the legal names
    (by language) of the organisations that awarded it (a body the credential does not name is
    given by its id, under ``"und"``); ``grade`` the text of its assessments' grade (empty when
    it states none).
    """

    module: str | None
    title: Mapping[str, str]
    awarding_bodies: tuple[Mapping[str, str], ...]
    grade: Mapping[str, str]


def module_achievements(credential: Mapping[str, Any]) -> tuple[ModuleSummary, ...]:
    """The modules a credential states in its primary claim's ``hasPart``: every
    ``LearningAchievement`` there that names no credential (those are stacked parts,
    :func:`stacked_parts`). Reads plain JSON (the credential as verified); ``()`` when none."""
    modules: list[ModuleSummary] = []
    described: dict[str, Mapping[str, Any]] | None = None
    for node in _nodes(_primary_claim(credential).get("hasPart")):
        if not _has_type(node, "LearningAchievement"):
            continue
        schemes = {
            str(identifier["schemeName"]): identifier.get("notation")
            for identifier in _nodes(node.get("identifier"))
            if isinstance(identifier.get("schemeName"), str)
        }
        if PART_ID_SCHEME in schemes or PART_DIGEST_SCHEME in schemes:
            continue  # a part credential, not an achievement stated in place
        module = schemes.get(MODULE_ID_SCHEME)
        if described is None:
            described = _organisations(credential)
        bodies: list[Mapping[str, str]] = []
        for process in _nodes(node.get("awardedBy")):
            for reference in _nodes(process.get("awardingBody")):
                body_id = _node_id(reference)
                found = described.get(body_id, reference) if body_id is not None else reference
                name = _texts(found.get("legalName")) or _texts(found.get("prefLabel"))
                if name:
                    bodies.append(name)
                elif body_id is not None:
                    bodies.append({"und": body_id})
        grade: dict[str, str] = {}
        for assessment in _nodes(node.get("provenBy")):
            for note in _nodes(assessment.get("grade")):
                grade = grade or _texts(note.get("noteLiteral"))
        title = _texts(node.get("title"))
        if not title:
            specs = _nodes(node.get("specifiedBy"))
            title = _texts(specs[0].get("title")) if specs else {}
        modules.append(
            ModuleSummary(
                module=module if isinstance(module, str) else None,
                title=title or ({"und": module} if isinstance(module, str) else {}),
                awarding_bodies=tuple(bodies),
                grade=grade,
            )
        )
    return tuple(modules)


@dataclass(frozen=True)
class PartSummary:
    """What a stacking rule needs to know of a part credential (:func:`read_part`)."""

    credential_id: str | None
    issuer: str | None
    subject_id: str | None
    subject_identifiers: tuple[tuple[str, str], ...]
    title: Mapping[str, str]
    qualification: str | None
    ects: Decimal | None
    eqf_level: int | None
    date_of_issue: datetime | None
    awarding_bodies: tuple[PartAwardingBody, ...]


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _ects(nodes: list[Mapping[str, Any]]) -> Decimal | None:
    for node in nodes:
        if _node_id(node.get("framework")) != vocab.ECTS.uri:
            continue
        try:
            value = Decimal(str(node.get("point")))
        except (InvalidOperation, ValueError):
            continue
        if value.is_finite() and value > 0:
            return value
    return None


def _eqf(value: Any) -> int | None:
    uri = _node_id(value)
    if uri is None:
        return None
    for level in range(1, 9):
        if vocab.eqf_level(level).uri == uri:
            return level
    return None


def _country(node: Mapping[str, Any]) -> str | None:
    for location in _nodes(node.get("location")):
        for address in _nodes(location.get("address")):
            uri = _node_id(address.get("countryCode"))
            if uri is None:
                continue
            alpha3 = uri.rstrip("/").rsplit("/", 1)[-1]
            for code in vocab.COUNTRIES.values():
                if code.alpha3 == alpha3:
                    return code.alpha2
    return None


def _organisations(credential: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Every described ``Organisation`` node of the credential by ``id`` (for references)."""
    found: dict[str, Mapping[str, Any]] = {}

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            node_id = value.get("id")
            if isinstance(node_id, str) and "legalName" in value and node_id not in found:
                found[node_id] = value
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(credential)
    return found


def read_part(credential: Mapping[str, Any]) -> PartSummary:
    """Summarise a (verified) ELM part credential: subject, title, ECTS, EQF, awarding bodies.

    Reads plain JSON (a JWT's ``vc`` claim or the Data Integrity document). Anything absent or
    unreadable is ``None`` (or empty); the stacking rules decide what that means.
    """
    subject = _subject(credential)
    claim = _primary_claim(credential)
    specs = _nodes(claim.get("specifiedBy"))
    spec = specs[0] if specs else {}
    identifiers = tuple(
        (str(i["schemeName"]), str(i["notation"]))
        for i in _nodes(subject.get("identifier"))
        if isinstance(i.get("schemeName"), str) and isinstance(i.get("notation"), str)
    )
    title = _texts(claim.get("title")) or _texts(spec.get("title"))
    process = (_nodes(claim.get("awardedBy")) or [{}])[0]
    described = _organisations(credential)
    bodies: list[PartAwardingBody] = []
    for reference in _nodes(process.get("awardingBody")):
        body_id = _node_id(reference)
        node = described.get(body_id, reference) if body_id is not None else reference
        name = _texts(node.get("legalName"))
        country = _country(node)
        if not name or country is None:
            continue
        try:
            bodies.append(
                PartAwardingBody.model_validate(
                    {
                        "legal_name": name,
                        "country": country,
                        "did": body_id if body_id and body_id.startswith("did:") else None,
                    }
                )
            )
        except ValueError:
            continue  # a name or DID the model refuses: the body is left out
    issued = (
        _datetime(process.get("awardingDate"))
        or _datetime(credential.get("issued"))
        or _datetime(credential.get("issuanceDate"))
        or _datetime(credential.get("validFrom"))
    )
    credential_id = credential.get("id")
    return PartSummary(
        credential_id=credential_id if isinstance(credential_id, str) else None,
        issuer=_node_id(credential.get("issuer")),
        subject_id=_node_id(subject),
        subject_identifiers=identifiers,
        title=title,
        qualification=_node_id(spec) if spec else None,
        ects=_ects(_nodes(spec.get("creditPoint")) + _nodes(claim.get("creditReceived"))),
        eqf_level=_eqf(spec.get("eqfLevel")),
        date_of_issue=issued,
        awarding_bodies=tuple(bodies),
    )
