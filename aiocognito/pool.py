"""``UserPool``: the client object for one app client of one Cognito user pool."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiohttp

from .analytics import AnalyticsCaller
from .caller import Caller, CognitoCaller
from .compute import ComputePool, run_default
from .core.flows import AuthFlow, ClientConfig, DeviceCredentials, Env, SignInContext, UserContext
from .core.steps import CodeDelivery, SignInStep
from .core.tokens import TokenSet
from .errors import ProtocolError
from .events import AuthEvents
from .limits.protocol import RateLimiter
from .refresh import Refresher
from .sessions import SessionBook
from .sign_ins import SignInService
from .token_store import MemoryTokenStore, TokenStore
from .user import User, UserParts, code_delivery_of
from .wire.configured import ENDPOINT_ENV, configured_endpoint
from .wire.endpoints import endpoint_url as _regional_endpoint
from .wire.endpoints import region_from_pool_id
from .wire.signing import CredentialsLike, Signer
from .wire.transport import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_REPLY_BYTES, RetryPolicy, Timeouts, Transport
from .wire.urls import checked_url

if TYPE_CHECKING:
    from . import bulk

__all__ = ["ENDPOINT_ENV", "ChallengeHandler", "SignUpResult", "UserPool"]

_log = logging.getLogger("aiocognito")

# A handler answering more rounds than this is looping: no real sign-in has that many.
_MAX_HANDLER_ROUNDS = 50
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
            ``$AIOCOGNITO_ENDPOINT_URL``, else boto3's ``$AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``, else
            ``$AWS_ENDPOINT_URL``, else the regional endpoint of the pool's partition).
        identity_endpoint_url: the ``cognito-identity`` endpoint (default: ``endpoint_url`` or
            ``$AIOCOGNITO_ENDPOINT_URL`` when set, as emulators serve both, else
            ``$AWS_ENDPOINT_URL_COGNITO_IDENTITY``, else ``$AWS_ENDPOINT_URL``, else the regional one).
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
        rate_limits: a :class:`~aiocognito.limits.RateLimiter` per Cognito quota category
            (``{"UserAuthentication": limiter, ...}``, see :data:`aiocognito.limits.QUOTA_CATEGORIES`) or per
            operation: every request in it, retries included, waits for its limiter before it is sent,
            and throttling slows it down. A :class:`~aiocognito.RedisRateLimiter` shares the quota with a
            whole fleet. RespondToAuthChallenge has a quota of its own and is paced only by its own entry.
        clock: the time in epoch seconds (default :func:`time.time`), for token ages and step expiry.
        caller: sends the operations instead of HTTP (a :class:`~aiocognito.caller.Caller`: a test's
            script, or a wrapper that records or shapes calls); the endpoint options then go unused.
        compute: the :class:`~aiocognito.ComputePool` running the SRP math of sign-ins (``sign_in``,
            ``step.respond``, device SRP, ``sign_in_many``), shareable between pools; default: one made on
            first use and shared by every pool given none. ``ComputePool(workers=0)`` runs it inline.
        analytics_endpoint_id: an Amazon Pinpoint endpoint id, sent as ``AnalyticsMetadata`` with every
            operation that takes it (sign-in, sign-up, confirmation, password reset).

    Raises:
        TypeError: ``pool_id`` or ``client_id`` is not a non-empty string.
        ValueError: a malformed URL, a non-positive ``session_validity``, a negative ``refresh_margin``, an
            unknown ``refresh_operation``, a limit out of range or a ``rate_limits`` key that is neither a
            quota category nor an operation.
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
        rate_limits: Mapping[str, RateLimiter] | None = None,
        clock: Callable[[], float] = time.time,
        caller: Caller | None = None,
        compute: ComputePool | None = None,
        analytics_endpoint_id: str | None = None,
    ) -> None:
        if not isinstance(pool_id, str) or not isinstance(client_id, str) or not client_id:
            raise TypeError("pool_id and client_id must be non-empty strings")
        self.pool_id = pool_id
        self.client_id = client_id
        self.region = region or region_from_pool_id(pool_id)
        client = ClientConfig(pool_id, client_id, client_secret)
        self._has_secret = client_secret is not None
        # endpoint_url= > $AIOCOGNITO_ENDPOINT_URL > boto3's variables > regional (wire/configured.py).
        identity_endpoint_url = identity_endpoint_url or configured_endpoint("cognito-identity", endpoint_url)
        endpoint_url = configured_endpoint("cognito-idp", endpoint_url)
        if endpoint_url is not None:
            endpoint_url = checked_url(endpoint_url, allow_http=allow_http, what="endpoint_url")
        if identity_endpoint_url is not None:
            identity_endpoint_url = checked_url(
                identity_endpoint_url, allow_http=allow_http, what="identity_endpoint_url"
            )
        urls = {
            "cognito-idp": endpoint_url or _regional_endpoint("cognito-idp", self.region, fips=fips) + "/",
            "cognito-identity": identity_endpoint_url
            or _regional_endpoint("cognito-identity", self.region, fips=fips) + "/",
        }
        if session_validity <= 0:
            raise ValueError("session_validity must be positive")
        self.session_validity = session_validity
        transport = Transport(
            session=session,
            timeouts=timeouts,
            retry=retry,
            ca_bundle=ca_bundle,
            trust_env=trust_env,
            max_reply_bytes=max_reply_bytes,
            max_connections=max_connections,
        )
        # The parts, each given only what it needs (ARCHITECTURE.md).
        self._wire = CognitoCaller(
            urls, self.region, transport, Signer(credentials, profile=profile), rate_limits=rate_limits
        )
        self._caller: Caller = caller if caller is not None else self._wire
        if analytics_endpoint_id is not None:
            self._caller = AnalyticsCaller(self._caller, analytics_endpoint_id)
        self.token_store: TokenStore = token_store if token_store is not None else MemoryTokenStore()
        self.sessions = SessionBook(self.token_store, pool_id, client_id)
        #: Auth events: ``pool.events.subscribe(callback)`` (see :mod:`aiocognito.events`).
        self.events = AuthEvents()
        self.refresher = Refresher(
            self._caller,
            self.sessions,
            client,
            now=clock,
            margin=refresh_margin,
            operation=refresh_operation,
            events=self.events,
        )
        self.refresh_margin = refresh_margin
        self.refresh_operation = refresh_operation
        self._user_parts = UserParts(
            pool=self,
            caller=self._caller,
            sessions=self.sessions,
            refresher=self.refresher,
            client=client,
            region=self.region,
            now=clock,
            events=self.events,
        )
        self.sign_ins = SignInService(
            client=client,
            env=Env(now=clock, random_bytes=secrets.token_bytes, device_name=device_name),
            caller=self._caller,
            sessions=self.sessions,
            session_validity=session_validity,
            make_user=self._kept_user,
            compute=compute.run if compute is not None else run_default,
            events=self.events,
        )

    def __repr__(self) -> str:
        return f"<UserPool {self.pool_id} client {self.client_id} at {self.endpoint_url}>"

    @property
    def endpoint_url(self) -> str:
        """The ``cognito-idp`` endpoint calls go to."""
        return self._wire.url("cognito-idp")

    @property
    def identity_endpoint_url(self) -> str:
        """The ``cognito-identity`` endpoint identity-pool calls go to."""
        return self._wire.url("cognito-identity")

    async def http_session(self) -> aiohttp.ClientSession:
        """The HTTP session the pool's calls use (opened on first use; closed with the pool unless lent).

        Raises:
            RuntimeError: the pool is closed.
        """
        return await self._wire.open()

    @property
    def has_client_secret(self) -> bool:
        return self._has_secret

    def user_from_tokens(
        self, username: str, tokens: TokenSet, device: DeviceCredentials | None = None
    ) -> User:
        """A :class:`~aiocognito.User` acting with ``tokens`` (a bearer's, tokens kept elsewhere...)."""
        return User(self._user_parts, username, tokens, device=device)

    def _kept_user(self, username: str, tokens: TokenSet, device: DeviceCredentials | None) -> User:
        # A user whose session is in the token store: gone from there, it was signed out elsewhere.
        return User(self._user_parts, username, tokens, device=device, stored=True)

    # --- lifetime ---------------------------------------------------------------------------------

    async def __aenter__(self) -> UserPool:
        await self._wire.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Wait for the auth event callbacks still running, then close the HTTP session, unless lent."""
        await self.events.aclose()
        await self._wire.aclose()

    # --- raw calls --------------------------------------------------------------------------------

    @property
    def max_reply_bytes(self) -> int:
        """The most bytes read of one reply, unless the operation or the call says more."""
        return self._wire.max_reply_bytes

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
        return await self._caller.call(operation, params, service=service, max_reply_bytes=max_reply_bytes)

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
        admin: bool = False,
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
            admin: sign in with the signed AdminInitiateAuth / AdminRespondToAuthChallenge (a server with
                AWS credentials), any flow; ``USER_PASSWORD_AUTH`` becomes ``ADMIN_USER_PASSWORD_AUTH``,
                which implies it. ``user_context`` then goes as ContextData (it needs ``ip_address``,
                ``server_name`` and ``server_path``).

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
        if admin and auth_flow is AuthFlow.USER_PASSWORD_AUTH:
            auth_flow = AuthFlow.ADMIN_USER_PASSWORD_AUTH  # AdminInitiateAuth's name for it
        ctx = SignInContext(
            username=username,
            flow=auth_flow,
            client_metadata=dict(client_metadata) if client_metadata else None,
            user_context=user_context,
            preferred_challenge=preferred_challenge,
            password=password,
            device=await self.sessions.device(username),
            admin_api=admin,
        )
        step = await self.sign_ins.step_for(await self.sign_ins.start(ctx), username)
        if on_challenge is None:
            return step
        for _ in range(_MAX_HANDLER_ROUNDS):
            if step.pending_challenge is None:
                return step
            answer = await on_challenge(step)
            step = await step.respond(answer)
        raise ProtocolError("too many sign-in rounds", step=str(step.name))

    async def auto_sign_in(
        self,
        username: str,
        session: str,
        *,
        client_metadata: Mapping[str, str] | None = None,
        user_context: UserContext | str | None = None,
    ) -> SignInStep:
        """Sign a user in right after sign-up with no password, as Amplify v6's ``autoSignIn``: InitiateAuth
        ``USER_AUTH`` with the ``session`` that :meth:`confirm_sign_up` (or, for a user confirmed at
        sign-up, :meth:`sign_up`) returned. The client must allow ``USER_AUTH``; the session works once.

        Returns the first step (MFA may still follow), or ``DONE`` with the user.

        Raises:
            NotAuthorizedError: the session is unknown, spent, expired or another user's.
        """
        if not isinstance(session, str) or not session:
            raise ValueError("session must be the non-empty Session of sign_up or confirm_sign_up")
        if not isinstance(username, str) or not username:
            raise ValueError("username must be a non-empty string")
        if isinstance(user_context, str):
            user_context = UserContext(ip_address=user_context)
        ctx = SignInContext(
            username=username,
            flow=AuthFlow.USER_AUTH,
            client_metadata=dict(client_metadata) if client_metadata else None,
            user_context=user_context,
            device=await self.sessions.device(username),
            session=session,
        )
        return await self.sign_ins.step_for(await self.sign_ins.start(ctx), username)

    def sign_in_many(
        self,
        credentials: bulk.CredentialSource,
        *,
        concurrency: int = 64,  # bulk.DEFAULT_CONCURRENCY (bulk is imported on first use)
        rate: float | RateLimiter | None = 55.0,  # bulk.DEFAULT_RATE
        flow: AuthFlow | str = AuthFlow.USER_SRP_AUTH,
        client_metadata: Mapping[str, str] | None = None,
        workers: int | None = None,
        executor: bulk.ComputeExecutor | None = None,
        throttle_retries: int = 3,
        store_tokens: bool = False,
    ) -> AsyncGenerator[bulk.SignInResult, None]:
        """Sign many users in, yielding a :class:`~aiocognito.bulk.SignInResult` per user as each ends.

        ``async for result in pool.sign_in_many(users, concurrency=64, rate=55): ...``: bounded
        concurrency, a rate limit in sign-ins per second or any :class:`~aiocognito.limits.RateLimiter`
        (``None``: none), SRP math in a process pool,
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
        return self.sign_ins.resumed(challenge, expires_at)

    # --- the token store --------------------------------------------------------------------------

    async def remembered_device(self, username: str) -> DeviceCredentials | None:
        """The device remembered for ``username`` in the token store, if any."""
        return await self.sessions.device(username)

    async def remember_device_credentials(self, username: str, device: DeviceCredentials) -> None:
        """Keep a device for ``username`` in the token store, so its next sign-ins use device SRP."""
        await self.sessions.remember_device(username, device)

    async def current_user(self, username: str | None = None) -> User | None:
        """The user signed in last (or ``username``) according to the token store, or ``None``.

        Raises:
            TokenStoreError: the store cannot be read.
        """
        if username is None:
            username = await self.sessions.last_user()
            if username is None:
                return None
        record = await self.sessions.record(self.sessions.key(username))
        if record is None or record.tokens is None:
            return None
        return self._kept_user(username, record.tokens, record.device)

    # --- sign-up and passwords --------------------------------------------------------------------

    def _with_secret_hash(self, params: dict[str, Any], username: str) -> dict[str, Any]:
        secret_hash = self.sign_ins.client.secret_hash(username)
        if secret_hash is not None:
            params["SecretHash"] = secret_hash
        return params

    @staticmethod
    def _add_user_context(params: dict[str, Any], user_context: UserContext | str | None) -> None:
        if isinstance(user_context, str):
            user_context = UserContext(ip_address=user_context)
        if user_context is not None and user_context.user_context_data():
            params["UserContextData"] = user_context.user_context_data()

    @classmethod
    def _add_metadata(
        cls,
        params: dict[str, Any],
        client_metadata: Mapping[str, str] | None,
        user_context: UserContext | str | None,
    ) -> dict[str, Any]:
        if client_metadata:
            params["ClientMetadata"] = dict(client_metadata)
        cls._add_user_context(params, user_context)
        return params

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
        session: str | None = None,
        user_context: UserContext | str | None = None,
    ) -> str | None:
        """ConfirmSignUp with the code the user received; returns the session for :meth:`auto_sign_in`, if
        Cognito gave one. ``session`` is :attr:`SignUpResult.session`, handed on as Amplify does.

        Raises:
            CodeMismatchError, ExpiredCodeError: a wrong or expired code.
        """
        params: dict[str, Any] = {"ClientId": self.client_id, "Username": username, "ConfirmationCode": code}
        if force_alias_creation:
            params["ForceAliasCreation"] = True
        if session:
            params["Session"] = session
        self._add_metadata(params, client_metadata, user_context)
        reply = await self.call("ConfirmSignUp", self._with_secret_hash(params, username))
        session = reply.get("Session")
        return session if isinstance(session, str) else None

    async def resend_confirmation_code(
        self,
        username: str,
        *,
        client_metadata: Mapping[str, str] | None = None,
        user_context: UserContext | str | None = None,
    ) -> CodeDelivery | None:
        """ResendConfirmationCode; returns where the code went."""
        params: dict[str, Any] = {"ClientId": self.client_id, "Username": username}
        self._add_metadata(params, client_metadata, user_context)
        reply = await self.call("ResendConfirmationCode", self._with_secret_hash(params, username))
        return code_delivery_of(reply.get("CodeDeliveryDetails"))

    async def forgot_password(
        self,
        username: str,
        *,
        client_metadata: Mapping[str, str] | None = None,
        user_context: UserContext | str | None = None,
    ) -> CodeDelivery | None:
        """ForgotPassword: send the user a code to reset the password; returns where it went."""
        params: dict[str, Any] = {"ClientId": self.client_id, "Username": username}
        self._add_metadata(params, client_metadata, user_context)
        reply = await self.call("ForgotPassword", self._with_secret_hash(params, username))
        return code_delivery_of(reply.get("CodeDeliveryDetails"))

    async def confirm_forgot_password(
        self,
        username: str,
        code: str,
        new_password: str,
        *,
        client_metadata: Mapping[str, str] | None = None,
        user_context: UserContext | str | None = None,
    ) -> None:
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
        self._add_metadata(params, client_metadata, user_context)
        await self.call("ConfirmForgotPassword", self._with_secret_hash(params, username))
