"""Pools that change after creation (issue 16, point 3): UpdateUserPool and the other operations the
local pool serves besides sign-in, with Cognito's semantics, over boto3 (HTTP) where the wire matters
and in-process (``server.call``, checked against the same model) elsewhere.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

import aiocognito
from aiocognito.core import srp
from aiocognito.testing import Fault, LocalUserPool

PASSWORD = "Passw0rd!"


@pytest.fixture
async def server() -> AsyncIterator[LocalUserPool]:
    async with LocalUserPool(shared_signing_key=True) as local:
        yield local


def _boto(server: LocalUserPool) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


async def _code(server: LocalUserPool, name: str, body: dict[str, Any]) -> str:
    with pytest.raises(Fault) as caught:
        await server.call(name, body)
    return caught.value.code


async def test_update_user_pool_takes_effect_and_resets_what_it_omits(server: LocalUserPool) -> None:
    pool_id = await server.create_pool(auto_verify=["email"])
    client = await server.create_client(pool_id)
    idp = _boto(server)
    update = {"UserPoolId": pool_id, "Policies": {"PasswordPolicy": {"MinimumLength": 12}}}
    await asyncio.to_thread(lambda: idp.update_user_pool(**update, UserPoolTags={"team": "auth"}))
    described = (await server.call("DescribeUserPool", {"UserPoolId": pool_id}))["UserPool"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert described["AutoVerifiedAttributes"] == [] and described["UserPoolTags"] == {"team": "auth"}
    async with aiocognito.UserPool(pool_id, client.client_id, endpoint_url=server.endpoint_url) as pool:
        with pytest.raises(aiocognito.InvalidPasswordError):
            await pool.sign_up("bob", PASSWORD, attributes={"email": "bob@example.com"})
        result = await pool.sign_up("bob", "Passw0rd!-long", attributes={"email": "bob@example.com"})
    assert result.code_delivery is None  # AutoVerifiedAttributes was left out, so it is off now
    assert len(server.outbox) == 0


async def test_deletion_protection_and_mfa_rules_of_update_user_pool(server: LocalUserPool) -> None:
    pool_id = await server.create_pool()
    await server.call("UpdateUserPool", {"UserPoolId": pool_id, "DeletionProtection": "ACTIVE"})
    assert await _code(server, "DeleteUserPool", {"UserPoolId": pool_id}) == "InvalidParameterException"
    await server.call("UpdateUserPool", {"UserPoolId": pool_id})  # left out: protection stays on
    assert await _code(server, "DeleteUserPool", {"UserPoolId": pool_id}) == "InvalidParameterException"
    bad = {"UserPoolId": pool_id, "MfaConfiguration": "ON", "DeletionProtection": "ACTIVE"}
    assert await _code(server, "UpdateUserPool", bad) == "InvalidParameterException"
    await server.call("UpdateUserPool", {"UserPoolId": pool_id, "DeletionProtection": "INACTIVE"})
    await server.call("DeleteUserPool", {"UserPoolId": pool_id})
    assert pool_id not in server.store.pools


async def test_custom_attributes_added_later_can_be_written(server: LocalUserPool) -> None:
    pool_id = await server.create_pool()
    await server.create_user(pool_id, "alice", PASSWORD)
    write = {
        "UserPoolId": pool_id,
        "Username": "alice",
        "UserAttributes": [{"Name": "custom:tier", "Value": "gold"}],
    }
    assert await _code(server, "AdminUpdateUserAttributes", write) == "InvalidParameterException"
    spec = {"Name": "tier", "AttributeDataType": "String", "Mutable": True}
    await server.call("AddCustomAttributes", {"UserPoolId": pool_id, "CustomAttributes": [spec]})
    await server.call("AdminUpdateUserAttributes", write)
    user = await server.call("AdminGetUser", {"UserPoolId": pool_id, "Username": "alice"})
    assert {"Name": "custom:tier", "Value": "gold"} in user["UserAttributes"]
    again = {"UserPoolId": pool_id, "CustomAttributes": [spec]}
    assert await _code(server, "AddCustomAttributes", again) == "InvalidParameterException"
    schema = (await server.call("DescribeUserPool", {"UserPoolId": pool_id}))["UserPool"]["SchemaAttributes"]
    assert "custom:tier" in [item["Name"] for item in schema]
    header = await server.call("GetCSVHeader", {"UserPoolId": pool_id})
    assert header["CSVHeader"][-1] == "custom:tier" and "cognito:username" in header["CSVHeader"]


async def test_update_group_changes_only_what_it_is_given(server: LocalUserPool) -> None:
    pool_id = await server.create_pool()
    await server.call(
        "CreateGroup", {"UserPoolId": pool_id, "GroupName": "g", "Description": "d", "Precedence": 5}
    )
    reply = await server.call("UpdateGroup", {"UserPoolId": pool_id, "GroupName": "g", "Precedence": 1})
    assert reply["Group"]["Precedence"] == 1 and reply["Group"]["Description"] == "d"
    got = await server.call("GetGroup", {"UserPoolId": pool_id, "GroupName": "g"})
    assert got["Group"]["Precedence"] == 1
    missing = {"UserPoolId": pool_id, "GroupName": "nope"}
    assert await _code(server, "UpdateGroup", missing) == "ResourceNotFoundException"


async def test_tags_by_the_pools_arn_over_http(server: LocalUserPool) -> None:
    pool_id = await server.create_pool(UserPoolTags={"a": "1"})
    arn = (await server.call("DescribeUserPool", {"UserPoolId": pool_id}))["UserPool"]["Arn"]
    idp = _boto(server)

    def tagging() -> dict[str, str]:
        idp.tag_resource(ResourceArn=arn, Tags={"b": "2", "a": "3"})
        idp.untag_resource(ResourceArn=arn, TagKeys=["b"])
        tags: dict[str, str] = idp.list_tags_for_resource(ResourceArn=arn)["Tags"]
        with pytest.raises(idp.exceptions.ResourceNotFoundException):
            idp.list_tags_for_resource(ResourceArn=arn + "x")
        return tags

    assert await asyncio.to_thread(tagging) == {"a": "3"}


async def test_identity_providers_and_linked_users(server: LocalUserPool) -> None:
    pool_id = await server.create_pool()
    await server.create_user(pool_id, "alice", PASSWORD)
    google = {
        "UserPoolId": pool_id,
        "ProviderName": "Google",
        "ProviderType": "Google",
        "ProviderDetails": {"client_id": "c", "client_secret": "s", "authorize_scopes": "openid email"},
        "AttributeMapping": {"email": "email"},
        "IdpIdentifiers": ["gmail"],
    }
    created = await server.call("CreateIdentityProvider", google)
    assert created["IdentityProvider"]["ProviderType"] == "Google"
    assert await _code(server, "CreateIdentityProvider", google) == "DuplicateProviderException"
    lacking = {**google, "ProviderName": "G2", "ProviderDetails": {"client_id": "c"}}
    assert await _code(server, "CreateIdentityProvider", lacking) == "InvalidParameterException"
    found = await server.call(
        "GetIdentityProviderByIdentifier", {"UserPoolId": pool_id, "IdpIdentifier": "gmail"}
    )
    assert found["IdentityProvider"]["ProviderName"] == "Google"
    update = {"UserPoolId": pool_id, "ProviderName": "Google", "AttributeMapping": {"name": "name"}}
    updated = await server.call("UpdateIdentityProvider", update)
    assert updated["IdentityProvider"]["AttributeMapping"] == {"name": "name"}
    listed = await server.call("ListIdentityProviders", {"UserPoolId": pool_id})
    assert [p["ProviderName"] for p in listed["Providers"]] == ["Google"]
    link = {
        "UserPoolId": pool_id,
        "DestinationUser": {"ProviderName": "Cognito", "ProviderAttributeValue": "alice"},
        "SourceUser": {
            "ProviderName": "Google",
            "ProviderAttributeName": "Cognito_Subject",
            "ProviderAttributeValue": "1234",
        },
    }
    await server.call("AdminLinkProviderForUser", link)
    user = await server.call("AdminGetUser", {"UserPoolId": pool_id, "Username": "alice"})
    identities = {a["Name"]: a["Value"] for a in user["UserAttributes"]}["identities"]
    assert '"userId":"1234"' in identities and '"providerName":"Google"' in identities
    unlink = {"UserPoolId": pool_id, "User": {"ProviderName": "Google", "ProviderAttributeValue": "1234"}}
    await server.call("AdminDisableProviderForUser", unlink)
    user = await server.call("AdminGetUser", {"UserPoolId": pool_id, "Username": "alice"})
    assert "identities" not in {a["Name"] for a in user["UserAttributes"]}
    await server.call("DeleteIdentityProvider", {"UserPoolId": pool_id, "ProviderName": "Google"})
    gone = {"UserPoolId": pool_id, "ProviderName": "Google"}
    assert await _code(server, "DescribeIdentityProvider", gone) == "ResourceNotFoundException"


async def test_an_administrator_lists_gets_updates_and_forgets_a_users_device(server: LocalUserPool) -> None:
    devices = {"ChallengeRequiredOnNewDevice": False, "DeviceOnlyRememberedOnUserPrompt": True}
    pool_id = await server.create_pool(device_configuration=devices)
    client = await server.create_client(pool_id)
    await server.create_user(pool_id, "alice", PASSWORD)
    signed_in = await server.call(
        "InitiateAuth",
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": client.client_id,
            "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD},
        },
    )
    result = signed_in["AuthenticationResult"]
    key = result["NewDeviceMetadata"]["DeviceKey"]
    verifier = {"PasswordVerifier": "AQID", "Salt": "BAUG"}
    confirm = {"AccessToken": result["AccessToken"], "DeviceKey": key, "DeviceSecretVerifierConfig": verifier}
    await server.call("ConfirmDevice", confirm)
    who = {"UserPoolId": pool_id, "Username": "alice"}
    listed = await server.call("AdminListDevices", who)
    assert [d["DeviceKey"] for d in listed["Devices"]] == [key]
    await server.call(
        "AdminUpdateDeviceStatus", {**who, "DeviceKey": key, "DeviceRememberedStatus": "remembered"}
    )
    device = (await server.call("AdminGetDevice", {**who, "DeviceKey": key}))["Device"]
    status = {a["Name"]: a["Value"] for a in device["DeviceAttributes"]}["dev:device_remembered_status"]
    assert status == "remembered"
    await server.call("AdminForgetDevice", {**who, "DeviceKey": key})
    assert (await server.call("AdminListDevices", who))["Devices"] == []
    assert await _code(server, "AdminGetDevice", {**who, "DeviceKey": key}) == "ResourceNotFoundException"


async def test_a_second_client_secret_takes_over_when_the_first_is_deleted(server: LocalUserPool) -> None:
    pool_id = await server.create_pool()
    client = await server.create_client(pool_id, generate_secret=True)
    await server.create_user(pool_id, "alice", PASSWORD)
    ids = {"UserPoolId": pool_id, "ClientId": client.client_id}
    added = (await server.call("AddUserPoolClientSecret", {**ids, "ClientSecret": "s" * 40}))[
        "ClientSecretDescriptor"
    ]
    assert added["ClientSecretValue"] == "s" * 40
    listed = (await server.call("ListUserPoolClientSecrets", ids))["ClientSecrets"]
    assert len(listed) == 2 and all("ClientSecretValue" not in item for item in listed)
    assert await _code(server, "AddUserPoolClientSecret", ids) == "LimitExceededException"
    for secret in (client.client_secret, "s" * 40):  # during the rotation either secret signs in
        async with aiocognito.UserPool(
            pool_id, client.client_id, client_secret=secret, endpoint_url=server.endpoint_url
        ) as pool:
            assert (await pool.sign_in("alice", PASSWORD)).user is not None
    await server.call("DeleteUserPoolClientSecret", {**ids, "ClientSecretId": listed[0]["ClientSecretId"]})
    described = await server.call("DescribeUserPoolClient", ids)
    assert described["UserPoolClient"]["ClientSecret"] == "s" * 40
    async with aiocognito.UserPool(
        pool_id, client.client_id, client_secret=client.client_secret, endpoint_url=server.endpoint_url
    ) as pool:
        with pytest.raises(aiocognito.NotAuthorizedError):
            await pool.sign_in("alice", PASSWORD)
    async with aiocognito.UserPool(
        pool_id, client.client_id, client_secret="s" * 40, endpoint_url=server.endpoint_url
    ) as pool:
        assert (await pool.sign_in("alice", PASSWORD)).user is not None
    last = {
        **ids,
        "ClientSecretId": (await server.call("ListUserPoolClientSecrets", ids))["ClientSecrets"][0][
            "ClientSecretId"
        ],
    }
    assert await _code(server, "DeleteUserPoolClientSecret", last) == "InvalidParameterException"


async def test_branding_terms_and_hosted_ui_style_are_stored_records(server: LocalUserPool) -> None:
    pool_id = await server.create_pool()
    client = await server.create_client(pool_id)
    ids = {"UserPoolId": pool_id, "ClientId": client.client_id}
    branding = (await server.call("CreateManagedLoginBranding", {**ids, "Settings": {"c": 1}}))[
        "ManagedLoginBranding"
    ]
    assert branding["UseCognitoProvidedValues"] is False
    assert await _code(server, "CreateManagedLoginBranding", ids) == "ManagedLoginBrandingExistsException"
    by_client = await server.call("DescribeManagedLoginBrandingByClient", ids)
    assert by_client["ManagedLoginBranding"]["ManagedLoginBrandingId"] == branding["ManagedLoginBrandingId"]
    which = {"UserPoolId": pool_id, "ManagedLoginBrandingId": branding["ManagedLoginBrandingId"]}
    updated = await server.call("UpdateManagedLoginBranding", {**which, "UseCognitoProvidedValues": True})
    assert updated["ManagedLoginBranding"]["Settings"] == {}
    await server.call("DeleteManagedLoginBranding", which)
    assert await _code(server, "DescribeManagedLoginBranding", which) == "ResourceNotFoundException"

    terms = {**ids, "TermsName": "privacy-policy", "TermsSource": "LINK", "Enforcement": "NONE"}
    made = (
        await server.call("CreateTerms", {**terms, "Links": {"cognito:default": "https://example.com/p"}})
    )["Terms"]
    changed = await server.call(
        "UpdateTerms",
        {"UserPoolId": pool_id, "TermsId": made["TermsId"], "Links": {"en-US": "https://example.com/en"}},
    )
    assert changed["Terms"]["Links"] == {"en-US": "https://example.com/en"}
    listed = await server.call("ListTerms", {"UserPoolId": pool_id})
    assert [t["TermsId"] for t in listed["Terms"]] == [made["TermsId"]]
    await server.call("DeleteTerms", {"UserPoolId": pool_id, "TermsId": made["TermsId"]})
    assert (
        await _code(server, "DescribeTermsByClient", {**ids, "TermsName": "privacy-policy"})
        == "ResourceNotFoundException"
    )

    await server.call("SetUICustomization", {"UserPoolId": pool_id, "CSS": ".banner{color:red}"})
    style = (await server.call("GetUICustomization", ids))["UICustomization"]
    assert style["CSS"] == ".banner{color:red}" and style["ClientId"] == "ALL"  # the pool's, by fallback


async def test_import_jobs_risk_and_log_settings(server: LocalUserPool) -> None:
    pool_id = await server.create_pool()
    role = "arn:aws:iam::123456789012:role/import"
    job = (
        await server.call(
            "CreateUserImportJob", {"UserPoolId": pool_id, "JobName": "j", "CloudWatchLogsRoleArn": role}
        )
    )["UserImportJob"]
    assert job["Status"] == "Created" and job["PreSignedUrl"]
    which = {"UserPoolId": pool_id, "JobId": job["JobId"]}
    started = (await server.call("StartUserImportJob", which))["UserImportJob"]
    assert started["Status"] == "Failed" and "CSV" in started["CompletionMessage"]
    assert await _code(server, "StopUserImportJob", which) == "PreconditionNotMetException"
    listed = await server.call("ListUserImportJobs", {"UserPoolId": pool_id, "MaxResults": 10})
    assert [j["JobId"] for j in listed["UserImportJobs"]] == [job["JobId"]]

    risk = {"UserPoolId": pool_id, "RiskExceptionConfiguration": {"BlockedIPRangeList": ["10.0.0.0/8"]}}
    await server.call("SetRiskConfiguration", risk)
    client = await server.create_client(pool_id)
    described = (
        await server.call("DescribeRiskConfiguration", {"UserPoolId": pool_id, "ClientId": client.client_id})
    )["RiskConfiguration"]
    assert described["RiskExceptionConfiguration"] == {"BlockedIPRangeList": ["10.0.0.0/8"]}
    logs = [
        {
            "LogLevel": "ERROR",
            "EventSource": "userNotification",
            "CloudWatchLogsConfiguration": {"LogGroupArn": "arn:aws:logs:us-east-1:1:log-group:g"},
        }
    ]
    await server.call("SetLogDeliveryConfiguration", {"UserPoolId": pool_id, "LogConfigurations": logs})
    got = await server.call("GetLogDeliveryConfiguration", {"UserPoolId": pool_id})
    assert got["LogDeliveryConfiguration"]["LogConfigurations"] == logs


async def test_admin_factor_calls_and_the_signing_certificate(server: LocalUserPool) -> None:
    pool_id = await server.create_pool(totp=True, mfa="OPTIONAL")
    await server.create_user(pool_id, "alice", PASSWORD, attributes={"phone_number": "+15550100"})
    who = {"UserPoolId": pool_id, "Username": "alice"}
    await server.call(
        "AdminSetUserSettings",
        {**who, "MFAOptions": [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]},
    )
    factors = await server.call("AdminGetUserAuthFactors", who)
    assert factors["ConfiguredUserAuthFactors"] == ["PASSWORD"] and factors["UserMFASettingList"] == [
        "SMS_MFA"
    ]
    assert await _code(server, "AdminDeleteSoftwareToken", who) == "SoftwareTokenMFANotFoundException"
    user = server.store.pool(pool_id).users["alice"]
    user.totp_secret, user.totp_enabled = "JBSWY3DPEHPK3PXP", True
    await server.call("AdminDeleteSoftwareToken", who)
    assert "SOFTWARE_TOKEN_MFA" not in (await server.call("AdminGetUserAuthFactors", who)).get(
        "UserMFASettingList", []
    )

    der = base64.b64decode(
        (await server.call("GetSigningCertificate", {"UserPoolId": pool_id}))["Certificate"]
    )
    certificate = x509.load_der_x509_certificate(der)
    jwks_pool = server.store.pool(pool_id)
    key = serialization.load_pem_private_key(jwks_pool.key_pem.encode(), password=None)
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    assert certificate.public_key().public_bytes(
        serialization.Encoding.DER, public
    ) == key.public_key().public_bytes(serialization.Encoding.DER, public)
    assert srp.pool_name(pool_id) in certificate.subject.rfc4514_string()
