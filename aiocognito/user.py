"""The signed-in user: account operations, self-refreshing tokens, devices, MFA, passkeys, AWS credentials.

Every call that needs the user's access token takes it from :meth:`User.tokens`, which refreshes it when
it is about to expire. The refresh rules (the "advisory" and "mandatory" windows of google-auth and
aiobotocore) live in :mod:`aiocognito.refresh`. A user holds the parts it needs (:class:`UserParts`: a
caller, the session book, the refresher, the app client and the clock), never the pool's insides.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .caller import Caller
from .core import safe_json as _json
from .core.checks import MAX_NAME_CHARS, is_epoch_seconds, text_problem
from .core.flows import ClientConfig, DeviceCredentials
from .core.steps import CodeDelivery
from .core.tokens import TokenSet
from .errors import ProtocolError, ServiceError, SignedOutError, TransportError
from .events import AuthEvent, AuthEventKind, AuthEvents, SignOutReason
from .refresh import Refresher
from .sessions import SessionBook

if TYPE_CHECKING:
    from .identity import IdentityCredentials
    from .pool import UserPool
    from .token_store import StoreKey

__all__ = [
    "Device",
    "MfaSettings",
    "SoftwareToken",
    "User",
    "UserData",
    "UserParts",
    "code_delivery_of",
]


def code_delivery_of(details: Any) -> CodeDelivery | None:
    """A :class:`CodeDelivery` from Cognito's ``CodeDeliveryDetails`` (tolerant of missing fields)."""
    if not isinstance(details, Mapping):
        return None

    def text(name: str) -> str | None:
        value = details.get(name)
        return value if isinstance(value, str) else None

    return CodeDelivery(text("Destination"), text("DeliveryMedium"), text("AttributeName"))


def _attributes(reply: Mapping[str, Any], step: str, name: str = "UserAttributes") -> dict[str, str]:
    items = reply.get(name, [])
    if not isinstance(items, list):
        raise ProtocolError("not a list", step=step, field=name)
    attributes: dict[str, str] = {}
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("Name"), str):
            raise ProtocolError("not a list of Name/Value pairs", step=step, field=name)
        value = item.get("Value")
        attributes[item["Name"]] = value if isinstance(value, str) else ""
    return attributes


