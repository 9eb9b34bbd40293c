"""Lambda triggers of the local user pool as Python callables (issue 16, point 1), driven through
aiocognito's own client: each trigger is called with Cognito's event shape, and what it answers takes
effect (claims and groups in the tokens, a migrated user, a message's words, a refused sign-in).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest

import aiocognito
from aiocognito.testing import LocalUserPool, Triggers

PASSWORD = "Passw0rd!"


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.fixture
async def server() -> AsyncIterator[LocalUserPool]:
    async with LocalUserPool(shared_signing_key=True) as local:
        yield local


async def _pool(server: LocalUserPool, triggers: Triggers, **extra: Any) -> tuple[str, str]:
    pool_id = await server.create_pool(triggers=triggers, **extra)
    client = await server.create_client(pool_id)
    return pool_id, client.client_id


def _client(server: LocalUserPool, pool_id: str, client_id: str) -> aiocognito.UserPool:
    return aiocognito.UserPool(pool_id, client_id, endpoint_url=server.endpoint_url)


def _common(event: dict[str, Any], pool_id: str, source: str) -> None:
    assert event["version"] == "1" and event["region"] == "us-east-1" and event["userPoolId"] == pool_id
    assert event["triggerSource"] == source
    assert set(event) == {
        "version",
        "region",
        "userPoolId",
        "userName",
        "callerContext",
        "triggerSource",
        "request",
        "response",
    }


async def test_post_confirmation_after_confirm_sign_up_and_confirm_forgot_password(
    server: LocalUserPool,
) -> None:
    events: list[dict[str, Any]] = []
    pool_id, client_id = await _pool(server, Triggers(post_confirmation=events.append))
    async with _client(server, pool_id, client_id) as pool:
        await pool.sign_up(
            "bob", PASSWORD, attributes={"email": "bob@example.com"}, client_metadata={"a": "1"}
        )
        assert events == []
        await pool.confirm_sign_up("bob", server.outbox.last_code("bob", "SIGN_UP"))
        await pool.forgot_password("bob")
        await pool.confirm_forgot_password(
            "bob", server.outbox.last_code("bob", "FORGOT_PASSWORD"), "N3w-Passw0rd"
        )
    first, second = events
    _common(first, pool_id, "PostConfirmation_ConfirmSignUp")
    _common(second, pool_id, "PostConfirmation_ConfirmForgotPassword")
    assert first["userName"] == "bob" and first["callerContext"]["clientId"] == client_id
    attributes = first["request"]["userAttributes"]
    assert attributes["email"] == "bob@example.com" and attributes["email_verified"] == "true"
    assert attributes["cognito:user_status"] == "CONFIRMED" and attributes["sub"]
    assert first["response"] == {}


async def test_a_failing_post_confirmation_is_the_callers_error(server: LocalUserPool) -> None:
    def refuse(event: dict[str, Any]) -> None:
        raise RuntimeError("no welcome mail")

    pool_id, client_id = await _pool(server, Triggers(post_confirmation=refuse))
    async with _client(server, pool_id, client_id) as pool:
        await pool.sign_up("bob", PASSWORD, attributes={"email": "bob@example.com"})
        with pytest.raises(
            aiocognito.UserLambdaValidationError, match="PostConfirmation failed with error no welcome mail"
        ):
            await pool.confirm_sign_up("bob", server.outbox.last_code("bob", "SIGN_UP"))


async def test_pre_authentication_sees_the_user_and_can_refuse_them(server: LocalUserPool) -> None:
    events: list[dict[str, Any]] = []

    def only_alice(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        if event["userName"] != "alice":
            raise ValueError("only alice today")
        return event

    pool_id, client_id = await _pool(server, Triggers(pre_authentication=only_alice))
    await server.create_user(pool_id, "alice", PASSWORD, attributes={"email": "alice@example.com"})
    await server.create_user(pool_id, "carol", PASSWORD)
    async with _client(server, pool_id, client_id) as pool:
        step = await pool.sign_in("alice", PASSWORD, client_metadata={"app": "web"})
        assert step.user is not None
        for flow in ("USER_SRP_AUTH", "USER_PASSWORD_AUTH"):
            with pytest.raises(
                aiocognito.UserLambdaValidationError,
                match="PreAuthentication failed with error only alice today",
            ):
                await pool.sign_in("carol", PASSWORD, flow=flow)
    _common(events[0], pool_id, "PreAuthentication_Authentication")
    request = events[0]["request"]
    assert request["clientMetadata"] == {"app": "web"} and request["userNotFound"] is False
    assert request["userAttributes"]["email"] == "alice@example.com"
    assert request["validationData"] == {}


async def test_post_authentication_runs_before_the_tokens_and_can_withhold_them(
    server: LocalUserPool,
) -> None:
    events: list[dict[str, Any]] = []

    async def audit(event: dict[str, Any]) -> None:  # an async trigger, changing the event in place
        events.append(event)
        if event["userName"] == "carol":
            raise PermissionError("audit log is down")

    pool_id, client_id = await _pool(
        server,
        Triggers(post_authentication=audit),
        device_configuration={
            "ChallengeRequiredOnNewDevice": False,
            "DeviceOnlyRememberedOnUserPrompt": False,
        },
    )
    await server.create_user(pool_id, "alice", PASSWORD)
    await server.create_user(pool_id, "carol", PASSWORD)
    async with _client(server, pool_id, client_id) as pool:
        assert (await pool.sign_in("alice", PASSWORD)).user is not None
        with pytest.raises(aiocognito.UserLambdaValidationError, match="PostAuthentication failed"):
            await pool.sign_in("carol", PASSWORD)
    _common(events[0], pool_id, "PostAuthentication_Authentication")
    assert events[0]["request"]["newDeviceUsed"] is True
    assert events[0]["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    # carol got no refresh token: the pool holds only alice's.
    assert {r.username for r in server.store.pool(pool_id).refresh_tokens.values()} == {"alice"}


async def test_pre_token_generation_v1_overrides_id_claims_and_groups_also_on_refresh(
    server: LocalUserPool,
) -> None:
    events: list[dict[str, Any]] = []

    def shape(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        event["response"]["claimsOverrideDetails"] = {
            "claimsToAddOrOverride": {"tenant": "acme", "email": "hidden@example.com", "sub": "forged"},
            "claimsToSuppress": ["family_name"],
            "groupOverrideDetails": {
                "groupsToOverride": ["readers"],
                "iamRolesToOverride": ["arn:aws:iam::1:role/r"],
            },
        }
        return event

    pool_id, client_id = await _pool(server, Triggers(pre_token_generation=shape))
    await server.create_user(
        pool_id, "alice", PASSWORD, attributes={"email": "alice@example.com", "family_name": "A"}
    )
    await server.call(
        "CreateGroup", {"UserPoolId": pool_id, "GroupName": "admins", "RoleArn": "arn:aws:iam::1:role/admin"}
    )
    await server.call(
        "AdminAddUserToGroup", {"UserPoolId": pool_id, "Username": "alice", "GroupName": "admins"}
    )
    async with _client(server, pool_id, client_id) as pool:
        step = await pool.sign_in("alice", PASSWORD, client_metadata={"k": "v"})
        assert step.user is not None
        tokens = step.user.current_tokens
        refreshed = await step.user.refresh()
    ident, access = claims(tokens.id_token), claims(tokens.access_token)
    sub = server.store.pool(pool_id).users["alice"].sub
    assert ident["tenant"] == "acme" and ident["email"] == "hidden@example.com"
    assert "family_name" not in ident and ident["sub"] == sub  # sub cannot be overridden
    assert ident["cognito:groups"] == ["readers"] and access["cognito:groups"] == ["readers"]
    assert ident["cognito:roles"] == ["arn:aws:iam::1:role/r"]
    assert "tenant" not in access  # version 1 changes the ID token's claims only
    assert claims(refreshed.id_token)["tenant"] == "acme"
    first, second = events
    _common(first, pool_id, "TokenGeneration_Authentication")
    assert second["triggerSource"] == "TokenGeneration_RefreshTokens"
    assert first["request"]["groupConfiguration"] == {
        "groupsToOverride": ["admins"],
        "iamRolesToOverride": ["arn:aws:iam::1:role/admin"],
        "preferredRole": None,
    }
    assert first["request"]["clientMetadata"] == {"k": "v"} and "scopes" not in first["request"]
    assert (
        first["response"] == {"claimsOverrideDetails": None} or "claimsOverrideDetails" in first["response"]
    )


async def test_pre_token_generation_v2_changes_access_token_claims_and_scopes(server: LocalUserPool) -> None:
    events: list[dict[str, Any]] = []

    async def shape(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        return {
            **event,
            "response": {
                "claimsAndScopeOverrideDetails": {
                    "idTokenGeneration": {"claimsToAddOrOverride": {"plan": "gold"}},
                    "accessTokenGeneration": {
                        "claimsToAddOrOverride": {"roles": ["editor", "viewer"], "tier": 3},
                        "claimsToSuppress": ["username"],  # reserved: stays
                        "scopesToAdd": ["api/read"],
                        "scopesToSuppress": ["aws.cognito.signin.user.admin"],
                    },
                    "groupOverrideDetails": {"groupsToOverride": []},
                }
            },
        }

    triggers = Triggers(pre_token_generation=shape, pre_token_generation_version="V2_0")
    pool_id, client_id = await _pool(server, triggers)
    await server.create_user(pool_id, "alice", PASSWORD)
    await server.call("CreateGroup", {"UserPoolId": pool_id, "GroupName": "admins"})
    await server.call(
        "AdminAddUserToGroup", {"UserPoolId": pool_id, "Username": "alice", "GroupName": "admins"}
    )
    async with _client(server, pool_id, client_id) as pool:
        step = await pool.sign_in("alice", PASSWORD)
        assert step.user is not None
        tokens = step.user.current_tokens
    access, ident = claims(tokens.access_token), claims(tokens.id_token)
    assert access["roles"] == ["editor", "viewer"] and access["tier"] == 3
    assert access["scope"] == "api/read" and access["username"] == "alice"
    assert "cognito:groups" not in access and "cognito:groups" not in ident
    assert ident["plan"] == "gold" and "plan" not in access
    assert events[0]["version"] == "2" and events[0]["request"]["scopes"] == ["aws.cognito.signin.user.admin"]


async def test_a_pre_token_generation_answer_of_the_wrong_shape_refuses_the_sign_in(
    server: LocalUserPool,
) -> None:
    def broken(event: dict[str, Any]) -> dict[str, Any]:
        event["response"]["claimsOverrideDetails"] = {"claimsToSuppress": "email"}
        return event

    pool_id, client_id = await _pool(server, Triggers(pre_token_generation=broken))
    await server.create_user(pool_id, "alice", PASSWORD)
    async with _client(server, pool_id, client_id) as pool:
        with pytest.raises(aiocognito.ServiceError) as caught:
            await pool.sign_in("alice", PASSWORD)
    assert caught.value.code == "InvalidLambdaResponseException"


async def test_user_migration_makes_a_user_who_exists_only_in_the_trigger(server: LocalUserPool) -> None:
    legacy = {"dave": ("0ld-Passw0rd!", "dave@example.com")}
    events: list[dict[str, Any]] = []

    def migrate(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        known = legacy.get(event["userName"])
        if event["triggerSource"] == "UserMigration_Authentication":
            if known is None or known[0] != event["request"]["password"]:
                raise ValueError("Bad password")
        elif known is None:
            return event
        event["response"]["userAttributes"] = {"email": known[1], "email_verified": "true"}
        event["response"]["finalUserStatus"] = "CONFIRMED"
        event["response"]["messageAction"] = "SUPPRESS"
        return event

    pool_id, client_id = await _pool(server, Triggers(user_migration=migrate))
    async with _client(server, pool_id, client_id) as pool:
        with pytest.raises(aiocognito.UserLambdaValidationError, match="Bad password"):
            await pool.sign_in("dave", "wrong-Passw0rd!", flow="USER_PASSWORD_AUTH")
        assert server.store.pool(pool_id).find_user("dave") is None
        step = await pool.sign_in(
            "dave", "0ld-Passw0rd!", flow="USER_PASSWORD_AUTH", client_metadata={"m": "1"}
        )
        assert step.user is not None
        assert claims(step.user.current_tokens.id_token)["email"] == "dave@example.com"
        # Now a user of the pool: SRP works with the migrated password, without the trigger.
        calls = len(events)
        assert (await pool.sign_in("dave", "0ld-Passw0rd!")).user is not None
        assert len(events) == calls
    _common(events[1], pool_id, "UserMigration_Authentication")
    assert events[1]["request"] == {
        "password": "0ld-Passw0rd!",
        "validationData": {},
        "clientMetadata": {"m": "1"},
    }
    assert set(events[1]["response"]) >= {"userAttributes", "finalUserStatus", "messageAction"}
    assert server.store.pool(pool_id).users["dave"].status == "CONFIRMED"


async def test_user_migration_on_forgot_password_makes_a_user_who_resets_the_password(
    server: LocalUserPool,
) -> None:
    def migrate(event: dict[str, Any]) -> dict[str, Any]:
        assert "password" not in event["request"]
        event["response"]["userAttributes"] = {"email": "erin@example.com", "email_verified": "true"}
        return event

    pool_id, client_id = await _pool(server, Triggers(user_migration=migrate))
    async with _client(server, pool_id, client_id) as pool:
        delivery = await pool.forgot_password("erin")
        assert delivery is not None
        assert server.store.pool(pool_id).users["erin"].status == "RESET_REQUIRED"
        code = server.outbox.last_code("erin", "FORGOT_PASSWORD")
        await pool.confirm_forgot_password("erin", code, "N3w-Passw0rd")
        assert (await pool.sign_in("erin", "N3w-Passw0rd")).user is not None


async def test_custom_message_writes_the_words_and_the_pools_templates_are_the_default(
    server: LocalUserPool,
) -> None:
    events: list[dict[str, Any]] = []

    def words(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        code = event["request"]["codeParameter"]
        if event["triggerSource"] == "CustomMessage_SignUp":
            event["response"]["emailSubject"] = "Welcome to Acme"
            event["response"]["emailMessage"] = f"Hi {event['userName']}, your code is {code}"
        elif event["triggerSource"] == "CustomMessage_AdminCreateUser":
            name = event["request"]["usernameParameter"]
            event["response"]["emailMessage"] = f"Sign in as {name} with {code}"
        else:
            event["response"]["emailMessage"] = "no code here"  # Cognito then keeps its own words
        return event

    template = {"VerificationMessageTemplate": {"EmailMessage": "Code: {####}", "EmailSubject": "Verify"}}
    pool_id, client_id = await _pool(server, Triggers(custom_message=words), **template)
    async with _client(server, pool_id, client_id) as pool:
        await pool.sign_up("bob", PASSWORD, attributes={"email": "bob@example.com"})
        sent = server.outbox.last("bob", "SIGN_UP")
        assert (sent.subject, sent.text) == ("Welcome to Acme", f"Hi bob, your code is {sent.code}")
        await pool.confirm_sign_up("bob", sent.code)
        await pool.forgot_password("bob")
        reset = server.outbox.last("bob", "FORGOT_PASSWORD")
        assert (reset.subject, reset.text) == ("Verify", f"Code: {reset.code}")
    await server.call(
        "AdminCreateUser",
        {
            "UserPoolId": pool_id,
            "Username": "carol",
            "UserAttributes": [{"Name": "email", "Value": "carol@example.com"}],
            "DesiredDeliveryMediums": ["EMAIL"],
        },
    )
    invite = server.outbox.last("carol", "INVITATION")
    assert invite.text == f"Sign in as carol with {invite.code}"
    sources = [event["triggerSource"] for event in events]
    assert sources == [
        "CustomMessage_SignUp",
        "CustomMessage_ForgotPassword",
        "CustomMessage_AdminCreateUser",
    ]
    assert events[0]["request"]["usernameParameter"] is None
    assert events[0]["request"]["userAttributes"]["email"] == "bob@example.com"


async def test_without_a_trigger_a_message_takes_the_template_updateuserpool_set(
    server: LocalUserPool,
) -> None:
    pool_id, client_id = await _pool(server, Triggers())
    update = {
        "UserPoolId": pool_id,
        "AutoVerifiedAttributes": ["email"],
        "EmailVerificationMessage": "Yours: {####}",
    }
    await server.call("UpdateUserPool", update)
    async with _client(server, pool_id, client_id) as pool:
        await pool.sign_up("bob", PASSWORD, attributes={"email": "bob@example.com"})
    sent = server.outbox.last("bob", "SIGN_UP")
    assert sent.text == f"Yours: {sent.code}" and sent.subject == "Your verification code"


def test_an_async_custom_message_or_an_unknown_version_is_refused() -> None:
    async def words(event: dict[str, Any]) -> dict[str, Any]:
        return event

    with pytest.raises(TypeError, match="custom_message"):
        Triggers(custom_message=words)
    with pytest.raises(ValueError, match="V1_0"):
        Triggers(pre_token_generation_version="V3_0")


async def test_pre_sign_up_for_admin_create_user(server: LocalUserPool) -> None:
    events: list[dict[str, Any]] = []
    pool_id, _ = await _pool(server, Triggers(pre_sign_up=events.append))
    body = {
        "UserPoolId": pool_id,
        "Username": "carol",
        "MessageAction": "SUPPRESS",
        "ClientMetadata": {"x": "y"},
    }
    await server.call("AdminCreateUser", body)
    _common(events[0], pool_id, "PreSignUp_AdminCreateUser")
    assert events[0]["request"]["clientMetadata"] == {"x": "y"}
