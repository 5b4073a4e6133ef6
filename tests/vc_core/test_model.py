"""The micro-credential model (specs.md §9.4, §9.5): what it accepts, what it refuses and why.

The input tables are ``tests/data/elm/invalid_inputs.json`` and ``valid_inputs.json``: patches on
benchmark credential "(a)" from :mod:`vc_core.testing`.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import DATA
from vc_core.errors import ModelValidationError
from vc_core.model import DisplayImage, MicroCredential, vocab
from vc_core.testing import (
    SAMPLE_COORDINATOR_DID,
    apply_patch,
    sample_microcredential,
    sample_microcredential_data,
)

INVALID = json.loads((DATA / "elm" / "invalid_inputs.json").read_text())["cases"]
VALID = json.loads((DATA / "elm" / "valid_inputs.json").read_text())["cases"]


def _attribute(model: Any, dotted: str) -> Any:
    value = model
    for segment in dotted.split("."):
        value = value[int(segment)] if segment.isdigit() else getattr(value, segment)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


@pytest.mark.parametrize("case", INVALID, ids=[c["id"] for c in INVALID])
def test_invalid_input_names_every_offending_field(case: dict[str, Any]) -> None:
    data = apply_patch(sample_microcredential_data(), case["patch"])
    with pytest.raises(ModelValidationError) as caught:
        MicroCredential.parse(data)
    locs = sorted(error.loc for error in caught.value.errors)
    assert locs == sorted(case["errors"])
    assert all(error.message for error in caught.value.errors)
    problem = caught.value.to_problem()
    assert problem["code"] == "invalid_model"
    assert sorted(e["loc"] for e in problem["details"]["errors"]) == sorted(case["errors"])


@pytest.mark.parametrize("case", VALID, ids=[c["id"] for c in VALID])
def test_valid_input(case: dict[str, Any]) -> None:
    mc = MicroCredential.parse(apply_patch(sample_microcredential_data(), case["patch"]))
    for dotted, expected in case["expect"].items():
        assert _plain(_attribute(mc, dotted)) == expected, dotted


def test_unknown_language_tag_message() -> None:
    data = apply_patch(
        sample_microcredential_data(), [{"op": "set", "path": "title.xx", "value": "?"}]
    )
    with pytest.raises(ModelValidationError) as caught:
        MicroCredential.parse(data)
    (error,) = caught.value.errors
    assert "unknown language tag 'xx'" in error.message


def test_parse_refuses_a_non_object() -> None:
    with pytest.raises(ModelValidationError) as caught:
        MicroCredential.parse(["not", "an", "object"])  # type: ignore[arg-type]
    assert caught.value.errors[0].loc == ""


def test_benchmark_credential_shape() -> None:
    mc = sample_microcredential()
    assert len(mc.awarding_bodies) == 3
    assert [b.country for b in mc.awarding_bodies] == ["ES", "DE", "FR"]
    assert set(mc.title) == {"en", "de", "fr"}
    assert len(mc.learning_outcomes) == 5
    assert mc.workload.ects == Decimal(5)
    assert mc.eqf_level == 6
    assert mc.coordinating_provider.did == SAMPLE_COORDINATOR_DID
    assert mc.awarding_bodies[0].did == SAMPLE_COORDINATOR_DID


def test_model_is_frozen() -> None:
    mc = sample_microcredential()
    with pytest.raises(ValueError, match="frozen"):
        mc.eqf_level = 7  # type: ignore[misc]


def test_sample_overrides_replace_top_level_keys() -> None:
    mc = sample_microcredential(eqf_level=5, grade=None)
    assert mc.eqf_level == 5
    assert mc.grade is None


# -- properties ----------------------------------------------------------------------------

_ects = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal(60), places=2, allow_nan=False
).filter(lambda d: d > 0)


@given(ects=_ects)
@settings(max_examples=200)
def test_ects_point_round_trips(ects: Decimal) -> None:
    mc = sample_microcredential(workload={"ects": str(ects)})
    point = mc.workload.ects_point
    assert Decimal(point) == ects
    assert "E" not in point
    assert not (("." in point) and point.endswith("0"))


_known_tags = st.sampled_from(sorted(vocab.LANGUAGES))
_texts = st.text(min_size=1, max_size=40).filter(lambda t: t.strip() != "" and t == t.strip())


@given(title=st.dictionaries(_known_tags, _texts, min_size=1, max_size=6))
@settings(max_examples=100)
def test_language_maps_with_known_tags_are_kept(title: dict[str, str]) -> None:
    primary = next(iter(title))
    mc = sample_microcredential(title=title, primary_language=primary)
    assert mc.title == title
    assert mc.languages[0] == primary
    assert sorted(mc.languages) == sorted(title)


@given(tag=st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=8))
def test_unknown_language_tags_are_refused(tag: str) -> None:
    data = sample_microcredential_data(description={tag: "text"})
    if tag in vocab.LANGUAGES:
        assert MicroCredential.parse(data).description == {tag: "text"}
    else:
        with pytest.raises(ModelValidationError) as caught:
            MicroCredential.parse(data)
        assert [e.loc for e in caught.value.errors] == ["description"]


@given(level=st.integers(min_value=-5, max_value=15))
def test_eqf_level_range(level: int) -> None:
    data = sample_microcredential_data(eqf_level=level)
    if 1 <= level <= 8:
        assert MicroCredential.parse(data).eqf_level == level
    else:
        with pytest.raises(ModelValidationError):
            MicroCredential.parse(data)


# -- vocabularies --------------------------------------------------------------------------


def test_eqf_concepts() -> None:
    assert vocab.eqf_level(6).uri == "http://data.europa.eu/snb/eqf/6"
    assert vocab.eqf_level(6).scheme == "http://data.europa.eu/snb/eqf/25831c2"
    with pytest.raises(ValueError, match="1 to 8"):
        vocab.eqf_level(9)


@pytest.mark.parametrize(
    ("alpha2", "uri"),
    [
        ("ES", "http://publications.europa.eu/resource/authority/country/ESP"),
        ("de", "http://publications.europa.eu/resource/authority/country/DEU"),
        ("EL", "http://publications.europa.eu/resource/authority/country/GRC"),
        ("UK", "http://publications.europa.eu/resource/authority/country/GBR"),
    ],
)
def test_country_authority_uris(alpha2: str, uri: str) -> None:
    assert vocab.country(alpha2).uri == uri


def test_every_eu_language_is_known() -> None:
    eu = [
        "bg",
        "cs",
        "da",
        "de",
        "el",
        "en",
        "es",
        "et",
        "fi",
        "fr",
        "ga",
        "hr",
        "hu",
        "it",
        "lt",
        "lv",
        "mt",
        "nl",
        "pl",
        "pt",
        "ro",
        "sk",
        "sl",
        "sv",
    ]
    assert all(tag in vocab.LANGUAGES for tag in eu)
    assert (
        vocab.language("en").uri == "http://publications.europa.eu/resource/authority/language/ENG"
    )


def test_vocabularies_keep_concepts_in_their_scheme() -> None:
    for vocabulary in (
        vocab.ASSESSMENT,
        vocab.LEARNING_ASSESSMENT_MODE,
        vocab.SUPERVISION_VERIFICATION,
        vocab.ACCREDITATION,
        vocab.EVIDENCE_TYPE,
        vocab.LEARNING_SETTING,
        vocab.LEARNING_OPPORTUNITY,
        vocab.CREDENTIAL_PROFILE,
        vocab.EQF,
        vocab.EDUCATION_CREDIT,
        vocab.LEARNING_ACTIVITY,
    ):
        assert vocabulary.scheme.startswith(vocabulary.namespace)
        for concept in vocabulary.concepts.values():
            assert concept.scheme == vocabulary.scheme
            assert concept.uri.startswith(vocabulary.namespace)
            assert concept.labels.get("en")
            assert vocabulary.resolve(concept.uri) == concept


def test_closed_vocabulary_refuses_unlisted_uris() -> None:
    unlisted = "http://data.europa.eu/snb/learning-assessment/ffffffffff"
    assert not vocab.LEARNING_ASSESSMENT_MODE.accepts(unlisted)
    assert vocab.ASSESSMENT.accepts("http://data.europa.eu/snb/assessment/ffffffffff")
    assert not vocab.ASSESSMENT.accepts("http://data.europa.eu/snb/assessment/")


@pytest.mark.parametrize(
    ("size", "accepted"), [(1, True), (30_000, True), (64 * 1024, True), (64 * 1024 + 1, False)]
)
def test_display_image_size_limit(size: int, accepted: bool) -> None:
    content = base64.b64encode(bytes(size)).decode()
    if accepted:
        assert DisplayImage(content_base64=content).content_base64 == content
    else:
        with pytest.raises(ValueError, match="content_base64"):
            DisplayImage(content_base64=content)


def test_language_map_text_length_limit() -> None:
    data = sample_microcredential_data(description={"en": "x" * 10_001})
    with pytest.raises(ModelValidationError) as caught:
        MicroCredential.parse(data)
    assert [(e.loc, "longer than 10000" in e.message) for e in caught.value.errors] == [
        ("description", True)
    ]


def test_apply_patch_operations() -> None:
    original = {"a": [{"b": 1}], "c": {"d": 2}}
    patched = apply_patch(
        original,
        [
            {"op": "set", "path": "a.0.b", "value": 5},
            {"op": "append", "path": "a", "value": {"b": 6}},
            {"op": "delete", "path": "c.d"},
        ],
    )
    assert patched == {"a": [{"b": 5}, {"b": 6}], "c": {}}
    assert original == {"a": [{"b": 1}], "c": {"d": 2}}
    with pytest.raises(ValueError, match="unknown patch operation"):
        apply_patch(original, [{"op": "move", "path": "a"}])
