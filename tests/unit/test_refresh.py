"""The refresher one state at a time, with a scripted Cognito and a fixed clock.

Windows (fresh, advisory, mandatory), single flight, cancelled waiters, passing vs definitive failures,
refresh-token rotation, RefreshTokenReuseException and the fallback to REFRESH_TOKEN_AUTH. The real-server
side of the same rules is in tests/integration/test_refresh.py.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

import aiocognito
from aiocognito import DeviceCredentials, TokenSet, User, UserPool
from aiocognito.core import srp
from aiocognito.token_store import MemoryTokenStore, SessionRecord, StoreKey

POOL_ID = "us-east-1_Scripted1"
CLIENT_ID = "client-abc"
SECRET = "client-secret-xyz"
SUB = "5b1b0a6e-7f0c-4c1e-9a53-0d2f3c7d9e11"
T0 = 1_700_000_000.0
Check = Callable[[dict[str, Any]], None]


def jwt(claims: dict[str, Any]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"e30.{payload}.sig"


def result(iat: float, *, lifetime: int = 3600, refresh: str | None = None, n: int = 0) -> dict[str, Any]:
    """An AuthenticationResult issued at ``iat`` (Cognito's clock); ``n`` tells the tokens apart."""
    common = {"sub": SUB, "iat": int(iat), "exp": int(iat) + lifetime, "origin_jti": "family-1"}
    reply: dict[str, Any] = {
        "IdToken": jwt({**common, "cognito:username": SUB, "n": n}),
        "AccessToken": jwt({**common, "username": SUB, "n": n}),
        "ExpiresIn": lifetime,
        "TokenType": "Bearer",
    }
    if refresh is not None:
        reply["RefreshToken"] = refresh
    return reply


def number(tokens: TokenSet) -> int:
    return int(tokens.access_claims["n"])


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class ScriptedPool(UserPool):
    """A pool whose calls are answered by a script of (operation, check, reply or exception or callable)."""

    def __init__(self, script: list[tuple[str, Check | None, Any]], clock: Clock, **kwargs: Any) -> None:
        # The pool is its own caller: the refresher's calls come to the script.
        super().__init__(
            POOL_ID, CLIENT_ID, endpoint_url="http://127.0.0.1:1", clock=clock, caller=self, **kwargs
        )
        self.script = list(script)
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def call(
        self, operation: str, params: Any, *, service: str = "cognito-idp", max_reply_bytes: int | None = None
    ) -> dict[str, Any]:
        assert self.script, f"unexpected call {operation}"
        expected, check, answer = self.script.pop(0)
        assert operation == expected, (operation, expected)
        self.calls.append((operation, dict(params)))
        if check is not None:
            check(dict(params))
        if callable(answer):
            answer = await answer()
        if isinstance(answer, BaseException):
            raise answer
        assert isinstance(answer, dict)
        return answer


async def signed_in(
    pool: UserPool, *, iat: float = T0, lifetime: int = 3600, device: DeviceCredentials | None = None
) -> User:
    """A user signed in at ``iat`` with refresh token ``r0``, stored as the sign-in stores it."""
    tokens = TokenSet.from_result(result(iat, lifetime=lifetime, refresh="r0"), now=iat)
    await pool.token_store.put(pool.sessions.key(SUB), SessionRecord(tokens=tokens, device=device))
    return pool.user_from_tokens(SUB, tokens, device=device)


def get_tokens(refresh: str | None = None, n: int = 1, at: float | None = None) -> Callable[[], Any]:
    """A GetTokensFromRefreshToken/InitiateAuth reply issued when it is answered (or at ``at``)."""

    async def answer() -> dict[str, Any]:
        return {"AuthenticationResult": result(at if at is not None else CLOCK.now, refresh=refresh, n=n)}

    return answer


CLOCK = Clock()


@pytest.fixture(autouse=True)
def _clock() -> None:
    CLOCK.now = T0


def pool_with(script: list[tuple[str, Check | None, Any]], **kwargs: Any) -> ScriptedPool:
    return ScriptedPool(script, CLOCK, **kwargs)


# --- windows --------------------------------------------------------------------------------------


async def test_fresh_tokens_make_no_call() -> None:
    pool = pool_with([])
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 - 301  # 301 s left, margin 300
    assert await user.tokens() is user.current_tokens


async def test_advisory_window_refreshes_and_stores() -> None:
    pool = pool_with([("GetTokensFromRefreshToken", None, get_tokens(n=1))])
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 - 299
    tokens = await user.tokens()
    assert number(tokens) == 1
    assert tokens.refresh_token == "r0"  # not rotated: the old one is kept
    record = await pool.token_store.get(pool.sessions.key(SUB))
    assert record is not None and record.tokens == tokens
    assert await user.tokens() is tokens  # and then fresh again: no further call


async def test_short_lived_tokens_are_not_refreshed_on_every_call() -> None:
    """5-minute access tokens (Cognito's minimum) with the default 300 s margin: refreshed at half-life."""
    pool = pool_with([("GetTokensFromRefreshToken", None, get_tokens(n=1))])
    user = await signed_in(pool, lifetime=300)
    CLOCK.now = T0 + 100
    assert number(await user.tokens()) == 0
    CLOCK.now = T0 + 151
    assert number(await user.tokens()) == 1


async def test_clock_drift_is_measured_from_iat() -> None:
    """A local clock 2 hours ahead of Cognito's: tokens issued "2 hours ago" are still fresh."""
    pool = pool_with([("GetTokensFromRefreshToken", None, get_tokens(n=1, at=T0 + 60))])
    skew = 7200.0
    tokens = TokenSet.from_result(result(T0, refresh="r0"), now=T0 + skew)
    user = pool.user_from_tokens(SUB, tokens)
    CLOCK.now = T0 + skew + 1000
    assert await user.tokens() is tokens
    assert tokens.seconds_left(now=CLOCK.now) == pytest.approx(2600)
    CLOCK.now = T0 + skew + 3400  # 200 s left by Cognito's clock
    assert number(await user.tokens()) == 1


@pytest.mark.parametrize(
    "failure",
    [
        aiocognito.TransportError("connection reset", status=None),
        aiocognito.InternalErrorError("boom", status=500),
        aiocognito.TooManyRequestsError("Rate exceeded"),
    ],
    ids=["network", "5xx", "throttling"],
)
async def test_advisory_failure_keeps_the_valid_tokens(failure: Exception) -> None:
    pool = pool_with(
        [("GetTokensFromRefreshToken", None, failure), ("GetTokensFromRefreshToken", None, get_tokens(n=1))]
    )
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 - 100
    assert number(await user.tokens()) == 0  # the refresh failed: the old, valid tokens
    assert not user.signed_out
    assert number(await user.tokens()) == 1  # tried again on the next call


async def test_expired_and_transient_failure_raises_and_keeps_the_session() -> None:
    pool = pool_with(
        [
            ("GetTokensFromRefreshToken", None, aiocognito.TransportError("timeout")),
            ("GetTokensFromRefreshToken", None, aiocognito.InternalErrorError("boom", status=500)),
            ("GetTokensFromRefreshToken", None, get_tokens(n=1)),
        ]
    )
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 + 10
    with pytest.raises(aiocognito.TransportError):
        await user.tokens()
    with pytest.raises(aiocognito.InternalErrorError):
        await user.tokens()
    assert not user.signed_out
    record = await pool.token_store.get(pool.sessions.key(SUB))
    assert record is not None and record.tokens is not None  # the session is kept for the next try
    assert number(await user.tokens()) == 1


@pytest.mark.parametrize("expired", [False, True], ids=["advisory", "mandatory"])
async def test_not_authorized_ends_the_session(expired: bool) -> None:
    device = DeviceCredentials("us-east-1_dev", "group", "device-password")
    refused = aiocognito.NotAuthorizedError("Refresh Token has been revoked")
    pool = pool_with([("GetTokensFromRefreshToken", None, refused)])
    user = await signed_in(pool, device=device)
    CLOCK.now = T0 + 3600 + (10 if expired else -10)
    with pytest.raises(aiocognito.SignedOutError, match="refused the refresh token") as caught:
        await user.tokens()
    assert isinstance(caught.value.__cause__, aiocognito.NotAuthorizedError)
    assert user.signed_out
    record = await pool.token_store.get(pool.sessions.key(SUB))
    assert record is not None and record.tokens is None and record.device == device  # device kept
    with pytest.raises(aiocognito.SignedOutError):
        await user.get_attributes()  # no call: the script is empty
    assert await pool.current_user() is None


async def test_other_service_errors_are_raised_and_keep_the_session() -> None:
    pool = pool_with(
        [("GetTokensFromRefreshToken", None, aiocognito.InvalidParameterError("bad", status=400))]
    )
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 - 10
    with pytest.raises(aiocognito.InvalidParameterError):
        await user.tokens()
    assert not user.signed_out


# --- one refresh at a time --------------------------------------------------------------------------


async def test_a_thousand_callers_share_one_refresh() -> None:
    release = asyncio.Event()

    async def slow() -> dict[str, Any]:
        await release.wait()
        return {"AuthenticationResult": result(CLOCK.now, n=1)}

    pool = pool_with([("GetTokensFromRefreshToken", None, slow)])
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 + 1  # expired: every caller must wait
    waiters = [asyncio.create_task(user.tokens()) for _ in range(1000)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*waiters)
    assert len(pool.calls) == 1
    assert {number(t) for t in results} == {1}
    assert not pool.refresher.in_flight


async def test_users_of_one_key_share_the_refresh_and_other_users_do_not() -> None:
    release = asyncio.Event()

    async def slow() -> dict[str, Any]:
        await release.wait()
        return {"AuthenticationResult": result(CLOCK.now, n=1)}

    pool = pool_with([("GetTokensFromRefreshToken", None, slow)])
    user = await signed_in(pool)
    twin = pool.user_from_tokens(SUB, user.current_tokens)
    CLOCK.now = T0 + 3600 + 1
    both = [asyncio.create_task(user.tokens()), asyncio.create_task(twin.tokens())]
    await asyncio.sleep(0)
    release.set()
    assert [number(t) for t in await asyncio.gather(*both)] == [1, 1]
    assert len(pool.calls) == 1


async def test_a_cancelled_waiter_does_not_cancel_the_refresh() -> None:
    release = asyncio.Event()

    async def slow() -> dict[str, Any]:
        await release.wait()
        return {"AuthenticationResult": result(CLOCK.now, refresh="r1", n=1)}

    pool = pool_with([("GetTokensFromRefreshToken", None, slow)])
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 + 1
    first = asyncio.create_task(user.tokens())
    second = asyncio.create_task(user.tokens())
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    release.set()
    assert number(await second) == 1
    assert first.cancelled()
    assert len(pool.calls) == 1


async def test_every_waiter_cancelled_still_stores_the_rotated_token() -> None:
    """No lost session: with rotation the old refresh token is dead once the server answered."""
    release = asyncio.Event()

    async def slow() -> dict[str, Any]:
        await release.wait()
        return {"AuthenticationResult": result(CLOCK.now, refresh="r1", n=1)}

    pool = pool_with([("GetTokensFromRefreshToken", None, slow)])
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 + 1
    waiter = asyncio.create_task(user.tokens())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    release.set()
    for _ in range(10):
        await asyncio.sleep(0)
        if not pool.refresher.in_flight:
            break
    assert not pool.refresher.in_flight
    record = await pool.token_store.get(pool.sessions.key(SUB))
    assert record is not None and record.tokens is not None and record.tokens.refresh_token == "r1"
    # The user object picks them up from the store, with no second call.
    assert number(await user.tokens()) == 1
    assert len(pool.calls) == 1


# --- rotation and reuse -----------------------------------------------------------------------------


async def test_rotated_refresh_token_is_stored_before_the_old_one_is_dropped() -> None:
    seen_in_user_at_put: list[str | None] = []
    holder: list[User] = []

    class SpyStore(MemoryTokenStore):
        async def put(self, key: StoreKey, record: SessionRecord) -> None:
            if holder and record.tokens is not None:
                seen_in_user_at_put.append(holder[0].current_tokens.refresh_token)
            await super().put(key, record)

    pool = pool_with(
        [
            ("GetTokensFromRefreshToken", None, get_tokens(refresh="r1", n=1)),
            ("GetTokensFromRefreshToken", lambda p: assert_token(p, "r1"), get_tokens(refresh="r2", n=2)),
        ],
        token_store=SpyStore(),
    )
    user = await signed_in(pool)
    holder.append(user)
    CLOCK.now = T0 + 3600 + 1
    tokens = await user.tokens()
    assert tokens.refresh_token == "r1"
    assert seen_in_user_at_put == ["r0"]  # stored while the user object still held the old one
    CLOCK.now += 3600
    assert (await user.tokens()).refresh_token == "r2"  # the rotated token was the one sent


def assert_token(params: dict[str, Any], token: str) -> None:
    assert params["RefreshToken"] == token


async def test_store_failure_after_rotation_keeps_the_new_tokens_in_memory(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class BrokenStore(MemoryTokenStore):
        fail = False

        async def put(self, key: StoreKey, record: SessionRecord) -> None:
            if self.fail:
                raise aiocognito.token_store.TokenStoreError("disk full")
            await super().put(key, record)

    store = BrokenStore()
    pool = pool_with([("GetTokensFromRefreshToken", None, get_tokens(refresh="r1", n=1))], token_store=store)
    user = await signed_in(pool)
    store.fail = True
    CLOCK.now = T0 + 3600 + 1
    tokens = await user.tokens()
    assert tokens.refresh_token == "r1"
    assert user.current_tokens.refresh_token == "r1"
    assert "could not be stored" in caplog.text
    assert "r1" not in caplog.text


async def test_refreshed_elsewhere_is_picked_up_from_the_store() -> None:
    """Another pool object (another process) refreshed and stored: no call here."""
    pool = pool_with([])
    user = await signed_in(pool)
    newer = TokenSet.from_result(result(T0 + 3500, refresh="r1", n=7), now=T0 + 3500)
    await pool.token_store.put(pool.sessions.key(SUB), SessionRecord(tokens=newer))
    CLOCK.now = T0 + 3600 + 1
    assert number(await user.tokens()) == 7


async def test_reuse_with_a_successor_in_the_store_uses_it() -> None:
    reuse = aiocognito.RefreshTokenReuseError("The refresh token has already been used.")
    store = MemoryTokenStore()

    async def rotated_elsewhere() -> BaseException:
        # Another process rotated r0 -> r1 and stored r1 (with tokens that are about to expire too).
        stale = TokenSet.from_result(result(T0, refresh="r1", n=5), now=T0)
        await store.put(StoreKey(POOL_ID, CLIENT_ID, SUB), SessionRecord(tokens=stale))
        return reuse

    pool = pool_with(
        [
            ("GetTokensFromRefreshToken", lambda p: assert_token(p, "r0"), rotated_elsewhere),
            ("GetTokensFromRefreshToken", lambda p: assert_token(p, "r1"), get_tokens(refresh="r2", n=2)),
        ],
        token_store=store,
    )
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 + 1
    tokens = await user.tokens()
    assert (number(tokens), tokens.refresh_token) == (2, "r2")
    record = await store.get(pool.sessions.key(SUB))
    assert record is not None and record.tokens == tokens


async def test_reuse_without_a_successor_ends_the_session() -> None:
    reuse = aiocognito.RefreshTokenReuseError("The refresh token has already been used.")
    pool = pool_with([("GetTokensFromRefreshToken", None, reuse)])
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 - 10
    with pytest.raises(aiocognito.SignedOutError, match="rotated elsewhere"):
        await user.tokens()
    assert user.signed_out
    assert await pool.current_user() is None


# --- operations, secrets and devices ------------------------------------------------------------------


async def test_get_tokens_sends_client_secret_and_device_key() -> None:
    device = DeviceCredentials("us-east-1_dev1", "group", "device-password")

    def check(params: dict[str, Any]) -> None:
        assert params == {
            "RefreshToken": "r0",
            "ClientId": CLIENT_ID,
            "ClientSecret": SECRET,
            "DeviceKey": "us-east-1_dev1",
        }

    pool = pool_with([("GetTokensFromRefreshToken", check, get_tokens(n=1))], client_secret=SECRET)
    user = await signed_in(pool, device=device)
    CLOCK.now = T0 + 3600 + 1
    assert number(await user.tokens()) == 1


async def test_fallback_to_refresh_token_auth_is_remembered_per_pool() -> None:
    device = DeviceCredentials("us-east-1_dev1", "group", "device-password")

    def initiate(params: dict[str, Any]) -> None:
        assert params["AuthFlow"] == "REFRESH_TOKEN_AUTH"
        # SECRET_HASH over the name Cognito knows the user by, not an alias typed at sign-in.
        assert params["AuthParameters"] == {
            "REFRESH_TOKEN": "r0",
            "SECRET_HASH": srp.secret_hash(SUB, CLIENT_ID, SECRET),
            "DEVICE_KEY": "us-east-1_dev1",
        }

    unknown = aiocognito.TransportError("not Cognito JSON", status=500, excerpt="<!doctype html>")
    pool = pool_with(
        [
            ("GetTokensFromRefreshToken", None, unknown),
            ("InitiateAuth", initiate, get_tokens(n=1)),
            ("InitiateAuth", initiate, get_tokens(n=2)),
        ],
        client_secret=SECRET,
    )
    user = await signed_in(pool, device=device)
    CLOCK.now = T0 + 3600 + 1
    assert number(await user.tokens()) == 1
    CLOCK.now += 3600
    assert number(await user.tokens()) == 2  # straight to InitiateAuth: remembered
    other = pool_with([("GetTokensFromRefreshToken", None, get_tokens(n=3))])
    other_user = await signed_in(other)
    CLOCK.now += 3600
    assert number(await other_user.tokens()) == 3  # another pool object asks again


@pytest.mark.parametrize(
    "unknown",
    [
        aiocognito.ServiceError("Unknown operation", code="UnknownOperationException"),
        aiocognito.ServiceError("not yet implemented", code="InternalFailure", status=501),
    ],
    ids=["UnknownOperationException", "501"],
)
async def test_fallback_on_unknown_operation_codes(unknown: Exception) -> None:
    pool = pool_with([("GetTokensFromRefreshToken", None, unknown), ("InitiateAuth", None, get_tokens(n=1))])
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 + 1
    assert number(await user.tokens()) == 1


async def test_failed_fallback_is_not_remembered() -> None:
    """A proxy's HTML 500 looks like "unknown operation": only a fallback that worked is remembered."""
    html = aiocognito.TransportError("not Cognito JSON", status=500, excerpt="<html>")
    pool = pool_with(
        [
            ("GetTokensFromRefreshToken", None, html),
            ("InitiateAuth", None, aiocognito.TransportError("connection reset")),
            ("GetTokensFromRefreshToken", None, get_tokens(n=1)),
        ]
    )
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 - 10
    assert number(await user.tokens()) == 0
    assert number(await user.tokens()) == 1


async def test_no_refresh_token_ends_the_session_once_expired() -> None:
    pool = pool_with([])
    tokens = TokenSet.from_result(result(T0), now=T0)
    user = pool.user_from_tokens(SUB, tokens)
    CLOCK.now = T0 + 3601
    with pytest.raises(aiocognito.SignedOutError, match="no refresh token"):
        await user.tokens()
    assert user.signed_out


# --- which operation: passing faults never end a session nor switch the pool ------------------------------


def html_500() -> aiocognito.TransportError:
    """What moto answers for an operation it lacks, and a proxy on a bad day."""
    return aiocognito.TransportError("reply is not Cognito JSON", status=500, excerpt="<!DOCTYPE html>")


def rotation_refusal() -> aiocognito.NotAuthorizedError:
    return aiocognito.NotAuthorizedError(
        "REFRESH_TOKEN_AUTH is not allowed for an app client with refresh token rotation"
    )


@pytest.mark.parametrize("value", ["auto", "GetTokensFromRefreshToken", "REFRESH_TOKEN_AUTH"])
def test_refresh_operation_values(value: str) -> None:
    pool = UserPool(POOL_ID, CLIENT_ID, endpoint_url="http://127.0.0.1:1", refresh_operation=value)
    assert pool.refresh_operation == value


@pytest.mark.parametrize("value", ["", "Auto", "refresh_token_auth", "InitiateAuth"])
def test_refresh_operation_is_validated(value: str) -> None:
    with pytest.raises(ValueError, match="refresh_operation must be one of"):
        UserPool(POOL_ID, CLIENT_ID, endpoint_url="http://127.0.0.1:1", refresh_operation=value)


async def test_refresh_token_auth_chosen_by_the_caller_is_the_only_operation() -> None:
    pool = pool_with(
        [("InitiateAuth", None, get_tokens(n=1)), ("InitiateAuth", None, get_tokens(n=2))],
        refresh_operation="REFRESH_TOKEN_AUTH",
    )
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 + 1
    assert number(await user.tokens()) == 1
    CLOCK.now += 3600
    assert number(await user.tokens()) == 2


async def test_get_tokens_chosen_by_the_caller_never_falls_back() -> None:
    pool = pool_with(
        [
            ("GetTokensFromRefreshToken", None, html_500()),
            ("GetTokensFromRefreshToken", None, get_tokens(n=1)),
        ],
        refresh_operation="GetTokensFromRefreshToken",
    )
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 + 1
    with pytest.raises(aiocognito.TransportError, match="HTTP 500"):
        await user.tokens()
    assert not user.signed_out
    assert number(await user.tokens()) == 1


@pytest.mark.parametrize("expired", [False, True], ids=["advisory", "mandatory"])
async def test_html_500_and_a_refused_fallback_keep_the_session(expired: bool) -> None:
    """The defect of issue 11: with rotation, REFRESH_TOKEN_AUTH is refused; that said nothing about the
    refresh token, and the next refresh asks GetTokensFromRefreshToken again."""
    refusal = rotation_refusal()
    pool = pool_with(
        [
            ("GetTokensFromRefreshToken", lambda p: assert_token(p, "r0"), html_500()),
            ("InitiateAuth", None, refusal),
            ("GetTokensFromRefreshToken", lambda p: assert_token(p, "r0"), get_tokens(refresh="r1", n=1)),
        ]
    )
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 + (10 if expired else -100)
    if expired:
        with pytest.raises(aiocognito.TransportError, match="HTTP 500") as caught:
            await user.tokens()
        assert caught.value.__cause__ is refusal
    else:
        assert number(await user.tokens()) == 0  # the still-valid tokens
    assert not user.signed_out
    record = await pool.token_store.get(pool.sessions.key(SUB))
    assert record is not None and record.tokens is not None and record.tokens.refresh_token == "r0"
    tokens = await user.tokens()
    assert (number(tokens), tokens.refresh_token) == (1, "r1")
    assert pool.refresher.operation == "GetTokensFromRefreshToken"


async def test_a_refused_fallback_asks_get_tokens_again_every_time() -> None:
    pool = pool_with(
        [
            ("GetTokensFromRefreshToken", None, html_500()),
            ("InitiateAuth", None, rotation_refusal()),
            ("GetTokensFromRefreshToken", None, html_500()),
            ("InitiateAuth", None, aiocognito.NotAuthorizedError("Refresh Token has been revoked")),
        ]
    )
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 + 10
    for _ in range(2):
        with pytest.raises(aiocognito.TransportError):
            await user.tokens()
    assert not user.signed_out
    assert not pool.script


@pytest.mark.parametrize(
    "failure",
    [
        aiocognito.TransportError("failed: ServerDisconnectedError"),
        aiocognito.TransportError("timed out"),
        aiocognito.TransportError("reply is not Cognito JSON", status=502, excerpt="<html>Bad Gateway"),
        aiocognito.TransportError("reply is not Cognito JSON", status=503, excerpt="<html>"),
        aiocognito.InternalErrorError("An internal error occurred.", status=500),
        aiocognito.TooManyRequestsError("Rate exceeded"),
    ],
    ids=["dropped", "timeout", "html-502", "html-503", "json-500", "throttling"],
)
async def test_passing_failures_never_try_the_fallback(failure: Exception) -> None:
    pool = pool_with(
        [
            ("GetTokensFromRefreshToken", None, failure),
            ("GetTokensFromRefreshToken", None, get_tokens(n=1)),
        ]
    )
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 + 10
    with pytest.raises(type(failure)):
        await user.tokens()
    assert not user.signed_out
    assert number(await user.tokens()) == 1
    assert [operation for operation, _ in pool.calls] == ["GetTokensFromRefreshToken"] * 2


async def test_once_get_tokens_worked_an_html_500_is_only_a_passing_fault() -> None:
    pool = pool_with(
        [
            ("GetTokensFromRefreshToken", None, get_tokens(n=1)),
            ("GetTokensFromRefreshToken", None, html_500()),
            ("GetTokensFromRefreshToken", None, get_tokens(n=2)),
        ]
    )
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 + 10
    assert number(await user.tokens()) == 1
    CLOCK.now += 3600
    with pytest.raises(aiocognito.TransportError):
        await user.tokens()
    assert number(await user.tokens()) == 2  # no InitiateAuth: the script would have refused it


async def test_unknown_operation_in_json_switches_for_good_even_if_the_fallback_fails() -> None:
    unknown = aiocognito.ServiceError("Unknown operation", code="UnknownOperationException")
    pool = pool_with(
        [
            ("GetTokensFromRefreshToken", None, unknown),
            ("InitiateAuth", None, aiocognito.TransportError("timed out")),
            ("InitiateAuth", None, get_tokens(n=1)),
        ]
    )
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 + 10
    with pytest.raises(aiocognito.TransportError, match="timed out"):
        await user.tokens()
    assert number(await user.tokens()) == 1  # straight to REFRESH_TOKEN_AUTH
    assert pool.refresher.operation == "REFRESH_TOKEN_AUTH"


async def test_after_unknown_operation_in_json_a_refused_fallback_ends_the_session() -> None:
    """The server lacks GetTokensFromRefreshToken for sure: REFRESH_TOKEN_AUTH's refusal is the answer."""
    unknown = aiocognito.ServiceError("Unknown operation", code="UnknownOperationException")
    revoked = aiocognito.NotAuthorizedError("Refresh Token has been revoked")
    pool = pool_with([("GetTokensFromRefreshToken", None, unknown), ("InitiateAuth", None, revoked)])
    user = await signed_in(pool)
    CLOCK.now = T0 + 3600 + 10
    with pytest.raises(aiocognito.SignedOutError, match="refused the refresh token"):
        await user.tokens()
    assert user.signed_out


async def test_a_get_tokens_success_overrides_a_fallback_that_raced_with_it() -> None:
    """User A's GetTokensFromRefreshToken is slow; meanwhile B's got an HTML 500 and the fallback worked.
    A's success proves the server knows the operation: the pool never falls back after it."""
    release = asyncio.Event()

    async def slow() -> dict[str, Any]:
        await release.wait()
        return {"AuthenticationResult": result(CLOCK.now, n=1)}

    pool = pool_with(
        [
            ("GetTokensFromRefreshToken", None, slow),  # A
            ("GetTokensFromRefreshToken", None, html_500()),  # B
            ("InitiateAuth", None, get_tokens(n=2)),  # B's fallback
            ("GetTokensFromRefreshToken", None, html_500()),  # B later: a passing fault only
            ("GetTokensFromRefreshToken", None, get_tokens(n=3)),
        ]
    )
    a = await signed_in(pool)
    b = pool.user_from_tokens("bob", a.current_tokens)
    CLOCK.now = T0 + 3600 + 10
    first = asyncio.create_task(a.tokens())
    await asyncio.sleep(0)
    assert number(await b.tokens()) == 2
    assert pool.refresher.operation == "REFRESH_TOKEN_AUTH"
    release.set()
    assert number(await first) == 1
    assert pool.refresher.operation == "GetTokensFromRefreshToken"
    CLOCK.now += 3600
    with pytest.raises(aiocognito.TransportError):
        await b.tokens()
    assert number(await b.tokens()) == 3
