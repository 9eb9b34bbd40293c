"""Remember-on-prompt devices: the DONE step says Cognito waits for the user's word
(userConfirmationNecessary), and ``user.remember_device()`` gives it, so the next sign-in skips MFA."""

from __future__ import annotations

import pytest

from aiocognito import UserPool
from aiocognito.events import AuthEvent, AuthEventKind
from aiocognito.testing import LocalUserPool

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"


@pytest.mark.parametrize("on_prompt", [True, False], ids=["on-prompt", "always"])
async def test_done_step_asks_and_remember_device_completes(on_prompt: bool) -> None:
    async with LocalUserPool() as local:
        pool_id = await local.create_pool(
            mfa="ON",
            email_mfa=True,
            device_configuration={
                "ChallengeRequiredOnNewDevice": True,
                "DeviceOnlyRememberedOnUserPrompt": on_prompt,
            },
        )
        client = await local.create_client(pool_id)
        await local.create_user(pool_id, "dev", PASSWORD, attributes={"email": "dev@example.com"})
        seen: list[AuthEvent] = []
        async with UserPool(pool_id, client.client_id, endpoint_url=local.endpoint_url) as pool:
            pool.events.subscribe(seen.append, kinds=[AuthEventKind.DEVICE_REMEMBERED])
            step = await pool.sign_in("dev", PASSWORD)
            done = await step.respond(local.outbox.last_code("dev", "MFA"))
            assert done.name == "DONE" and done.device_remembered and done.user is not None
            assert done.user_confirmation_necessary is on_prompt
            assert [e.user_confirmation_necessary for e in seen] == [on_prompt]
            if not on_prompt:
                return
            # Not remembered yet: device SRP signs in, but MFA is still asked.
            again = await pool.sign_in("dev", PASSWORD)
            assert again.name == "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"
            await done.user.remember_device()
            assert done.user.device is not None
            assert seen[-1].device_key == done.user.device.device_key
            third = await pool.sign_in("dev", PASSWORD)
            assert third.name == "DONE"  # remembered: no MFA
