"""A user's devices as an administrator sees them: ``AdminListDevices``, ``AdminGetDevice``,
``AdminUpdateDeviceStatus``, ``AdminForgetDevice`` (the user's own calls are in :mod:`.devices`).
"""

from __future__ import annotations

from typing import Any

from .context import Context
from .devices import device_page, device_reply, drop_device, set_device_status
from .state import Pool, User

__all__ = ["admin_forget_device", "admin_get_device", "admin_list_devices", "admin_update_device_status"]


def _user(ctx: Context, body: dict[str, Any]) -> tuple[Pool, User]:
    pool = ctx.store.pool(body["UserPoolId"])
    return pool, pool.user(body["Username"])


async def admin_list_devices(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return device_page(_user(ctx, body)[1], body)


async def admin_get_device(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return device_reply(_user(ctx, body)[1], body)


async def admin_update_device_status(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return set_device_status(ctx, _user(ctx, body)[1], body)


async def admin_forget_device(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return drop_device(_user(ctx, body)[1], body)
