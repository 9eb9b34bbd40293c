"""A flaky network between the client and the local user pool: the promises hold under injected faults.

A :class:`FaultProxy` (``tests/fault_proxy.py``) sits in front of :class:`LocalUserPool` and, per request by
a seeded plan, drops the connection before or after forwarding, answers an HTML or JSON 500 (before or
after the server acted), throttles, or holds the reply past the client's timeout. Over a few hundred
sign-ins (USER_SRP_AUTH and USER_PASSWORD_AUTH) and refreshes, with and without refresh-token rotation
(RetryGracePeriodSeconds=60), counted at the server (what the proxy forwarded):

- no password attempt reached the server twice, and none was even sent twice except after throttling
  (which Cognito refuses before looking at the password);
- every token verifies against the pool's JWKS and belongs to its user and its sign-in;
- no session is lost except by NotAuthorizedException (some sessions are revoked on purpose).

``AIOCOGNITO_SOAK=1`` (``nox -s soak``) runs 20 times more (``AIOCOGNITO_FAULT_SCALE=N`` chooses the
factor); each run prints its figures (``FAULT-RUN {...}``, shown with ``-s`` or ``-rP``) and, given
``AIOCOGNITO_FAULT_REPORT=path``, appends them to that file as JSON lines.

Then the regressions of the refresh defect: one HTML 500 or dropped connection on
GetTokensFromRefreshToken no longer ends a session with rotation, the fallback to REFRESH_TOKEN_AUTH still
works on moto (which lacks the operation), and ``refresh_operation=`` chooses.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import servers
from clocks import OffsetClock
from fault_proxy import FAULT_KINDS, Exchange, FaultPlan, FaultProxy

import aiocognito
from aiocognito import RetryPolicy, Timeouts, TokenSet, TokenVerifier, User, UserPool
from aiocognito.testing import LocalUserPool

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"
GET_TOKENS = "GetTokensFromRefreshToken"
ROTATION = {"Feature": "ENABLED", "RetryGracePeriodSeconds": 60}

_SOAK = os.environ.get("AIOCOGNITO_SOAK", "").strip() not in ("", "0")
SCALE = int(os.environ.get("AIOCOGNITO_FAULT_SCALE") or (20 if _SOAK else 1))
USERS = 100 * SCALE  # per rotation setting; each signs in twice and is refreshed three times
POOLS = 4  # UserPool objects sharing the users, as several app servers would
CONCURRENCY = 16
TRIES = 25  # attempts a caller makes before calling a sign-in or a refresh stuck
FAULT_RATE = 0.025  # per kind and request: 8 kinds, a fifth of all requests
CLIENT_TIMEOUTS = Timeouts(connect=1.0, total=0.5)
DELAY = 0.7  # past the client's total timeout
CLIENT_RETRY = RetryPolicy(max_attempts=3, budget=3.0, base_delay=0.02, max_delay=0.1)
CAMPAIGN_SECONDS = 150.0 * SCALE


def passing(error: aiocognito.CognitoError) -> bool:
    """A failure the network or a bad moment of the server explains: the caller tries again."""
    if isinstance(error, aiocognito.TransportError):
        return True
    return isinstance(error, aiocognito.ServiceError) and (error.throttling or error.status >= 500)


# --- the campaign -----------------------------------------------------------------------------------------


@dataclasses.dataclass
class Session:
    username: str
    sub: str
    flow: str
    pool: UserPool
    user: User | None = None
    origin_jti: str | None = None
    revoked: bool = False
    ended: str | None = None  # why the session ended, if it did


@dataclasses.dataclass
class Figures:
    rotation: bool
    seed: int
    users: int
    sign_ins: int = 0
    sign_ins_attempted: int = 0
    refreshes: int = 0
    refreshes_attempted: int = 0
    passing_failures: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    faults: dict[str, int] = dataclasses.field(default_factory=dict)
    faults_on_get_tokens: dict[str, int] = dataclasses.field(default_factory=dict)
    refresh_token_auth_tried: int = 0
    requests: int = 0
    password_attempts: int = 0
    password_attempts_resent: int = 0
    password_attempts_repeated_after_throttling: int = 0
    sessions_revoked: int = 0
    sessions_ended_by_not_authorized: int = 0
    sessions_lost_to_a_passing_fault: int = 0
    wrong_tokens: int = 0
    lost_tokens: int = 0
    stuck: int = 0
    unexpected: list[str] = dataclasses.field(default_factory=list)
    refresh_operations_at_end: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0


class Campaign:
    def __init__(self, local: LocalUserPool, verifier: TokenVerifier, figures: Figures) -> None:
        self.local = local
        self.verifier = verifier
        self.figures = figures
        self.limit = asyncio.Semaphore(CONCURRENCY)

    async def check(self, session: Session, tokens: TokenSet, *, signed_in: bool) -> None:
        """The tokens verify, are the user's, of this sign-in, and are the ones the store holds."""
        figures = self.figures
        try:
            access = await self.verifier.verify(tokens.access_token, token_use="access")
            identity = await self.verifier.verify(tokens.id_token, token_use="id")
        except aiocognito.CognitoError as error:
            figures.wrong_tokens += 1
            figures.unexpected.append(f"{session.username}: token refused: {error}")
            return
        if signed_in:
            session.origin_jti = access.origin_jti
        if (
            {access.sub, identity.sub} != {session.sub}
            or {access.username, identity.username} != {session.username}
            or {access.client_id, identity.client_id} != {session.pool.client_id}
            or access.origin_jti != session.origin_jti
            or not tokens.refresh_token
        ):
            figures.wrong_tokens += 1
            figures.unexpected.append(f"{session.username}: tokens of another user or sign-in")
        record = await session.pool.token_store.get(session.pool.sessions.key(session.username))
        if record is None or record.tokens != tokens:
            figures.lost_tokens += 1
            figures.unexpected.append(f"{session.username}: the store does not hold the new tokens")

    async def sign_in(self, session: Session) -> None:
        figures = self.figures
        async with self.limit:
            for _ in range(TRIES):
                figures.sign_ins_attempted += 1
                try:
                    # A fresh attempt id per sign-in the caller makes: a body seen twice was resent.
                    step = await session.pool.sign_in(
                        session.username,
                        PASSWORD,
                        flow=session.flow,
                        client_metadata={"attempt": uuid.uuid4().hex},
                    )
                except aiocognito.CognitoError as error:
                    if passing(error):
                        figures.passing_failures[f"sign-in {type(error).__name__}"] += 1
                        continue
                    figures.unexpected.append(f"{session.username}: sign-in: {error!r}")
                    return
                if step.name != "DONE" or step.user is None:
                    figures.unexpected.append(f"{session.username}: sign-in ended at {step.name}")
                    return
                figures.sign_ins += 1
                session.user = step.user
                await self.check(session, step.user.current_tokens, signed_in=True)
                return
            figures.stuck += 1
            figures.unexpected.append(f"{session.username}: never signed in in {TRIES} tries")

    async def refresh(self, session: Session, *, advisory: bool) -> None:
        figures = self.figures
        user = session.user
        if user is None or session.ended is not None:
            return
        before = user.current_tokens
        async with self.limit:
            for _ in range(TRIES):
                figures.refreshes_attempted += 1
                try:
                    tokens = await user.tokens()
                except aiocognito.SignedOutError as error:
                    cause = error.__cause__
                    session.ended = f"{type(cause).__name__}: {error}"
                    if session.revoked and isinstance(cause, aiocognito.NotAuthorizedError):
                        figures.sessions_ended_by_not_authorized += 1
                    else:
                        figures.sessions_lost_to_a_passing_fault += 1
                        figures.unexpected.append(f"{session.username}: session lost: {session.ended}")
                    return
                except aiocognito.CognitoError as error:
                    if passing(error) and not advisory:
                        figures.passing_failures[f"refresh {type(error).__name__}"] += 1
                        continue
                    figures.unexpected.append(f"{session.username}: refresh: {error!r}")
                    return
                if tokens.access_token == before.access_token:
                    # The advisory window: the refresh failed and the still-valid tokens came back.
                    if not advisory or tokens != before:
                        figures.unexpected.append(f"{session.username}: old tokens after expiry")
                        return
                    figures.passing_failures["refresh kept the valid tokens"] += 1
                    continue
                if session.revoked:
                    figures.wrong_tokens += 1
                    figures.unexpected.append(f"{session.username}: a revoked session was refreshed")
                figures.refreshes += 1
                await self.check(session, tokens, signed_in=False)
                return
            figures.stuck += 1
            figures.unexpected.append(f"{session.username}: never refreshed in {TRIES} tries")

    async def each(self, sessions: list[Session], action: Any, **kwargs: Any) -> None:
        await asyncio.gather(*(action(session, **kwargs) for session in sessions))

    async def revoke(self, sessions: list[Session]) -> None:
        """Revoke some sessions at the server: their next refresh must end with NotAuthorizedException."""
        for session in sessions[::10]:
            await self.local.call(
                "AdminUserGlobalSignOut", {"UserPoolId": session.pool.pool_id, "Username": session.username}
            )
            session.revoked = True
            self.figures.sessions_revoked += 1


