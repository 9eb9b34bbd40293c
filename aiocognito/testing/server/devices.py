"""Devices a user remembers: ``ConfirmDevice``, ``ListDevices``, ``GetDevice``, ``UpdateDeviceStatus``,
``ForgetDevice``. A device is handed out in ``NewDeviceMetadata`` at sign-in when the pool tracks
devices; confirming it stores its SRP verifier, so it can sign in with ``DEVICE_SRP_AUTH``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..faults import Fault, invalid_parameter, resource_not_found
from .checks import signed_in
from .context import Context
from .paging import paginate
from .state import Device, User

__all__ = [
    "confirm_device",
    "describe_device",
    "device_page",
    "device_reply",
    "drop_device",
    "forget_device",
    "get_device",
    "list_devices",
    "set_device_status",
    "update_device_status",
]


def describe_device(device: Any) -> dict[str, Any]:
    attributes = [
        {"Name": "device_status", "Value": "valid"},
        {"Name": "device_name", "Value": device.name},
        {
            "Name": "dev:device_remembered_status",
            "Value": "remembered" if device.remembered else "not_remembered",
        },
    ]
    if device.last_ip:
        attributes.append({"Name": "last_ip_used", "Value": device.last_ip})
    view = {
        "DeviceKey": device.key,
        "DeviceAttributes": attributes,
        "DeviceCreateDate": device.created_at,
        "DeviceLastModifiedDate": device.modified_at,
    }
    if device.last_authenticated_at:
        view["DeviceLastAuthenticatedDate"] = device.last_authenticated_at
    return view


def _device(user: User, key: str, *, confirmed: bool = True) -> Device:
    device = user.devices.get(key)
    if device is None or (confirmed and not device.confirmed):
        raise resource_not_found("Device does not exist.")
    return device


def _b64_bytes(value: object, name: str) -> bytes:
    try:
        data = base64.b64decode(str(value), validate=True)
    except (ValueError, binascii.Error):
        raise invalid_parameter(f"{name} is not valid base64") from None
    if not data:
        raise invalid_parameter(f"{name} is empty")
    return data


async def confirm_device(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool, user = signed_in(ctx, body)
    if pool.device_configuration is None:
        raise Fault(
            "InvalidUserPoolConfigurationException", "Device tracking is not enabled for this user pool."
        )
    device = _device(user, body["DeviceKey"], confirmed=False)
    config = body.get("DeviceSecretVerifierConfig")
    if not config or not config.get("PasswordVerifier") or not config.get("Salt"):
        raise invalid_parameter("DeviceSecretVerifierConfig needs PasswordVerifier and Salt")
    salt = _b64_bytes(config["Salt"], "Salt")
    verifier = int.from_bytes(_b64_bytes(config["PasswordVerifier"], "PasswordVerifier"), "big")
    device.salt = salt.hex()
    device.verifier = format(verifier, "x")
    device.name = body.get("DeviceName") or ""
    device.modified_at = ctx.now()
    necessary = bool(pool.device_configuration.get("DeviceOnlyRememberedOnUserPrompt"))
    device.remembered = not necessary
    return {"UserConfirmationNecessary": necessary}


# The device calls on a user, whoever asks: the user (access token) or an administrator (admin_devices).


def device_page(user: User, body: dict[str, Any]) -> dict[str, Any]:
    """A page of the user's confirmed devices (ListDevices / AdminListDevices)."""
    devices = sorted((d for d in user.devices.values() if d.confirmed), key=lambda d: (d.created_at, d.key))
    limit = body.get("Limit") or 60
    page, token = paginate(devices, min(limit, 60), body.get("PaginationToken"), lambda d: d.key)
    reply: dict[str, Any] = {"Devices": [describe_device(d) for d in page]}
    if token:
        reply["PaginationToken"] = token
    return reply


def device_reply(user: User, body: dict[str, Any]) -> dict[str, Any]:
    """GetDevice / AdminGetDevice."""
    return {"Device": describe_device(_device(user, body["DeviceKey"]))}


def set_device_status(ctx: Context, user: User, body: dict[str, Any]) -> dict[str, Any]:
    """UpdateDeviceStatus / AdminUpdateDeviceStatus."""
    device = _device(user, body["DeviceKey"])
    device.remembered = body.get("DeviceRememberedStatus") == "remembered"
    device.modified_at = ctx.now()
    return {}


def drop_device(user: User, body: dict[str, Any]) -> dict[str, Any]:
    """ForgetDevice / AdminForgetDevice (an unconfirmed device too)."""
    del user.devices[_device(user, body["DeviceKey"], confirmed=False).key]
    return {}


async def list_devices(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return device_page(signed_in(ctx, body)[1], body)


async def get_device(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return device_reply(signed_in(ctx, body)[1], body)


async def update_device_status(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return set_device_status(ctx, signed_in(ctx, body)[1], body)


async def forget_device(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return drop_device(signed_in(ctx, body)[1], body)
