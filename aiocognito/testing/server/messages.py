"""The words of the messages the local user pool "sends": the pool's own templates (CreateUserPool's
and UpdateUserPool's ``VerificationMessageTemplate``, ``SmsAuthenticationMessage``, the invitation
templates...) or Cognito's defaults, then what a custom message trigger makes of them.
"""

from __future__ import annotations

from typing import Any

from .state import Pool, User
from .triggers import Trigger, lambda_event, run_sync

__all__ = ["CODE", "USERNAME", "compose"]

#: The placeholders of a template and of a custom message trigger's event.
CODE = "{####}"
USERNAME = "{username}"

# Outbox kinds -> the custom message trigger's triggerSource.
_SOURCES = {
    "SIGN_UP": "CustomMessage_SignUp",
    "RESEND_CODE": "CustomMessage_ResendCode",
    "FORGOT_PASSWORD": "CustomMessage_ForgotPassword",
    "RESET_PASSWORD": "CustomMessage_ForgotPassword",
    "VERIFY_ATTRIBUTE": "CustomMessage_VerifyUserAttribute",
    "INVITATION": "CustomMessage_AdminCreateUser",
    "MFA": "CustomMessage_Authentication",
    "OTP": "CustomMessage_Authentication",
}
_DEFAULT_SUBJECT = "Your verification code"


def _templates(pool: Pool, kind: str) -> tuple[str, str, str]:
    """(subject, e-mail text, SMS text) of a kind of message, with the placeholders."""
    config = pool.config
    if kind == "INVITATION":
        invite = (config.get("AdminCreateUserConfig") or {}).get("InviteMessageTemplate") or {}
        default = f"Your username is {USERNAME} and temporary password is {CODE}."
        return (
            str(invite.get("EmailSubject") or "Your temporary password"),
            str(invite.get("EmailMessage") or default),
            str(invite.get("SMSMessage") or default),
        )
    if kind in ("MFA", "OTP"):
        sms = str(config.get("SmsAuthenticationMessage") or f"Your authentication code is {CODE}. ")
        email_config = config.get("EmailMfaConfiguration") or {}
        email = str(email_config.get("Message") or f"Your authentication code is {CODE}. ")
        return str(email_config.get("Subject") or "Your authentication code"), email, sms
    template: dict[str, Any] = config.get("VerificationMessageTemplate") or {}
    default = f"Your verification code is {CODE}. "
    return (
        str(template.get("EmailSubject") or config.get("EmailVerificationSubject") or _DEFAULT_SUBJECT),
        str(template.get("EmailMessage") or config.get("EmailVerificationMessage") or default),
        str(template.get("SmsMessage") or config.get("SmsVerificationMessage") or default),
    )


def compose(
    pool: Pool, user: User, *, kind: str, medium: str, code: str, trigger: Trigger | None
) -> tuple[str, str]:
    """The (subject, text) of a message, the custom message trigger's if the pool has one.

    Raises:
        Fault: UserLambdaValidationException or InvalidLambdaResponseException from the trigger.
    """
    subject, email, sms = _templates(pool, kind)
    if trigger is not None:
        request: dict[str, Any] = {
            "userAttributes": {**user.attributes, "cognito:user_status": user.status},
            "codeParameter": CODE,
            "usernameParameter": USERNAME if kind == "INVITATION" else None,
            "linkParameter": "{##Click Here##}",
            "clientMetadata": {},
        }
        response = {"smsMessage": None, "emailMessage": None, "emailSubject": None}
        event = lambda_event(
            pool,
            source=_SOURCES.get(kind, "CustomMessage_SignUp"),
            username=user.username,
            client_id="",
            request=request,
            response=response,
        )
        reply = run_sync(trigger, "custom_message", event)
        # Cognito keeps its own text when the trigger's has no code in it (the user could not sign in).
        given_email, given_sms = reply.get("emailMessage"), reply.get("smsMessage")
        if isinstance(given_email, str) and CODE in given_email:
            email = given_email
            if isinstance(reply.get("emailSubject"), str) and reply["emailSubject"]:
                subject = reply["emailSubject"]
        if isinstance(given_sms, str) and CODE in given_sms:
            sms = given_sms
    text = email if medium == "EMAIL" else sms
    return subject if medium == "EMAIL" else "", text.replace(CODE, code).replace(USERNAME, user.username)
