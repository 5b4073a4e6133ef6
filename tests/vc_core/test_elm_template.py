"""ELM templates (:class:`vc_core.model.elm.ElmTemplate`): a template renders exactly what
:func:`build_elm_credential` builds, byte for byte, for every credential of its specification
and shape, whatever the learner's values; what it does not fit is built by the builder."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest

from vc_core.errors import MalformedInputError
from vc_core.model import MicroCredential, build_elm_credential
from vc_core.model.elm import ElmTemplate, elm_shape
from vc_core.testing import SAMPLE_HOLDER_DID, sample_microcredential_data

NODE_NAMESPACE = uuid.UUID("0b3f4c1e-6a53-5d0e-9a62-3f0f6f5e2a11")
ISSUED = datetime(2026, 3, 2, 8, 30, 15, 123456, tzinfo=UTC)
MANDATES = ("urn:uuid:mandate-granada", "urn:uuid:mandate-leipzig")
STATUS = {
    "id": "https://issuer.example/status/message-1#4711",
    "type": ["BitstringStatusListEntry", "CredentialStatus"],
    "statusPurpose": "message",
    "statusListIndex": "4711",
    "statusSize": 2,
    "statusListCredential": "https://issuer.example/status/message-1",
}
NASTY = 'Ünïcødé "quoted" \\ back\\slash \t tab \u2028 \U0001f393 \x000\x00 </script>'
"""Text a template must write exactly: JSON escapes, a line separator, an emoji, and what
looks like a template's own mark (``\\x00<n>\\x00``)."""

LEARNERS: list[dict[str, Any]] = [
    {"given_name": "Ada", "family_name": "Lovelace"},
    {"given_name": "Grace", "family_name": "Hopper", "full_name": "Rear Admiral Grace Hopper"},
    {
        "given_name": NASTY,
        "family_name": f"{NASTY}!",
        "date_of_birth": "1815-12-10",
        "identifiers": [
            {"scheme_name": "Student ID", "notation": "s-1815"},
            {"scheme_name": NASTY, "notation": "n-2"},
        ],
        "holder_did": SAMPLE_HOLDER_DID,
        "email": "ada@example.org",
    },
    {"given_name": "Édouard", "family_name": "Łukasiewicz", "email": "e.l@uni-leipzig.de"},
]


def _mc(learner: dict[str, Any], **overrides: Any) -> MicroCredential:
    return MicroCredential.parse(sample_microcredential_data(learner=learner, **overrides))


def _same_document(first: dict[str, Any], second: dict[str, Any]) -> bool:
    return orjson.dumps(first) == orjson.dumps(second)  # values, types and key order


def _both(
    template: ElmTemplate,
    mc: MicroCredential,
    *,
    credential_id: str = "urn:uuid:6c1f9a53-0a4e-4d7f-a0b5-6f0b7e2c9d11",
    issued: datetime = ISSUED,
    status_entry: dict[str, Any] | None = STATUS,
    mandate_ids: tuple[str, ...] = MANDATES,
) -> tuple[dict[str, Any], dict[str, Any]]:
    arguments: dict[str, Any] = {
        "credential_id": credential_id,
        "issued": issued,
        "status_entry": status_entry,
        "mandate_ids": mandate_ids,
    }
    return template.build_elm_credential(mc, **arguments), build_elm_credential(mc, **arguments)


def test_node_ids_are_uuid5_of_the_credential_id_and_the_node_s_place() -> None:
    """The builder's node ids (made without :class:`uuid.UUID`) are the documented uuid5 of
    ``<credential id>#<class>/<n>``, numbered from 1 per class."""
    credential_id = "urn:uuid:0e4f-ünï"
    document = build_elm_credential(
        _mc(LEARNERS[2]), credential_id=credential_id, issued=ISSUED, status_entry=STATUS
    )
    found: dict[str, set[str]] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            node_id = value.get("id")
            if isinstance(node_id, str) and node_id.startswith("urn:epass:"):
                _, _, node_class, text = node_id.split(":", 3)
                found.setdefault(node_class, set()).add(text)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    for local in ("concept", "conceptScheme"):  # (note subjects: named by the subject)
        found.pop(local, None)
    assert sum(len(texts) for texts in found.values()) > 40
    for node_class, texts in found.items():
        assert texts == {
            str(uuid.uuid5(NODE_NAMESPACE, f"{credential_id}#{node_class}/{n}"))
            for n in range(1, len(texts) + 1)
        }, node_class


