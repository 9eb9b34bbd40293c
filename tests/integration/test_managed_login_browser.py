"""The managed login pages in a real browser: Debian's chromium, headless, driven by selenium through
chromedriver, against a local user pool this module starts on 127.0.0.1.

Each page is saved as a PNG in ``test-artifacts/browser/`` (or ``$AIOCOGNITO_TEST_ARTIFACTS``).
Nothing leaves the machine: the driver and browser paths are given (selenium-manager never runs) and
chromium's own background traffic is switched off.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
import servers
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from aiocognito import OAuthClient
from aiocognito.oauth import AuthorizationRequest
from aiocognito.testing import LocalUserPool, ServerThread

pytestmark = pytest.mark.integration

PASSWORD = "Passw0rd!"
NEW_PASSWORD = "N3w-Passw0rd!"
ROOT = Path(__file__).resolve().parents[2]
# Bounds of every wait on the browser (seconds).
PAGE_TIMEOUT = 15.0


class Clock:
    """The server's clock: real time, or a moment the test holds still."""

    def __init__(self) -> None:
        self.frozen_at: float | None = None

    def __call__(self) -> float:
        return time.time() if self.frozen_at is None else self.frozen_at


@dataclass(frozen=True)
class Pool:
    server: ServerThread
    clock: Clock
    pool_id: str
    client_id: str
    client_secret: str
    callback: str

    @property
    def domain(self) -> str:
        return self.server.server.oauth.domain_url(self.pool_id)

    def call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.server.run(self.server.server.call(operation, body))

    def user(self, username: str, *, attributes: dict[str, str] | None = None) -> None:
        self.server.run(
            self.server.server.create_user(self.pool_id, username, PASSWORD, attributes=attributes)
        )

    def access_token(self, username: str) -> str:
        reply = self.call(
            "AdminInitiateAuth",
            {
                "UserPoolId": self.pool_id,
                "ClientId": self.client_id,
                "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                "AuthParameters": {
                    "USERNAME": username,
                    "PASSWORD": PASSWORD,
                    "SECRET_HASH": servers.secret_hash(username, self.client_id, self.client_secret),
                },
            },
        )
        return str(reply["AuthenticationResult"]["AccessToken"])

    def mfa(self, username: str, **settings: dict[str, bool]) -> None:
        self.call("AdminSetUserMFAPreference", {"UserPoolId": self.pool_id, "Username": username, **settings})


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    clock = Clock()
    handle = LocalUserPool.start_in_thread(clock=clock)
    try:
        server = handle.server
        pool_id = handle.run(
            server.create_pool("browser-pool", mfa="OPTIONAL", totp=True, sms=True, email_mfa=True)
        )
        callback = f"{handle.endpoint_url}/app/callback"
        client = handle.run(
            server.create_client(
                pool_id,
                generate_secret=True,
                name="Acme Notes",
                AllowedOAuthFlowsUserPoolClient=True,
                AllowedOAuthFlows=["code"],
                AllowedOAuthScopes=["openid", "email", "profile"],
                CallbackURLs=[callback],
            )
        )
        assert client.client_secret
        yield Pool(handle, clock, pool_id, client.client_id, client.client_secret, callback)
    finally:
        handle.stop()


def _artifacts() -> Path:
    folder = Path(os.environ.get("AIOCOGNITO_TEST_ARTIFACTS") or ROOT / "test-artifacts" / "browser")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    chromium, chromedriver = servers.chromium_and_driver()
    profile = tempfile.TemporaryDirectory(prefix="aiocognito-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=900,800",
        f"--user-data-dir={profile.name}",
    ):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=chromedriver)
    with pytest.MonkeyPatch.context() as env:
        # Paths given: selenium-manager has nothing to find, and must not try (no network here).
        env.setenv("SE_OFFLINE", "true")
        env.setenv("SE_AVOID_STATS", "true")
        driver = webdriver.Chrome(options=options, service=service)
        driver.set_page_load_timeout(PAGE_TIMEOUT)
        try:
            yield driver
        finally:
            driver.quit()
            profile.cleanup()


@pytest.fixture
def fresh(browser: WebDriver) -> WebDriver:
    """The browser with no cookie of the pool: every test signs in from the password page."""
    # delete_all_cookies() sees only the cookies of the page shown; these live under /oauth/<domain>.
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    return browser


def _shot(browser: WebDriver, name: str) -> None:
    path = _artifacts() / f"{name}.png"
    assert browser.save_screenshot(str(path)), path
    assert path.stat().st_size > 1000


