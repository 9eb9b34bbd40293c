"""``USER_SRP_AUTH`` and ``DEVICE_SRP_AUTH`` on the server side: the ``PASSWORD_VERIFIER`` and
``DEVICE_PASSWORD_VERIFIER`` exchanges.

The server's half of SRP is the mirror of :mod:`aiocognito.core.srp`: ``B = k*v + g^b``,
``u = H(pad(A) | pad(B))``, ``S = (A * v^u)^b`` (:mod:`..srp_math`), the same HKDF and the same signed
message, its ``TIMESTAMP`` within five minutes of the server's clock.
"""

from __future__ import annotations

import base64
import calendar
import hmac
import re
import secrets
from typing import Any

from aiocognito.core import srp

from ...faults import invalid_parameter, not_authorized, resource_not_found, user_not_found
from .. import srp_math
from ..checks import require
from ..context import Context
from ..state import Client, Pool, User
from .sessions import AuthSession, SrpExchange

__all__ = ["answer_device_srp", "claim_is_valid", "new_exchange", "parse_srp_a", "start_srp"]

# A claim's TIMESTAMP may differ from the server's clock by this much.
_TIMESTAMP_SKEW = 300.0
_TIMESTAMP = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"(\d{1,2}) (\d\d):(\d\d):(\d\d) UTC (\d{4})"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_srp_a(value: str) -> int:
    """The client's public value ``A`` from its hex.

    Raises:
        Fault: InvalidParameterException when it is not hex, or is 0 modulo N.
    """
    try:
        big_a = int(value, 16)
    except ValueError:
        raise invalid_parameter("SRP_A is not a hexadecimal number") from None
    if big_a <= 0 or big_a % srp.N == 0:
        raise invalid_parameter("SRP_A is not valid")
    return big_a


def new_exchange(big_a: int, verifier: int, pool_name: str, user_id: str) -> SrpExchange:
    """The server's half of a new exchange: a fresh ``b`` with ``B`` and ``u`` not 0, and a SECRET_BLOCK."""
    while True:
        b = int.from_bytes(secrets.token_bytes(srp.EPHEMERAL_BYTES), "big") % srp.N
        big_b = srp_math.server_public_value(verifier, b)
        if b and big_b and srp.compute_u(big_a, big_b):
            break
    block = base64.b64encode(secrets.token_bytes(128)).decode("ascii")
    return SrpExchange(big_a, b, big_b, verifier, block, pool_name, user_id)


def _timestamp_at(value: str) -> float | None:
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        return None
    _, month, day, hour, minute, second, year = match.groups()
    try:
        return float(
            calendar.timegm(
                (int(year), _MONTHS.index(month) + 1, int(day), int(hour), int(minute), int(second), 0, 0, 0)
            )
        )
    except (ValueError, OverflowError):
        return None


def claim_is_valid(ctx: Context, exchange: SrpExchange, responses: dict[str, str]) -> bool:
    """Whether the PASSWORD_CLAIM_SIGNATURE proves the password (or device secret) of ``exchange``, its
    TIMESTAMP within five minutes of the server's clock.

    Raises:
        Fault: InvalidParameterException for a missing field or a TIMESTAMP that is not Cognito's format.
    """
    stamp = require(responses, "TIMESTAMP")
    signature = require(responses, "PASSWORD_CLAIM_SIGNATURE")
    at = _timestamp_at(stamp)
    if at is None:
        raise invalid_parameter("TIMESTAMP format is invalid")
    if abs(at - ctx.now()) > _TIMESTAMP_SKEW:
        return False
    u = srp.compute_u(exchange.big_a, exchange.big_b)
    key = srp.hkdf(u, srp_math.shared_secret(exchange.big_a, exchange.verifier, u, exchange.b))
    message = srp.claim_message(exchange.pool_name, exchange.user_id, exchange.secret_block, stamp)
    expected = base64.b64encode(hmac.digest(key, message, "sha256"))
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))


def start_srp(
    ctx: Context, pool: Pool, client: Client, user: User | None, session: AuthSession, srp_a: str
) -> dict[str, Any]:
    """The PASSWORD_VERIFIER challenge. An unknown user gets a convincing fake when errors are hidden."""
    big_a = parse_srp_a(srp_a)
    if user is None or not user.has_password:
        if user is None and not client.prevent_existence_errors:
            raise user_not_found()
        salt, verifier, user_id = (
            srp.pad_hex(secrets.randbits(128)),
            secrets.randbits(3000),
            session.typed_username,
        )
        session.username = ""
    else:
        if not user.enabled:
            raise not_authorized("User is disabled.")
        salt, verifier, user_id = user.salt, int(user.verifier, 16), user.username
    exchange = new_exchange(big_a, verifier, pool.srp_name, user_id)
    session.exchange = exchange
    session.challenge = "PASSWORD_VERIFIER"
    ctx.sessions.bind_block(session, exchange.secret_block)
    reply: dict[str, Any] = {
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": {
            "SALT": salt,
            "SECRET_BLOCK": exchange.secret_block,
            "SRP_B": format(exchange.big_b, "x"),
            "USERNAME": user_id,
            "USER_ID_FOR_SRP": user_id,
        },
    }
    # Plain USER_SRP_AUTH answers with no Session (the SECRET_BLOCK names the exchange); the
    # multi-step flows carry their Session through.
    if session.flow != "USER_SRP_AUTH":
        reply["Session"] = ctx.sessions.issue(session)
    return reply


def answer_device_srp(
    ctx: Context, user: User, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    """DEVICE_SRP_AUTH: the DEVICE_PASSWORD_VERIFIER challenge for the remembered device.

    Raises:
        Fault: ResourceNotFoundException when the device is not the session's or is not confirmed.
    """
    key = require(responses, "DEVICE_KEY")
    device = user.devices.get(key)
    if key != session.device_key or device is None or not device.confirmed:
        raise resource_not_found("Device does not exist.")
    exchange = new_exchange(
        parse_srp_a(require(responses, "SRP_A")), int(device.verifier, 16), device.group_key, key
    )
    session.exchange = exchange
    ctx.sessions.bind_block(session, exchange.secret_block)
    return ctx.sessions.challenge(
        session,
        "DEVICE_PASSWORD_VERIFIER",
        {
            "DEVICE_KEY": key,
            "SALT": device.salt,
            "SECRET_BLOCK": exchange.secret_block,
            "SRP_B": format(exchange.big_b, "x"),
            "USERNAME": user.username,
        },
    )
