"""Start real local Cognito emulators (moto, ministack) for integration tests.

Plain helpers, no pytest here: ``tests/conftest.py`` wraps them in fixtures. See ``tests/SERVERS.md``
for what each emulator checks and where it deviates from AWS.

Everything binds to 127.0.0.1 only. All waits are bounded in time and count.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import shutil
import socket
import string
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
HOST = "127.0.0.1"

#: Every flow the app clients created here allow. ``ALLOW_USER_AUTH`` is accepted by both emulators'
#: CreateUserPoolClient, although neither implements the USER_AUTH flow in InitiateAuth.
ALL_AUTH_FLOWS: tuple[str, ...] = (
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
)

#: Environment every emulator subprocess and every boto3 client in the tests should see.
BASE_ENV: dict[str, str] = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": ACCESS_KEY,
    "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    "AWS_DEFAULT_REGION": REGION,
}


class ServerStartError(RuntimeError):
    """An emulator did not come up in time; the message carries the tail of its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the caller may still lose a race for it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _http(
    url: str, *, method: str = "GET", data: bytes | None = None, timeout: float = 5.0
) -> tuple[int, bytes]:
    """One HTTP request with the standard library; returns (status, body), HTTP errors included."""
    if not url.startswith(f"http://{HOST}:"):
        raise ValueError(f"only http://{HOST} is allowed, got {url!r}")
    # An explicit text/plain body: with urllib's default form content type, moto's Flask app would
    # swallow the body into request.form and /moto-api/reset-auth would see an empty string.
    headers = {"Content-Type": "text/plain"} if data is not None else {}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return int(exc.code), bytes(exc.read())


# --------------------------------------------------------------------------------------------------
# moto
# --------------------------------------------------------------------------------------------------


