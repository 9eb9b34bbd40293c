"""``UserPool``: the client object for one app client of one Cognito user pool."""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiohttp

from . import driver
from .core.flows import (
    Answer,
    AuthFlow,
    Call,
    Challenge,
    ClientConfig,
    DeviceCredentials,
    Env,
    Outcome,
    Signed,
    SignInContext,
    Stopped,
    UserContext,
    answer_challenge,
    start_sign_in,
)
from .core.steps import CodeDelivery, SignInStep, StepName
from .core.tokens import TokenSet
from .errors import ProtocolError
from .refresh import Refresher
from .token_store import MemoryTokenStore, SessionRecord, StoreKey, TokenStore
from .user import User, code_delivery_of
from .wire._tables.operations import SERVICES
from .wire.endpoints import endpoint_url as _regional_endpoint
from .wire.endpoints import region_from_pool_id
from .wire.operations import is_repeatable
from .wire.signing import CredentialsLike, Signer
from .wire.transport import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_REPLY_BYTES, RetryPolicy, Timeouts, Transport
from .wire.urls import checked_url as _checked_url

if TYPE_CHECKING:
    from . import bulk

__all__ = ["ENDPOINT_ENV", "ChallengeHandler", "SignUpResult", "UserPool"]

_log = logging.getLogger("aiocognito")

#: An environment variable that points every pool at a local emulator, like ``endpoint_url=``.
ENDPOINT_ENV = "AIOCOGNITO_ENDPOINT_URL"
_OPERATION = re.compile(r"[A-Z][A-Za-z0-9]{1,127}")
# A handler answering more rounds than this is looping: no real sign-in has that many.
_MAX_HANDLER_ROUNDS = 50
# Operations whose replies carry managed-login branding assets: up to 40 (AssetListType) of up to
# 1,000,000 bytes each (AssetBytesType), base64 in JSON, about 53 MB in all. Their cap is raised to this.
_LARGE_REPLIES: dict[str, int] = dict.fromkeys(
    (
        "CreateManagedLoginBranding",
        "DescribeManagedLoginBranding",
        "DescribeManagedLoginBrandingByClient",
        "UpdateManagedLoginBranding",
    ),
    64 * 1024 * 1024,
)

