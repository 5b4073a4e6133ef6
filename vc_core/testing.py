"""Test fakes and factories shared by mcred's test suites (no pytest import here).

* :func:`sample_microcredential_data` / :func:`sample_microcredential`: benchmark credential "(a)":
  a joint micro-credential of an Arqus-like alliance with THREE awarding bodies (Granada ES,
  Leipzig DE, Bordeaux FR), a trilingual title (en/de/fr), five learning outcomes, 5 ECTS, EQF 6.
* :func:`apply_patch`: a copy of a JSON document with ``set``/``delete``/``append`` operations on
  dotted paths (``"awarding_bodies.1.country"``), for data-driven tests.
* :class:`FixedClock`: a clock whose ``now()`` returns a fixed, time-zone-aware instant.
* :class:`~vc_core.dids.resolver.StaticDidResolver`: a map-backed DID resolver (re-exported).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from vc_core.dids.resolver import StaticDidResolver
from vc_core.model.microcredential import MicroCredential

__all__ = [
    "SAMPLE_COORDINATOR_DID",
    "SAMPLE_HOLDER_DID",
    "FixedClock",
    "StaticDidResolver",
    "apply_patch",
    "sample_microcredential",
    "sample_microcredential_data",
]

SAMPLE_COORDINATOR_DID = "did:web:credentials.arqus-alliance.eu"
SAMPLE_HOLDER_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


class FixedClock:
    """A clock for tests: ``now()`` returns the instant it was given until :meth:`advance`."""

    def __init__(self, at: datetime | None = None) -> None:
        instant = at or datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs a time-zone-aware datetime")
        self._now = instant

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move the clock forward by ``delta`` (seconds when a number) and return the new now."""
        self._now += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        return self._now


def _trilingual(en: str, de: str, fr: str) -> dict[str, str]:
    return {"en": en, "de": de, "fr": fr}


_ALLIANCE = {
    "name": {"en": "Arqus European University Alliance"},
    "email": "info@arqus-alliance.eu",
    "homepage": "https://www.arqus-alliance.eu",
}