@dataclass
class MotoServer:
    endpoint_url: str
    server: Any = field(repr=False)  # moto.server.ThreadedMotoServer

    def set_initial_no_auth_action_count(self, count: float) -> float:
        """Turn moto's IAM/SigV4 checking on after ``count`` more actions (``inf`` turns it off).

        Uses ``POST /moto-api/reset-auth``, which sets the process-global
        ``moto.settings.INITIAL_NO_AUTH_ACTION_COUNT`` and resets the (also process-global) action
        counter to 0. Returns the previous threshold.
        """
        status, body = _http(
            f"{self.endpoint_url}/moto-api/reset-auth", method="POST", data=str(count).encode()
        )
        if status != 200:
            raise RuntimeError(f"moto reset-auth failed: {status} {body[:200]!r}")
        return float(json.loads(body)["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])

    @contextlib.contextmanager
    def iam_auth(self, initial_no_auth_action_count: int = 0) -> Iterator[None]:
        """Enable SigV4 + IAM checks (after N free actions) for the duration of the block, then restore."""
        previous = self.set_initial_no_auth_action_count(initial_no_auth_action_count)
        try:
            yield
        finally:
            self.set_initial_no_auth_action_count(previous)

    def reset(self) -> None:
        """Wipe all moto state (``POST /moto-api/reset``)."""
        status, body = _http(f"{self.endpoint_url}/moto-api/reset", method="POST")
        if status != 200:
            raise RuntimeError(f"moto reset failed: {status} {body[:200]!r}")


def start_moto() -> MotoServer:
    """Start moto's threaded server on 127.0.0.1; call ``stop_moto`` when done.

    The port is chosen by the kernel (port 0) and read back, which cannot race with another process
    the way ``free_port()`` + bind can (``ThreadedMotoServer.start`` would wait forever if its bind
    failed in the server thread).
    """
    # werkzeug logs one INFO line per request to stderr; keep warnings and tracebacks only.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    moto = MotoServer(endpoint_url=f"http://{host}:{port}", server=server)
    _wait_until_answers(f"{moto.endpoint_url}/moto-api/data.json", timeout=10.0, what="moto", log=None)
    return moto


def stop_moto(moto: MotoServer) -> None:
    close_clients(moto.endpoint_url)
    moto.server.stop()  # shutdown() + join; werkzeug closes the listening socket itself


@contextlib.contextmanager
def moto_server(initial_no_auth_action_count: int | None = None) -> Iterator[MotoServer]:
    """A running moto server. With ``initial_no_auth_action_count=N`` the first N actions after start
    are free and every later non-public action must be SigV4-signed by a known IAM access key
    (see ``create_moto_iam_credentials``). The setting is process-global in moto, so it also applies
    to any other moto server in this process while active; it is restored to "off" on exit."""
    moto = start_moto()
    try:
        if initial_no_auth_action_count is None:
            yield moto
        else:
            with moto.iam_auth(initial_no_auth_action_count):
                yield moto
    finally:
        stop_moto(moto)


def create_moto_iam_credentials(endpoint_url: str, user_name: str | None = None) -> tuple[str, str]:
    """Create an IAM user allowed everything and return its (access key id, secret). 3 moto actions.

    Needed for signed calls once moto's IAM auth is on: the key "testing" is unknown to moto's IAM
    and is refused with 403 InvalidClientTokenId.
    """
    iam = boto_client("iam", endpoint_url)
    name = user_name or f"admin-{secrets.token_hex(4)}"
    iam.create_user(UserName=name)
    iam.put_user_policy(
        UserName=name,
        PolicyName="allow-all",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return str(key["AccessKeyId"]), str(key["SecretAccessKey"])


# --------------------------------------------------------------------------------------------------
# ministack
# --------------------------------------------------------------------------------------------------


@dataclass
class MinistackServer:
    endpoint_url: str
    process: subprocess.Popen[bytes] = field(repr=False)
    log_path: Path
    state_dir: Path

    def log_tail(self, max_bytes: int = 4000) -> str:
        return _tail(self.log_path, max_bytes)

    def reset(self) -> None:
        """Wipe all ministack state (``POST /_ministack/reset``)."""
        status, body = _http(f"{self.endpoint_url}/_ministack/reset", method="POST", timeout=10.0)
        if status != 200:
            raise RuntimeError(f"ministack reset failed: {status} {body[:200]!r}")


def _tail(path: Path, max_bytes: int = 4000) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            return fh.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"<no log: {exc}>"


def _wait_until_answers(
    url: str,
    *,
    timeout: float,
    what: str,
    log: Path | None,
    process: subprocess.Popen[bytes] | None = None,
    interval: float = 0.1,
) -> None:
    """Poll ``url`` until it answers 200; bounded by ``timeout`` seconds and a matching attempt count."""
    deadline = time.monotonic() + timeout
    max_attempts = int(timeout / interval) + 1
    last_error = "no attempt"
    for _ in range(max_attempts):
        if process is not None and process.poll() is not None:
            raise ServerStartError(
                f"{what} exited with code {process.returncode} before answering {url}\n"
                f"--- log tail ---\n{_tail(log) if log else ''}"
            )
        try:
            status, body = _http(url, timeout=min(2.0, max(0.1, deadline - time.monotonic())))
        except (OSError, urllib.error.URLError) as exc:
            last_error = repr(exc)
        else:
            if status == 200:
                return
            last_error = f"HTTP {status}: {body[:200]!r}"
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise ServerStartError(
        f"{what} did not answer {url} within {timeout:.0f}s (last: {last_error})\n"
        f"--- log tail ---\n{_tail(log) if log else ''}"
    )


def _stop_process(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM, wait (bounded), then SIGKILL and reap, so no zombie and no ResourceWarning remain."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace)
    else:
        process.wait()


# --------------------------------------------------------------------------------------------------
# redis-server
# --------------------------------------------------------------------------------------------------


class RedisServer:
    """A throwaway ``redis-server`` on 127.0.0.1 (no persistence), which can be stopped and started again
    on the same port, as a Redis restart in the middle of a run.

    ``password`` turns on ``requirepass``; :attr:`url` then holds it. Use as a context manager, or call
    :meth:`start` and :meth:`stop`; :meth:`stop` is idempotent.
    """

    def __init__(self, binary: str, workdir: Path, *, password: str | None = None) -> None:
        self.binary = binary
        self.workdir = workdir
        self.password = password
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{HOST}:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _ping(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=0.5) as sock:
                auth = f"AUTH {self.password}\r\n".encode() if self.password else b""
                sock.sendall(auth + b"PING\r\n")
                deadline = time.monotonic() + 1.0
                seen = b""
                while b"PONG" not in seen and time.monotonic() < deadline:
                    chunk = sock.recv(64)
                    if not chunk:
                        break
                    seen += chunk
                return b"PONG" in seen
        except OSError:
            return False

    def start(self, *, timeout: float = 10.0) -> None:
        """Start it: on :attr:`port` when it ran before (a restart), else on a free port (3 tries).

        Raises:
            ServerStartError: it did not answer PING within ``timeout`` seconds.
        """
        same_port = self.port != 0
        log = self.workdir / "redis.log"
        for _ in range(1 if same_port else 3):
            if not same_port:
                self.port = free_port()
            command = [self.binary, "--port", str(self.port), "--bind", HOST, "--dir", str(self.workdir)]
            command += ["--save", "", "--appendonly", "no"]
            if self.password:
                command += ["--requirepass", self.password]
            with log.open("ab") as log_fh:
                self._process = subprocess.Popen(command, stdout=log_fh, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + timeout
            while self._process.poll() is None and time.monotonic() < deadline and not self._ping():
                time.sleep(0.05)
            if self._process.poll() is None and self._ping():
                return
            self.stop()
        raise ServerStartError(f"redis-server did not answer PING on port {self.port}: {_tail(log)}")

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL after 10 s); the port is kept for :meth:`start`."""
        process, self._process = self._process, None
        if process is not None:
            _stop_process(process)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def ministack_command() -> list[str]:
    """``python -m ministack`` (== the ``ministack`` console script, ``ministack.app:main``)."""
    return [sys.executable, "-m", "ministack"]


def ministack_env(
    port: int, state_dir: Path, tmp_dir: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = {
        **os.environ,
        **BASE_ENV,
        "AUTH": "true",
        "BIND_HOST": HOST,
        "GATEWAY_PORT": str(port),
        "STATE_DIR": str(state_dir),
        # ministack writes its pid file to tempfile.gettempdir(); keep it out of the shared /tmp.
        "TMPDIR": str(tmp_dir),
        "LOG_LEVEL": "WARNING",
        # Only what the tests need: faster start, fewer surprises.
        "SERVICES": "cognito-idp,cognito-identity,iam,sts",
    }
    # An inherited moto/localstack setting must not leak into ministack.
    for name in ("PERSIST_STATE", "LOCALSTACK_PERSISTENCE", "USE_SSL"):
        env.pop(name, None)
    if extra:
        env.update(extra)
    return env


def start_ministack(
    startup_timeout: float = 30.0, extra_env: Mapping[str, str] | None = None, attempts: int = 3
) -> tuple[MinistackServer, tempfile.TemporaryDirectory[str]]:
    """Start ministack; returns the server and the temp dir holding its log/state (clean it up after)."""
    tmp = tempfile.TemporaryDirectory(prefix="ministack-test-")
    try:
        base = Path(tmp.name)
        state_dir = base / "state"
        state_dir.mkdir()
        last: Exception | None = None
        for attempt in range(attempts):  # a new port if another process grabbed ours in between
            port = free_port()
            log_path = base / f"ministack-{attempt}.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    ministack_command(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=ministack_env(port, state_dir, base, extra_env),
                    cwd=base,
                )
            server = MinistackServer(f"http://{HOST}:{port}", process, log_path, state_dir)
            try:
                _wait_until_answers(
                    f"{server.endpoint_url}/_ministack/health",
                    timeout=startup_timeout,
                    what="ministack",
                    log=log_path,
                    process=process,
                )
            except ServerStartError as exc:
                _stop_process(process)
                last = exc
                if "already in use" not in _tail(log_path):
                    raise
                continue
            return server, tmp
        assert last is not None
        raise last
    except BaseException:
        tmp.cleanup()
        raise


def stop_ministack(server: MinistackServer, tmp: tempfile.TemporaryDirectory[str]) -> None:
    close_clients(server.endpoint_url)
    try:
        _stop_process(server.process)
    finally:
        tmp.cleanup()


@contextlib.contextmanager
def ministack_server(
    startup_timeout: float = 30.0, extra_env: Mapping[str, str] | None = None
) -> Iterator[MinistackServer]:
    """A running ``python -m ministack`` with AUTH=true on 127.0.0.1:<free port>."""
    server, tmp = start_ministack(startup_timeout=startup_timeout, extra_env=extra_env)
    try:
        yield server
    finally:
        stop_ministack(server, tmp)


# --------------------------------------------------------------------------------------------------
# boto3 set-up helpers (sync; used in test set-up only)
# --------------------------------------------------------------------------------------------------


_CLIENTS: dict[tuple[str, str, str, str, str], Any] = {}


def boto_client(
    service: str,
    endpoint_url: str,
    *,
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
    region: str = REGION,
) -> Any:
    """A (cached) boto3 client for ``service`` that talks only to ``endpoint_url``; no retries.

    Creating a boto3 client costs ~50 ms, so they are cached; ``close_clients()`` closes them all.
    """
    if not endpoint_url.startswith(f"http://{HOST}:"):
        raise ValueError(f"only http://{HOST} endpoints are allowed, got {endpoint_url!r}")
    key = (service, endpoint_url, access_key, secret_key, region)
    client = _CLIENTS.get(key)
    if client is None:
        client = boto3.session.Session().client(
            service,
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(
                retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30
            ),
        )
        _CLIENTS[key] = client
    return client


def close_clients(endpoint_url: str | None = None) -> None:
    """Close cached boto3 clients (all, or those for one endpoint)."""
    for key in [k for k in _CLIENTS if endpoint_url is None or k[1] == endpoint_url]:
        _CLIENTS.pop(key).close()


def idp_client(endpoint_url: str, **kwargs: Any) -> Any:
    return boto_client("cognito-idp", endpoint_url, **kwargs)


def random_name(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def random_password() -> str:
    """A password satisfying the default Cognito policy (upper, lower, digit, symbol, >= 8)."""
    body = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(12))
    return f"Aa1!{body}"


@dataclass(frozen=True)
class PoolClient:
    endpoint_url: str
    pool_id: str
    client_id: str
    client_secret: str | None
    region: str = REGION

    @property
    def pool_name(self) -> str:
        """The part of the pool id after ``region_`` (used in SRP)."""
        return self.pool_id.split("_", 1)[1]


@dataclass(frozen=True)
class TestUser:
    __test__ = False  # not a pytest test class

    username: str
    password: str
    sub: str | None
    email: str | None = None


def create_pool_and_client(
    endpoint_url: str,
    *,
    generate_secret: bool = False,
    auth_flows: Sequence[str] = ALL_AUTH_FLOWS,
    pool_name: str | None = None,
    pool_kwargs: Mapping[str, Any] | None = None,
    client_kwargs: Mapping[str, Any] | None = None,
) -> PoolClient:
    """A fresh user pool plus one app client (optionally with a generated client secret)."""
    idp = idp_client(endpoint_url)
    pool = idp.create_user_pool(PoolName=pool_name or random_name("pool"), **dict(pool_kwargs or {}))
    pool_id = str(pool["UserPool"]["Id"])
    client = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=random_name("client"),
        GenerateSecret=generate_secret,
        ExplicitAuthFlows=list(auth_flows),
        **dict(client_kwargs or {}),
    )["UserPoolClient"]
    return PoolClient(
        endpoint_url=endpoint_url,
        pool_id=pool_id,
        client_id=str(client["ClientId"]),
        client_secret=client.get("ClientSecret"),
    )


def add_client(
    pc: PoolClient, *, generate_secret: bool = False, auth_flows: Sequence[str] = ALL_AUTH_FLOWS
) -> PoolClient:
    """Another app client on the same pool."""
    client = idp_client(pc.endpoint_url).create_user_pool_client(
        UserPoolId=pc.pool_id,
        ClientName=random_name("client"),
        GenerateSecret=generate_secret,
        ExplicitAuthFlows=list(auth_flows),
    )["UserPoolClient"]
    return PoolClient(pc.endpoint_url, pc.pool_id, str(client["ClientId"]), client.get("ClientSecret"))


def _sub_of(user: Mapping[str, Any]) -> str | None:
    attributes = user.get("Attributes") or user.get("UserAttributes") or []
    for attribute in attributes:
        if attribute["Name"] == "sub":
            return str(attribute["Value"])
    return None


def create_confirmed_user(
    pc: PoolClient,
    username: str | None = None,
    password: str | None = None,
    *,
    email: str | None = None,
    attributes: Mapping[str, str] | None = None,
) -> TestUser:
    """AdminCreateUser (no invitation message) + AdminSetUserPassword(Permanent=True) -> CONFIRMED."""
    idp = idp_client(pc.endpoint_url)
    username = username or random_name("user")
    password = password or random_password()
    attrs = dict(attributes or {})
    if email:
        attrs.setdefault("email", email)
        attrs.setdefault("email_verified", "true")
    created = idp.admin_create_user(
        UserPoolId=pc.pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": k, "Value": v} for k, v in attrs.items()],
    )["User"]
    idp.admin_set_user_password(UserPoolId=pc.pool_id, Username=username, Password=password, Permanent=True)
    return TestUser(username=username, password=password, sub=_sub_of(created), email=email)


def create_force_change_password_user(
    pc: PoolClient,
    username: str | None = None,
    temporary_password: str | None = None,
    *,
    email: str | None = None,
) -> TestUser:
    """AdminCreateUser with a TemporaryPassword: status FORCE_CHANGE_PASSWORD, NEW_PASSWORD_REQUIRED."""
    idp = idp_client(pc.endpoint_url)
    username = username or random_name("user")
    temporary_password = temporary_password or random_password()
    attrs = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}] if email else []
    created = idp.admin_create_user(
        UserPoolId=pc.pool_id,
        Username=username,
        TemporaryPassword=temporary_password,
        MessageAction="SUPPRESS",
        UserAttributes=attrs,
    )["User"]
    return TestUser(username=username, password=temporary_password, sub=_sub_of(created), email=email)


def enable_totp_mfa(pc: PoolClient, mfa_configuration: str = "OPTIONAL") -> None:
    """Turn software-token (TOTP) MFA on for the pool: ``OPTIONAL`` or ``ON``."""
    idp_client(pc.endpoint_url).set_user_pool_mfa_config(
        UserPoolId=pc.pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration=mfa_configuration,
    )


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    """Base64(HMAC-SHA256(client_secret, username + client_id)), the Cognito SECRET_HASH."""
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def password_auth_parameters(pc: PoolClient, user: TestUser) -> dict[str, str]:
    """AuthParameters for USER_PASSWORD_AUTH / ADMIN_USER_PASSWORD_AUTH, with SECRET_HASH if needed."""
    params = {"USERNAME": user.username, "PASSWORD": user.password}
    if pc.client_secret:
        params["SECRET_HASH"] = secret_hash(user.username, pc.client_id, pc.client_secret)
    return params


def totp_now(secret_b32: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 TOTP (HMAC-SHA1) for a base32 secret, tolerant of missing padding."""
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{value:0{digits}d}"


_MODELS: dict[str, Any] = {}


def validate_request(target: str, params: Mapping[str, Any]) -> None:
    """Raise botocore's ParamValidationError if ``params`` is not a valid body for the ``X-Amz-Target``."""
    import botocore.session
    from botocore.validate import ParamValidator

    prefix, _, operation = target.partition(".")
    if not _MODELS:
        session = botocore.session.get_session()
        for service in ("cognito-idp", "cognito-identity"):
            model = session.get_service_model(service)
            _MODELS[model.metadata["targetPrefix"]] = model
    model = _MODELS[prefix]
    shape = model.operation_model(operation).input_shape
    report = ParamValidator().validate(dict(params), shape)
    if report.has_errors():
        raise AssertionError(f"{target} body does not match botocore's model:\n{report.generate_report()}")


# --- node and the JS clients (tests/js, pinned by its lock file) ---------------------------------------

JS_DIR = Path(__file__).resolve().parent / "js"
NPM_CI_TIMEOUT = 300.0


def in_ci() -> bool:
    """Whether CI is set: a missing tool then fails a test instead of skipping it."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def installed_js_version(package: str) -> str | None:
    """The version of ``package`` in tests/js/node_modules, if it is installed."""
    try:
        data = json.loads((JS_DIR / "node_modules" / package / "package.json").read_text())
    except (OSError, ValueError):
        return None
    version = data.get("version")
    return version if isinstance(version, str) else None


def node_with(package: str, version: str) -> str:
    """The node executable, with ``package`` at ``version`` installed by ``npm ci`` if it is missing.

    Without node or npm the test fails in CI and is skipped elsewhere (with the reason).
    """
    import pytest

    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(name for name, path in (("node", node), ("npm", npm)) if path is None)
        message = f"{missing} not found on PATH: the tests with {package} need node >= 18"
        if in_ci():
            pytest.fail(f"{message} (CI is set: this must run in CI)")
        pytest.skip(message)
    if installed_js_version(package) != version:
        try:
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=JS_DIR,
                capture_output=True,
                text=True,
                timeout=NPM_CI_TIMEOUT,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"npm ci in {JS_DIR} took more than {NPM_CI_TIMEOUT:.0f} s")
        if done.returncode != 0:
            pytest.fail(f"npm ci in {JS_DIR} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        assert installed_js_version(package) == version
    return node


# --- chromium and chromedriver (Debian's packages; the managed login pages in a real browser) -----------

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")
CHROMEDRIVER_CANDIDATES = ("chromedriver",)


def chromium_and_driver() -> tuple[str, str]:
    """The chromium binary and its chromedriver (apt: ``chromium chromium-driver``, as .ci/run installs).

    Without them the test fails in CI and is skipped elsewhere (with the reason).
    """
    import pytest

    found = {
        name: next((path for c in candidates if (path := shutil.which(c)) is not None), None)
        for name, candidates in (("chromium", CHROMIUM_CANDIDATES), ("chromedriver", CHROMEDRIVER_CANDIDATES))
    }
    missing = [name for name, path in found.items() if path is None]
    if missing:
        message = f"{' and '.join(missing)} not found on PATH (apt-get install chromium chromium-driver)"
        if in_ci():
            pytest.fail(f"{message} (CI is set: this must run in CI, see .ci/run)", pytrace=False)
        pytest.skip(message)
    chromium, driver = found["chromium"], found["chromedriver"]
    assert chromium is not None and driver is not None
    return chromium, driver
