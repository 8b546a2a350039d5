"""Tokens and the caller's own account."""

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from sulh.core.errors import NotFound

from . import services

router = Router(tags=["accounts"])


class TokenRequest(Schema):
    username: str = Field(max_length=150)
    password: str = Field(max_length=200)
    otp: str | None = Field(None, max_length=10, description="TOTP code; required for roles with a second factor")
    name: str = Field("api", max_length=100, description="What this token is for")


class TokenOut(Schema):
    id: UUID
    token: str = Field(description="Shown once: only its hash is stored")
    name: str
    created_at: datetime


class MeOut(Schema):
    username: str
    full_name: str
    organisation: str | None
    organisation_kind: str | None
    role: str
    command_level: str
    sector: str
    timezone: str


@router.post("/auth/token", auth=None, response={201: TokenOut}, summary="Exchange credentials (and TOTP) for a token")
def create_token(request: HttpRequest, payload: TokenRequest):
    token, key = services.issue_token(payload.username, payload.password, payload.otp, payload.name, request)
    return Status(201, TokenOut(id=token.id, token=key, name=token.name, created_at=token.created_at))


@router.delete("/auth/token/{token_id}", response={204: None}, summary="Revoke one of your tokens")
def revoke_token(request: HttpRequest, token_id: UUID):
    if not services.revoke_token(request.auth_user, token_id):
        raise NotFound("no such active token")
    return Status(204, None)


@router.get("/me", response=MeOut, summary="Who you are, for this API")
def me(request: HttpRequest):
    u = request.auth_user
    return MeOut(
        username=u.username,
        full_name=u.get_full_name(),
        organisation=u.organisation.code if u.organisation_id else None,
        organisation_kind=u.org_kind,
        role=u.role,
        command_level=u.command_level,
        sector=u.sector,
        timezone=u.effective_timezone,
    )
