"""aiocognito: an asyncio-native client for Amazon Cognito user pools.

Sign users in with SRP and every challenge, keep their tokens fresh, call any Cognito operation::

    async with aiocognito.UserPool(pool_id, client_id) as pool:
        step = await pool.sign_in("alice", "Passw0rd!")
        while step.name != "DONE":
            step = await step.respond(input(f"{step.name}: "))
        user = step.signed_in_user
"""

from typing import TYPE_CHECKING, Any

from . import _moved
from ._service_errors import *  # noqa: F403 - one class per Cognito error code
from ._service_errors import __all__ as _service_error_names
from ._version import __version__
from .errors import (
    CognitoError,
    ProtocolError,
    ServiceError,
    SessionExpiredError,
    SignedOutError,
    TransportError,
)

_moved.install()  # old module paths (aiocognito.flows...) keep working

if TYPE_CHECKING:
    from .bulk import ChallengeRequiredError, InvalidCredentialsError, SignInResult
    from .compute import ComputePool
    from .core.flows import AuthFlow, DeviceCredentials, UserContext
    from .core.steps import CodeDelivery, NewPassword, SignInStep, StepDataError, StepName
    from .core.tokens import TokenSet
    from .identity import IdentityCredentials
    from .limits import RateLimiter, RateLimiterError, RateLimitTimeoutError, RedisRateLimiter
    from .oauth import (
        AuthorizationRequest,
        InvalidClientError,
        InvalidGrantError,
        InvalidRequestError,
        InvalidScopeError,
        InvalidTokenError,
        M2MTokens,
        NonceMismatchError,
        OAuthClient,
        OAuthError,
        StateMismatchError,
        UnauthorizedClientError,
        UnsupportedGrantTypeError,
    )
    from .pool import SignUpResult, UserPool
    from .stores import (
        FileTokenStore,
        MemoryTokenStore,
        RedisTokenStore,
        SessionRecord,
        StoreKey,
        TokenStore,
        TokenStoreError,
    )
    from .user import User
    from .verify import InsufficientScopeError, TokenClaims, TokenVerifier
    from .wire.signing import AwsCredentials
    from .wire.transport import RetryPolicy, Timeouts

# Everything but the errors is imported on first use (PEP 562), so `import aiocognito` stays quick and
# the pytest plugin's entry point, which runs this file in every pytest session, imports no aiohttp.
_LAZY = {
    "ComputePool": "compute",
    "AuthFlow": "core.flows",
    "DeviceCredentials": "core.flows",
    "UserContext": "core.flows",
    "CodeDelivery": "core.steps",
    "NewPassword": "core.steps",
    "SignInStep": "core.steps",
    "StepDataError": "core.steps",
    "StepName": "core.steps",
    "TokenSet": "core.tokens",
    "SignUpResult": "pool",
    "UserPool": "pool",
    "MemoryTokenStore": "stores",
    "SessionRecord": "stores",
    "StoreKey": "stores",
    "TokenStore": "stores",
    "TokenStoreError": "stores",
    "User": "user",
    "AwsCredentials": "wire.signing",
    "RetryPolicy": "wire.transport",
    "Timeouts": "wire.transport",
    "ChallengeRequiredError": "bulk",
    "InvalidCredentialsError": "bulk",
    "SignInResult": "bulk",
    "IdentityCredentials": "identity",
    "RateLimiter": "limits",
    "RateLimiterError": "limits",
    "RateLimitTimeoutError": "limits",
    "RedisRateLimiter": "limits",
    "AuthorizationRequest": "oauth",
    "InvalidClientError": "oauth",
    "InvalidGrantError": "oauth",
    "InvalidRequestError": "oauth",
    "InvalidScopeError": "oauth",
    "InvalidTokenError": "oauth",
    "M2MTokens": "oauth",
    "NonceMismatchError": "oauth",
    "OAuthClient": "oauth",
    "OAuthError": "oauth",
    "StateMismatchError": "oauth",
    "UnauthorizedClientError": "oauth",
    "UnsupportedGrantTypeError": "oauth",
    "FileTokenStore": "stores",
    "RedisTokenStore": "stores",
    "InsufficientScopeError": "verify",
    "TokenClaims": "verify",
    "TokenVerifier": "verify",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aiocognito' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [  # noqa: PLE0604 - ends with the generated error classes
    "AuthFlow",
    "AuthorizationRequest",
    "AwsCredentials",
    "ChallengeRequiredError",
    "CodeDelivery",
    "CognitoError",
    "ComputePool",
    "DeviceCredentials",
    "FileTokenStore",
    "IdentityCredentials",
    "InsufficientScopeError",
    "InvalidClientError",
    "InvalidCredentialsError",
    "InvalidGrantError",
    "InvalidRequestError",
    "InvalidScopeError",
    "InvalidTokenError",
    "M2MTokens",
    "MemoryTokenStore",
    "NewPassword",
    "NonceMismatchError",
    "OAuthClient",
    "OAuthError",
    "ProtocolError",
    "RateLimitTimeoutError",
    "RateLimiter",
    "RateLimiterError",
    "RedisRateLimiter",
    "RedisTokenStore",
    "RetryPolicy",
    "ServiceError",
    "SessionExpiredError",
    "SessionRecord",
    "SignInResult",
    "SignInStep",
    "SignUpResult",
    "SignedOutError",
    "StateMismatchError",
    "StepDataError",
    "StepName",
    "StoreKey",
    "Timeouts",
    "TokenClaims",
    "TokenSet",
    "TokenStore",
    "TokenStoreError",
    "TokenVerifier",
    "TransportError",
    "UnauthorizedClientError",
    "UnsupportedGrantTypeError",
    "User",
    "UserContext",
    "UserPool",
    "__version__",
    *_service_error_names,
]
