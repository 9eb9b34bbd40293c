"""Passkeys of the local user pool: ``StartWebAuthnRegistration``, ``CompleteWebAuthnRegistration``,
``ListWebAuthnCredentials``, ``DeleteWebAuthnCredential``, and the checks the ``WEB_AUTHN`` sign-in
(``auth/web_authn.py``) shares with them.

Every attestation and assertion is verified by the ``webauthn`` library (duo-labs' py_webauthn, from the
``passkeys`` extra), never by code here: this module only keeps challenges and credentials, and decides
which origins a relying party accepts. The relying party is the pool's ``WebAuthnConfiguration``
(``SetUserPoolMfaConfig``); without one it is ``localhost``, since the local pool has no public domain.
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any
from urllib.parse import urlsplit

from ..faults import Fault, invalid_parameter, resource_not_found
from .checks import signed_in
from .context import Context
from .paging import paginate
from .state import Pool, User

__all__ = [
    "DEFAULT_RELYING_PARTY",
    "allowed_origin",
    "b64url",
    "complete_web_authn_registration",
    "delete_web_authn_credential",
    "find_credential",
    "library",
    "list_web_authn_credentials",
    "relying_party",
    "start_web_authn_registration",
    "user_verification",
]

#: The relying party of a pool without a ``WebAuthnConfiguration``.
DEFAULT_RELYING_PARTY = "localhost"
# Cognito keeps at most 20 passkeys per user.
_MAX_CREDENTIALS = 20
# Seconds a registration challenge stays valid (Cognito: the options' five-minute timeout).
_CHALLENGE_SECONDS = 300
_PURPOSE = "WEB_AUTHN_REGISTRATION"
# Hosts a browser lets use plain http (a secure context without TLS).
_LOOPBACK = {"localhost", "127.0.0.1", "[::1]", "::1"}


def library() -> Any:
    """The ``webauthn`` package, or a typed Cognito error when the ``passkeys`` extra is not installed."""
    try:
        import webauthn
    except ImportError:
        raise Fault(
            "UnsupportedOperationException",
            "Passkeys need the webauthn package: pip install 'aiocognito[passkeys]'",
        ) from None
    return webauthn


def b64url(data: bytes) -> str:
    """base64url without padding, as WebAuthn's JSON writes bytes."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def relying_party(pool: Pool) -> str:
    config = pool.config.get("WebAuthnConfiguration") or {}
    return str(config.get("RelyingPartyId") or DEFAULT_RELYING_PARTY)


def user_verification(pool: Pool) -> str:
    """``required`` or ``preferred`` (Cognito's default)."""
    config = pool.config.get("WebAuthnConfiguration") or {}
    return "required" if config.get("UserVerification") == "required" else "preferred"


def _check_enabled(pool: Pool) -> None:
    if "WEB_AUTHN" not in pool.first_factors:
        raise Fault("WebAuthnNotEnabledException", "Passkeys are not enabled for this user pool.")


def allowed_origin(pool: Pool, credential: dict[str, Any]) -> str:
    """The origin the browser signed in ``clientDataJSON`` when the relying party accepts it.

    The library then checks the signed origin equals this one; here only the policy is decided: the
    relying party's host or a subdomain of it, over https (or http on a loopback host).

    Raises:
        Fault: WebAuthnOriginNotAllowedException, or InvalidParameterException for malformed JSON.
    """
    response = credential.get("response")
    client_data = response.get("clientDataJSON") if isinstance(response, dict) else None
    if not isinstance(client_data, str):
        raise invalid_parameter("The credential has no response.clientDataJSON")
    try:
        padded = client_data + "=" * (-len(client_data) % 4)
        origin = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))["origin"]
        if not isinstance(origin, str):
            raise TypeError("origin")
        parts = urlsplit(origin)
        host = parts.hostname or ""
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise invalid_parameter("The credential's clientDataJSON is not valid") from None
    rp_id = relying_party(pool)
    secure = parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK)
    if not secure or not (host == rp_id or host.endswith("." + rp_id)):
        raise Fault("WebAuthnOriginNotAllowedException", "The credential's origin is not allowed.")
    return origin


def find_credential(user: User, credential_id: str) -> dict[str, Any] | None:
    for record in user.passkeys:
        if secrets.compare_digest(str(record.get("id", "")), credential_id):
            return record
    return None