def _open_login(browser: WebDriver, pool: Pool) -> tuple[OAuthClient, AuthorizationRequest]:
    client = OAuthClient(
        pool.domain, pool.client_id, client_secret=pool.client_secret, redirect_uri=pool.callback
    )
    request = client.authorize_url(scopes=["openid", "email"])
    browser.get(request.url)
    _wait_for(browser, By.ID, "password")
    assert browser.find_element(By.ID, "appName").text == "Acme Notes"
    return client, request


def _wait_for(browser: WebDriver, by: str, what: str) -> Any:
    return WebDriverWait(browser, PAGE_TIMEOUT).until(lambda b: b.find_element(by, what))


def _type(browser: WebDriver, element_id: str, text: str) -> None:
    field = browser.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def _submit(browser: WebDriver, button_id: str) -> None:
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.ID, button_id).click()
    WebDriverWait(browser, PAGE_TIMEOUT).until(lambda b: _stale(page))


def _stale(element: Any) -> bool:
    try:
        element.is_enabled()
    except Exception:  # selenium's StaleElementReferenceException: the next page has loaded
        return True
    return False


def _sign_in(browser: WebDriver, username: str, password: str) -> None:
    _type(browser, "username", username)
    _type(browser, "password", password)
    _submit(browser, "signIn")


def _finish(pool: Pool, browser: WebDriver, client: OAuthClient, request: AuthorizationRequest) -> str:
    """The browser is at the app's callback: the code it carries gives tokens; the username."""
    assert browser.current_url.startswith(pool.callback + "?"), browser.current_url
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(browser.current_url).query))
    assert params["state"] == request.state

    async def exchange() -> Any:
        async with client:
            return await client.finish_authorization(params, expected=request)

    tokens = asyncio.run(exchange())
    claims = jwt.decode(tokens.id_token, options={"verify_signature": False})
    assert claims["nonce"] == request.nonce and claims["aud"] == pool.client_id
    return str(tokens.username)


def _code(pool: Pool, username: str) -> str:
    return pool.server.outbox.last_code(username, kind="MFA")


def test_password_sign_in_reaches_the_callback_with_a_code(pool: Pool, fresh: WebDriver) -> None:
    pool.user("alice", attributes={"email": "alice@example.com"})
    client, request = _open_login(fresh, pool)
    _shot(fresh, "01-password")
    _sign_in(fresh, "alice", PASSWORD)
    assert _finish(pool, fresh, client, request) == "alice"
    # The session cookie signs in again without the form.
    again = client.authorize_url()
    fresh.get(again.url)
    assert fresh.current_url.startswith(pool.callback + "?code=")


def test_a_wrong_password_keeps_the_username(pool: Pool, fresh: WebDriver) -> None:
    pool.user("wendy")
    client, request = _open_login(fresh, pool)
    _sign_in(fresh, "wendy", "not-the-password")
    assert fresh.find_element(By.ID, "errorMessage").text == "Incorrect username or password."
    assert fresh.find_element(By.ID, "username").get_attribute("value") == "wendy"
    _shot(fresh, "02-wrong-password")
    _type(fresh, "password", PASSWORD)
    _submit(fresh, "signIn")
    assert _finish(pool, fresh, client, request) == "wendy"


