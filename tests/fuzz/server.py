"""A fake Cognito on 127.0.0.1 (AWS JSON 1.1), one scenario per URL path, every reply through a mutator.

``POST /<iteration>/`` with ``X-Amz-Target: AWSCognitoIdentityProviderService.<Op>``. The replies follow
the scenario's flow and chain of challenges; SRP proofs are not checked (the point is how the client
reads the replies), but ``SRP_B`` is a real ``g^b mod N`` so that unmutated sign-ins go through.

Every request body is recorded: a password attempt whose exact body arrives twice counts as resent,
unless the reply to its previous copy was throttling. A second server ("elsewhere", where redirects
point) counts every request it gets: none should arrive.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from aiocognito.core import srp

from .mutations import Mutation, Mutator, Wire, jwt_of
from .scenarios import Scenario

__all__ = ["Elsewhere", "FakeCognito", "IterationState"]

_PREFIX = "AWSCognitoIdentityProviderService."
_SALT = format(random.Random(1).getrandbits(128), "x")
_SECRET_BLOCK = base64.b64encode(random.Random(2).randbytes(64)).decode()
# A few g^b mod N, computed once: enough variety, none of the big-number cost per reply.
_SRP_BS = tuple(format(pow(srp.G, random.Random(b).getrandbits(256), srp.N), "x") for b in range(4))
_PASSWORD_PROOFS = ("PASSWORD_CLAIM_SIGNATURE", "NEW_PASSWORD", "PASSWORD")


def _error(code: str, message: str = "fuzz", status: int = 400) -> tuple[int, dict[str, Any]]:
    return status, {"__type": code, "message": message}


def _is_password_attempt(operation: str, params: Any) -> bool:
    if not isinstance(params, dict):
        return False
    if operation == "InitiateAuth":
        auth = params.get("AuthParameters")
        return isinstance(auth, dict) and "PASSWORD" in auth
    if operation == "RespondToAuthChallenge":
        answers = params.get("ChallengeResponses")
        return isinstance(answers, dict) and any(k in answers for k in _PASSWORD_PROOFS)
    return False


@dataclass
class IterationState:
    """One iteration's scenario, mutator, and what the server saw of it."""

    scenario: Scenario
    mutator: Mutator
    chain: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    #: Password-attempt bodies seen, each with whether its last reply was throttling.
    attempts: dict[bytes, bool] = field(default_factory=dict)
    resent: list[str] = field(default_factory=list)
    refreshes: int = 0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.chain = list(self.scenario.chain)
        # The server's own choices (sessions, SRP_B) replay from the seed too.
        self.rng = random.Random(f"server:{self.scenario.seed}:{self.scenario.username}")

    def _token(self) -> str:
        return base64.urlsafe_b64encode(self.rng.randbytes(24)).decode()

    @property
    def internal_name(self) -> str:
        return f"internal-{self.scenario.username}"

    # --- replies as the scenario has them ---------------------------------------------------------

    def reply(self, operation: str, params: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(params, dict):
            return _error("SerializationException")
        handler = getattr(self, f"_op_{operation}", None)
        if handler is None:
            return _error("UnknownOperationException")
        result: tuple[int, dict[str, Any]] = handler(params)
        return result

    def _challenge(self, name: str, parameters: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        reply: dict[str, Any] = {
            "ChallengeName": name,
            "Session": self._token(),
            "ChallengeParameters": {"USERNAME": self.internal_name, **(parameters or {})},
        }
        return 200, reply

    def _verifier(self, device: bool) -> tuple[int, dict[str, Any]]:
        params = {"SALT": _SALT, "SRP_B": self.rng.choice(_SRP_BS), "SECRET_BLOCK": _SECRET_BLOCK}
        if not device:
            params["USER_ID_FOR_SRP"] = self.internal_name
            return self._challenge("PASSWORD_VERIFIER", params)
        return self._challenge("DEVICE_PASSWORD_VERIFIER", params)

    def _next(self) -> tuple[int, dict[str, Any]]:
        """The next challenge of the chain, or the tokens."""
        if not self.chain:
            return 200, {"AuthenticationResult": self._tokens(new_device=self.scenario.new_device)}
        name = self.chain.pop(0)
        return self._caller_challenge(name)

    def _caller_challenge(self, name: str) -> tuple[int, dict[str, Any]]:
        if name in ("SMS_MFA", "EMAIL_OTP"):
            medium = "SMS" if name == "SMS_MFA" else "EMAIL"
            return self._challenge(
                name, {"CODE_DELIVERY_DELIVERY_MEDIUM": medium, "CODE_DELIVERY_DESTINATION": "+*******1234"}
            )
        if name == "SELECT_MFA_TYPE":
            return self._challenge(name, {"MFAS_CAN_CHOOSE": '["SMS_MFA","SOFTWARE_TOKEN_MFA","EMAIL_OTP"]'})
        if name == "MFA_SETUP":
            setup = self.rng.choice(('["SOFTWARE_TOKEN_MFA"]', '["SOFTWARE_TOKEN_MFA","EMAIL_OTP"]'))
            return self._challenge(name, {"MFAS_CAN_SETUP": setup})
        if name == "NEW_PASSWORD_REQUIRED":
            return self._challenge(
                name,
                {
                    "userAttributes": '{"email":"a@example.com"}',
                    "requiredAttributes": '["userAttributes.name"]',
                },
            )
        if name == "CUSTOM_CHALLENGE":
            return self._challenge(name, {"question": "2+2?"})
        return self._challenge(name)

    def _tokens(self, *, new_device: bool = False, refresh: bool = True) -> dict[str, Any]:
        now = int(time.time())
        sub = f"sub-{self.scenario.username}"
        base = {"sub": sub, "iat": now, "auth_time": now, "exp": now + 3600, "iss": "https://fuzz.invalid"}
        id_claims = {**base, "token_use": "id", "cognito:username": self.internal_name, "email": "a@b.c"}
        access = {**base, "token_use": "access", "username": self.internal_name, "origin_jti": "o-1"}
        result: dict[str, Any] = {
            "AccessToken": jwt_of(json.dumps(access).encode()),
            "IdToken": jwt_of(json.dumps(id_claims).encode()),
            "ExpiresIn": 3600,
            "TokenType": "Bearer",
        }
        if refresh:
            result["RefreshToken"] = self._token()
        if new_device:
            result["NewDeviceMetadata"] = {"DeviceKey": "us-east-1_new-device", "DeviceGroupKey": "-group"}
        return result

    def _op_InitiateAuth(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        auth = params.get("AuthParameters") or {}
        flow = params.get("AuthFlow")
        if flow == "REFRESH_TOKEN_AUTH":
            return 200, {"AuthenticationResult": self._tokens(refresh=False)}
        if "SRP_A" in auth:
            return self._verifier(device=False)
        if flow == "USER_PASSWORD_AUTH" or (flow == "USER_AUTH" and "PASSWORD" in auth):
            return self._next()
        if flow == "CUSTOM_AUTH":
            return self._next()
        if flow == "USER_AUTH":
            if auth.get("PREFERRED_CHALLENGE") == "EMAIL_OTP":
                return self._caller_challenge("EMAIL_OTP")
            status, reply = self._challenge("SELECT_CHALLENGE")
            reply["AvailableChallenges"] = ["PASSWORD_SRP", "PASSWORD", "EMAIL_OTP"]
            return status, reply
        return _error("InvalidParameterException")

    def _op_RespondToAuthChallenge(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        name = params.get("ChallengeName")
        answers = params.get("ChallengeResponses") or {}
        if name == "PASSWORD_VERIFIER":
            if self.scenario.device_remembered and "DEVICE_KEY" in answers:
                return self._challenge("DEVICE_SRP_AUTH")
            return self._next()
        if name == "DEVICE_SRP_AUTH":
            return self._verifier(device=True)
        if name == "SELECT_CHALLENGE":
            choice = answers.get("ANSWER")
            if choice == "PASSWORD_SRP":
                return self._verifier(device=False)
            if choice == "EMAIL_OTP":
                return self._caller_challenge("EMAIL_OTP")
            return self._next()
        return self._next()

    def _op_AssociateSoftwareToken(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"SecretCode": "JBSWY3DPEHPK3PXP", "Session": self._token()}

    def _op_VerifySoftwareToken(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"Status": "SUCCESS", "Session": self._token()}

    def _op_ConfirmDevice(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"UserConfirmationNecessary": False}

    def _op_GetTokensFromRefreshToken(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.refreshes += 1
        return 200, {"AuthenticationResult": self._tokens(refresh=self.scenario.rotate_refresh_token)}

    def _op_GetUser(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {
            "Username": self.internal_name,
            "UserAttributes": [
                {"Name": "sub", "Value": f"sub-{self.scenario.username}"},
                {"Name": "email", "Value": "a@example.com"},
            ],
            "PreferredMfaSetting": "SOFTWARE_TOKEN_MFA",
            "UserMFASettingList": ["SOFTWARE_TOKEN_MFA"],
            "MFAOptions": [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}],
        }

    def _op_RevokeToken(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {}

    # --- bookkeeping ------------------------------------------------------------------------------

    def record(self, operation: str, body: bytes, params: Any) -> None:
        self.requests.append(operation)
        if not _is_password_attempt(operation, params):
            return
        if body in self.attempts and not self.attempts[body]:
            self.resent.append(operation)

    def replied(self, operation: str, body: bytes, params: Any, wire: Wire) -> None:
        if _is_password_attempt(operation, params):
            self.attempts[body] = wire.throttled

    @property
    def mutations(self) -> list[Mutation]:
        return self.mutator.applied


class FakeCognito:
    """The fake service; :meth:`open` registers an iteration under its own path."""

    def __init__(self) -> None:
        self.iterations: dict[str, IterationState] = {}
        self.url = ""
        self._runner: web.AppRunner | None = None

    def open(self, key: str, state: IterationState) -> str:
        self.iterations[key] = state
        return f"{self.url}/{key}/"

    def close(self, key: str) -> IterationState:
        return self.iterations.pop(key)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{key}/", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        state = self.iterations.get(request.match_info["key"])
        body = await request.read()
        if state is None:
            return web.json_response({"__type": "ResourceNotFoundException"}, status=400)
        target = request.headers.get("X-Amz-Target", "")
        operation = target.removeprefix(_PREFIX) if target.startswith(_PREFIX) else ""
        try:
            params = json.loads(body)
        except ValueError:
            params = None
        state.record(operation, body, params)
        status, document = state.reply(operation, params)
        wire = state.mutator.mutate(operation, status, document)
        state.replied(operation, body, params, wire)
        return await _deliver(request, wire)


async def _deliver(request: web.Request, wire: Wire) -> web.StreamResponse:
    if wire.delay:
        await asyncio.sleep(wire.delay)
    if wire.action == "reset_before":
        assert request.transport is not None
        request.transport.abort()
        return web.Response(status=500)  # never reaches the client: the connection is gone
    if wire.action == "reset_mid":
        response = web.StreamResponse(status=wire.status, headers=wire.headers)
        response.content_length = len(wire.body) + 10
        await response.prepare(request)
        await response.write(wire.body[: len(wire.body) // 2])
        assert request.transport is not None
        request.transport.abort()
        return response
    return web.Response(status=wire.status, body=wire.body, headers=wire.headers)


class Elsewhere:
    """Another origin, where every redirect points: it counts what reaches it and answers plausibly."""

    def __init__(self) -> None:
        self.hits = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.hits += 1
        await request.read()
        return web.json_response({"ChallengeName": "SMS_MFA", "Session": "x", "ChallengeParameters": {}})
