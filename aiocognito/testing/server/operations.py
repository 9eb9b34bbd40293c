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

from . import (
    account,
    admin_account,
    admin_devices,
    branding,
    client_secrets,
    clients,
    devices,
    groups,
    identity,
    import_jobs,
    passkeys,
    pool_settings,
    pools,
    providers,
    security,
    terms,
    users,
)
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
        # pools.py, groups.py: changing a pool and a group
        _writes("UpdateUserPool", pools.update_user_pool),
        _writes("UpdateGroup", groups.update_group),
        # pool_settings.py: schema, tags, signing certificate
        _writes("AddCustomAttributes", pool_settings.add_custom_attributes),
        _reads("GetSigningCertificate", pool_settings.get_signing_certificate),
        _reads("ListTagsForResource", pool_settings.list_tags_for_resource),
        _writes("TagResource", pool_settings.tag_resource),
        _writes("UntagResource", pool_settings.untag_resource),
        # providers.py: identity providers and linked provider users
        _writes("AdminDisableProviderForUser", providers.admin_disable_provider_for_user),
        _writes("AdminLinkProviderForUser", providers.admin_link_provider_for_user),
        _writes("CreateIdentityProvider", providers.create_identity_provider),
        _writes("DeleteIdentityProvider", providers.delete_identity_provider),
        _reads("DescribeIdentityProvider", providers.describe_identity_provider),
        _reads("GetIdentityProviderByIdentifier", providers.get_identity_provider_by_identifier),
        _reads("ListIdentityProviders", providers.list_identity_providers),
        _writes("UpdateIdentityProvider", providers.update_identity_provider),
        # admin_devices.py, admin_account.py: an administrator's view of a user's devices and factors
        _writes("AdminForgetDevice", admin_devices.admin_forget_device),
        _reads("AdminGetDevice", admin_devices.admin_get_device),
        _reads("AdminListDevices", admin_devices.admin_list_devices),
        _writes("AdminUpdateDeviceStatus", admin_devices.admin_update_device_status),
        _writes("AdminDeleteSoftwareToken", admin_account.admin_delete_software_token),
        _reads("AdminGetUserAuthFactors", admin_account.admin_get_user_auth_factors),
        _writes("AdminSetUserSettings", admin_account.admin_set_user_settings),
        # client_secrets.py: rotating an app client's secret
        _writes("AddUserPoolClientSecret", client_secrets.add_user_pool_client_secret),
        _writes("DeleteUserPoolClientSecret", client_secrets.delete_user_pool_client_secret),
        _reads("ListUserPoolClientSecrets", client_secrets.list_user_pool_client_secrets),
        # branding.py: managed login branding and the hosted UI's style, as stored records
        _writes("CreateManagedLoginBranding", branding.create_managed_login_branding),
        _writes("DeleteManagedLoginBranding", branding.delete_managed_login_branding),
        _reads("DescribeManagedLoginBranding", branding.describe_managed_login_branding),
        _reads("DescribeManagedLoginBrandingByClient", branding.describe_managed_login_branding_by_client),
        _writes("UpdateManagedLoginBranding", branding.update_managed_login_branding),
        _reads("GetUICustomization", branding.get_ui_customization),
        _writes("SetUICustomization", branding.set_ui_customization),
        # terms.py: terms of use and privacy policies
        _writes("CreateTerms", terms.create_terms),
        _writes("DeleteTerms", terms.delete_terms),
        _reads("DescribeTerms", terms.describe_terms),
        _reads("DescribeTermsByClient", terms.describe_terms_by_client),
        _reads("ListTerms", terms.list_terms),
        _writes("UpdateTerms", terms.update_terms),
        # import_jobs.py: user import jobs (no S3, so a started job fails as one without its file)
        _writes("CreateUserImportJob", import_jobs.create_user_import_job),
        _reads("DescribeUserImportJob", import_jobs.describe_user_import_job),
        _reads("GetCSVHeader", import_jobs.get_csv_header),
        _reads("ListUserImportJobs", import_jobs.list_user_import_jobs),
        _writes("StartUserImportJob", import_jobs.start_user_import_job),
        _writes("StopUserImportJob", import_jobs.stop_user_import_job),
        # security.py: threat protection and log delivery settings
        _reads("DescribeRiskConfiguration", security.describe_risk_configuration),
        _writes("SetRiskConfiguration", security.set_risk_configuration),
        _reads("GetLogDeliveryConfiguration", security.get_log_delivery_configuration),
        _writes("SetLogDeliveryConfiguration", security.set_log_delivery_configuration),
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
