"""aiocognito: an asyncio-native client for Amazon Cognito user pools.

Sign users in with SRP and every challenge, keep their tokens fresh, call any Cognito operation::

    async with aiocognito.UserPool(pool_id, client_id) as pool:
        step = await pool.sign_in("alice", "Passw0rd!")
        while step.name != "DONE":
            step = await step.respond(input(f"{step.name}: "))
        user = step.user
"""

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
from .flows import AuthFlow, DeviceCredentials, UserContext
from .pool import UserPool
from .signing import AwsCredentials
from .steps import CodeDelivery, NewPassword, SignInStep, StepDataError, StepName
from .tokens import TokenSet
from .transport import RetryPolicy, Timeouts
from .user import User

__all__ = [  # noqa: PLE0604 - ends with the generated error classes
    "AuthFlow",
    "AwsCredentials",
    "CodeDelivery",
    "CognitoError",
    "DeviceCredentials",
    "NewPassword",
    "ProtocolError",
    "RetryPolicy",
    "ServiceError",
    "SessionExpiredError",
    "SignInStep",
    "SignedOutError",
    "StepDataError",
    "StepName",
    "Timeouts",
    "TokenSet",
    "TransportError",
    "User",
    "UserContext",
    "UserPool",
    "__version__",
    *_service_error_names,
]
