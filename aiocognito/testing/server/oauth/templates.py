"""The HTML of the managed login pages, close to Cognito's look: a centred card with the app's name,
labelled inputs and a primary button, styled inline (no external assets: nothing is fetched). Pure
functions from values to text; every value is escaped here, where it enters the HTML.
"""

from __future__ import annotations

import html

__all__ = [
    "STYLE",
    "choice_form",
    "code_form",
    "document",
    "message_card",
    "new_password_form",
    "password_form",
    "totp_setup_form",
]

#: The pages' style sheet, inlined in each page.
STYLE = """
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
background:#f2f3f3;color:#16191f;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
main{width:100%;max-width:400px;margin:24px;padding:32px 32px 28px;background:#fff;border-radius:12px;
box-shadow:0 1px 4px rgba(0,28,36,.15),0 4px 20px rgba(0,28,36,.08)}
.brand{margin:0 0 4px;font-size:22px;font-weight:700;text-align:center;letter-spacing:.2px}
h1{margin:0 0 20px;font-size:17px;font-weight:600;text-align:center;color:#414d5c}
p{margin:0 0 16px}
label{display:block;margin:0 0 4px;font-weight:600;font-size:14px}
input[type=text],input[type=password],input[type=email]{display:block;width:100%;margin:0 0 16px;
padding:9px 12px;border:1px solid #7d8998;border-radius:8px;font:inherit}
input:focus{outline:2px solid #0972d3;outline-offset:0;border-color:#0972d3}
button{display:block;width:100%;margin:8px 0 0;padding:10px 16px;border:0;border-radius:20px;
background:#0972d3;color:#fff;font:inherit;font-weight:700;cursor:pointer}
button:hover{background:#033160}
button.secondary{background:#fff;color:#0972d3;border:2px solid #0972d3}
.error{margin:0 0 16px;padding:10px 12px;border-left:4px solid #d91515;border-radius:4px;
background:#fff7f7;color:#700;font-size:14px}
.notice{margin:0 0 16px;padding:10px 12px;border-left:4px solid #0972d3;border-radius:4px;
background:#f2f8fd;font-size:14px}
code.secret{display:block;margin:0 0 16px;padding:8px;background:#f4f4f4;border-radius:6px;
word-break:break-all;font-size:14px}
"""

_CODE_PROMPTS = {
    "SOFTWARE_TOKEN_MFA": "Enter the code from your authenticator app.",
    "SMS_MFA": "We sent a code by text message to {destination}.",
    "EMAIL_OTP": "We sent a code by e-mail to {destination}.",
}
_METHOD_NAMES = {
    "SOFTWARE_TOKEN_MFA": "Authenticator app",
    "SMS_MFA": "Text message (SMS)",
    "EMAIL_OTP": "E-mail",
}


def _e(value: str) -> str:
    return html.escape(value, quote=True)


def document(title: str, body: str, *, app_name: str = "") -> str:
    """A whole page: ``body`` (HTML) in the card under the app's name (text)."""
    brand = f"<div class='brand' id='appName'>{_e(app_name)}</div>" if app_name else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{brand}{body}</main></body></html>"
    )


def _error(message: str) -> str:
    return f"<div class='error' id='errorMessage' role='alert'>{_e(message)}</div>" if message else ""


def _form(flow: str, csrf: str, inner: str) -> str:
    return (
        "<form method='post' autocomplete='on'>"
        f"<input type='hidden' name='flow' value='{_e(flow)}'>"
        f"<input type='hidden' name='_csrf' value='{_e(csrf)}'>{inner}</form>"
    )


def _input(name: str, label: str, *, kind: str = "text", value: str = "", extra: str = "") -> str:
    return (
        f"<label for='{_e(name)}'>{_e(label)}</label>"
        f"<input id='{_e(name)}' name='{_e(name)}' type='{_e(kind)}' value='{_e(value)}' {extra}>"
    )


def password_form(flow: str, csrf: str, *, username: str = "", error: str = "", notice: str = "") -> str:
    """The sign-in page: username and password."""
    focus = "autofocus" if not username else ""
    notice_html = f"<div class='notice' id='notice'>{_e(notice)}</div>" if notice else ""
    return (
        "<h1>Sign in</h1>"
        + notice_html
        + _error(error)
        + _form(
            flow,
            csrf,
            _input("username", "Username", value=username, extra=f"autocomplete='username' required {focus}")
            + _input(
                "password",
                "Password",
                kind="password",
                extra="autocomplete='current-password' required" + (" autofocus" if username else ""),
            )
            + "<button type='submit' id='signIn' name='signInSubmitButton'>Sign in</button>",
        )
    )


def code_form(flow: str, csrf: str, method: str, *, destination: str = "", error: str = "") -> str:
    """The MFA code page of ``method`` (SOFTWARE_TOKEN_MFA, SMS_MFA or EMAIL_OTP)."""
    prompt = _CODE_PROMPTS.get(method, "Enter your code.").format(destination=destination or "you")
    return (
        "<h1>Multi-factor authentication</h1>"
        + f"<p id='prompt'>{_e(prompt)}</p>"
        + _error(error)
        + _form(
            flow,
            csrf,
            _input(
                "code",
                "Code",
                extra="inputmode='numeric' autocomplete='one-time-code' maxlength='8' required autofocus",
            )
            + "<button type='submit' id='verify'>Sign in</button>",
        )
    )


def choice_form(flow: str, csrf: str, methods: list[str], *, error: str = "") -> str:
    """The MFA choice page: one button per method the user has."""
    buttons = "".join(
        f"<button type='submit' name='mfa' value='{_e(method)}' id='mfa-{_e(method)}'>"
        f"{_e(_METHOD_NAMES.get(method, method))}</button>"
        for method in methods
    )
    return "<h1>Choose how to verify it is you</h1>" + _error(error) + _form(flow, csrf, buttons)


def new_password_form(flow: str, csrf: str, attributes: list[str], *, error: str = "") -> str:
    """The new password page (NEW_PASSWORD_REQUIRED), with the attributes the pool still requires."""
    fields = "".join(_input(f"attr:{name}", name.replace("_", " ").capitalize()) for name in attributes)
    return (
        "<h1>Change password</h1>"
        + "<p id='prompt'>Your password must be changed before you sign in.</p>"
        + _error(error)
        + _form(
            flow,
            csrf,
            _input(
                "new_password", "New password", kind="password", extra="autocomplete='new-password' required"
            )
            + _input(
                "confirm_password",
                "Confirm new password",
                kind="password",
                extra="autocomplete='new-password' required",
            )
            + fields
            + "<button type='submit' id='changePassword'>Change password</button>",
        )
    )


def totp_setup_form(flow: str, csrf: str, secret: str, uri: str, *, error: str = "") -> str:
    """The authenticator app set-up page (MFA_SETUP): the secret key, then its first code."""
    return (
        "<h1>Set up an authenticator app</h1>"
        + "<p>Add this key to your authenticator app, then enter the code it shows.</p>"
        + f"<code class='secret' id='secretCode' title='{_e(uri)}'>{_e(secret)}</code>"
        + _error(error)
        + _form(
            flow,
            csrf,
            _input(
                "code", "Code", extra="inputmode='numeric' autocomplete='one-time-code' required autofocus"
            )
            + "<button type='submit' id='verify'>Verify and sign in</button>",
        )
    )


def message_card(heading: str, text: str, *, element_id: str = "message") -> str:
    """A page with a heading and a sentence (errors, refusals)."""
    return f"<h1>{_e(heading)}</h1><p class='error' id='{_e(element_id)}'>{_e(text)}</p>"
