"""HTTP routes of the identity domain: ``/auth/*`` and ``/admin/users*``."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Cookie, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from niha.config import Settings
from niha.core.deps import RateLimiterDep, SessionDep, SettingsDep, client_ip
from niha.core.errors import DomainError, problem
from niha.core.pagination import Page, PageParams, page_params
from niha.identity import service
from niha.identity.access import (
    CurrentPrincipal,
    OptionalPrincipal,
    Permission,
    Principal,
    require,
)
from niha.identity.principal import anonymous_actor
from niha.identity.roles import EntityRole, StaffRole
from niha.identity.schemas import (
    InvitationAcceptIn,
    InvitationOut,
    InviteIn,
    LoginIn,
    PasswordChangeIn,
    PasswordResetConfirmIn,
    PasswordResetRequestIn,
    StaffUserCreateIn,
    StatusOut,
    TokenOut,
    TotpConfirmIn,
    TotpEnrollOut,
    TotpResetIn,
    UserOut,
    UserPatchIn,
)

REFRESH_COOKIE = "niha_refresh"
REFRESH_COOKIE_PATH = "/api/v1/auth"
RESET_RATE_PER_EMAIL = "5/hour"
# Guessing the current password with a stolen access token stays slow.
PASSWORD_CHANGE_RATE_PER_USER = "10/hour"

auth_router = APIRouter(prefix="/auth", tags=["auth"])
admin_router = APIRouter(prefix="/admin/users", tags=["users"])

RefreshCookie = Annotated[str | None, Cookie(alias=REFRESH_COOKIE, include_in_schema=False)]
InvitationToken = Annotated[str, Path(min_length=1, max_length=200)]
UsersReader = Annotated[Principal, Depends(require(Permission.USERS_READ))]
UsersManager = Annotated[Principal, Depends(require(Permission.USERS_MANAGE))]


def _refusal(exc: DomainError) -> JSONResponse:
    """Answer a refusal *without* raising, so the session dependency commits its bookkeeping."""
    return problem(exc.status, exc.code, exc.title, exc.detail, exc.headers, **exc.extra)


def _set_refresh_cookie(response: Response, settings: Settings, tokens: service.Tokens) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        max_age=tokens.refresh_expires_in,
        path=REFRESH_COOKIE_PATH,
        secure=settings.is_production,
        httponly=True,
        samesite="strict",
    )


def _clear_refresh_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        REFRESH_COOKIE,
        path=REFRESH_COOKIE_PATH,
        secure=settings.is_production,
        httponly=True,
        samesite="strict",
    )


def _token_out(tokens: service.Tokens) -> TokenOut:
    return TokenOut(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        user=UserOut.model_validate(tokens.user),
    )


@auth_router.post(
    "/login",
    response_model=TokenOut,
    summary="Log in with email, password and (when enabled) a TOTP code",
)
async def login(
    body: LoginIn,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    limiter: RateLimiterDep,
) -> TokenOut | JSONResponse:
    await limiter.check(settings.login_rate_per_ip, "login", client_ip(request))
    try:
        tokens = await service.login(
            session,
            settings,
            email=body.email,
            password=body.password,
            totp_code=body.totp_code,
            actor=anonymous_actor(request),
        )
    except service.CommitsOnRefusal as exc:
        return _refusal(exc)
    _set_refresh_cookie(response, settings, tokens)
    return _token_out(tokens)


@auth_router.post("/refresh", response_model=TokenOut, summary="Rotate the refresh cookie")
async def refresh(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    niha_refresh: RefreshCookie = None,
) -> TokenOut | JSONResponse:
    try:
        tokens = await service.refresh(
            session, settings, refresh_token=niha_refresh, actor=anonymous_actor(request)
        )
    except service.CommitsOnRefusal as exc:
        refused = _refusal(exc)
        _clear_refresh_cookie(refused, settings)
        return refused
    _set_refresh_cookie(response, settings, tokens)
    return _token_out(tokens)


@auth_router.post("/logout", status_code=204, response_class=Response)
async def logout(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: OptionalPrincipal,
    niha_refresh: RefreshCookie = None,
) -> Response:
    actor = principal.actor(request) if principal else anonymous_actor(request)
    await service.logout(session, refresh_token=niha_refresh, principal=principal, actor=actor)
    response = Response(status_code=204)
    _clear_refresh_cookie(response, settings)
    return response


@auth_router.get("/me", response_model=UserOut)
async def me(principal: CurrentPrincipal, session: SessionDep) -> UserOut:
    return UserOut.model_validate(await service.get_user(session, principal.user_id))


@auth_router.post("/password", status_code=204, response_class=Response)
async def change_password(
    body: PasswordChangeIn,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    limiter: RateLimiterDep,
) -> Response:
    await limiter.check(PASSWORD_CHANGE_RATE_PER_USER, "password-change", str(principal.user_id))
    await service.change_password(
        session,
        principal,
        current_password=body.current_password,
        new_password=body.new_password,
        actor=principal.actor(request),
    )
    return Response(status_code=204)


@auth_router.post("/password-reset/request", status_code=202, response_model=StatusOut)
async def request_password_reset(
    body: PasswordResetRequestIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: RateLimiterDep,
) -> StatusOut:
    await limiter.check(settings.login_rate_per_ip, "password-reset", client_ip(request))
    await limiter.check(RESET_RATE_PER_EMAIL, "password-reset-email", body.email.lower())
    await service.request_password_reset(
        session, settings, email=body.email, actor=anonymous_actor(request)
    )
    return StatusOut()


@auth_router.post("/password-reset/confirm", status_code=204, response_class=Response)
async def confirm_password_reset(
    body: PasswordResetConfirmIn, request: Request, session: SessionDep
) -> Response:
    await service.confirm_password_reset(
        session, token=body.token, password=body.password, actor=anonymous_actor(request)
    )
    return Response(status_code=204)


@auth_router.post("/totp/enroll", response_model=TotpEnrollOut)
async def totp_enroll(
    request: Request, principal: CurrentPrincipal, session: SessionDep
) -> TotpEnrollOut:
    secret, uri = await service.totp_enroll(session, principal, actor=principal.actor(request))
    return TotpEnrollOut(secret=secret, otpauth_uri=uri)


@auth_router.post("/totp/confirm", response_model=UserOut)
async def totp_confirm(
    body: TotpConfirmIn, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> UserOut:
    user = await service.totp_confirm(
        session, principal, code=body.code, actor=principal.actor(request)
    )
    return UserOut.model_validate(user)


@auth_router.get("/invitations/{token}", response_model=InvitationOut)
async def get_invitation(token: InvitationToken, session: SessionDep) -> InvitationOut:
    info = await service.get_invitation(session, token)
    return InvitationOut(
        email=info.email,
        name=info.name,
        role=StaffRole(info.role) if info.role else None,
        entity_role=EntityRole(info.entity_role) if info.entity_role else None,
        expires_at=info.expires_at,
    )


@auth_router.post("/invitations/{token}/accept", response_model=UserOut)
async def accept_invitation(
    token: InvitationToken, body: InvitationAcceptIn, request: Request, session: SessionDep
) -> UserOut:
    user = await service.accept_invitation(
        session, token=token, password=body.password, name=body.name, actor=anonymous_actor(request)
    )
    return UserOut.model_validate(user)


# --------------------------------------------------------------------------- staff: users


@admin_router.get("", response_model=Page[UserOut])
async def list_users(
    _: UsersReader,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    role: StaffRole | None = None,
    entity_role: EntityRole | None = None,
    entity_id: uuid.UUID | None = None,
    status: Literal["active", "disabled", "invited"] | None = None,
    search: Annotated[str | None, Query(max_length=200, description="email or name")] = None,
) -> Page[UserOut]:
    rows, cursor = await service.list_users(
        session,
        service.UserFilter(
            role=role,
            entity_role=entity_role,
            entity_id=entity_id,
            status=status,
            search=search or None,
        ),
        page,
    )
    return Page(items=[UserOut.model_validate(u) for u in rows], next_cursor=cursor)


@admin_router.post("", response_model=UserOut, status_code=201)
async def create_staff_user(
    body: StaffUserCreateIn, request: Request, principal: UsersManager, session: SessionDep
) -> UserOut:
    user = await service.create_staff_user(
        session,
        email=body.email,
        password=body.password,
        name=body.name,
        role=body.role,
        actor=principal.actor(request),
    )
    return UserOut.model_validate(user)


@admin_router.post("/invite", response_model=UserOut, status_code=201)
async def invite_user(
    body: InviteIn,
    request: Request,
    principal: UsersManager,
    session: SessionDep,
    settings: SettingsDep,
) -> UserOut:
    user, _ = await service.invite_user(
        session,
        settings,
        email=body.email,
        name=body.name,
        role=body.role,
        entity_role=body.entity_role,
        entity_id=body.entity_id,
        actor=principal.actor(request),
    )
    return UserOut.model_validate(user)


@admin_router.get("/{user_id}", response_model=UserOut)
async def get_user(user_id: uuid.UUID, _: UsersReader, session: SessionDep) -> UserOut:
    return UserOut.model_validate(await service.get_user(session, user_id))


@admin_router.post("/{user_id}/reset-totp", response_model=UserOut)
async def reset_totp(
    user_id: uuid.UUID,
    body: TotpResetIn,
    request: Request,
    principal: UsersManager,
    session: SessionDep,
) -> UserOut:
    """Turn off a user's two-factor authentication (lost device): sessions revoked, the
    user emailed, the reason audited."""
    user = await service.reset_totp(
        session, user_id=user_id, actor=principal.actor(request), reason=body.reason
    )
    return UserOut.model_validate(user)


@admin_router.patch("/{user_id}", response_model=UserOut)
async def update_user(
    user_id: uuid.UUID,
    body: UserPatchIn,
    request: Request,
    principal: UsersManager,
    session: SessionDep,
) -> UserOut:
    user = await service.update_user(
        session,
        user_id=user_id,
        actor=principal.actor(request),
        role=body.role,
        entity_role=body.entity_role,
        status=body.status,
    )
    return UserOut.model_validate(user)