def _credential_object(body: dict[str, Any]) -> dict[str, Any]:
    credential = body.get("Credential")
    if isinstance(credential, str):  # some clients send the browser's JSON as a string
        try:
            credential = json.loads(credential)
        except ValueError:
            raise invalid_parameter("Credential is not valid JSON") from None
    if not isinstance(credential, dict):
        raise invalid_parameter("Credential must be the browser's credential object")
    return credential


async def start_web_authn_registration(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """The creation options for a new passkey, with a fresh challenge kept for the user."""
    pool, user = signed_in(ctx, body)
    _check_enabled(pool)
    if len(user.passkeys) >= _MAX_CREDENTIALS:
        raise Fault("LimitExceededException", "The user has the most passkeys allowed.")
    webauthn = library()
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    challenge = secrets.token_bytes(32)
    options = webauthn.generate_registration_options(
        rp_id=relying_party(pool),
        rp_name=pool.name,
        user_id=user.sub.encode(),
        user_name=user.attributes.get("email") or user.username,
        user_display_name=user.attributes.get("email") or user.username,
        challenge=challenge,
        timeout=_CHALLENGE_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement(user_verification(pool)),
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(str(record["id"])))
            for record in user.passkeys
        ],
    )
    user.codes[_PURPOSE] = {
        "code": b64url(challenge),
        "expires_at": ctx.now() + _CHALLENGE_SECONDS,
        "attribute": "",
    }
    return {"CredentialCreationOptions": json.loads(webauthn.options_to_json(options))}


async def complete_web_authn_registration(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """Verify the browser's attestation against the pending challenge and keep the new passkey."""
    pool, user = signed_in(ctx, body)
    _check_enabled(pool)
    credential = _credential_object(body)
    pending = user.codes.pop(_PURPOSE, None)  # a challenge answers once, right or wrong
    if pending is None or float(pending.get("expires_at", 0)) < ctx.now():
        raise Fault("WebAuthnChallengeNotFoundException", "No passkey registration is in progress.")
    webauthn = library()
    from webauthn.helpers.exceptions import WebAuthnException

    origin = allowed_origin(pool, credential)
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=webauthn.base64url_to_bytes(str(pending["code"])),
            expected_rp_id=relying_party(pool),
            expected_origin=origin,
            require_user_verification=user_verification(pool) == "required",
        )
    except WebAuthnException as error:
        raise Fault("WebAuthnCredentialNotSupportedException", f"The passkey was refused: {error}") from None
    except (ValueError, TypeError, KeyError, AttributeError):
        raise invalid_parameter("The credential is malformed") from None
    credential_id = b64url(verified.credential_id)
    if find_credential(user, credential_id) is not None:
        raise invalid_parameter("This passkey is already registered")
    transports = (credential.get("response") or {}).get("transports")
    attachment = credential.get("authenticatorAttachment")
    user.passkeys.append(
        {
            "id": credential_id,
            "public_key": b64url(verified.credential_public_key),
            "sign_count": int(verified.sign_count),
            "rp_id": relying_party(pool),
            "name": str(verified.aaguid),
            "attachment": attachment if attachment in ("platform", "cross-platform") else "",
            "transports": [str(t) for t in transports if isinstance(t, str)][:8]
            if isinstance(transports, list)
            else [],
            "created_at": ctx.now(),
        }
    )
    user.modified_at = ctx.now()
    return {}


def _describe(record: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "CredentialId": record["id"],
        "FriendlyCredentialName": record.get("name") or "passkey",
        "RelyingPartyId": record["rp_id"],
        "AuthenticatorTransports": list(record.get("transports") or []),
        "CreatedAt": record["created_at"],
    }
    if record.get("attachment"):
        view["AuthenticatorAttachment"] = record["attachment"]
    return view


async def list_web_authn_credentials(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    _, user = signed_in(ctx, body)
    records = sorted(user.passkeys, key=lambda r: (float(r["created_at"]), str(r["id"])))
    limit = min(int(body.get("MaxResults") or 20), 20)
    page, token = paginate(records, limit, body.get("NextToken"), lambda r: str(r["id"]))
    reply: dict[str, Any] = {"Credentials": [_describe(record) for record in page]}
    if token:
        reply["NextToken"] = token
    return reply


async def delete_web_authn_credential(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    _, user = signed_in(ctx, body)
    record = find_credential(user, str(body["CredentialId"]))
    if record is None:
        raise resource_not_found("The passkey does not exist.")
    user.passkeys.remove(record)
    user.modified_at = ctx.now()
    return {}