_SAMPLE: dict[str, Any] = {
    "learner": {
        "given_name": "Ana",
        "family_name": "Andromeda",
        "date_of_birth": "1999-10-02",
        "identifiers": [{"scheme_name": "Student ID", "notation": "UGR-2026-004711"}],
        "holder_did": SAMPLE_HOLDER_DID,
        "email": "ana.andromeda@example.org",
    },
    "title": _trilingual(
        "Sustainable Urban Mobility",
        "Nachhaltige urbane Mobilität",
        "Mobilité urbaine durable",
    ),
    "description": _trilingual(
        "A joint micro-credential of the Arqus alliance on planning sustainable urban mobility.",
        "Ein gemeinsames Microcredential der Arqus-Allianz zur Planung nachhaltiger Mobilität.",
        "Une micro-certification conjointe de l'alliance Arqus sur la mobilité urbaine durable.",
    ),
    "coordinating_provider": {
        "did": SAMPLE_COORDINATOR_DID,
        "legal_name": {"en": "University of Granada", "es": "Universidad de Granada"},
        "short_name": "UGR",
        "country": "ES",
        "legal_identifier": "Q1818002F",
        "erasmus_code": "E  GRANADA01",
        "schac_home": "ugr.es",
        "homepage": "https://www.ugr.es",
        "alliance": _ALLIANCE,
    },
    "awarding_bodies": [
        {
            "did": SAMPLE_COORDINATOR_DID,
            "legal_name": {"en": "University of Granada", "es": "Universidad de Granada"},
            "country": "ES",
            "erasmus_code": "E  GRANADA01",
            "schac_home": "ugr.es",
            "homepage": "https://www.ugr.es",
        },
        {
            "legal_name": {"en": "Leipzig University", "de": "Universität Leipzig"},
            "country": "DE",
            "erasmus_code": "D  LEIPZIG01",
            "schac_home": "uni-leipzig.de",
            "homepage": "https://www.uni-leipzig.de",
        },
        {
            "legal_name": {"en": "University of Bordeaux", "fr": "Université de Bordeaux"},
            "country": "FR",
            "erasmus_code": "F  BORDEAU58",
            "schac_home": "u-bordeaux.fr",
            "homepage": "https://www.u-bordeaux.fr",
        },
    ],
    "date_of_issue": "2026-02-27T12:00:00+01:00",
    "learning_outcomes": [
        {
            "title": _trilingual(
                "Analyse urban mobility data to identify congestion and emission hot spots",
                "Städtische Mobilitätsdaten analysieren, um Stau- und Emissionsschwerpunkte "
                "zu erkennen",
                "Analyser les données de mobilité urbaine pour repérer congestion et émissions",
            ),
            "esco_skills": [
                "http://data.europa.eu/esco/skill/4f5c1208-62fd-4e5a-a51e-306c06947e11"
            ],
        },
        {
            "title": _trilingual(
                "Design a sustainable urban mobility plan (SUMP) with stakeholders",
                "Einen nachhaltigen urbanen Mobilitätsplan (SUMP) mit Beteiligten entwerfen",
                "Concevoir un plan de mobilité urbaine durable (PMUD) avec les parties prenantes",
            ),
        },
        {
            "title": _trilingual(
                "Evaluate active-travel and public-transport measures",
                "Maßnahmen für Fuß-, Rad- und öffentlichen Verkehr bewerten",
                "Évaluer les mesures de mobilité active et de transport public",
            ),
        },
        {
            "title": _trilingual(
                "Communicate mobility policy options to decision makers",
                "Mobilitätspolitische Optionen Entscheidungsträgern vermitteln",
                "Présenter des options de politique de mobilité aux décideurs",
            ),
        },
        {
            "title": _trilingual(
                "Work in an international, interdisciplinary team",
                "In einem internationalen, interdisziplinären Team arbeiten",
                "Travailler dans une équipe internationale et interdisciplinaire",
            ),
        },
    ],
    "workload": {"ects": "5", "hours": 125},
    "eqf_level": 6,
    "assessment": {
        "type": "artefact_assessment",
        "title": _trilingual("Project report", "Projektbericht", "Rapport de projet"),
        "mode": "online",
    },
    "form_of_participation": "blended",
    "quality_assurance": [
        {
            "type": "eqar_institutional_accreditation",
            "title": {"en": "Institutional accreditation of the University of Granada"},
            "organisation": "E  GRANADA01",
            "accrediting_agent": {
                "legal_name": {
                    "en": "Andalusian Agency of Knowledge, Department of Evaluation and "
                    "Accreditation (DEVA-AAC)"
                },
                "country": "ES",
                "homepage": "https://www.juntadeandalucia.es/agenciadeandaluciadelconocimiento",
                "deqar_id": "https://data.deqar.eu/agency/16",
            },
            "landing_page": "https://www.eqar.eu/qa-results/search/by-institution/",
            "date_issued": "2023-05-15",
        }
    ],
    "prerequisites": {"en": "A bachelor's degree in engineering, planning or geography."},
    "supervision": "supervised_with_id_verification",
    "grade": {
        "value": "9.1",
        "grading_scheme": {
            "title": {"en": "Spanish university grading scale (0-10)"},
            "description": {"en": "0-4.9 fail, 5-6.9 pass, 7-8.9 good, 9-10 outstanding."},
        },
    },
    "stackability": {
        "is_partial_qualification": True,
        "is_part_of": [{"title": {"en": "Arqus Master in Urban Sustainability"}}],
    },
    "further_information": {
        "notes": [{"en": "Taught jointly in Granada, Leipzig and Bordeaux, summer 2026."}],
        "homepage": "https://www.arqus-alliance.eu/micro-credentials/urban-mobility",
    },
    "learning_setting": "formal",
    "primary_language": "en",
    "valid_from": "2026-03-01T00:00:00Z",
}


def sample_microcredential_data(**overrides: Any) -> dict[str, Any]:
    """A fresh copy of the input of benchmark credential "(a)", top-level keys replaced."""
    data = copy.deepcopy(_SAMPLE)
    data.update(copy.deepcopy(overrides))
    return data


def sample_microcredential(**overrides: Any) -> MicroCredential:
    """Benchmark credential "(a)" as a validated :class:`MicroCredential`."""
    return MicroCredential.parse(sample_microcredential_data(**overrides))


def apply_patch(document: Any, operations: Iterable[Mapping[str, Any]]) -> Any:
    """A deep copy of ``document`` with each operation applied in order.

    An operation is ``{"op": "set" | "delete" | "append", "path": "a.0.b", "value": …}``; path
    segments are object keys or list indices. ``set`` creates or replaces, ``delete`` removes,
    ``append`` adds ``value`` to the list at ``path``.
    """
    result = copy.deepcopy(document)
    for operation in operations:
        op = operation["op"]
        *parents, last = str(operation["path"]).split(".")
        target = result
        for segment in parents:
            target = target[int(segment)] if isinstance(target, list) else target[segment]
        key: Any = int(last) if isinstance(target, list) else last
        if op == "set":
            target[key] = copy.deepcopy(operation["value"])
        elif op == "delete":
            del target[key]
        elif op == "append":
            target[key].append(copy.deepcopy(operation["value"]))
        else:
            raise ValueError(f"unknown patch operation {op!r}")
    return result
