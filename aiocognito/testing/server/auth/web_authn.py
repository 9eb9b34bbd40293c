"""The ``WEB_AUTHN`` first factor of ``USER_AUTH``: the request options with a fresh challenge, then the
browser's assertion verified by the ``webauthn`` library against the user's stored passkey.

A passkey is a first factor that also proves possession, so (as Cognito does) no MFA follows it.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from ...faults import Fault, invalid_parameter, not_authorized
from ..context import Context
from ..passkeys import allowed_origin, b64url, find_credential, library, relying_party, user_verification
from ..state import Client, Pool, User
from .finish import after_first_factor
from .passwords import check_status
from .sessions import AuthSession

__all__ = ["answer_web_authn", "start_web_authn"]


def start_web_authn(ctx: Context, pool: Pool, user: User, session: AuthSession) -> dict[str, Any]:
    """The ``WEB_AUTHN`` challenge: ``CREDENTIAL_REQUEST_OPTIONS`` for the user's passkeys."""
    check_status(user)
    webauthn = library()
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor, UserVerificationRequirement

    challenge = secrets.token_bytes(32)
    options = webauthn.generate_authentication_options(
        rp_id=relying_party(pool),
        challenge=challenge,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(str(record["id"])))
            for record in user.passkeys
        ],
        user_verification=UserVerificationRequirement(user_verification(pool)),
    )
    session.webauthn_challenge = b64url(challenge)
    session.wants_mfa = False
    return ctx.sessions.challenge(
        session, "WEB_AUTHN", {"CREDENTIAL_REQUEST_OPTIONS": webauthn.options_to_json(options)}
    )


async def answer_web_authn(
    ctx: Context, pool: Pool, client: Client, user: User, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    """Verify the assertion in ``CREDENTIAL`` and go on to the tokens.

    Raises:
        Fault: NotAuthorizedException for an unknown passkey or a signature the library refuses (the
            session is dropped: a challenge answers once), InvalidParameterException for malformed JSON.
    """
    raw = responses.get("CREDENTIAL")
    if not raw:
        raise invalid_parameter("Missing required parameter CREDENTIAL")
    try:
        credential = json.loads(raw)
    except ValueError:
        raise invalid_parameter("CREDENTIAL is not valid JSON") from None
    if not isinstance(credential, dict) or not isinstance(credential.get("id"), str):
        raise invalid_parameter("CREDENTIAL must be the browser's credential object")
    challenge, session.webauthn_challenge = session.webauthn_challenge, ""
    ctx.sessions.drop(session)
    record = find_credential(user, credential["id"])
    if not challenge or record is None:
        raise not_authorized("The passkey is not registered for this user.")
    webauthn = library()
    from webauthn.helpers.exceptions import WebAuthnException

    origin = allowed_origin(pool, credential)
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=webauthn.base64url_to_bytes(challenge),
            expected_rp_id=str(record["rp_id"]),
            expected_origin=origin,
            credential_public_key=webauthn.base64url_to_bytes(str(record["public_key"])),
            credential_current_sign_count=int(record.get("sign_count", 0)),
            require_user_verification=user_verification(pool) == "required",
        )
    except WebAuthnException:
        raise not_authorized("The passkey could not be verified.") from None
    except (ValueError, TypeError, KeyError, AttributeError):
        raise invalid_parameter("CREDENTIAL is malformed") from None
    if b64url(verified.credential_id) != record["id"]:
        raise Fault("NotAuthorizedException", "The passkey could not be verified.")
    record["sign_count"] = int(verified.new_sign_count)
    return await after_first_factor(ctx, pool, client, user, session)