@pytest.mark.parametrize("learner", LEARNERS)
@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"grade": None},
        {"grade": {"value": NASTY}},
        {"supervision": None},
        {"supervision": "unsupervised_without_id_verification"},
        {"valid_until": "2031-03-01T00:00:00Z"},
        {"description": None, "prerequisites": None, "further_information": None},
    ],
)
def test_a_template_renders_what_the_builder_builds(
    learner: dict[str, Any], overrides: dict[str, Any]
) -> None:
    mc = _mc(learner, **overrides)
    template = ElmTemplate.make(mc, mandate_ids=MANDATES)
    assert template is not None
    for status_entry in (STATUS, None):
        again = ElmTemplate.make(mc, mandate_ids=MANDATES, with_status=status_entry is not None)
        assert again is not None
        rendered, built = _both(again, mc, status_entry=status_entry)
        assert _same_document(rendered, built)


def test_one_template_serves_every_learner_of_its_shape() -> None:
    """Made from one credential, a template renders others of the same shape: other names,
    identifiers, e-mail, holder, birth date, grade, dates, credential id and status entry."""
    first = _mc(LEARNERS[2])
    template = ElmTemplate.make(first, mandate_ids=MANDATES)
    assert template is not None
    day = timedelta(days=1)
    for n in range(5):
        learner = {
            "given_name": f"Given {n} {NASTY[: n * 7]}",
            "family_name": f"Family-{n}",
            "date_of_birth": str(date(1990 + n, 1 + n, 3)),
            "identifiers": [
                {"scheme_name": f"Scheme {n}", "notation": f"{n}"},
                {"scheme_name": "Other", "notation": f"'{n}' \"{n}\""},
            ],
            "holder_did": f"did:key:z6Mk{n}abc",
            "email": f"learner{n}@example.org",
        }
        mc = _mc(
            learner,
            grade={**sample_microcredential_data()["grade"], "value": f"{n}.5"},
            date_of_issue=(datetime(2026, 2, 27, 12, tzinfo=UTC) + n * day).isoformat(),
            valid_from=(datetime(2026, 3, 1, tzinfo=UTC) + n * day).isoformat(),
        )
        assert template.fits(mc, mandate_ids=MANDATES, with_status=True)
        status = {**STATUS, "id": f"https://issuer.example/status/message-1#{n}"}
        rendered, built = _both(
            template,
            mc,
            credential_id=f"urn:uuid:{uuid.uuid4()}",
            issued=ISSUED + n * day,
            status_entry=status,
        )
        assert _same_document(rendered, built)
        assert rendered["credentialStatus"] is not status  # a copy, as the builder makes


@pytest.mark.parametrize(
    "other",
    [
        {"learner": {"given_name": "Ada", "family_name": "Lovelace", "email": "a@b.org"}},
        {"learner": {"given_name": "Ada", "family_name": "Lovelace", "full_name": "A. L."}},
        {"grade": None},
        {"supervision": "unsupervised_without_id_verification"},
        {"valid_until": "2031-03-01T00:00:00Z"},
        {"title": {"en": "Another course", "de": "Ein anderer Kurs", "fr": "Un autre cours"}},
        {"eqf_level": 7},
        {"grade": {"value": "9.1", "grading_scheme": {"title": {"en": "Another scale"}}}},
    ],
)
def test_what_a_template_does_not_fit_is_built_by_the_builder(other: dict[str, Any]) -> None:
    """Another shape, or other shared parts: the template builds it (the same document)."""
    template = ElmTemplate.make(_mc(LEARNERS[0]), mandate_ids=MANDATES)
    assert template is not None
    mc = MicroCredential.parse(sample_microcredential_data(**{"learner": LEARNERS[0], **other}))
    assert not template.fits(mc, mandate_ids=MANDATES, with_status=True)
    rendered, built = _both(template, mc)
    assert _same_document(rendered, built)
    assert not template.fits(_mc(LEARNERS[0]), mandate_ids=MANDATES[:1], with_status=True)
    rendered, built = _both(template, _mc(LEARNERS[0]), mandate_ids=MANDATES[:1])
    assert _same_document(rendered, built)


