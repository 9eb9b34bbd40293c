"""Which module serves which Cognito operation: the one table from operation name to handler.

A handler takes the :class:`~.context.Context` and a request body already checked against botocore's
model of the operation's input, and returns the reply body; it answers with a Cognito error by raising
:class:`~aiocognito.testing.Fault`. An operation of botocore's model that is not in :data:`OPERATIONS`
is answered with ``UnsupportedOperationException``.

The table is grouped by the module that serves the operations, so it reads as a map of the server;
``Operation.module`` names that module, for a table of served operations made from botocore's model.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import account, clients, devices, groups, identity, passkeys, pools, users
from .auth import initiate, refresh, respond
from .context import Context
from .oauth import domains, resource_servers

__all__ = ["OPERATIONS", "Handler", "Operation", "find"]

Handler = Callable[[Context, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation the local user pool serves.

    Attributes:
        service: botocore's service name: ``cognito-idp`` or ``cognito-identity``.
        name: the operation, as in ``X-Amz-Target`` (``InitiateAuth``).
        handler: the coroutine function that answers it.
        read_only: it changes nothing, so the state file is not written after it.
    """

    service: str
    name: str
    handler: Handler
    read_only: bool = False

    @property
    def module(self) -> str:
        """The module that serves it (``aiocognito.testing.server.users``...)."""
        return self.handler.__module__


def _table(service: str, *rows: tuple[str, Handler, bool]) -> dict[str, Operation]:
    table: dict[str, Operation] = {}
    for name, handler, read_only in rows:
        if name in table:
            raise ValueError(f"{service} operation {name} is served twice")
        table[name] = Operation(service, name, handler, read_only)
    return table


def _writes(name: str, handler: Handler) -> tuple[str, Handler, bool]:
    return name, handler, False


def _reads(name: str, handler: Handler) -> tuple[str, Handler, bool]:
    return name, handler, True


