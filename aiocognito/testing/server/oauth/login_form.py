"""``/login`` of the managed login: the password page, then the pages of the challenges the pool asks
(an MFA code by authenticator app, SMS or e-mail; the MFA choice; a new password; an authenticator app
set-up), each a form that posts back to ``/login``. Between pages the flow lives on the server
(:mod:`.flows`); the sign-in itself is the pool's own (:mod:`.sign_in`).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web

from ...faults import Fault
from ..context import Context
from ..state import Pool, User
from .codes import Authorization
from .domains import pool_of_domain
from .flows import FlowRefused, LoginFlow, LoginFlows
from .forms import FormRefused, read_form
from .pages import PageError, Redirected, error_page, page
from .sign_in import Challenge, SignedIn, answer_challenge, set_up_totp, sign_in_with_password, verify_totp
from .templates import (
    choice_form,
    code_form,
    message_card,
    new_password_form,
    password_form,
    totp_setup_form,
)

__all__ = ["CSRF_COOKIE", "Authorizer", "LoginForm"]

#: The cookie that carries a flow's CSRF token beside the form's ``_csrf`` field (Cognito's name).
CSRF_COOKIE = "XSRF-TOKEN"

_CODE_FIELDS = {
    "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
    "SMS_MFA": "SMS_MFA_CODE",
    "EMAIL_OTP": "EMAIL_OTP_CODE",
}
_LOCKED = "Password attempts exceeded. The account is locked for a while: wait, then try again."
_SESSION_OVER = "Your sign-in took too long or had too many wrong codes. Sign in again."


class Authorizer(Protocol):
    """What the login pages need of the managed login: checking the authorize request, and what follows
    a finished sign-in (the session cookie and the redirect to the app with a code)."""

    def check_authorization(self, pool: Pool, query: dict[str, str]) -> Authorization: ...

    def signed_in(self, request: web.Request, authorization: Authorization, user: User) -> web.Response: ...


def _message(fault: Fault) -> str:
    if fault.message == "Password attempts exceeded":
        return _LOCKED
    return fault.message


class LoginForm:
    """The pages of ``/login`` (GET shows the password page; every POST answers the flow's page)."""

    def __init__(
        self,
        ctx: Context,
        authorizer: Authorizer,
        domain_url: Callable[[str], str],
        save: Callable[[], Awaitable[None]],
        flows: LoginFlows | None = None,
    ) -> None:
        self._ctx = ctx
        self._authorizer = authorizer
        self._domain_url = domain_url
        self._save = save
        self._flows = flows if flows is not None else LoginFlows()

    async def show(self, request: web.Request) -> web.Response:
        """GET /login: a new flow, and its password page."""
        query = dict(request.query)
        try:
            pool = pool_of_domain(self._ctx.store, request.match_info["domain"])
            self._authorizer.check_authorization(pool, query)
        except PageError as error:
            return error_page(error)
        except Redirected as redirected:
            return redirected.response
        token, flow = self._flows.start(pool.id, query, now=self._ctx.now())
        return self._render(request, pool, flow, token=token)

    async def submit(self, request: web.Request) -> web.Response:
        """POST /login: the answer to the flow's page, then the next page or the redirect to the app."""
        try:
            form = await read_form(request)
            flow = self._flows.take(
                form.get("flow", ""),
                form.get("_csrf", ""),
                request.cookies.get(CSRF_COOKIE, ""),
                now=self._ctx.now(),
            )
        except FormRefused as refused:
            return page(
                "Error", message_card("The form was refused.", refused.message), status=refused.status
            )
        except FlowRefused as refused:
            status = 403 if refused.reason == "csrf" else 400
            return page("Error", message_card("Sign-in failed.", refused.message), status=status)
        try:
            pool = self._ctx.store.pool(flow.pool_id)
            checked = self._authorizer.check_authorization(pool, flow.query)
        except Fault:
            return error_page(PageError("invalid_request", "The user pool no longer exists"))
        except PageError as error:
            return error_page(error)
        except Redirected as redirected:
            return redirected.response
        try:
            outcome = await self._answer(pool, checked, flow, form)
        except Fault as fault:
            if flow.step != "PASSWORD" and (fault.code == "NotAuthorizedException" or self._over(flow)):
                flow.step, flow.session, flow.parameters = "PASSWORD", "", {}
                return self._render(request, pool, flow, error=_SESSION_OVER)
            return self._render(request, pool, flow, error=_message(fault))
        finally:
            await self._save()
        if isinstance(outcome, str):
            return self._render(request, pool, flow, error=outcome)
        if isinstance(outcome, SignedIn):
            return self._authorizer.signed_in(request, checked, outcome.user)
        return await self._next(request, pool, flow, outcome)

    def _over(self, flow: LoginFlow) -> bool:
        """Whether the pool dropped the flow's sign-in (the third wrong code does)."""
        try:
            self._ctx.sessions.get(flow.session, self._ctx.now())
        except Fault:
            return True
        return False

    async def _answer(
        self, pool: Pool, checked: Authorization, flow: LoginFlow, form: dict[str, str]
    ) -> SignedIn | Challenge | str:
        """The pool's answer to the form, or a message that asks the user for what is missing."""
        ctx, client = self._ctx, checked.client
        if flow.step == "PASSWORD":
            flow.username = form.get("username", "").strip()
            password = form.get("password", "")
            if not flow.username or not password:
                return "Enter your username and password."
            return await sign_in_with_password(ctx, pool, client, flow.username, password)
        challenge = Challenge(flow.step, flow.session, flow.parameters)
        if flow.step in _CODE_FIELDS or flow.step == "MFA_SETUP":
            code = form.get("code", "").strip()
            if not code:
                return "Enter the code."
            if flow.step == "MFA_SETUP":
                return await verify_totp(ctx, pool, client, challenge, code)
            return await answer_challenge(ctx, pool, client, challenge, {_CODE_FIELDS[flow.step]: code})
        if flow.step == "SELECT_MFA_TYPE":
            return await answer_challenge(ctx, pool, client, challenge, {"ANSWER": form.get("mfa", "")})
        # NEW_PASSWORD_REQUIRED
        new_password = form.get("new_password", "")
        if not new_password:
            return "Enter a new password."
        if new_password != form.get("confirm_password", ""):
            return "The passwords do not match."
        responses = {"NEW_PASSWORD": new_password}
        for name in _required_attributes(flow):
            value = form.get(f"attr:{name}", "").strip()
            if not value:
                return f"Enter your {name.replace('_', ' ')}."
            responses[f"userAttributes.{name}"] = value
        return await answer_challenge(ctx, pool, client, challenge, responses)

    async def _next(
        self, request: web.Request, pool: Pool, flow: LoginFlow, challenge: Challenge
    ) -> web.Response:
        flow.step, flow.session, flow.parameters = challenge.name, challenge.session, challenge.parameters
        if challenge.name == "MFA_SETUP":
            if "SOFTWARE_TOKEN_MFA" not in json.loads(challenge.parameters.get("MFAS_CAN_SETUP", "[]")):
                return page(
                    "Sign-in failed",
                    message_card(
                        "Sign-in failed.", "MFA is required: set up an authenticator app in the app first."
                    ),
                    status=400,
                )
            flow.secret_code, set_up = set_up_totp(self._ctx, challenge)
            flow.session = set_up.session
        if challenge.name not in (*_CODE_FIELDS, "SELECT_MFA_TYPE", "NEW_PASSWORD_REQUIRED", "MFA_SETUP"):
            return page(
                "Sign-in failed",
                message_card("Sign-in failed.", f"The {challenge.name} challenge is not served here."),
                status=400,
            )
        return self._render(request, pool, flow)

    def _render(
        self, request: web.Request, pool: Pool, flow: LoginFlow, *, error: str = "", token: str = ""
    ) -> web.Response:
        """The page of the flow's step, under ``token`` or a new one."""
        token = token or self._flows.put(flow, now=self._ctx.now())
        client = pool.clients.get(flow.query.get("client_id", ""))
        csrf, step = flow.csrf, flow.step
        if step in _CODE_FIELDS:
            destination = flow.parameters.get("CODE_DELIVERY_DESTINATION", "")
            title, body = "MFA", code_form(token, csrf, step, destination=destination, error=error)
        elif step == "SELECT_MFA_TYPE":
            methods = [str(m) for m in json.loads(flow.parameters.get("MFAS_CAN_CHOOSE", "[]"))]
            title, body = "Choose MFA", choice_form(token, csrf, methods, error=error)
        elif step == "NEW_PASSWORD_REQUIRED":
            title, body = (
                "New password",
                new_password_form(token, csrf, _required_attributes(flow), error=error),
            )
        elif step == "MFA_SETUP":
            label = urllib.parse.quote(f"{client.name if client else pool.name}:{flow.username}")
            uri = f"otpauth://totp/{label}?secret={flow.secret_code}"
            title, body = "Set up MFA", totp_setup_form(token, csrf, flow.secret_code, uri, error=error)
        else:
            title, body = "Signin", password_form(token, csrf, username=flow.username, error=error)
        path = urllib.parse.urlsplit(self._domain_url(request.match_info["domain"])).path
        cookie = f"{CSRF_COOKIE}={csrf}; Path={path}; HttpOnly; SameSite=Lax"
        return page(title, body, app_name=client.name if client else "", headers={"Set-Cookie": cookie})


def _required_attributes(flow: LoginFlow) -> list[str]:
    listed = json.loads(flow.parameters.get("requiredAttributes", "[]"))
    return [str(name).removeprefix("userAttributes.") for name in listed]
