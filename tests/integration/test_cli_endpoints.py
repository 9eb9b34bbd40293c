"""`aiocognito sign-in` and `verify` against `serve-local`, pointed there the ways boto3 users expect."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

import pytest
import servers

from .test_cli import _env
from .test_serve_local import ServeLocal, serve_local, start

pytestmark = pytest.mark.integration
__all__ = ["serve_local"]  # the fixture, used by name


def _cli(args: Sequence[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiocognito", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_sign_in_then_verify_from_the_readme_words_plus_the_endpoint(serve_local: list[ServeLocal]) -> None:
    _, endpoint = start(serve_local)
    try:
        pc = servers.create_pool_and_client(endpoint, generate_secret=True)
        user = servers.create_confirmed_user(pc)
    finally:
        servers.close_clients(endpoint)
    assert pc.client_secret
    base = ["--pool-id", pc.pool_id, "--client-id", pc.client_id]

    # boto3's variable for the service points sign-in there; the secret comes from the environment.
    env = {**_env(), "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": endpoint}
    env["AIOCOGNITO_CLIENT_SECRET"] = pc.client_secret
    signed = _cli(["sign-in", *base, "--username", user.username, "--password-stdin"], env, user.password)
    assert signed.returncode == 0, signed.stderr
    token = json.loads(signed.stdout)["AccessToken"]

    # The secret on stdin, before the password (the documented order).
    env.pop("AIOCOGNITO_CLIENT_SECRET")
    from_stdin = _cli(
        ["sign-in", *base, "--username", user.username, "--client-secret-stdin", "--password-stdin"],
        env,
        f"{pc.client_secret}\n{user.password}\n",
    )
    assert from_stdin.returncode == 0, from_stdin.stderr
    no_secret = _cli(["sign-in", *base, "--username", user.username, "--password-stdin"], env, user.password)
    assert no_secret.returncode == 1, no_secret.stderr

    # `aiocognito verify TOKEN --pool-id P --client-id C`, as the README says, plus the endpoint.
    for extra, variables in [
        ([], {"AIOCOGNITO_ENDPOINT_URL": endpoint}),
        ([], {"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": endpoint}),
        (["--endpoint-url", endpoint], {}),
    ]:
        verified = _cli(["verify", token, *base, *extra], {**_env(), **variables})
        assert verified.returncode == 0, verified.stderr
        claims = json.loads(verified.stdout)
        assert claims["client_id"] == pc.client_id
        assert claims["username"] == user.username