#: botocore's service name -> operation name -> :class:`Operation`.
OPERATIONS: Mapping[str, Mapping[str, Operation]] = {
    "cognito-idp": _table(
        "cognito-idp",
        # pools.py: user pools and their MFA configuration
        _writes("CreateUserPool", pools.create_user_pool),
        _writes("DeleteUserPool", pools.delete_user_pool),
        _reads("DescribeUserPool", pools.describe_user_pool),
        _reads("GetUserPoolMfaConfig", pools.get_user_pool_mfa_config),
        _reads("ListUserPools", pools.list_user_pools),
        _writes("SetUserPoolMfaConfig", pools.set_user_pool_mfa_config),
        # clients.py: app clients
        _writes("CreateUserPoolClient", clients.create_user_pool_client),
        _writes("DeleteUserPoolClient", clients.delete_user_pool_client),
        _reads("DescribeUserPoolClient", clients.describe_user_pool_client),
        _reads("ListUserPoolClients", clients.list_user_pool_clients),
        _writes("UpdateUserPoolClient", clients.update_user_pool_client),
        # users.py: the Admin* user operations and ListUsers
        _writes("AdminConfirmSignUp", users.admin_confirm_sign_up),
        _writes("AdminCreateUser", users.admin_create_user),
        _writes("AdminDeleteUser", users.admin_delete_user),
        _writes("AdminDeleteUserAttributes", users.admin_delete_user_attributes),
        _writes("AdminDisableUser", users.admin_disable_user),
        _writes("AdminEnableUser", users.admin_enable_user),
        _reads("AdminGetUser", users.admin_get_user),
        _writes("AdminResetUserPassword", users.admin_reset_user_password),
        _writes("AdminSetUserMFAPreference", users.admin_set_user_mfa_preference),
        _writes("AdminSetUserPassword", users.admin_set_user_password),
        _writes("AdminUpdateUserAttributes", users.admin_update_user_attributes),
        _writes("AdminUserGlobalSignOut", users.admin_user_global_sign_out),
        _reads("ListUsers", users.list_users),
        # groups.py: groups and their members
        _writes("AdminAddUserToGroup", groups.admin_add_user_to_group),
        _reads("AdminListGroupsForUser", groups.admin_list_groups_for_user),
        _writes("AdminRemoveUserFromGroup", groups.admin_remove_user_from_group),
        _writes("CreateGroup", groups.create_group),
        _writes("DeleteGroup", groups.delete_group),
        _reads("GetGroup", groups.get_group),
        _reads("ListGroups", groups.list_groups),
        _reads("ListUsersInGroup", groups.list_users_in_group),
        # auth/initiate.py: the start of every sign-in flow (auth/ has one module per flow)
        _writes("AdminInitiateAuth", initiate.admin_initiate_auth),
        _writes("InitiateAuth", initiate.initiate_auth),
        # auth/respond.py: the answer to every challenge
        _writes("AdminRespondToAuthChallenge", respond.admin_respond_to_auth_challenge),
        _writes("RespondToAuthChallenge", respond.respond_to_auth_challenge),
        # auth/refresh.py: refresh tokens
        _writes("GetTokensFromRefreshToken", refresh.get_tokens_from_refresh_token),
        _writes("RevokeToken", refresh.revoke_token),
        # account.py: the user's own account
        _writes("AssociateSoftwareToken", account.associate_software_token),
        _writes("ChangePassword", account.change_password),
        _writes("ConfirmForgotPassword", account.confirm_forgot_password),
        _writes("ConfirmSignUp", account.confirm_sign_up),
        _writes("DeleteUser", account.delete_user),
        _writes("DeleteUserAttributes", account.delete_user_attributes),
        _writes("ForgotPassword", account.forgot_password),
        _reads("GetUser", account.get_user),
        _writes("GetUserAttributeVerificationCode", account.get_user_attribute_verification_code),
        _reads("GetUserAuthFactors", account.get_user_auth_factors),
        _writes("GlobalSignOut", account.global_sign_out),
        _writes("ResendConfirmationCode", account.resend_confirmation_code),
        _writes("SetUserMFAPreference", account.set_user_mfa_preference),
        _writes("SetUserSettings", account.set_user_settings),
        _writes("SignUp", account.sign_up),
        _writes("UpdateUserAttributes", account.update_user_attributes),
        _writes("VerifySoftwareToken", account.verify_software_token),
        _writes("VerifyUserAttribute", account.verify_user_attribute),
        # devices.py: remembered devices
        _writes("ConfirmDevice", devices.confirm_device),
        _writes("ForgetDevice", devices.forget_device),
        _reads("GetDevice", devices.get_device),
        _reads("ListDevices", devices.list_devices),
        _writes("UpdateDeviceStatus", devices.update_device_status),
        # passkeys.py: WebAuthn credentials (the WEB_AUTHN sign-in is auth/web_authn.py)
        _writes("CompleteWebAuthnRegistration", passkeys.complete_web_authn_registration),
        _writes("DeleteWebAuthnCredential", passkeys.delete_web_authn_credential),
        _reads("ListWebAuthnCredentials", passkeys.list_web_authn_credentials),
        _writes("StartWebAuthnRegistration", passkeys.start_web_authn_registration),
        # oauth/resource_servers.py: resource servers and their custom scopes
        _writes("CreateResourceServer", resource_servers.create_resource_server),
        _writes("DeleteResourceServer", resource_servers.delete_resource_server),
        _reads("DescribeResourceServer", resource_servers.describe_resource_server),
        _writes("ListResourceServers", resource_servers.list_resource_servers),
        _writes("UpdateResourceServer", resource_servers.update_resource_server),
        # oauth/domains.py: user pool domains
        _writes("CreateUserPoolDomain", domains.create_user_pool_domain),
        _writes("DeleteUserPoolDomain", domains.delete_user_pool_domain),
        _reads("DescribeUserPoolDomain", domains.describe_user_pool_domain),
    ),
    "cognito-identity": _table(
        "cognito-identity",
        # identity.py: identity pools and their identities
        _writes("CreateIdentityPool", identity.create_identity_pool),
        _writes("DeleteIdentityPool", identity.delete_identity_pool),
        _reads("DescribeIdentityPool", identity.describe_identity_pool),
        _reads("GetCredentialsForIdentity", identity.get_credentials_for_identity),
        _writes("GetId", identity.get_id),
        _reads("ListIdentityPools", identity.list_identity_pools),
    ),
}


def find(service: str, name: str) -> Operation | None:
    """The operation ``name`` of ``service`` (botocore's service name), if the local user pool serves it."""
    table = OPERATIONS.get(service)
    return table.get(name) if table is not None else None
