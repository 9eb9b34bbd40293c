"""``aiocognito demo``: the whole life of a Cognito user, walked through on a local user pool.

It starts :class:`~aiocognito.testing.LocalUserPool` in-process (127.0.0.1, a free port), and with the
public client API signs a user up, confirms it with the code from the outbox, signs in with SRP, enrols
TOTP, signs in answering TOTP, remembers the device, signs in again through device SRP without MFA,
refreshes, verifies the tokens against the pool's JWKS, updates and verifies an attribute, signs out
globally and shows that the old access token is refused. Each step prints one line with its duration.

Nothing secret is printed: no password, no token, no TOTP key; tokens are shown by expiry and a short
``jti`` prefix. Nothing leaves the machine.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._service_errors import NotAuthorizedError
from .core.steps import SignInStep, StepName
from .core.tokens import TokenSet
from .errors import CognitoError
from .pool import UserPool
from .user import User
from .verify import InvalidTokenError, TokenVerifier

if TYPE_CHECKING:
    from .testing import LocalUserPool

__all__ = ["DemoError", "DemoStep", "run_demo"]

_USERNAME = "alice"
_EMAIL = "alice@example.com"
_NEW_EMAIL = "alice.new@example.com"
# The demo pool: optional TOTP MFA, and devices remembered when the user asks (UpdateDeviceStatus), so
# one sign-in answers TOTP and a later one from the remembered device skips it.
_DEVICES = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True}


class DemoError(Exception):
    """A step of the demo did not give what it should (the server or the client misbehaved)."""


@dataclass(frozen=True, slots=True)
class DemoStep:
    """One step of the walk-through: its number, title, what happened, and how long it took."""

    number: int
    title: str
    detail: str
    seconds: float

    def __str__(self) -> str:
        return f"{self.number:2d}. {self.title:<42} {self.seconds * 1000:7.1f} ms  {self.detail}"


@dataclass
class _Walk:
    out: Callable[[str], None]
    steps: list[DemoStep] = field(default_factory=list)

    async def step(self, title: str, action: Awaitable[str]) -> None:
        started = time.perf_counter()
        try:
            detail = await action
        except CognitoError as error:
            raise DemoError(f"step {len(self.steps) + 1} ({title}) failed: {error!r}") from error
        done = DemoStep(len(self.steps) + 1, title, detail, time.perf_counter() - started)
        self.steps.append(done)
        self.out(str(done))


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise DemoError(what)


def _token_line(tokens: TokenSet) -> str:
    """Which tokens, without showing them: the access token's jti prefix and expiry."""
    jti = str(tokens.access_claims.get("jti", "?"))[:8]
    expires = time.strftime("%H:%M:%S UTC", time.gmtime(tokens.expires_at))
    return f"access token jti {jti}…, expires {expires} (in {tokens.expires_at - tokens.issued_at:.0f} s)"


def _done(step: SignInStep, what: str) -> User:
    _check(step.name is StepName.DONE and step.user is not None, f"{what}: stopped at {step.name.value}")
    assert step.user is not None
    return step.user


