"""A demo learner of the demo alliance's course, for ``make run`` and ``mcred demo offer``.

In development mcred seeds the demo alliance (``alliance.yaml`` beside this module). These
helpers issue the demo learner a credential of its first course, so a newcomer can try a
wallet at once: :func:`issue_demo_credential` always issues a fresh one,
:func:`demo_credential` reuses the demo learner's active credential across restarts.
The demo learner is fictitious; nothing here is personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files

from issuer.api_keys import Principal, Role
from issuer.catalogue import AllianceFile, Issuance, load_alliance_file
from issuer.ports import CredentialQuery
from issuer.service import Issuer
from issuer.status_lists import CredentialState

__all__ = [
    "DEMO_LEARNER_REF",
    "DemoNotSeeded",
    "demo_alliance",
    "demo_credential",
    "issue_demo_credential",
]

DEMO_LEARNER_REF = "demo-learner"
"""The demo learner's ``learner_ref`` (how :func:`demo_credential` finds its credential)."""

_DEMO = Principal("demo", Role.ADMIN, None, "development demo")


class DemoNotSeeded(LookupError):
    """The demo alliance is not loaded (production, or ``MCRED_DEMO=false``)."""


@cache
def demo_alliance() -> AllianceFile:
    """The demo alliance file shipped with mcred."""
    return load_alliance_file(files("mcred.demo").joinpath("alliance.yaml").read_text("utf-8"))


def _demo_course(issuer: Issuer) -> tuple[str, str]:
    demo = demo_alliance()
    if demo.alliance.id not in issuer.alliance_ids() or not demo.specifications:
        raise DemoNotSeeded(
            f"the demo alliance {demo.alliance.id!r} is not loaded (development seeds it; "
            "MCRED_DEMO=true)"
        )
    return demo.alliance.id, demo.specifications[0].id


def issue_demo_credential(
    issuer: Issuer, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> str:
    """Issue the demo learner a fresh credential of the demo course; its id."""
    alliance_id, specification_id = _demo_course(issuer)
    issuance = Issuance.parse(
        {
            "specification": specification_id,
            "learner": {
                "given_name": "Alex",
                "family_name": "Demo",
                "learner_ref": DEMO_LEARNER_REF,
            },
            "result": {"date_of_issue": clock().replace(microsecond=0).isoformat(), "grade": "A"},
        }
    )
    return issuer.issue(_DEMO, alliance_id, issuance).record.id


def demo_credential(issuer: Issuer) -> str:
    """The demo learner's newest active credential of the demo course, issued if it has none."""
    alliance_id, specification_id = _demo_course(issuer)
    query = CredentialQuery(
        alliance_id=alliance_id,
        specification_id=specification_id,
        learner_ref=DEMO_LEARNER_REF,
        limit=20,
    )
    for record in issuer.search(_DEMO, query).items:  # newest first
        issued = issuer.get(_DEMO, record.id)
        if issued.state is CredentialState.ACTIVE and "ldp_vc" in record.documents:
            return record.id
    return issue_demo_credential(issuer)