def test_totp_mfa(pool: Pool, fresh: WebDriver) -> None:
    pool.user("tina")
    access = pool.access_token("tina")
    secret = pool.call("AssociateSoftwareToken", {"AccessToken": access})["SecretCode"]
    pool.call("VerifySoftwareToken", {"AccessToken": access, "UserCode": servers.totp_now(secret)})
    pool.mfa("tina", SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    client, request = _open_login(fresh, pool)
    _sign_in(fresh, "tina", PASSWORD)
    assert "authenticator app" in fresh.find_element(By.ID, "prompt").text
    _type(fresh, "code", "000000" if servers.totp_now(secret) != "000000" else "111111")
    _submit(fresh, "verify")
    assert "Invalid code" in fresh.find_element(By.ID, "errorMessage").text
    _shot(fresh, "03-totp-code")
    _type(fresh, "code", servers.totp_now(secret))
    _submit(fresh, "verify")
    assert _finish(pool, fresh, client, request) == "tina"


def test_email_mfa(pool: Pool, fresh: WebDriver) -> None:
    pool.user("emma", attributes={"email": "emma@example.com"})
    pool.mfa("emma", EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
    client, request = _open_login(fresh, pool)
    _sign_in(fresh, "emma", PASSWORD)
    assert "by e-mail to" in fresh.find_element(By.ID, "prompt").text
    _shot(fresh, "04-email-code")
    # Three wrong codes end the pool's sign-in: back to the sign-in page, the username kept.
    wrong = "000000" if _code(pool, "emma") != "000000" else "111111"
    for _ in range(3):
        _type(fresh, "code", wrong)
        _submit(fresh, "verify")
    assert "Sign in again" in fresh.find_element(By.ID, "errorMessage").text
    assert fresh.find_element(By.ID, "username").get_attribute("value") == "emma"
    _type(fresh, "password", PASSWORD)
    _submit(fresh, "signIn")
    _type(fresh, "code", _code(pool, "emma"))
    _submit(fresh, "verify")
    assert _finish(pool, fresh, client, request) == "emma"


def test_mfa_choice_then_sms(pool: Pool, fresh: WebDriver) -> None:
    pool.user("max", attributes={"email": "max@example.com", "phone_number": "+15555550123"})
    pool.mfa("max", SMSMfaSettings={"Enabled": True}, EmailMfaSettings={"Enabled": True})
    client, request = _open_login(fresh, pool)
    _sign_in(fresh, "max", PASSWORD)
    assert fresh.find_element(By.ID, "mfa-EMAIL_OTP").text == "E-mail"
    _shot(fresh, "05-mfa-choice")
    _submit(fresh, "mfa-SMS_MFA")
    assert "by text message to" in fresh.find_element(By.ID, "prompt").text
    _shot(fresh, "06-sms-code")
    message = pool.server.outbox.last("max", kind="MFA")
    assert message.medium == "SMS"
    _type(fresh, "code", message.code)
    _submit(fresh, "verify")
    assert _finish(pool, fresh, client, request) == "max"


def test_new_password_required(pool: Pool, fresh: WebDriver) -> None:
    pool.call(
        "AdminCreateUser",
        {
            "UserPoolId": pool.pool_id,
            "Username": "nina",
            "TemporaryPassword": PASSWORD,
            "MessageAction": "SUPPRESS",
        },
    )
    client, request = _open_login(fresh, pool)
    _sign_in(fresh, "nina", PASSWORD)
    _wait_for(fresh, By.ID, "new_password")
    _type(fresh, "new_password", "short")
    _type(fresh, "confirm_password", "short")
    _submit(fresh, "changePassword")
    assert "Password did not conform with policy" in fresh.find_element(By.ID, "errorMessage").text
    _shot(fresh, "07-new-password")
    _type(fresh, "new_password", NEW_PASSWORD)
    _type(fresh, "confirm_password", NEW_PASSWORD)
    _submit(fresh, "changePassword")
    assert _finish(pool, fresh, client, request) == "nina"
    user = pool.call("AdminGetUser", {"UserPoolId": pool.pool_id, "Username": "nina"})
    assert user["UserStatus"] == "CONFIRMED"


def test_lock_out_is_shown(pool: Pool, fresh: WebDriver) -> None:
    pool.user("lou")
    _open_login(fresh, pool)
    # The clock holds still, so the lock-out (1 s after the fifth wrong password, then doubling) lasts.
    pool.clock.frozen_at = time.time()
    try:
        messages = []
        for _ in range(6):
            _sign_in(fresh, "lou", "wrong-password")
            messages.append(fresh.find_element(By.ID, "errorMessage").text)
        assert messages[:5] == ["Incorrect username or password."] * 5
        assert messages[5].startswith("Password attempts exceeded") and "locked" in messages[5]
        # Locked, the right password is refused too, with the same message.
        _sign_in(fresh, "lou", PASSWORD)
        assert fresh.find_element(By.ID, "errorMessage").text == messages[5]
        assert fresh.find_element(By.ID, "username").get_attribute("value") == "lou"
        _shot(fresh, "08-locked-out")
    finally:
        pool.clock.frozen_at = None


def test_authenticator_app_set_up_when_mfa_is_required(pool: Pool, fresh: WebDriver) -> None:
    server = pool.server.server
    strict_id = pool.server.run(server.create_pool("strict-pool", mfa="ON", totp=True))
    strict = pool.server.run(
        server.create_client(
            strict_id,
            name="Strict App",
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["openid"],
            CallbackURLs=[pool.callback],
        )
    )
    pool.server.run(server.create_user(strict_id, "sam", PASSWORD))
    client = OAuthClient(server.oauth.domain_url(strict_id), strict.client_id, redirect_uri=pool.callback)
    request = client.authorize_url()
    fresh.get(request.url)
    _sign_in(fresh, "sam", PASSWORD)
    secret = fresh.find_element(By.ID, "secretCode").text
    assert len(secret) >= 16
    _shot(fresh, "09-authenticator-set-up")
    _type(fresh, "code", servers.totp_now(secret))
    _submit(fresh, "verify")
    assert fresh.current_url.startswith(pool.callback + "?code=")
    user = pool.call("AdminGetUser", {"UserPoolId": strict_id, "Username": "sam"})
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