def _totp_code(secret: str) -> str:
    # The authenticator app's side (RFC 6238), as the local pool computes it.
    from .testing.auth import totp

    return totp(secret, int(time.time() // 30))


async def _verify_with_jwks(endpoint_url: str, pool_id: str, client_id: str, tokens: TokenSet) -> str:
    """Verify both tokens with the pool's JWKS, as a resource server would; the key id used.

    :class:`~aiocognito.TokenVerifier` checks RS256 with a key of the pool's ``jwks.json``, ``iss``,
    ``token_use``, and the client (``client_id`` of the access token, ``aud`` of the ID token). The local
    pool serves the JWKS at ``<endpoint>/<pool id>/.well-known/jwks.json``; the issuer is Cognito's own.
    """
    jwks_url = f"{endpoint_url}/{pool_id}/.well-known/jwks.json"
    async with TokenVerifier(pool_id, client_id, jwks_url=jwks_url) as verifier:
        try:
            access = await verifier.verify(tokens.access_token, token_use="access")  # noqa: S106
            identity = await verifier.verify(tokens.id_token, token_use="id")  # noqa: S106
        except InvalidTokenError as error:
            raise DemoError(f"a token was refused: {error}") from error
        _check(access.client_id == client_id and identity.client_id == client_id, "another client")
        _check(access.sub == identity.sub, "the tokens are of two users")
        return verifier.key_ids[0] if verifier.key_ids else "?"


async def run_demo(*, out: Callable[[str], None] = print) -> list[DemoStep]:
    """Walk a user through sign-up to global sign-out on an in-process local user pool.

    Each step is reported through ``out`` (one line: number, title, duration, what happened) as it ends.
    Returns the steps.

    Raises:
        DemoError: a step did not give what it should.
        OSError: no local port could be bound.
    """
    from .testing import LocalUserPool

    walk = _Walk(out)
    password = f"Aa1!{secrets.token_urlsafe(12)}"
    server = LocalUserPool(shared_signing_key=True)
    state: dict[str, Any] = {}
    started = time.perf_counter()
    out("aiocognito demo: one user's whole life on a local Cognito user pool (127.0.0.1, nothing leaves)")

    async def start() -> str:
        await server.start()
        pool_id = await server.create_pool("demo", mfa="OPTIONAL", totp=True, device_configuration=_DEVICES)
        client = await server.create_client(pool_id, name="demo-app")
        state.update(pool_id=pool_id, client_id=client.client_id)
        return f"{server.endpoint_url}, pool {pool_id}, app client {client.client_id}"

    try:
        await walk.step("start a local user pool", start())
        pool_id, client_id = state["pool_id"], state["client_id"]
        async with UserPool(pool_id, client_id, endpoint_url=server.endpoint_url) as pool:
            await _walk_through(walk, server, pool, password)
    finally:
        await server.aclose()
    out(f"all {len(walk.steps)} steps in {time.perf_counter() - started:.2f} s")
    return walk.steps


@dataclass
class _Alice:
    """What the steps hand on to each other."""

    user: User | None = None
    totp_secret: str = field(default="", repr=False)
    old_access_token: str = field(default="", repr=False)

    @property
    def signed_in(self) -> User:
        if self.user is None:
            raise DemoError("no user is signed in")
        return self.user


async def _walk_through(walk: _Walk, server: LocalUserPool, pool: UserPool, password: str) -> None:
    outbox = server.outbox
    alice = _Alice()

    async def sign_up() -> str:
        result = await pool.sign_up(_USERNAME, password, attributes={"email": _EMAIL})
        _check(not result.confirmed, "the new user is already confirmed")
        where = result.code_delivery
        sent = f"{where.destination} by {where.medium}" if where else "nowhere"
        return f"{_USERNAME}: UNCONFIRMED, code sent to {sent}"

    async def confirm() -> str:
        code = outbox.last_code(_USERNAME, "SIGN_UP")
        await pool.confirm_sign_up(_USERNAME, code)
        return f"code {code} from the outbox: CONFIRMED"

    async def srp_sign_in() -> str:
        step = await pool.sign_in(_USERNAME, password)
        user = alice.user = _done(step, "SRP sign-in")
        return f"USER_SRP_AUTH + PASSWORD_VERIFIER: DONE, {_token_line(user.current_tokens)}"

    async def enrol_totp() -> str:
        user = alice.signed_in
        token = await user.associate_software_token()
        alice.totp_secret = token.secret
        await user.verify_software_token(_totp_code(token.secret), friendly_device_name="phone")
        await user.set_mfa_preference(totp=True, preferred="TOTP")
        factors = await user.auth_factors()
        _check("SOFTWARE_TOKEN_MFA" in factors["mfa"], f"TOTP is not enabled: {factors}")
        return "AssociateSoftwareToken, VerifySoftwareToken, TOTP preferred (the key is not shown)"

    async def totp_sign_in() -> str:
        step = await pool.sign_in(_USERNAME, password)
        _check(
            step.name is StepName.CONFIRM_SIGN_IN_WITH_TOTP_CODE,
            f"expected a TOTP step, got {step.name.value}",
        )
        alice.user = _done(await step.respond(_totp_code(alice.totp_secret)), "TOTP sign-in")
        return f"{step.name.value} answered with the authenticator's code: DONE"

    async def remember_device() -> str:
        user = alice.signed_in
        _check(user.device is not None, "no device was confirmed at sign-in")
        await user.remember_device()
        device = await user.get_device()
        _check(device.remembered, "the device is not remembered")
        return f"device {device.device_key[:18]}… remembered (UpdateDeviceStatus)"

    async def device_sign_in() -> str:
        remembered = alice.signed_in.device
        step = await pool.sign_in(_USERNAME, password)
        # DONE at once: no TOTP step. The tokens name the remembered device and no new device was
        # handed out, so the device answered DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER.
        user = alice.user = _done(step, "device sign-in")
        _check(remembered is not None and user.device == remembered, "the remembered device was not used")
        assert remembered is not None
        _check(not step.device_remembered, "a new device was handed out")
        claim = user.current_tokens.access_claims.get("device_key")
        _check(claim == remembered.device_key, "the tokens do not name the remembered device")
        return "PASSWORD_VERIFIER, DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER: DONE, no MFA step"

    async def refresh() -> str:
        user = alice.signed_in
        before = user.current_tokens
        fresh = await user.refresh()
        _check(fresh.access_token != before.access_token, "the refresh gave the same access token")
        return f"new {_token_line(fresh)}"

    async def verify_tokens() -> str:
        tokens = alice.signed_in.current_tokens
        kid = await _verify_with_jwks(server.endpoint_url, pool.pool_id, pool.client_id, tokens)
        return f"TokenVerifier, key {kid[:12]}… of jwks.json: RS256, iss, token_use, client_id, aud"

    async def update_attribute() -> str:
        user = alice.signed_in
        deliveries = await user.update_attributes({"email": _NEW_EMAIL})
        _check(bool(deliveries), "no verification code was sent for the new e-mail")
        unverified = await user.get_attributes()
        _check(unverified.get("email_verified") == "false", "the new e-mail counts as verified")
        code = outbox.last_code(_NEW_EMAIL, "VERIFY_ATTRIBUTE")
        await user.verify_attribute("email", code)
        attributes = await user.get_attributes()
        _check(attributes.get("email") == _NEW_EMAIL, "the e-mail did not change")
        _check(attributes.get("email_verified") == "true", "the new e-mail is not verified")
        return f"email -> {_NEW_EMAIL}, code {code} from the outbox: email_verified true"

    async def global_sign_out() -> str:
        user = alice.signed_in
        alice.old_access_token = user.current_tokens.access_token
        await user.global_sign_out()
        _check(user.signed_out, "the user object is still signed in")
        return "GlobalSignOut: every token of the user revoked"

    async def old_token_refused() -> str:
        try:
            await pool.call("GetUser", {"AccessToken": alice.old_access_token})
        except NotAuthorizedError as error:
            return f"GetUser with the old access token: NotAuthorizedException ({error.message})"
        raise DemoError("the old access token still works after the global sign-out")

    await walk.step("sign up", sign_up())
    await walk.step("confirm the sign-up with the code", confirm())
    await walk.step("SRP sign-in", srp_sign_in())
    await walk.step("TOTP enrolment", enrol_totp())
    await walk.step("sign-in answering TOTP", totp_sign_in())
    await walk.step("remember the device", remember_device())
    await walk.step("sign in again: device SRP, MFA skipped", device_sign_in())
    await walk.step("refresh the tokens", refresh())
    await walk.step("verify the tokens against the JWKS", verify_tokens())
    await walk.step("update and verify an attribute", update_attribute())
    await walk.step("global sign-out", global_sign_out())
    await walk.step("the old access token is refused", old_token_refused())