ChallengeHandler = Callable[[SignInStep], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class SignUpResult:
    """SignUp's answer.

    Attributes:
        user_sub: the new user's ``sub``.
        confirmed: whether the user is already confirmed (a pre-sign-up trigger may confirm).
        code_delivery: where the confirmation code went, if one was sent.
        session: the session for sign-in right after confirmation, where Cognito returns one.
    """

    user_sub: str
    confirmed: bool
    code_delivery: CodeDelivery | None = None
    session: str | None = field(default=None, repr=False)


class UserPool:
    """A client for one app client of one Cognito user pool: sign-in, account operations, raw calls.

    Use it as an async context manager, or call :meth:`aclose` when done::

        async with aiocognito.UserPool("us-east-1_AbC123", "client-id") as pool:
            step = await pool.sign_in("alice", "Passw0rd!")

    Args:
        pool_id: the user pool id; its region is taken from it unless ``region`` is given.
        client_id: the app client id.
        client_secret: the app client secret, for clients that have one: SECRET_HASH is then sent
            wherever Cognito asks for it.
        endpoint_url: the ``cognito-idp`` endpoint, for a local emulator (default:
            ``$AIOCOGNITO_ENDPOINT_URL``, else the regional endpoint of the pool's partition).
        identity_endpoint_url: the ``cognito-identity`` endpoint (default: ``endpoint_url`` when that is set,
            as emulators serve both, else the regional one).
        session: an :class:`aiohttp.ClientSession` to lend; it is never closed by the pool.
        region: overrides the region read from ``pool_id``.
        fips: use the FIPS endpoints.
        credentials: AWS credentials for signed (``Admin*``) calls; default: botocore's credential chain.
        profile: the shared-config profile for botocore's chain.
        timeouts: connect and total time limits of one HTTP attempt.
        retry: the retry policy.
        ca_bundle: a CA bundle file for TLS.
        trust_env: take the proxy from ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY``. ``.netrc`` is never
            read: its credentials have no business in a Cognito request.
        allow_http: allow plain ``http://`` to a host that is not loopback.
        session_validity: seconds a sign-in step stays answerable (Cognito's AuthSessionValidity, which the
            client cannot read; 180 by default, as Cognito's default is 3 minutes).
        device_name: the name ``ConfirmDevice`` gives a new device.
        token_store: where users' tokens and remembered devices are kept (default: in memory); see
            :mod:`aiocognito.token_store` for the file and Redis stores.
        refresh_margin: refresh tokens when less than this many seconds remain (at most half their
            lifetime).
        refresh_operation: how tokens are refreshed. ``"auto"`` (the default): GetTokensFromRefreshToken,
            falling back to InitiateAuth ``REFRESH_TOKEN_AUTH`` for good only on servers that lack it (JSON
            saying the operation is unknown, or an HTML error page after which REFRESH_TOKEN_AUTH works
            while GetTokensFromRefreshToken never has); a failed fallback never ends a session.
            ``"GetTokensFromRefreshToken"``: never fall back. ``"REFRESH_TOKEN_AUTH"``: only that (for
            emulators without GetTokensFromRefreshToken; app clients with refresh-token rotation refuse it).
        max_reply_bytes: the most bytes read of one reply, on the wire and decompressed (1 MiB by default;
            operations returning managed-login branding assets get at least 64 MiB); a larger reply is a
            :class:`~aiocognito.TransportError`. :meth:`call` takes a cap per call too.
        max_connections: the most connections open at once (100 by default), to all the pool's endpoints
            together; more concurrent calls wait for a free one. A lent ``session`` keeps its own limit.

    Raises:
        TypeError: ``pool_id`` or ``client_id`` is not a non-empty string.
        ValueError: a malformed URL, a non-positive ``session_validity``, a negative ``refresh_margin``, an
            unknown ``refresh_operation`` or a limit out of range.
    """

    def __init__(
        self,
        pool_id: str,
        client_id: str,
        *,
        client_secret: str | None = None,
        endpoint_url: str | None = None,
        identity_endpoint_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        region: str | None = None,
        fips: bool = False,
        credentials: CredentialsLike | None = None,
        profile: str | None = None,
        timeouts: Timeouts = Timeouts(),  # noqa: B008 - frozen value
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen value
        ca_bundle: str | None = None,
        trust_env: bool = True,
        allow_http: bool = False,
        session_validity: float = 180.0,
        device_name: str = "aiocognito",
        token_store: TokenStore | None = None,
        refresh_margin: float = 300.0,
        refresh_operation: str = "auto",
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        if not isinstance(pool_id, str) or not isinstance(client_id, str) or not client_id:
            raise TypeError("pool_id and client_id must be non-empty strings")
        self.pool_id = pool_id
        self.client_id = client_id
        self.region = region or region_from_pool_id(pool_id)
        self._client = ClientConfig(pool_id, client_id, client_secret)
        endpoint_url = endpoint_url or os.environ.get(ENDPOINT_ENV) or None
        if endpoint_url is not None:
            endpoint_url = _checked_url(endpoint_url, allow_http=allow_http, what="endpoint_url")
        if identity_endpoint_url is not None:
            identity_endpoint_url = _checked_url(
                identity_endpoint_url, allow_http=allow_http, what="identity_endpoint_url"
            )
        self._urls = {
            "cognito-idp": endpoint_url or _regional_endpoint("cognito-idp", self.region, fips=fips) + "/",
            "cognito-identity": identity_endpoint_url
            or endpoint_url
            or _regional_endpoint("cognito-identity", self.region, fips=fips) + "/",
        }
        if session_validity <= 0:
            raise ValueError("session_validity must be positive")
        self.session_validity = session_validity
        self._transport = Transport(
            session=session,
            timeouts=timeouts,
            retry=retry,
            ca_bundle=ca_bundle,
            trust_env=trust_env,
            max_reply_bytes=max_reply_bytes,
            max_connections=max_connections,
        )
        self._signer = Signer(credentials, profile=profile)
        self._env = Env(now=time.time, random_bytes=secrets.token_bytes, device_name=device_name)
        if refresh_margin < 0:
            raise ValueError("refresh_margin must not be negative")
        self.refresh_margin = refresh_margin
        self.token_store: TokenStore = token_store if token_store is not None else MemoryTokenStore()
        self._refresher = Refresher(self, operation=refresh_operation)
        self.refresh_operation = refresh_operation

    def __repr__(self) -> str:
        return f"<UserPool {self.pool_id} client {self.client_id} at {self._urls['cognito-idp']}>"

    @property
    def endpoint_url(self) -> str:
        """The ``cognito-idp`` endpoint calls go to."""
        return self._urls["cognito-idp"]

    @property
    def has_client_secret(self) -> bool:
        return self._client.client_secret is not None

    # --- lifetime ---------------------------------------------------------------------------------

    async def __aenter__(self) -> UserPool:
        await self._transport.session()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP session, unless it was lent."""
        await self._transport.aclose()

    # --- raw calls --------------------------------------------------------------------------------

    @property
    def max_reply_bytes(self) -> int:
        """The most bytes read of one reply, unless the operation or the call says more."""
        return self._transport.max_reply_bytes

    async def call(
        self,
        operation: str,
        params: Mapping[str, Any],
        *,
        service: str = "cognito-idp",
        max_reply_bytes: int | None = None,
    ) -> dict[str, Any]:
        """Call any operation of ``cognito-idp`` or ``cognito-identity`` and return the reply.

        Operations that botocore's model marks as unauthenticated go unsigned; the others are signed
        with SigV4.

        Args:
            operation: the operation name (``"ListUsers"``).
            params: the request, as botocore's model has it.
            service: ``"cognito-idp"`` or ``"cognito-identity"``.
            max_reply_bytes: the most bytes of the reply to read (default: the pool's, raised for the
                operations that return managed-login branding assets).

        Raises:
            ServiceError: the service's error, as its own subclass (``NotAuthorizedError``...).
            TransportError: no usable reply (a redirect, a reply over the cap, a connection error...).
            ProtocolError: a reply that is JSON this library refuses (too deep, a number not finite...).
            ValueError: an unknown service, a malformed operation name, a cap that is not a positive int.
        """
        info = SERVICES.get(service)
        if info is None:
            raise ValueError(f"unknown service {service!r}: expected 'cognito-idp' or 'cognito-identity'")
        if not isinstance(operation, str) or not _OPERATION.fullmatch(operation):
            raise ValueError("operation must be an operation name such as 'InitiateAuth'")
        limit = self._transport.max_reply_bytes
        if max_reply_bytes is not None:
            if type(max_reply_bytes) is not int or max_reply_bytes < 1:
                raise ValueError("max_reply_bytes must be a positive int")
            limit = max_reply_bytes
        elif operation in _LARGE_REPLIES:
            limit = max(limit, _LARGE_REPLIES[operation])
        url = self._urls[service]
        sign = None
        if operation not in info.unauthenticated:
            signer, region, signing_name = self._signer, self.region, info.signing_name

            async def sign(url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
                return await signer.sign(signing_name, region, url, headers, body)

        return await self._transport.post_json(
            url,
            f"{info.target_prefix}.{operation}",
            params,
            operation=operation,
            repeatable=is_repeatable(operation),
            sign=sign,
            max_reply_bytes=limit,
        )

    async def _perform(self, effect: Call) -> Any:
        return await self.call(effect.operation, effect.params, service=effect.service)

    # --- sign-in ----------------------------------------------------------------------------------

    async def sign_in(
        self,
        username: str,
        password: str | None = None,
        *,
        flow: AuthFlow | str = AuthFlow.USER_SRP_AUTH,
        preferred_challenge: str | None = None,
        client_metadata: Mapping[str, str] | None = None,
        user_context: UserContext | str | None = None,
        on_challenge: ChallengeHandler | None = None,
    ) -> SignInStep:
        """Sign a user in: the first step, or ``DONE`` with the user.

        Args:
            username: the username, or an alias (e-mail, phone) where the pool allows one.
            password: the password (not needed for CUSTOM_AUTH without SRP, or USER_AUTH with a
                passwordless first factor).
            flow: ``USER_SRP_AUTH`` (default), ``USER_PASSWORD_AUTH``, ``CUSTOM_AUTH`` (with SRP first when a
                password is given), ``USER_AUTH`` (choice-based) or ``ADMIN_USER_PASSWORD_AUTH`` (signed).
            preferred_challenge: USER_AUTH's PREFERRED_CHALLENGE (``PASSWORD_SRP``, ``EMAIL_OTP``...).
            client_metadata: sent with every call of the sign-in, for Lambda triggers.
            user_context: the end user (an IP address, or a :class:`UserContext`), sent as UserContextData.
            on_challenge: ``async def handler(step)`` returning the answer to each step; without it the
                first step that needs an answer is returned.

        Raises:
            NotAuthorizedError: wrong username or password (never retried: Cognito locks users out).
            ServiceError, TransportError, ProtocolError: see :meth:`call`.
        """
        try:
            auth_flow = AuthFlow(flow)
        except ValueError:
            raise ValueError(f"unknown flow {flow!r}: one of {[f.value for f in AuthFlow]}") from None
        if not isinstance(username, str) or not username:
            raise ValueError("username must be a non-empty string")
        if isinstance(user_context, str):
            user_context = UserContext(ip_address=user_context)
        ctx = SignInContext(
            username=username,
            flow=auth_flow,
            client_metadata=dict(client_metadata) if client_metadata else None,
            user_context=user_context,
            preferred_challenge=preferred_challenge,
            password=password,
            device=await self.remembered_device(username),
        )
        outcome = await driver.drive(start_sign_in(self._client, ctx, self._env), self._perform)
        step = await self._step(outcome, username)
        if on_challenge is None:
            return step
        for _ in range(_MAX_HANDLER_ROUNDS):
            if step._challenge is None:
                return step
            answer = await on_challenge(step)
            step = await step.respond(answer)
        raise ProtocolError("too many sign-in rounds", step=str(step.name))

    def sign_in_many(
        self,
        credentials: bulk.CredentialSource,
        *,
        concurrency: int = 64,  # bulk.DEFAULT_CONCURRENCY (bulk is imported on first use)
        rate: float | bulk.TokenBucket | None = 55.0,  # bulk.DEFAULT_RATE
        flow: AuthFlow | str = AuthFlow.USER_SRP_AUTH,
        client_metadata: Mapping[str, str] | None = None,
        workers: int | None = None,
        executor: bulk.ComputeExecutor | None = None,
        throttle_retries: int = 3,
        store_tokens: bool = False,
    ) -> AsyncGenerator[bulk.SignInResult, None]:
        """Sign many users in, yielding a :class:`~aiocognito.bulk.SignInResult` per user as each ends.

        ``async for result in pool.sign_in_many(users, concurrency=64, rate=55): ...``: bounded
        concurrency, a rate limit in sign-ins per second (``None``: none), SRP math in a process pool,
        the input read lazily and memory flat. See :func:`aiocognito.bulk.sign_in_many` for the details.

        Raises:
            ValueError: a bad ``concurrency``, ``workers``, ``throttle_retries`` or ``flow``.
        """
        from . import bulk

        return bulk.sign_in_many(
            self,
            credentials,
            concurrency=concurrency,
            rate=rate,
            flow=flow,
            client_metadata=client_metadata,
            workers=workers,
            executor=executor,
            throttle_retries=throttle_retries,
            store_tokens=store_tokens,
        )

    def resume(self, data: str | bytes | Mapping[str, Any]) -> SignInStep:
        """A step kept with :meth:`SignInStep.to_json`, ready to answer again.

        The remembered device, if any, is looked up again in the token store when the step is answered.

        Raises:
            StepDataError: the data is not a step.
            SessionExpiredError: the step has expired.
        """
        challenge, expires_at = SignInStep.parse_json(data)
        step = SignInStep.from_challenge(challenge, expires_at=expires_at, responder=self)
        step.check_not_expired(self._env.now())
        return step

    async def _answer(self, step: SignInStep, answer: Answer) -> SignInStep:
        step.check_not_expired(self._env.now())
        challenge = step._challenge
        if challenge is None or challenge.context is None:
            raise ValueError(f"a {step.name.value} step takes no answer")
        ctx = challenge.context
        if ctx.device is None:
            device = await self.remembered_device(ctx.username)
            if device is not None:
                challenge = replace(challenge, context=replace(ctx, device=device))
        flow = answer_challenge(self._client, challenge, answer, self._env)
        outcome = await driver.drive(flow, self._perform)
        return await self._step(outcome, ctx.username)

    async def _step(self, outcome: Outcome, typed_username: str) -> SignInStep:
        if isinstance(outcome, Stopped):
            name = (
                StepName.CONFIRM_SIGN_UP if outcome.reason == "CONFIRM_SIGN_UP" else StepName.RESET_PASSWORD
            )
            return SignInStep(name=name, username=outcome.username, error=outcome.error)
        if outcome.device_forgotten:
            await self._forget_device(typed_username)
        if isinstance(outcome, Challenge):
            expires_at = self._env.now() + self.session_validity if outcome.session else None
            try:
                return SignInStep.from_challenge(outcome, expires_at=expires_at, responder=self)
            except KeyError:
                raise ProtocolError(f"unknown challenge {outcome.challenge_name!r}", step="sign-in") from None
        return await self._signed(outcome, typed_username)

    async def _signed(self, outcome: Signed, typed_username: str) -> SignInStep:
        tokens = TokenSet.from_result(outcome.result, now=self._env.now())
        username = tokens.username or outcome.username
        device = outcome.device
        if typed_username != username:
            # Sign-ins start from the name typed (an alias): keep the device under it too.
            await self.token_store.put(self._store_key(typed_username), SessionRecord(device=device))
        await self.token_store.put(self._store_key(username), SessionRecord(tokens=tokens, device=device))
        user = User(self, username, tokens, device=device)
        remembered = outcome.device is not None and "NewDeviceMetadata" in outcome.result
        return SignInStep(name=StepName.DONE, username=username, user=user, device_remembered=remembered)

    # --- the token store --------------------------------------------------------------------------

    def _store_key(self, username: str) -> StoreKey:
        return StoreKey(self.pool_id, self.client_id, username)

    def _margin_for(self, tokens: TokenSet) -> float:
        return min(self.refresh_margin, (tokens.expires_at - tokens.issued_at) / 2)

    async def _forget_session(self, key: StoreKey) -> None:
        """Forget a user's tokens, keeping the remembered device (it stays valid after a sign-out)."""
        record = await self.token_store.get(key)
        if record is not None and record.device is not None:
            await self.token_store.put(key, SessionRecord(device=record.device))
        else:
            await self.token_store.delete(key)

    async def _store_device(self, user: User, device: DeviceCredentials | None) -> None:
        key = user._key
        record = await self.token_store.get(key)
        await self.token_store.put(
            key, SessionRecord(tokens=record.tokens if record else None, device=device)
        )

    async def _forget_device(self, username: str) -> None:
        key = self._store_key(username)
        record = await self.token_store.get(key)
        if record is not None and record.device is not None:
            await self.token_store.put(key, SessionRecord(tokens=record.tokens))

    async def remembered_device(self, username: str) -> DeviceCredentials | None:
        """The device remembered for ``username`` in the token store, if any."""
        record = await self.token_store.get(self._store_key(username))
        return record.device if record is not None else None

    async def remember_device_credentials(self, username: str, device: DeviceCredentials) -> None:
        """Keep a device for ``username`` in the token store, so its next sign-ins use device SRP."""
        key = self._store_key(username)
        record = await self.token_store.get(key)
        await self.token_store.put(
            key, SessionRecord(tokens=record.tokens if record else None, device=device)
        )

    async def current_user(self, username: str | None = None) -> User | None:
        """The user signed in last (or ``username``) according to the token store, or ``None``.

        Raises:
            TokenStoreError: the store cannot be read.
        """
        if username is None:
            username = await self.token_store.last_user(self.pool_id, self.client_id)
            if username is None:
                return None
        record = await self.token_store.get(self._store_key(username))
        if record is None or record.tokens is None:
            return None
        return User(self, username, record.tokens, device=record.device)

    # --- sign-up and passwords --------------------------------------------------------------------

    def _with_secret_hash(self, params: dict[str, Any], username: str) -> dict[str, Any]:
        secret_hash = self._client.secret_hash(username)
        if secret_hash is not None:
            params["SecretHash"] = secret_hash
        return params

    @staticmethod
    def _add_user_context(params: dict[str, Any], user_context: UserContext | str | None) -> None:
        if isinstance(user_context, str):
            user_context = UserContext(ip_address=user_context)
        if user_context is not None and user_context.user_context_data():
            params["UserContextData"] = user_context.user_context_data()

    async def sign_up(
        self,
        username: str,
        password: str,
        *,
        attributes: Mapping[str, str] | None = None,
        validation_data: Mapping[str, str] | None = None,
        client_metadata: Mapping[str, str] | None = None,
        user_context: UserContext | str | None = None,
    ) -> SignUpResult:
        """SignUp: register a user.

        Raises:
            UsernameExistsError, InvalidPasswordError, InvalidParameterError: Cognito's refusals.
        """
        params: dict[str, Any] = {"ClientId": self.client_id, "Username": username, "Password": password}
        if attributes:
            params["UserAttributes"] = [{"Name": k, "Value": v} for k, v in attributes.items()]
        if validation_data:
            params["ValidationData"] = [{"Name": k, "Value": v} for k, v in validation_data.items()]
        if client_metadata:
            params["ClientMetadata"] = dict(client_metadata)
        self._add_user_context(params, user_context)
        reply = await self.call("SignUp", self._with_secret_hash(params, username))
        sub = reply.get("UserSub")
        if not isinstance(sub, str):
            raise ProtocolError("missing or not a string", step="SignUp", field="UserSub")
        session = reply.get("Session")
        return SignUpResult(
            user_sub=sub,
            confirmed=reply.get("UserConfirmed") is True,
            code_delivery=code_delivery_of(reply.get("CodeDeliveryDetails")),
            session=session if isinstance(session, str) else None,
        )

    async def confirm_sign_up(
        self,
        username: str,
        code: str,
        *,
        force_alias_creation: bool = False,
        client_metadata: Mapping[str, str] | None = None,
    ) -> str | None:
        """ConfirmSignUp with the code the user received; returns the session for sign-in, if any.

        Raises:
            CodeMismatchError, ExpiredCodeError: a wrong or expired code.
        """
        params: dict[str, Any] = {"ClientId": self.client_id, "Username": username, "ConfirmationCode": code}
        if force_alias_creation:
            params["ForceAliasCreation"] = True
        if client_metadata:
            params["ClientMetadata"] = dict(client_metadata)
        reply = await self.call("ConfirmSignUp", self._with_secret_hash(params, username))
        session = reply.get("Session")
        return session if isinstance(session, str) else None

    async def resend_confirmation_code(self, username: str) -> CodeDelivery | None:
        """ResendConfirmationCode; returns where the code went."""
        params: dict[str, Any] = {"ClientId": self.client_id, "Username": username}
        reply = await self.call("ResendConfirmationCode", self._with_secret_hash(params, username))
        return code_delivery_of(reply.get("CodeDeliveryDetails"))

    async def forgot_password(self, username: str) -> CodeDelivery | None:
        """ForgotPassword: send the user a code to reset the password; returns where it went."""
        params: dict[str, Any] = {"ClientId": self.client_id, "Username": username}
        reply = await self.call("ForgotPassword", self._with_secret_hash(params, username))
        return code_delivery_of(reply.get("CodeDeliveryDetails"))

    async def confirm_forgot_password(self, username: str, code: str, new_password: str) -> None:
        """ConfirmForgotPassword: set a new password with the code from :meth:`forgot_password`.

        Raises:
            CodeMismatchError, ExpiredCodeError, InvalidPasswordError: Cognito's refusals.
        """
        params: dict[str, Any] = {
            "ClientId": self.client_id,
            "Username": username,
            "ConfirmationCode": code,
            "Password": new_password,
        }
        await self.call("ConfirmForgotPassword", self._with_secret_hash(params, username))
