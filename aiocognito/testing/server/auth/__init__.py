"""Sign-in on the server side: InitiateAuth / RespondToAuthChallenge and their Admin forms.

Every flow of Cognito's API: ``USER_SRP_AUTH`` (SRP-6a checked against the stored verifier),
``USER_PASSWORD_AUTH`` / ``ADMIN_USER_PASSWORD_AUTH``, ``CUSTOM_AUTH`` (define / create / verify
auth-challenge triggers, optionally after SRP), ``USER_AUTH`` (PASSWORD, PASSWORD_SRP, EMAIL_OTP, SMS_OTP,
WEB_AUTHN first factors, ``SELECT_CHALLENGE``), ``REFRESH_TOKEN_AUTH``, then the challenges that follow
a password: ``NEW_PASSWORD_REQUIRED``, ``DEVICE_SRP_AUTH`` / ``DEVICE_PASSWORD_VERIFIER``,
``MFA_SETUP``, ``SELECT_MFA_TYPE``, ``SMS_MFA``, ``EMAIL_OTP``, ``SOFTWARE_TOKEN_MFA`` (RFC 6238).

One module per part, the entry points on top::

    initiate.py   InitiateAuth: each AuthFlow to its start       respond.py  RespondToAuthChallenge
    srp.py        the PASSWORD_VERIFIER / DEVICE_PASSWORD_VERIFIER exchanges
    custom.py     CUSTOM_AUTH and its triggers                   user_auth.py  USER_AUTH first factors
    refresh.py    REFRESH_TOKEN_AUTH, GetTokensFromRefreshToken
    finish.py     after a first factor: new password, device, MFA, then the tokens
    mfa.py        the MFA challenges and their codes; software-token set-up inside a sign-in
    passwords.py  password checks and lock-out                   sessions.py  sign-ins in progress

    web_authn.py  the WEB_AUTHN first factor (passkeys; the credentials are ../passkeys.py)

A new flow is a module beside ``srp.py``, started from ``initiate.py`` and answered from ``respond.py``;
it ends through ``finish.py`` like the others.
"""

__all__: list[str] = []