def password_attempts(exchanges: list[Exchange]) -> dict[bytes, list[Exchange]]:
    """Every request that carries a password attempt, grouped by body (an attempt id makes each unique)."""
    attempts: dict[bytes, list[Exchange]] = collections.defaultdict(list)
    for exchange in exchanges:
        body = exchange.json()
        if not isinstance(body, dict):
            continue
        if (exchange.operation == "InitiateAuth" and body.get("AuthFlow") == "USER_PASSWORD_AUTH") or (
            exchange.operation == "RespondToAuthChallenge"
            and body.get("ChallengeName") == "PASSWORD_VERIFIER"
        ):
            attempts[exchange.body].append(exchange)
    return attempts


def report(figures: Figures) -> None:
    data = dataclasses.asdict(figures)
    data["passing_failures"] = dict(figures.passing_failures)
    data["unexpected"] = figures.unexpected[:20]
    line = json.dumps(data, sort_keys=True)
    print(f"FAULT-RUN {line}")
    path = os.environ.get("AIOCOGNITO_FAULT_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(line + "\n")


@pytest.mark.parametrize("rotation", [False, True], ids=["no-rotation", "rotation"])
async def test_sign_ins_and_refreshes_survive_injected_faults(rotation: bool) -> None:
    seed = 1100 + rotation
    figures = Figures(rotation=rotation, seed=seed, users=USERS)
    plan = FaultPlan.uniform(FAULT_RATE, seed=seed, delay=DELAY)
    started = time.perf_counter()
    async with LocalUserPool(shared_signing_key=True) as local:
        pool_id = await local.create_pool()
        extra = {"RefreshTokenRotation": ROTATION} if rotation else {}
        client = await local.create_client(pool_id, **extra)
        jwks_url = f"{local.endpoint_url}/{pool_id}/.well-known/jwks.json"
        clock = OffsetClock()
        async with contextlib.AsyncExitStack() as stack:
            proxy = await stack.enter_async_context(FaultProxy(local.endpoint_url, plan))
            verifier = await stack.enter_async_context(
                TokenVerifier(pool_id, client.client_id, jwks_url=jwks_url)
            )
            pools = []
            for _ in range(POOLS):
                pool = UserPool(
                    pool_id,
                    client.client_id,
                    endpoint_url=proxy.endpoint_url,
                    timeouts=CLIENT_TIMEOUTS,
                    retry=CLIENT_RETRY,
                    clock=clock,
                )
                pools.append(await stack.enter_async_context(pool))
            sessions = []
            for index in range(USERS):
                username = f"user-{index:05d}"
                await local.create_user(pool_id, username, PASSWORD)
                sub = local.store.pool(pool_id).users[username].sub
                flow = "USER_SRP_AUTH" if index % 2 == 0 else "USER_PASSWORD_AUTH"
                sessions.append(Session(username, sub, flow, pools[index % POOLS]))
            run = Campaign(local, verifier, figures)
            async with asyncio.timeout(CAMPAIGN_SECONDS):
                await run.each(sessions, run.sign_in)
                clock.offset += 3700.0  # expired: a failure is raised (the mandatory window)
                # The first refresh of the first pool object meets an HTML 500 (then the plan goes on):
                # REFRESH_TOKEN_AUTH is tried; with rotation it is refused and the session must survive.
                proxy.inject(GET_TOKENS, "html_500")
                proxy.inject("InitiateAuth", None)
                await run.refresh(sessions[0], advisory=False)
                await run.each(sessions[1:], run.refresh, advisory=False)
                clock.offset += 3500.0  # 100 s left: a failure keeps the valid tokens (advisory)
                await run.each(sessions, run.refresh, advisory=True)
                clock.offset = 0.0  # SRP's TIMESTAMP is the real time
                await run.each(sessions, run.sign_in)  # a new session replaces the old one
                await run.revoke(sessions)
                clock.offset = 3700.0
                await run.each(sessions, run.refresh, advisory=False)
                # The faults stop: every session kept must refresh at once and its access token work.
                proxy.plan = None
                figures.faults = dict(proxy.fault_counts())
                figures.faults_on_get_tokens = dict(
                    collections.Counter(
                        x.fault for x in proxy.exchanges if x.operation == GET_TOKENS and x.fault
                    )
                )
                figures.refresh_token_auth_tried = len(refresh_flows(proxy))
                figures.requests = len(proxy.exchanges)
                clock.offset += 3700.0
                alive = [s for s in sessions if s.ended is None]
                attempted = figures.refreshes_attempted
                await run.each(alive, run.refresh, advisory=False)
                assert figures.refreshes_attempted - attempted == len(alive)  # each at the first try
                for session in alive:
                    assert session.user is not None
                    attributes = await session.user.get_attributes()
                    if attributes.get("sub") != session.sub:
                        figures.wrong_tokens += 1
            figures.refresh_operations_at_end = [pool.refresher.operation for pool in pools]
            attempts = password_attempts(proxy.exchanges)
    figures.seconds = round(time.perf_counter() - started, 1)
    figures.password_attempts = len(attempts)
    for copies in attempts.values():
        reached = sum(1 for copy in copies if copy.forwarded)
        # Sent again only after a throttling reply, which Cognito gives before looking at the password.
        resent = sum(1 for copy in copies[:-1] if copy.fault != "throttle")
        figures.password_attempts_resent += max(reached - 1, 0) + resent
        figures.password_attempts_repeated_after_throttling += len(copies) - 1 - resent
    report(figures)

    assert figures.unexpected == []
    assert figures.password_attempts_resent == 0
    assert figures.sessions_lost_to_a_passing_fault == 0
    assert figures.wrong_tokens == 0 and figures.lost_tokens == 0 and figures.stuck == 0
    assert figures.sessions_ended_by_not_authorized == figures.sessions_revoked > 0
    assert figures.sign_ins == 2 * USERS
    # The plan really injected every kind of fault, on the sign-in and the refresh operations.
    assert set(figures.faults) == set(FAULT_KINDS)
    faulted = {x.operation for x in proxy.exchanges if x.fault is not None}
    assert {"InitiateAuth", "RespondToAuthChallenge"} <= faulted
    assert GET_TOKENS in faulted and figures.refresh_token_auth_tried >= 1
    if rotation:  # REFRESH_TOKEN_AUTH was refused every time it was tried: never switched to
        assert set(figures.refresh_operations_at_end) == {GET_TOKENS}
    else:  # it worked after the HTML 500 and GetTokensFromRefreshToken never had, for that pool object
        assert figures.refresh_operations_at_end[0] == "REFRESH_TOKEN_AUTH"


# --- regressions: one passing fault on GetTokensFromRefreshToken -----------------------------------------


@pytest.fixture
async def local() -> AsyncIterator[LocalUserPool]:
    async with LocalUserPool(shared_signing_key=True) as server:
        yield server


@pytest.fixture
async def proxy(local: LocalUserPool) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(local.endpoint_url, delay=DELAY) as running:
        yield running


async def signed_in(pool: UserPool, username: str = "alice", password: str = PASSWORD) -> User:
    step = await pool.sign_in(username, password)
    assert step.name == "DONE" and step.user is not None
    return step.user


def client_pool(
    pool_id: str, client_id: str, endpoint_url: str, clock: OffsetClock, **kwargs: Any
) -> UserPool:
    return UserPool(
        pool_id,
        client_id,
        endpoint_url=endpoint_url,
        timeouts=CLIENT_TIMEOUTS,
        retry=RetryPolicy(max_attempts=1),
        clock=clock,
        **kwargs,
    )


def refresh_flows(proxy: FaultProxy) -> list[dict[str, Any]]:
    """The REFRESH_TOKEN_AUTH calls the server got."""
    bodies = [json.loads(body) for body in proxy.forwarded("InitiateAuth")]
    return [body for body in bodies if body.get("AuthFlow") == "REFRESH_TOKEN_AUTH"]


@pytest.mark.parametrize(
    "fault", ["html_500", "html_500_after", "drop_before", "drop_after", "json_500_after", "delay"]
)
@pytest.mark.parametrize("window", ["mandatory", "advisory"])
async def test_one_passing_fault_on_get_tokens_keeps_a_rotating_session(
    local: LocalUserPool, proxy: FaultProxy, fault: str, window: str
) -> None:
    """Before: an HTML 500 fell back to REFRESH_TOKEN_AUTH, which rotation refuses: signed out."""
    pool_id = await local.create_pool()
    client = await local.create_client(pool_id, RefreshTokenRotation=ROTATION)
    await local.create_user(pool_id, "alice", PASSWORD)
    clock = OffsetClock()
    async with client_pool(pool_id, client.client_id, proxy.endpoint_url, clock) as pool:
        user = await signed_in(pool)
        first = user.current_tokens
        clock.offset = 3700.0 if window == "mandatory" else 3500.0
        proxy.inject(GET_TOKENS, fault)
        if window == "mandatory":
            with pytest.raises((aiocognito.TransportError, aiocognito.InternalErrorError)):
                await user.tokens()
        else:
            assert await user.tokens() is first  # still valid: kept in use
        assert not user.signed_out
        record = await pool.token_store.get(pool.sessions.key("alice"))
        assert record is not None and record.tokens == first  # the session and its refresh token
        # An HTML page may mean "no such operation": REFRESH_TOKEN_AUTH was tried, refused, and forgotten.
        assert len(refresh_flows(proxy)) == (1 if fault.startswith("html") else 0)
        fresh = await user.tokens()  # the next refresh: GetTokensFromRefreshToken again
        assert fresh.access_token != first.access_token
        assert fresh.refresh_token and fresh.refresh_token != first.refresh_token
        reached_first = fault not in ("html_500", "drop_before")
        assert len(proxy.forwarded(GET_TOKENS)) == 1 + reached_first
        # When the lost reply had rotated the token, the old one still worked: Cognito's grace period.
        assert (await user.get_attributes())["sub"] == first.sub
        clock.offset += 3700.0
        assert (await user.tokens()).refresh_token not in (None, first.refresh_token, fresh.refresh_token)
        assert pool.refresher.operation == GET_TOKENS


async def test_after_the_grace_period_a_lost_rotation_ends_the_session() -> None:
    """The limit of the rule: the successor never arrived and the old token is dead."""
    server_clock = OffsetClock()
    async with LocalUserPool(shared_signing_key=True, clock=server_clock) as timed:
        pool_id = await timed.create_pool()
        client = await timed.create_client(pool_id, RefreshTokenRotation=ROTATION)
        await timed.create_user(pool_id, "alice", PASSWORD)
        async with FaultProxy(timed.endpoint_url) as lossy:
            clock = OffsetClock()
            async with client_pool(pool_id, client.client_id, lossy.endpoint_url, clock) as pool:
                user = await signed_in(pool)
                clock.offset = 3700.0
                lossy.inject(GET_TOKENS, "drop_after", "drop_after")
                with pytest.raises(aiocognito.TransportError):
                    await user.tokens()
                server_clock.offset = 59.0  # within RetryGracePeriodSeconds: the old token works
                with pytest.raises(aiocognito.TransportError):
                    await user.tokens()  # ... but this reply is lost too
                assert not user.signed_out
                server_clock.offset = 59.0 + 61.0  # past the grace period of the first rotation
                with pytest.raises(aiocognito.SignedOutError) as caught:
                    await user.tokens()
                assert isinstance(caught.value.__cause__, aiocognito.RefreshTokenReuseError)


async def test_html_500_after_get_tokens_worked_never_falls_back(
    local: LocalUserPool, proxy: FaultProxy
) -> None:
    pool_id = await local.create_pool()
    client = await local.create_client(pool_id)
    await local.create_user(pool_id, "alice", PASSWORD)
    clock = OffsetClock()
    async with client_pool(pool_id, client.client_id, proxy.endpoint_url, clock) as pool:
        user = await signed_in(pool)
        clock.offset = 3700.0
        await user.tokens()
        clock.offset += 3700.0
        proxy.inject(GET_TOKENS, "html_500", "html_500_after")
        for _ in range(2):
            with pytest.raises(aiocognito.TransportError, match="HTTP 500"):
                await user.tokens()
        assert refresh_flows(proxy) == []  # never tried: the server knows the operation
        await user.tokens()
        assert pool.refresher.operation == GET_TOKENS
        assert not user.signed_out


async def test_first_html_500_with_a_working_fallback_switches_without_rotation(
    local: LocalUserPool, proxy: FaultProxy
) -> None:
    """As specified: REFRESH_TOKEN_AUTH worked and GetTokensFromRefreshToken never has."""
    pool_id = await local.create_pool()
    client = await local.create_client(pool_id)
    await local.create_user(pool_id, "alice", PASSWORD)
    clock = OffsetClock()
    async with client_pool(pool_id, client.client_id, proxy.endpoint_url, clock) as pool:
        user = await signed_in(pool)
        clock.offset = 3700.0
        proxy.inject(GET_TOKENS, "html_500")
        first = user.current_tokens
        assert (await user.tokens()).access_token != first.access_token
        clock.offset += 3700.0
        await user.tokens()
        assert len(proxy.received(GET_TOKENS)) == 1
        assert len(refresh_flows(proxy)) == 2


async def test_refresh_operation_is_the_callers_choice(local: LocalUserPool, proxy: FaultProxy) -> None:
    pool_id = await local.create_pool()
    client = await local.create_client(pool_id)
    await local.create_user(pool_id, "alice", PASSWORD)
    clock = OffsetClock()
    kwargs = {"refresh_operation": "REFRESH_TOKEN_AUTH"}
    async with client_pool(pool_id, client.client_id, proxy.endpoint_url, clock, **kwargs) as pool:
        user = await signed_in(pool)
        clock.offset = 3700.0
        await user.tokens()
        assert proxy.received(GET_TOKENS) == [] and len(refresh_flows(proxy)) == 1
    kwargs = {"refresh_operation": GET_TOKENS}
    clock = OffsetClock()  # SRP's TIMESTAMP must be the real time
    async with client_pool(pool_id, client.client_id, proxy.endpoint_url, clock, **kwargs) as pool:
        user = await signed_in(pool)
        clock.offset = 3700.0
        proxy.inject(GET_TOKENS, "html_500")
        with pytest.raises(aiocognito.TransportError):
            await user.tokens()
        assert len(refresh_flows(proxy)) == 1  # no new fallback
        await user.tokens()
    with pytest.raises(ValueError, match="refresh_operation"):
        UserPool(pool_id, client.client_id, endpoint_url=local.endpoint_url, refresh_operation="refresh")


# --- regressions on moto: it lacks GetTokensFromRefreshToken (an HTML 500) -------------------------------


async def test_moto_fallback_still_works_and_is_remembered(moto_endpoint: str) -> None:
    pc = servers.create_pool_and_client(moto_endpoint, generate_secret=True)
    user = servers.create_confirmed_user(pc)
    async with FaultProxy(pc.endpoint_url) as counting:
        clock = OffsetClock()
        pool = client_pool(
            pc.pool_id, pc.client_id, counting.endpoint_url, clock, client_secret=pc.client_secret
        )
        async with pool:
            signed = await signed_in(pool, user.username, user.password)
            first = signed.current_tokens
            clock.offset = 3700.0
            refreshed = await signed.tokens()
            assert refreshed.access_token != first.access_token
            clock.offset += 3700.0
            assert (await signed.tokens()).access_token != refreshed.access_token
        assert [x.upstream_status for x in counting.exchanges if x.operation == GET_TOKENS] == [500]
        assert len(refresh_flows(counting)) == 2  # the first after the 500, the second straight away


async def test_moto_refused_fallback_keeps_the_session(moto_endpoint: str) -> None:
    """A refusal of the fallback (here: moto's answer to a revoked token) never ends the session: the
    server may have answered the HTML 500 for a passing reason."""
    pc = servers.create_pool_and_client(moto_endpoint)
    user = servers.create_confirmed_user(pc)
    clock = OffsetClock()
    async with client_pool(pc.pool_id, pc.client_id, pc.endpoint_url, clock) as pool:
        signed = await signed_in(pool, user.username, user.password)
        await pool.call("GlobalSignOut", {"AccessToken": signed.current_tokens.access_token})
        clock.offset = 3700.0
        for _ in range(2):  # GetTokensFromRefreshToken is asked again every time
            with pytest.raises(aiocognito.TransportError, match="HTTP 500") as caught:
                await signed.tokens()
            assert isinstance(caught.value.__cause__, aiocognito.NotAuthorizedError)
            assert not signed.signed_out