def test_shared_language_maps_must_match_in_order_too() -> None:
    """A language map's order decides which name the evidence statement picks: equal maps in
    another order are another credential for a template."""
    data = sample_microcredential_data(learner=LEARNERS[0], primary_language="de")
    data["title"] = {"de": "Kurs", "en": "Course"}
    provider = data["coordinating_provider"]
    provider["legal_name"] = {"es": "Universidad de Granada", "fr": "Université de Grenade"}
    template = ElmTemplate.make(MicroCredential.parse(data), mandate_ids=MANDATES)
    assert template is not None
    provider["legal_name"] = {"fr": "Université de Grenade", "es": "Universidad de Granada"}
    reordered = MicroCredential.parse(data)
    assert not template.fits(reordered, mandate_ids=MANDATES, with_status=True)
    rendered, built = _both(template, reordered)
    assert _same_document(rendered, built)


def test_no_template_for_stacked_parts_or_module_results() -> None:
    with_modules = _mc(
        LEARNERS[0],
        module_achievements=[{"module": "m-1", "awarding_body": "E  GRANADA01", "grade": "A"}],
    )
    assert elm_shape(with_modules) is None
    assert ElmTemplate.make(with_modules) is None


def test_text_that_looks_like_a_mark_in_the_shared_parts_gets_no_template() -> None:
    """A title holding a template's own mark cannot be told from an open value: the template
    fails its check, and the builder builds such credentials."""
    data = sample_microcredential_data(learner=LEARNERS[0])
    data["title"] = {**data["title"], "en": "Course \x000\x00 one"}
    assert ElmTemplate.make(MicroCredential.parse(data), mandate_ids=MANDATES) is None


def test_a_name_json_cannot_write_is_built_by_the_builder() -> None:
    """A lone surrogate (valid in a Python string, not in UTF-8): the builder's document."""
    template = ElmTemplate.make(_mc(LEARNERS[0]), mandate_ids=MANDATES)
    assert template is not None
    mc = _mc(LEARNERS[0])
    odd = mc.model_copy(update={"learner": mc.learner.model_copy(update={"given_name": "\ud800"})})
    rendered, built = _both(template, odd)
    assert rendered == built
    assert rendered["credentialSubject"]["givenName"] == {"en": ["\ud800"]}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"credential_id": "not an iri"}, "not an absolute IRI"),
        ({"issued": datetime(2026, 3, 2, 8, 30)}, "time-zone-aware"),
        ({"status_entry": {"type": "X"}}, "absolute IRI id"),
        ({"status_entry": {"id": "urn:x:1"}}, "needs a type"),
    ],
)
def test_bad_arguments_are_refused_as_the_builder_refuses_them(
    arguments: dict[str, Any], message: str
) -> None:
    template = ElmTemplate.make(_mc(LEARNERS[0]), mandate_ids=MANDATES)
    assert template is not None
    given: dict[str, Any] = {
        "credential_id": "urn:uuid:1",
        "issued": ISSUED,
        "status_entry": STATUS,
        "mandate_ids": MANDATES,
        **arguments,
    }
    with pytest.raises(MalformedInputError, match=message):
        build_elm_credential(_mc(LEARNERS[0]), **given)
    with pytest.raises(MalformedInputError, match=message):
        template.build_elm_credential(_mc(LEARNERS[0]), **given)
