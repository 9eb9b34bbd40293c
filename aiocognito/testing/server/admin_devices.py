"""A user's devices as an administrator sees them: ``AdminListDevices``, ``AdminGetDevice``,
``AdminUpdateDeviceStatus``, ``AdminForgetDevice`` (the user's own calls are in :mod:`.devices`).
"""

from __future__ import annotations

from typing import Any

from ..faults import resource_not_found
from .context import Context
from .devices import describe_device
from .paging import paginate
from .state import Device, Pool, User

__all__ = ["admin_forget_device", "admin_get_device", "admin_list_devices", "admin_update_device_status"]


def _user(ctx: Context, body: dict[str, Any]) -> tuple[Pool, User]:
    pool = ctx.store.pool(body["UserPoolId"])
    return pool, pool.user(body["Username"])


def _device(user: User, key: str, *, confirmed: bool = True) -> Device:
    device = user.devices.get(key)
    if device is None or (confirmed and not device.confirmed):
        raise resource_not_found("Device does not exist.")
    return device


async def admin_list_devices(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    _, user = _user(ctx, body)
    devices = sorted((d for d in user.devices.values() if d.confirmed), key=lambda d: (d.created_at, d.key))
    limit = min(body.get("Limit") or 60, 60)
    page, token = paginate(devices, limit, body.get("PaginationToken"), lambda d: d.key)
    reply: dict[str, Any] = {"Devices": [describe_device(d) for d in page]}
    if token:
        reply["PaginationToken"] = token
    return reply


async def admin_get_device(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    _, user = _user(ctx, body)
    return {"Device": describe_device(_device(user, body["DeviceKey"]))}


async def admin_update_device_status(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    _, user = _user(ctx, body)
    device = _device(user, body["DeviceKey"])
    device.remembered = body.get("DeviceRememberedStatus") == "remembered"
    device.modified_at = ctx.now()
    return {}


async def admin_forget_device(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    _, user = _user(ctx, body)
    del user.devices[_device(user, body["DeviceKey"], confirmed=False).key]
    return {}