@dataclass(frozen=True, slots=True)
class MfaSettings:
    """MFA settings: ``preferred`` and ``enabled``, of ``SMS_MFA``, ``SOFTWARE_TOKEN_MFA``, ``EMAIL_OTP``."""

    preferred: str | None
    enabled: tuple[str, ...]
    mfa_options: tuple[Mapping[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class UserData:
    """GetUser's answer: the username, attributes and MFA settings."""

    username: str
    attributes: Mapping[str, str]
    mfa: MfaSettings


@dataclass(frozen=True, slots=True)
class SoftwareToken:
    """The secret of an authenticator being enrolled (AssociateSoftwareToken)."""

    secret: str = field(repr=False)

    def uri(self, issuer: str, account: str) -> str:
        """The ``otpauth://`` URI to show as a QR code."""
        label = urllib.parse.quote(f"{issuer}:{account}")
        return f"otpauth://totp/{label}?{urllib.parse.urlencode({'secret': self.secret, 'issuer': issuer})}"


@dataclass(frozen=True, slots=True)
class Device:
    """A device of the user, as ListDevices / GetDevice describe it."""

    device_key: str
    attributes: Mapping[str, str]
    created_at: float | None = None
    last_modified_at: float | None = None
    last_authenticated_at: float | None = None

    @property
    def name(self) -> str | None:
        return self.attributes.get("device_name")

    @property
    def remembered(self) -> bool:
        """Whether the device is remembered (``dev:device_remembered_status``; ``device_status`` is
        ``valid`` for every device, remembered or not)."""
        return self.attributes.get("dev:device_remembered_status") == "remembered"

    @classmethod
    def from_wire(cls, data: Any, step: str) -> Device:
        """A device from Cognito's ``DeviceType`` (ListDevices, GetDevice).

        Raises:
            ProtocolError: not a device: no device key, or a date that is not epoch seconds (the AWS JSON
                protocol sends timestamps as numbers, with fractions) from 1970 to the year 3000.
        """
        if not isinstance(data, Mapping):
            raise ProtocolError("not a device", step=step, field="DeviceKey")
        why = text_problem(data.get("DeviceKey"), MAX_NAME_CHARS)
        if why is not None:
            raise ProtocolError(f"not a device: {why}", step=step, field="DeviceKey")

        def when(name: str) -> float | None:
            value = data.get(name)
            if value is None:
                return None
            if not is_epoch_seconds(value, fractions=True):
                raise ProtocolError("not epoch seconds from 1970 to the year 3000", step=step, field=name)
            return float(value)

        return cls(
            device_key=data["DeviceKey"],
            attributes=_attributes(data, step, "DeviceAttributes"),
            created_at=when("DeviceCreateDate"),
            last_modified_at=when("DeviceLastModifiedDate"),
            last_authenticated_at=when("DeviceLastAuthenticatedDate"),
        )


@dataclass(frozen=True, slots=True)
class UserParts:
    """What a :class:`User` works with, handed over by its pool.

    Attributes:
        pool: the pool, only to show as :attr:`User.pool`.
        caller: sends the user's calls.
        sessions: the user's record in the token store.
        refresher: refreshes the user's tokens.
        client: the app client (its id and secret).
        region: the user pool's region (identity pools name it in their ``Logins`` key).
        now: the clock.
        events: told of sign-outs and remembered devices.
    """

    pool: UserPool
    caller: Caller
    sessions: SessionBook
    refresher: Refresher
    client: ClientConfig
    region: str
    now: Callable[[], float]
    events: AuthEvents = field(default_factory=AuthEvents)


class User:
    """A user signed in to a :class:`~aiocognito.UserPool`.

    Get one from a ``DONE`` sign-in step (``step.user``) or from ``await pool.current_user()``. Calls take a
    valid access token from :meth:`tokens`, refreshing it when needed. After :meth:`sign_out`,
    :meth:`global_sign_out` or :meth:`delete`, every call raises :class:`~aiocognito.SignedOutError`.

    Attributes:
        username: the username Cognito knows the user by (``cognito:username``).
        pool: the pool the user signed in to.
    """

    __slots__ = ("_key", "_parts", "_signed_out", "_stored", "_tokens", "device", "pool", "username")

    def __init__(
        self,
        parts: UserParts,
        username: str,
        tokens: TokenSet,
        *,
        device: DeviceCredentials | None = None,
        stored: bool = False,
    ) -> None:
        self._parts = parts
        # Kept in the token store: gone from there means signed out elsewhere.
        self._stored = stored
        self.pool = parts.pool
        self.username = username
        self._tokens = tokens
        self.device = device
        self._key: StoreKey = parts.sessions.key(username)
        self._signed_out: str | None = None

    def __repr__(self) -> str:
        state = f" signed out ({self._signed_out})" if self._signed_out else ""
        return f"<User {self.username!r} of {self._parts.client.pool_id}{state}>"

    @property
    def current_tokens(self) -> TokenSet:
        """The tokens as they are now, without refreshing them."""
        return self._tokens

    @property
    def signed_out(self) -> bool:
        return self._signed_out is not None

    def _check(self) -> None:
        if self._signed_out is not None:
            raise SignedOutError(f"user {self.username!r} was signed out ({self._signed_out}); sign in again")

    # --- tokens -----------------------------------------------------------------------------------

    async def tokens(self) -> TokenSet:
        """Valid tokens, refreshed first when less than the pool's ``refresh_margin`` remains.

        Concurrent callers share one refresh. If an early refresh fails for a passing reason the
        still-valid tokens are returned; if the tokens have expired the error is raised and the session
        kept for the next try; only Cognito's NotAuthorizedException ends the session.

        Raises:
            SignedOutError: the user signed out, or Cognito refused the refresh token (session ended).
            TransportError, ServiceError: the refresh failed and the tokens have expired.
        """
        if self._signed_out is not None:
            self._check()
        tokens = self._tokens
        if self._parts.refresher.is_fresh(tokens):
            return tokens
        return await self._refreshed(force=False)

    async def _refreshed(self, *, force: bool) -> TokenSet:
        try:
            tokens = await self._parts.refresher.tokens_for(
                self._key, self._tokens, self.device, force=force, stored=self._stored
            )
        except SignedOutError:
            self._signed_out = "the session ended"
            raise
        self._tokens = tokens
        return tokens

    async def refresh(self) -> TokenSet:
        """Refresh the tokens now, whatever their age (``refreshSession`` of amazon-cognito-identity-js).

        Concurrent refreshes of the same user still make one call.

        Raises:
            SignedOutError: the user signed out, or Cognito refused the refresh token (session ended).
            TransportError, ServiceError: the refresh failed; the old tokens stay in use.
        """
        self._check()
        return await self._refreshed(force=True)

    async def _access_token(self) -> str:
        return (await self.tokens()).access_token

    async def _call(self, operation: str, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        params = {"AccessToken": await self._access_token(), **(extra or {})}
        return await self._parts.caller.call(operation, params)

    # --- attributes -------------------------------------------------------------------------------

    async def get_user_data(self) -> UserData:
        """GetUser: username, attributes and MFA settings."""
        reply = await self._call("GetUser")
        enabled = reply.get("UserMFASettingList") or []
        preferred = reply.get("PreferredMfaSetting")
        options = reply.get("MFAOptions") or []
        if not isinstance(enabled, list) or not isinstance(options, list):
            raise ProtocolError("malformed MFA settings", step="GetUser")
        username = reply.get("Username")
        return UserData(
            username=username if isinstance(username, str) else self.username,
            attributes=_attributes(reply, "GetUser"),
            mfa=MfaSettings(
                preferred=preferred if isinstance(preferred, str) else None,
                enabled=tuple(str(item) for item in enabled),
                mfa_options=tuple(dict(option) for option in options if isinstance(option, Mapping)),
            ),
        )

    async def get_attributes(self) -> dict[str, str]:
        """The user's attributes, ``{"email": "...", "email_verified": "true", ...}``."""
        return dict((await self.get_user_data()).attributes)

    async def update_attributes(
        self, attributes: Mapping[str, str], *, client_metadata: Mapping[str, str] | None = None
    ) -> list[CodeDelivery]:
        """UpdateUserAttributes; returns where verification codes went (a changed e-mail or phone)."""
        extra: dict[str, Any] = {"UserAttributes": [{"Name": k, "Value": v} for k, v in attributes.items()]}
        if client_metadata:
            extra["ClientMetadata"] = dict(client_metadata)
        reply = await self._call("UpdateUserAttributes", extra)
        details = reply.get("CodeDeliveryDetailsList") or []
        if not isinstance(details, list):
            raise ProtocolError("not a list", step="UpdateUserAttributes", field="CodeDeliveryDetailsList")
        return [d for d in (code_delivery_of(item) for item in details) if d is not None]

    async def delete_attributes(self, names: Iterable[str]) -> None:
        """DeleteUserAttributes."""
        await self._call("DeleteUserAttributes", {"UserAttributeNames": list(names)})

    async def send_attribute_verification_code(
        self, name: str, *, client_metadata: Mapping[str, str] | None = None
    ) -> CodeDelivery | None:
        """GetUserAttributeVerificationCode: send a code to verify ``email`` or ``phone_number``."""
        extra: dict[str, Any] = {"AttributeName": name}
        if client_metadata:
            extra["ClientMetadata"] = dict(client_metadata)
        reply = await self._call("GetUserAttributeVerificationCode", extra)
        return code_delivery_of(reply.get("CodeDeliveryDetails"))

    async def verify_attribute(self, name: str, code: str) -> None:
        """VerifyUserAttribute with the code the user received."""
        await self._call("VerifyUserAttribute", {"AttributeName": name, "Code": code})

    # --- password and account ---------------------------------------------------------------------

    async def change_password(self, old_password: str, new_password: str) -> None:
        """ChangePassword. A wrong old password raises NotAuthorizedError (and counts toward lock-out)."""
        await self._call(
            "ChangePassword", {"PreviousPassword": old_password, "ProposedPassword": new_password}
        )

    async def delete(self) -> None:
        """DeleteUser: delete the account; the user object is then signed out and its record (remembered
        device included, as the device went with the account) dropped from the store.

        Raises:
            SignedOutError: the user was already signed out.
        """
        await self._call("DeleteUser")
        self._signed_out = "deleted"
        await self._parts.sessions.delete(self._key)
        self._tell_signed_out()

    async def sign_out(self) -> None:
        """Sign out on this side: revoke the refresh token (RevokeToken, when the access token carries
        ``origin_jti``) and forget the tokens in the store; the remembered device is kept.

        A revocation that fails for a passing reason (network, 5xx, throttling) raises and leaves the user
        signed in, so ``sign_out()`` can be tried again. Any other refusal (the token was already revoked,
        revocation is not enabled for the client) still signs the user out here, then is raised.

        Raises:
            SignedOutError: the user was already signed out.
            TransportError, ServiceError: RevokeToken failed (see above).
        """
        self._check()
        tokens = await self._newest_tokens()
        if tokens.refresh_token and "origin_jti" in tokens.access_claims:
            client = self._parts.client
            params: dict[str, Any] = {"Token": tokens.refresh_token, "ClientId": client.client_id}
            if client.client_secret is not None:
                params["ClientSecret"] = client.client_secret
            try:
                await self._parts.caller.call("RevokeToken", params)
            except TransportError:
                raise
            except ServiceError as error:
                if error.throttling or error.status >= 500:
                    raise
                await self._end("signed out")
                raise
        await self._end("signed out")

    async def _newest_tokens(self) -> TokenSet:
        # With rotation, another user object (or process) may hold a newer refresh token in the store.
        record = await self._parts.sessions.record(self._key)
        stored = record.tokens if record is not None else None
        if stored is not None and stored.refresh_token and stored.expires_at > self._tokens.expires_at:
            return stored
        return self._tokens

    async def global_sign_out(self) -> None:
        """GlobalSignOut: revoke every token of the user on every device."""
        await self._call("GlobalSignOut")
        await self._end("signed out globally")

    async def _end(self, why: str) -> None:
        self._signed_out = why
        await self._parts.sessions.forget_session(self._key)
        self._tell_signed_out()

    def _tell_signed_out(self) -> None:
        event = AuthEvent(AuthEventKind.SIGNED_OUT, self.username, reason=SignOutReason.BY_THIS_PROCESS)
        self._parts.events.emit(event)

    # --- MFA --------------------------------------------------------------------------------------

    async def set_mfa_preference(
        self,
        *,
        sms: bool | None = None,
        totp: bool | None = None,
        email: bool | None = None,
        preferred: str | None = None,
    ) -> None:
        """SetUserMFAPreference: enable or disable each factor; ``preferred`` is "SMS", "TOTP" or "EMAIL"."""
        wire = {"SMS": "SMSMfaSettings", "TOTP": "SoftwareTokenMfaSettings", "EMAIL": "EmailMfaSettings"}
        if preferred is not None and preferred.upper() not in wire:
            raise ValueError("preferred must be 'SMS', 'TOTP' or 'EMAIL'")
        chosen = {"SMS": sms, "TOTP": totp, "EMAIL": email}
        if preferred is not None and chosen[preferred.upper()] is False:
            raise ValueError(f"{preferred.upper()} cannot be preferred and disabled at once")
        if preferred is None and sms is None and totp is None and email is None:
            raise ValueError("set at least one of sms, totp, email or preferred")
        extra: dict[str, Any] = {}
        for name, enabled in (("SMS", sms), ("TOTP", totp), ("EMAIL", email)):
            is_preferred = preferred is not None and preferred.upper() == name
            if enabled is None and not is_preferred:
                continue
            settings: dict[str, bool] = {"Enabled": True if enabled is None else enabled}
            if is_preferred:
                settings["PreferredMfa"] = True
            extra[wire[name]] = settings
        await self._call("SetUserMFAPreference", extra)

    async def enable_mfa(self) -> None:
        """SetUserSettings with SMS to the phone number (amazon-cognito-identity-js ``enableMFA``)."""
        await self._call(
            "SetUserSettings", {"MFAOptions": [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]}
        )

    async def disable_mfa(self) -> None:
        """SetUserSettings with no MFA options (amazon-cognito-identity-js ``disableMFA``)."""
        await self._call("SetUserSettings", {"MFAOptions": []})

    async def get_mfa_options(self) -> tuple[Mapping[str, str], ...]:
        """GetUser's legacy ``MFAOptions`` (amazon-cognito-identity-js ``getMFAOptions``)."""
        return (await self.get_user_data()).mfa.mfa_options

    async def associate_software_token(self) -> SoftwareToken:
        """AssociateSoftwareToken: the secret to enrol an authenticator app."""
        reply = await self._call("AssociateSoftwareToken")
        secret = reply.get("SecretCode")
        if not isinstance(secret, str) or not secret:
            raise ProtocolError("missing or not a string", step="AssociateSoftwareToken", field="SecretCode")
        return SoftwareToken(secret)

    async def verify_software_token(self, code: str, friendly_device_name: str | None = None) -> None:
        """VerifySoftwareToken with the authenticator's first code.

        Raises:
            CodeMismatchError, EnableSoftwareTokenMFAError: the code is wrong.
            ProtocolError: Cognito did not answer SUCCESS.
        """
        extra: dict[str, Any] = {"UserCode": code}
        if friendly_device_name:
            extra["FriendlyDeviceName"] = friendly_device_name
        reply = await self._call("VerifySoftwareToken", extra)
        if reply.get("Status") != "SUCCESS":
            raise ProtocolError(f"status {reply.get('Status')!r}", step="VerifySoftwareToken", field="Status")

    async def auth_factors(self) -> dict[str, list[str]]:
        """GetUserAuthFactors: ``{"preferred_mfa": [...], "mfa": [...], "sign_in": [...]}``."""
        reply = await self._call("GetUserAuthFactors")
        preferred = reply.get("PreferredMfaSetting")

        def names(key: str) -> list[str]:
            value = reply.get(key) or []
            return [str(item) for item in value] if isinstance(value, list) else []

        return {
            "preferred_mfa": [preferred] if isinstance(preferred, str) else [],
            "mfa": names("UserMFASettingList"),
            "sign_in": names("ConfiguredUserAuthFactors"),
        }

    # --- devices ----------------------------------------------------------------------------------

    async def list_devices(self, *, page_size: int = 60) -> AsyncIterator[Device]:
        """Every device of the user, page after page (ListDevices)."""
        token: str | None = None
        for _ in range(10_000):  # bounded: 600,000 devices is more than any user has
            extra: dict[str, Any] = {"Limit": page_size}
            if token:
                extra["PaginationToken"] = token
            reply = await self._call("ListDevices", extra)
            devices = reply.get("Devices") or []
            if not isinstance(devices, list):
                raise ProtocolError("not a list", step="ListDevices", field="Devices")
            for item in devices:
                yield Device.from_wire(item, "ListDevices")
            next_token = reply.get("PaginationToken")
            if not isinstance(next_token, str) or not next_token or next_token == token:
                return
            token = next_token

    def _device_key(self, device_key: str | None) -> str:
        self._check()
        if device_key is not None:
            return device_key
        if self.device is None:
            raise ValueError("no device is remembered for this user: pass device_key")
        return self.device.device_key

    async def get_device(self, device_key: str | None = None) -> Device:
        """GetDevice, for this device by default."""
        reply = await self._call("GetDevice", {"DeviceKey": self._device_key(device_key)})
        return Device.from_wire(reply.get("Device"), "GetDevice")

    async def remember_device(self) -> None:
        """UpdateDeviceStatus ``remembered`` for this device: the user's yes to a sign-in step's
        ``user_confirmation_necessary`` (pools that remember devices on user prompt)."""
        key = self._device_key(None)
        await self._call("UpdateDeviceStatus", {"DeviceKey": key, "DeviceRememberedStatus": "remembered"})
        self._parts.events.emit(AuthEvent(AuthEventKind.DEVICE_REMEMBERED, self.username, device_key=key))

    async def do_not_remember_device(self) -> None:
        """UpdateDeviceStatus ``not_remembered`` for this device."""
        await self._call(
            "UpdateDeviceStatus",
            {"DeviceKey": self._device_key(None), "DeviceRememberedStatus": "not_remembered"},
        )

    async def forget_device(self, device_key: str | None = None) -> None:
        """ForgetDevice, this device by default; forgetting this device also drops its secret here."""
        key = self._device_key(device_key)
        await self._call("ForgetDevice", {"DeviceKey": key})
        if self.device is not None and self.device.device_key == key:
            self.device = None
            await self._parts.sessions.set_device(self._key, None)

    # --- passkeys (WebAuthn registration pass-through) --------------------------------------------

    async def start_passkey_registration(self) -> dict[str, Any]:
        """StartWebAuthnRegistration: the credential creation options to hand to the browser."""
        reply = await self._call("StartWebAuthnRegistration")
        options = reply.get("CredentialCreationOptions")
        if not isinstance(options, dict):
            raise ProtocolError(
                "not an object", step="StartWebAuthnRegistration", field="CredentialCreationOptions"
            )
        return options

    async def complete_passkey_registration(self, credential: Mapping[str, Any] | str) -> None:
        """CompleteWebAuthnRegistration with the browser's credential (a dict, or its JSON)."""
        if isinstance(credential, str):
            try:
                # The browser's JSON: read as strictly as a reply, since it goes on to Cognito.
                credential = _json.loads(credential)
            except _json.JsonError:
                raise ValueError("credential must be the browser's credential JSON") from None
        await self._call("CompleteWebAuthnRegistration", {"Credential": credential})

    async def list_passkeys(self) -> AsyncIterator[dict[str, Any]]:
        """Every passkey of the user (ListWebAuthnCredentials), page after page."""
        token: str | None = None
        for _ in range(10_000):
            extra: dict[str, Any] = {"MaxResults": 20}
            if token:
                extra["NextToken"] = token
            reply = await self._call("ListWebAuthnCredentials", extra)
            credentials = reply.get("Credentials") or []
            if not isinstance(credentials, list):
                raise ProtocolError("not a list", step="ListWebAuthnCredentials", field="Credentials")
            for item in credentials:
                if isinstance(item, dict):
                    yield item
            next_token = reply.get("NextToken")
            if not isinstance(next_token, str) or not next_token or next_token == token:
                return
            token = next_token

    async def delete_passkey(self, credential_id: str) -> None:
        """DeleteWebAuthnCredential."""
        await self._call("DeleteWebAuthnCredential", {"CredentialId": credential_id})

    # --- AWS credentials --------------------------------------------------------------------------

    def aws_credentials(self, identity_pool_id: str) -> IdentityCredentials:
        """Temporary AWS credentials from an identity pool, for this user (refreshed before expiry).

        ``await creds.get()`` gives :class:`~aiocognito.AwsCredentials`; ``creds.for_aiobotocore()`` and
        ``creds.for_botocore()`` give refreshable credentials those libraries use directly.
        """
        self._check()
        from .identity import IdentityCredentials

        parts = self._parts
        return IdentityCredentials(
            self.tokens,
            identity_pool_id,
            caller=parts.caller,
            pool_id=parts.client.pool_id,
            region=parts.region,
            now=parts.now,
        )
