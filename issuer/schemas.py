"""Request and response bodies of the issuer's HTTP API (pydantic; shown in OpenAPI)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from issuer.catalogue import Issuance
from issuer.ports import AuditEvent, CredentialRecord
from issuer.service import FORMATS, IssuedCredential
from issuer.stacking import MAX_PARTS
from vc_core import json_codec

__all__ = [
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApiKeyOut",
    "AuditEventOut",
    "CredentialOut",
    "CredentialPageOut",
    "IssueRequest",
    "MandateUpload",
    "StackedIssueRequest",
    "StatusChange",
    "StatusSlotOut",
]

Format = Literal["ldp_vc", "jwt_vc_json"]
assert set(FORMATS) == {"ldp_vc", "jwt_vc_json"}  # noqa: S101 - keeps Format in step


def _default_formats() -> list[Format]:
    return ["ldp_vc"]


class IssueRequest(Issuance):
    """One credential to issue: the alliance, the issuance, and the formats wanted."""

    alliance: str = Field(min_length=1, max_length=64, examples=["arqus"])
    formats: list[Format] = Field(default_factory=_default_formats, min_length=1, max_length=2)
    hold: bool = Field(
        False,
        description="Issue it suspended, awaiting approval: a wallet redeeming an offer gets it "
        "by the OpenID4VCI deferred flow once the credential is reinstated",
    )

    def issuance(self) -> Issuance:
        return Issuance.model_validate(self.model_dump(exclude={"alliance", "formats", "hold"}))


class StackedIssueRequest(Issuance):
    """A credential composed of module credentials (stacking): the issuance and its parts."""

    alliance: str = Field(min_length=1, max_length=64, examples=["arqus"])
    formats: list[Format] = Field(default_factory=_default_formats, min_length=1, max_length=2)
    parts: list[dict[str, Any] | str] = Field(
        min_length=1,
        max_length=MAX_PARTS,
        description="The part credentials exactly as received: JSON credentials (Data "
        "Integrity) or compact JWTs (jwt_vc_json, vc+jwt). Each is verified; its digest (SHA-256 "
        "of the RFC 8785 canonical JSON, or of the JWT) is written into the stacked credential",
    )

    def issuance(self) -> Issuance:
        return Issuance.model_validate(self.model_dump(exclude={"alliance", "formats", "parts"}))


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500, examples=["grade corrected by the jury"])


class StatusSlotOut(BaseModel):
    list: str
    index: int
    purpose: str
    status_size: int
    status_list_credential: str


class CredentialOut(BaseModel):
    id: str
    alliance: str
    specification: str
    learner_ref: str
    holder: str | None
    issued_at: datetime
    issued_by: str
    state: Literal["active", "suspended", "revoked"]
    status: list[StatusSlotOut]
    credentials: dict[str, Any] = Field(
        description="The issued documents by format (ldp_vc: JSON-LD; jwt_vc_json: a JWT)"
    )

    @classmethod
    def of(cls, issued: IssuedCredential, list_url: Any) -> CredentialOut:
        record: CredentialRecord = issued.record
        return cls(
            id=record.id,
            alliance=record.alliance_id,
            specification=record.specification_id,
            learner_ref=record.learner_ref,
            holder=record.holder_id,
            issued_at=record.issued_at,
            issued_by=record.issued_by,
            state=issued.state.value,
            status=[
                StatusSlotOut(
                    list=slot.list_id,
                    index=slot.index,
                    purpose=slot.purpose,
                    status_size=slot.status_size,
                    status_list_credential=list_url(slot.list_id),
                )
                for slot in record.status_slots
            ],
            credentials=record.documents,
        )

    @classmethod
    def json_bytes(cls, issued: IssuedCredential, list_url: Any) -> bytes:
        """The response body of :meth:`of`, serialized once: the record's fields through this
        model, the issued documents by :func:`vc_core.json_codec.dumps` exactly as signed
        (never validated, copied nor dumped from a model again: what was signed is sent)."""
        record: CredentialRecord = issued.record
        head = cls.of(
            IssuedCredential(replace(record, documents={}), issued.state), list_url
        ).model_dump(mode="json")
        head["credentials"] = record.documents
        return json_codec.dumps(head).encode("utf-8")


class CredentialPageOut(BaseModel):
    items: list[CredentialOut]
    next_cursor: str | None


class AuditEventOut(BaseModel):
    action: str
    actor: str
    at: datetime
    reason: str | None
    details: dict[str, Any] | None

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            action=event.action,
            actor=event.actor,
            at=event.at,
            reason=event.reason,
            details=event.details,
        )


class MandateUpload(BaseModel):
    """A mandate credential an external awarding body signed with its own DID."""

    model_config = ConfigDict(extra="forbid")
    specification: str = Field(min_length=1, max_length=64)
    credential: dict[str, Any]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["admin", "coordinator"]
    alliance: str | None = Field(default=None, max_length=64)
    label: str = Field(default="", max_length=200)


class ApiKeyOut(BaseModel):
    key_id: str
    role: str
    alliance: str | None
    label: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    token: str = Field(description="The bearer token: shown once, store it now")
