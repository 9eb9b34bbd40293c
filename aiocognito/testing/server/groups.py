"""Groups: ``CreateGroup``, ``GetGroup``, ``DeleteGroup``, ``ListGroups``, and their members
(``AdminAddUserToGroup``, ``AdminRemoveUserFromGroup``, ``AdminListGroupsForUser``, ``ListUsersInGroup``).
A user's groups are the ``cognito:groups`` claim of their tokens.
"""

from __future__ import annotations

from typing import Any

from ..faults import Fault, resource_not_found
from .context import Context
from .paging import paginate
from .state import Group, Pool
from .users import user_view

__all__ = [
    "admin_add_user_to_group",
    "admin_list_groups_for_user",
    "admin_remove_user_from_group",
    "create_group",
    "delete_group",
    "get_group",
    "list_groups",
    "list_users_in_group",
    "update_group",
]


def _group_view(pool: Pool, group: Group) -> dict[str, Any]:
    view: dict[str, Any] = {
        "GroupName": group.name,
        "UserPoolId": pool.id,
        "Description": group.description,
        "LastModifiedDate": group.modified_at,
        "CreationDate": group.created_at,
    }
    if group.precedence is not None:
        view["Precedence"] = group.precedence
    if group.role_arn:
        view["RoleArn"] = group.role_arn
    return view


def _group(pool: Pool, name: str) -> Group:
    group = pool.groups.get(name)
    if group is None:
        raise resource_not_found("Group not found.")
    return group


async def create_group(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    name = body["GroupName"]
    if name in pool.groups:
        raise Fault("GroupExistsException", "A group with the name already exists.")
    now = ctx.now()
    group = Group(
        name, now, now, body.get("Description") or "", body.get("Precedence"), body.get("RoleArn") or ""
    )
    pool.groups[name] = group
    return {"Group": _group_view(pool, group)}


async def update_group(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """UpdateGroup: only the fields given change (unlike UpdateUserPool)."""
    pool = ctx.store.pool(body["UserPoolId"])
    group = _group(pool, body["GroupName"])
    if "Description" in body:
        group.description = body["Description"] or ""
    if "Precedence" in body:
        group.precedence = body["Precedence"]
    if "RoleArn" in body:
        group.role_arn = body["RoleArn"] or ""
    group.modified_at = ctx.now()
    return {"Group": _group_view(pool, group)}


async def get_group(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    return {"Group": _group_view(pool, _group(pool, body["GroupName"]))}


async def delete_group(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    group = _group(pool, body["GroupName"])
    del pool.groups[group.name]
    for user in pool.users.values():
        if group.name in user.groups:
            user.groups.remove(group.name)
    return {}


async def list_groups(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    groups = sorted(pool.groups.values(), key=lambda g: g.name)
    page, token = paginate(groups, body.get("Limit") or 60, body.get("NextToken"), lambda g: g.name)
    reply: dict[str, Any] = {"Groups": [_group_view(pool, g) for g in page]}
    if token:
        reply["NextToken"] = token
    return reply


async def admin_add_user_to_group(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = pool.user(body["Username"])
    group = _group(pool, body["GroupName"])
    if group.name not in user.groups:
        user.groups.append(group.name)
    return {}


async def admin_remove_user_from_group(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = pool.user(body["Username"])
    group = _group(pool, body["GroupName"])
    if group.name in user.groups:
        user.groups.remove(group.name)
    return {}


async def admin_list_groups_for_user(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    user = pool.user(body["Username"])
    return {
        "Groups": [
            _group_view(pool, pool.groups[name]) for name in sorted(user.groups) if name in pool.groups
        ]
    }


async def list_users_in_group(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    group = _group(pool, body["GroupName"])
    users = [
        user_view(u) for u in sorted(pool.users.values(), key=lambda u: u.username) if group.name in u.groups
    ]
    return {"Users": users}
