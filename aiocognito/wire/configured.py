"""Which endpoint the user configured, the way boto3 reads it: an argument, then the environment.

For calls: ``endpoint_url=`` > ``$AIOCOGNITO_ENDPOINT_URL`` > ``$AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``
(``$AWS_ENDPOINT_URL_COGNITO_IDENTITY`` for identity pools) > ``$AWS_ENDPOINT_URL`` > the regional endpoint.
``$AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`` turns the ``AWS_`` variables off, as it does in botocore.

For the keys a verifier trusts, the generic ``$AWS_ENDPOINT_URL`` is never read: a variable set for
another service (S3 in LocalStack...) must not choose which keys sign the tokens a server accepts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = [
    "AWS_ENDPOINT_ENV",
    "AWS_IGNORE_ENDPOINTS_ENV",
    "CLIENT_SECRET_ENV",
    "ENDPOINT_ENV",
    "SERVICE_ENDPOINT_ENVS",
    "configured_endpoint",
    "jwks_endpoint",
    "jwks_url_at",
]

#: Points every aiocognito pool and verifier at a local emulator, like ``endpoint_url=``.
ENDPOINT_ENV = "AIOCOGNITO_ENDPOINT_URL"
#: The app client secret for the CLI commands that take ``--client-secret`` (kept out of ``ps``).
CLIENT_SECRET_ENV = "AIOCOGNITO_CLIENT_SECRET"
#: boto3's endpoint for every service.
AWS_ENDPOINT_ENV = "AWS_ENDPOINT_URL"
#: boto3's endpoint for one service: ``AWS_ENDPOINT_URL_`` and the service id in capitals.
SERVICE_ENDPOINT_ENVS = {
    "cognito-idp": "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "cognito-identity": "AWS_ENDPOINT_URL_COGNITO_IDENTITY",
}
#: botocore's switch that ignores the endpoints configured in the environment.
AWS_IGNORE_ENDPOINTS_ENV = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"


def _aws_endpoints_ignored(environ: Mapping[str, str]) -> bool:
    return environ.get(AWS_IGNORE_ENDPOINTS_ENV, "").strip().lower() == "true"


def configured_endpoint(
    service: str, explicit: str | None = None, *, environ: Mapping[str, str] | None = None
) -> str | None:
    """The endpoint of ``service`` the user chose, or ``None`` for the regional one.

    ``explicit`` (an argument) wins, then ``$AIOCOGNITO_ENDPOINT_URL``, then the service's own
    ``$AWS_ENDPOINT_URL_...``, then ``$AWS_ENDPOINT_URL``. An empty value counts as unset.

    Raises:
        ValueError: ``service`` is not ``"cognito-idp"`` or ``"cognito-identity"``.
    """
    if service not in SERVICE_ENDPOINT_ENVS:
        raise ValueError(f"unknown service {service!r}: expected 'cognito-idp' or 'cognito-identity'")
    return _chosen(explicit, environ, SERVICE_ENDPOINT_ENVS[service], AWS_ENDPOINT_ENV)


def jwks_endpoint(explicit: str | None = None, *, environ: Mapping[str, str] | None = None) -> str | None:
    """The ``cognito-idp`` endpoint whose JWKS a verifier trusts, or ``None`` for Cognito's own.

    ``explicit`` > ``$AIOCOGNITO_ENDPOINT_URL`` > ``$AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``; never
    the generic ``$AWS_ENDPOINT_URL``.
    """
    return _chosen(explicit, environ, SERVICE_ENDPOINT_ENVS["cognito-idp"])


def _chosen(explicit: str | None, environ: Mapping[str, str] | None, *aws_names: str) -> str | None:
    """``explicit``, else ``$AIOCOGNITO_ENDPOINT_URL``, else the first of ``aws_names`` set (unless the
    AWS variables are switched off); an empty value counts as unset."""
    env = os.environ if environ is None else environ
    if explicit:
        return explicit
    if env.get(ENDPOINT_ENV):
        return env[ENDPOINT_ENV]
    if _aws_endpoints_ignored(env):
        return None
    return next((env[name] for name in aws_names if env.get(name)), None)


def jwks_url_at(endpoint: str, pool_id: str) -> str:
    """Where an emulator at ``endpoint`` serves the pool's keys, as Cognito does under its issuer."""
    return f"{endpoint.rstrip('/')}/{pool_id}/.well-known/jwks.json"
