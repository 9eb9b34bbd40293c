"""Passkeys against the local user pool over HTTP, through aiocognito's own calls: registration
(StartWebAuthnRegistration / CompleteWebAuthnRegistration), listing, deletion, and the WEB_AUTHN first
factor of USER_AUTH (preferred, or chosen at SELECT_CHALLENGE).

A software authenticator (tests/soft_webauthn.py) plays the browser; the server verifies every
attestation and assertion with the ``webauthn`` library. Forged, replayed, foreign-origin and
unregistered credentials are refused with Cognito's codes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from soft_webauthn import SoftAuthenticator, b64url, unb64url

import aiocognito
from aiocognito import User, UserPool
from aiocognito.testing import AppClient, LocalUserPool

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"
FACTORS = ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"]


@dataclass
class Local:
    server: LocalUserPool
    pool_id: str
    client: AppClient

    def pool(self) -> UserPool:
        return UserPool(self.pool_id, self.client.client_id, endpoint_url=self.server.endpoint_url)

    async def user(self, pool: UserPool) -> User:
        step = await pool.sign_in("alice", PASSWORD)
        assert step.name == "DONE" and step.user is not None
        return step.user


async def _local(first_factors: list[str], **mfa_config: Any) -> AsyncIterator[Local]:
    async with LocalUserPool() as server:
        pool_id = await server.create_pool(first_factors=first_factors)
        if mfa_config:
            await server.call("SetUserPoolMfaConfig", {"UserPoolId": pool_id, **mfa_config})
        client = await server.create_client(pool_id)
        await server.create_user(pool_id, "alice", PASSWORD, attributes={"email": "alice@example.com"})
        yield Local(server, pool_id, client)


@pytest.fixture
async def local() -> AsyncIterator[Local]:
    async for value in _local(FACTORS):
        yield value


async def _register(user: User, authenticator: SoftAuthenticator) -> dict[str, Any]:
    options = await user.start_passkey_registration()
    credential = authenticator.create(options)
    await user.complete_passkey_registration(credential)
    return credential


async def test_register_list_sign_in_and_delete(local: Local) -> None:
    authenticator = SoftAuthenticator()
    async with local.pool() as pool:
        user = await local.user(pool)
        options = await user.start_passkey_registration()
        assert options["rp"]["id"] == "localhost"
        assert options["authenticatorSelection"]["residentKey"] == "required"
        await user.complete_passkey_registration(json.dumps(authenticator.create(options)))
        listed = [c async for c in user.list_passkeys()]
        assert len(listed) == 1
        (key_id,) = authenticator.keys
        assert listed[0]["CredentialId"] == key_id
        assert listed[0]["RelyingPartyId"] == "localhost"
        assert listed[0]["AuthenticatorAttachment"] == "platform"
        assert listed[0]["AuthenticatorTransports"] == ["internal"]
        # the second registration excludes the first passkey
        again = await user.start_passkey_registration()
        assert [c["id"] for c in again["excludeCredentials"]] == [key_id]

        step = await pool.sign_in("alice", flow="USER_AUTH", preferred_challenge="WEB_AUTHN")
        assert step.name == "CONFIRM_SIGN_IN_WITH_WEB_AUTHN"
        assert step.credential_request_options is not None
        request = json.loads(step.credential_request_options)
        assert [c["id"] for c in request["allowCredentials"]] == [key_id]
        done = await step.respond(json.dumps(authenticator.get(request)))
        assert done.name == "DONE" and done.user is not None
        assert (await done.user.get_attributes())["email"] == "alice@example.com"

        chosen = await pool.sign_in("alice", flow="USER_AUTH")
        assert chosen.name == "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION"
        assert "WEB_AUTHN" in chosen.available_challenges
        asked = await chosen.respond("WEB_AUTHN")
        assert asked.name == "CONFIRM_SIGN_IN_WITH_WEB_AUTHN"
        assert asked.credential_request_options is not None
        signed = await asked.respond(json.dumps(authenticator.get(asked.credential_request_options)))
        assert signed.name == "DONE"
        assert authenticator.keys[key_id].sign_count == 2

        await user.delete_passkey(key_id)
        assert [c async for c in user.list_passkeys()] == []
        with pytest.raises(aiocognito.ResourceNotFoundError):
            await user.delete_passkey(key_id)
        without = await pool.sign_in("alice", flow="USER_AUTH")
        assert "WEB_AUTHN" not in without.available_challenges


async def test_listing_pages(local: Local) -> None:
    authenticator = SoftAuthenticator()
    async with local.pool() as pool:
        user = await local.user(pool)
        for _ in range(20):
            await _register(user, authenticator)
        with pytest.raises(aiocognito.LimitExceededError):
            await user.start_passkey_registration()
        listed = [c["CredentialId"] async for c in user.list_passkeys()]
        assert sorted(listed) == sorted(authenticator.keys)
        token = user.current_tokens.access_token
        paged: list[str] = []
        body: dict[str, Any] = {"AccessToken": token, "MaxResults": 7}
        for _ in range(5):
            reply = await local.server.call("ListWebAuthnCredentials", body)
            paged += [c["CredentialId"] for c in reply["Credentials"]]
            if "NextToken" not in reply:
                break
            body["NextToken"] = reply["NextToken"]
        assert paged == listed


async def test_registration_refusals(local: Local) -> None:
    authenticator = SoftAuthenticator()
    async with local.pool() as pool:
        user = await local.user(pool)
        options = await user.start_passkey_registration()
        foreign = authenticator.create(options, origin="https://evil.example")
        with pytest.raises(aiocognito.WebAuthnOriginNotAllowedError):
            await user.complete_passkey_registration(foreign)
        # the challenge answered once, even wrongly
        with pytest.raises(aiocognito.WebAuthnChallengeNotFoundError):
            await user.complete_passkey_registration(authenticator.create(options))
        stale = await user.start_passkey_registration()
        await user.start_passkey_registration()  # a new challenge replaces the one before
        with pytest.raises(aiocognito.WebAuthnCredentialNotSupportedError, match="challenge"):
            await user.complete_passkey_registration(authenticator.create(stale))
        options = await user.start_passkey_registration()
        other_rp = authenticator.create({**options, "rp": {"id": "example.com", "name": "x"}})
        with pytest.raises(aiocognito.WebAuthnCredentialNotSupportedError):
            await user.complete_passkey_registration(other_rp)
        assert [c async for c in user.list_passkeys()] == []


async def test_sign_in_refusals(local: Local) -> None:
    authenticator = SoftAuthenticator()
    async with local.pool() as pool:
        user = await local.user(pool)
        await _register(user, authenticator)

        step = await pool.sign_in("alice", flow="USER_AUTH", preferred_challenge="WEB_AUTHN")
        assert step.credential_request_options is not None
        forged = authenticator.get(step.credential_request_options)
        signature = bytearray(unb64url(forged["response"]["signature"]))
        signature[-1] ^= 1
        forged["response"]["signature"] = b64url(bytes(signature))
        with pytest.raises(aiocognito.NotAuthorizedError):
            await step.respond(json.dumps(forged))

        step = await pool.sign_in("alice", flow="USER_AUTH", preferred_challenge="WEB_AUTHN")
        assert step.credential_request_options is not None
        good = authenticator.get(step.credential_request_options)
        replay = copy.deepcopy(good)
        assert (await step.respond(json.dumps(good))).name == "DONE"
        again = await pool.sign_in("alice", flow="USER_AUTH", preferred_challenge="WEB_AUTHN")
        with pytest.raises(aiocognito.NotAuthorizedError):
            await again.respond(json.dumps(replay))  # signed for another challenge

        stranger = SoftAuthenticator()
        await _register(await local.user(pool), stranger)
        step = await pool.sign_in("alice", flow="USER_AUTH", preferred_challenge="WEB_AUTHN")
        assert step.credential_request_options is not None
        assertion = stranger.get(step.credential_request_options, origin="https://localhost.evil")
        with pytest.raises(aiocognito.WebAuthnOriginNotAllowedError):
            await step.respond(json.dumps(assertion))


async def test_not_enabled_and_relying_party_from_config() -> None:
    async for local in _local(["PASSWORD"]):
        async with local.pool() as pool:
            user = await local.user(pool)
            with pytest.raises(aiocognito.WebAuthnNotEnabledError):
                await user.start_passkey_registration()
    config = {"WebAuthnConfiguration": {"RelyingPartyId": "app.test", "UserVerification": "required"}}
    async for local in _local(FACTORS, **config):
        shown = await local.server.call("GetUserPoolMfaConfig", {"UserPoolId": local.pool_id})
        assert shown["WebAuthnConfiguration"]["RelyingPartyId"] == "app.test"
        async with local.pool() as pool:
            user = await local.user(pool)
            options = await user.start_passkey_registration()
            assert options["rp"]["id"] == "app.test"
            assert options["authenticatorSelection"]["userVerification"] == "required"
            with pytest.raises(aiocognito.WebAuthnOriginNotAllowedError):
                await user.complete_passkey_registration(SoftAuthenticator().create(options))
            lazy = SoftAuthenticator(origin="https://login.app.test", user_verified=False)
            with pytest.raises(aiocognito.WebAuthnChallengeNotFoundError):
                await user.complete_passkey_registration(lazy.create(options))
            with pytest.raises(aiocognito.WebAuthnCredentialNotSupportedError, match="verif"):
                await user.complete_passkey_registration(lazy.create(await user.start_passkey_registration()))
            authenticator = SoftAuthenticator(origin="https://login.app.test")
            await _register(user, authenticator)
            step = await pool.sign_in("alice", flow="USER_AUTH", preferred_challenge="WEB_AUTHN")
            assert step.credential_request_options is not None
            done = await step.respond(json.dumps(authenticator.get(step.credential_request_options)))
            assert done.name == "DONE"


def _hostile(good: dict[str, Any]) -> list[Any]:
    """Credentials a hostile client may send: wrong types and broken encodings in every field."""

    def with_response(**fields: Any) -> dict[str, Any]:
        return {**good, "response": {**good["response"], **fields}}

    bad_client_data = [b64url(b"[1]"), b64url(b'{"origin": 5}'), "%%%", "\u00e9", ""]
    return [
        {},
        {"id": good["id"]},
        {**good, "response": "x"},
        {**good, "response": None},
        {**good, "rawId": 5},
        {**good, "type": "password"},
        *(with_response(clientDataJSON=value) for value in bad_client_data),
        with_response(attestationObject="AAAA"),
        with_response(attestationObject=5),
        with_response(authenticatorData="AAAA"),
        with_response(signature="AAAA"),
        with_response(signature=[1]),
    ]


async def test_hostile_credentials_are_refused_with_a_cognito_error(local: Local) -> None:
    authenticator = SoftAuthenticator()
    async with local.pool() as pool:
        user = await local.user(pool)
        await _register(user, authenticator)
        for hostile in _hostile(authenticator.create(await user.start_passkey_registration())):
            await user.start_passkey_registration()
            with pytest.raises(aiocognito.ServiceError) as refused:
                await user.complete_passkey_registration(hostile)
            assert refused.value.status == 400, (hostile, refused.value)
        step = await pool.sign_in("alice", flow="USER_AUTH", preferred_challenge="WEB_AUTHN")
        assert step.credential_request_options is not None
        good = authenticator.get(step.credential_request_options)
        for hostile in [*_hostile(good), "not json", "[]", '"text"']:
            step = await pool.sign_in("alice", flow="USER_AUTH", preferred_challenge="WEB_AUTHN")
            answer = hostile if isinstance(hostile, str) else json.dumps(hostile)
            with pytest.raises(aiocognito.ServiceError) as refused:
                await step.respond(answer)
            assert refused.value.status == 400, (hostile, refused.value)
        assert len([c async for c in user.list_passkeys()]) == 1
