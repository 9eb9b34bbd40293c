"""The managed login pages without a browser: the HTML escapes what it echoes, forms are bounded, and
the flows behind the pages refuse a wrong CSRF token, a second use and an expired page."""

from __future__ import annotations

import pytest

from aiocognito.testing.server.oauth.flows import FlowRefused, LoginFlows
from aiocognito.testing.server.oauth.forms import MAX_FIELDS, MAX_FORM_BYTES, FormRefused, parse_form
from aiocognito.testing.server.oauth.templates import (
    choice_form,
    code_form,
    document,
    message_card,
    new_password_form,
    password_form,
    totp_setup_form,
)

HOSTILE = "<script>alert('x')</script>\"&"


def _assert_escaped(text: str) -> None:
    assert "<script>" not in text and "'x'" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;&amp;" in text


@pytest.mark.parametrize(
    "html",
    [
        password_form("flow", "csrf", username=HOSTILE),
        password_form("flow", "csrf", error=HOSTILE),
        password_form("flow", "csrf", notice=HOSTILE),
        password_form(HOSTILE, "csrf"),
        password_form("flow", HOSTILE),
        code_form("flow", "csrf", "SMS_MFA", destination=HOSTILE),
        code_form("flow", "csrf", "EMAIL_OTP", error=HOSTILE),
        choice_form("flow", "csrf", [HOSTILE]),
        new_password_form("flow", "csrf", [HOSTILE]),
        totp_setup_form("flow", "csrf", HOSTILE, "otpauth://x"),
        totp_setup_form("flow", "csrf", "SECRET", HOSTILE),
        message_card("Error", HOSTILE),
        document(HOSTILE, "<p>body</p>"),
        document("Sign in", "<p>body</p>", app_name=HOSTILE),
    ],
)
def test_every_echoed_value_is_escaped(html: str) -> None:
    _assert_escaped(html)


def test_the_page_is_self_contained() -> None:
    page = document("Sign in", password_form("flow", "csrf"), app_name="Acme")
    assert "<style>" in page and "http" not in page.replace("http-equiv", "")
    assert "<script" not in page and "src=" not in page and "<link" not in page
    assert "name='flow' value='flow'" in page and "name='_csrf' value='csrf'" in page
    assert "type='password'" in page and "id='appName'>Acme<" in page
    # The password is never echoed: its input has no value.
    assert "id='password' name='password' type='password' value=''" in page


def test_a_form_is_parsed_with_bounds() -> None:
    assert parse_form(b"flow=a&_csrf=b&username=al%C3%AFce&password=") == {
        "flow": "a",
        "_csrf": "b",
        "username": "alïce",
        "password": "",
    }
    with pytest.raises(FormRefused) as large:
        parse_form(b"a=" + b"x" * MAX_FORM_BYTES)
    assert large.value.status == 413
    with pytest.raises(FormRefused) as long_value:
        parse_form(b"a=" + b"x" * 3000)
    assert long_value.value.status == 413
    with pytest.raises(FormRefused) as many:
        parse_form("&".join(f"f{i}=1" for i in range(MAX_FIELDS + 1)).encode())
    assert many.value.status == 400
    with pytest.raises(FormRefused, match="repeats"):
        parse_form(b"password=a&password=b")
    with pytest.raises(FormRefused, match="well formed"):
        parse_form(b"username=%FF%FE")


def test_a_flow_needs_its_csrf_token_in_the_form_and_the_cookie() -> None:
    flows = LoginFlows()
    token, flow = flows.start("pool", {"client_id": "c"}, now=100.0)
    for form, cookie in (("wrong", flow.csrf), (flow.csrf, ""), ("", flow.csrf), (flow.csrf, "wrong")):
        with pytest.raises(FlowRefused) as refused:
            flows.take(token, form, cookie, now=101.0)
        assert refused.value.reason == "csrf"
    # A refused form does not spend the flow: the real page still works.
    assert flows.take(token, flow.csrf, flow.csrf, now=101.0) is flow
    assert flow.csrf not in repr(flow)


def test_a_flow_token_is_used_once_and_expires() -> None:
    flows = LoginFlows(validity=60)
    token, flow = flows.start("pool", {}, now=0.0)
    assert flows.take(token, flow.csrf, flow.csrf, now=1.0) is flow
    with pytest.raises(FlowRefused) as reused:
        flows.take(token, flow.csrf, flow.csrf, now=2.0)
    assert reused.value.reason == "expired"
    # The next page has a new token for the same flow, which ends with the flow's validity.
    following = flows.put(flow, now=2.0)
    assert following != token
    with pytest.raises(FlowRefused) as expired:
        flows.take(following, flow.csrf, flow.csrf, now=60.0)
    assert expired.value.reason == "expired" and len(flows) == 0
    with pytest.raises(FlowRefused):
        flows.take("", "", "", now=0.0)


def test_flows_are_bounded() -> None:
    flows = LoginFlows(limit=3)
    first, flow = flows.start("pool", {}, now=0.0)
    for _ in range(5):
        flows.start("pool", {}, now=0.0)
    assert len(flows) == 3
    with pytest.raises(FlowRefused):
        flows.take(first, flow.csrf, flow.csrf, now=0.0)
    expired = LoginFlows(validity=10)
    expired.start("pool", {}, now=0.0)
    expired.prune(10.0)
    assert len(expired) == 0


def test_a_missing_browser_skips_here_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    import servers

    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium and chromedriver not found"):
        servers.chromium_and_driver()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium chromium-driver"):
        servers.chromium_and_driver()
    monkeypatch.setattr(servers.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert servers.chromium_and_driver() == ("/usr/bin/chromium", "/usr/bin/chromedriver")
