"""The data of the local user pool: user pools, app clients, users, devices, groups, identity pools.

Plain mutable dataclasses, kept in one :class:`Store` that is saved as JSON (atomically: a temporary
file in the same directory, then ``os.replace``) when the server has a state file. What a pool does
with them (sign-in, codes, tokens) lives in the other modules; this one only knows the data, the
look-ups and the rules that are pure functions of it (password policy, attribute names).

Passwords are never stored: a user has an SRP salt and verifier (``v = g^x mod N``, as Cognito keeps),
and a plain password is checked by recomputing ``g^x``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import tempfile
import types
import typing
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiocognito.core import safe_json as _json
from aiocognito.core import srp
from aiocognito.core.srp import _powmod_secret

from ...faults import Fault, invalid_parameter

__all__ = [
    "DEFAULT_PASSWORD_POLICY",
    "STANDARD_ATTRIBUTES",
    "Client",
    "Device",
    "Group",
    "IdentityPool",
    "Pool",
    "RefreshRecord",
    "StateFileError",
    "Store",
    "User",
    "make_verifier",
    "new_client_id",
    "new_pool_id",
    "random_id",
]

#: The standard attributes of a user pool (OpenID Connect's, plus Cognito's ``sub``).
STANDARD_ATTRIBUTES = frozenset(
    {
        "address",
        "birthdate",
        "email",
        "email_verified",
        "family_name",
        "gender",
        "given_name",
        "locale",
        "middle_name",
        "name",
        "nickname",
        "phone_number",
        "phone_number_verified",
        "picture",
        "preferred_username",
        "profile",
        "sub",
        "updated_at",
        "website",
        "zoneinfo",
    }
)
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
# Cognito's password symbols: ^ $ * . [ ] { } ( ) ? " ! @ # % & / \ , > < ' : ; | _ ~ ` = + - and space.
_SYMBOLS = frozenset("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")
DEFAULT_PASSWORD_POLICY: dict[str, Any] = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}

_T = TypeVar("_T")


def random_id(length: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_pool_id(region: str) -> str:
    """A user pool id like Cognito's: ``us-east-1_`` and nine letters and digits."""
    return f"{region}_{random_id(9)}"


def make_verifier(pool_name: str, username: str, password: str) -> tuple[str, str]:
    """A fresh SRP salt and the verifier ``g^x mod N`` for a password, both as hex."""
    salt = srp.pad_hex(int.from_bytes(secrets.token_bytes(16), "big"))
    x = srp.compute_x(pool_name, username, password, int(salt, 16))
    return salt, format(_powmod_secret(srp.G, x, srp.N), "x")


class StateFileError(ValueError):
    """A state file that cannot be read, or is not a local user pool state file.

    The message names the file and, for a malformed one, the first value that is wrong; the file is
    left as it is (the server does not start, so it never overwrites it).
    """


class _Malformed(StateFileError):
    """A value of the state file that is not what its field holds; ``where`` is its path in the file."""

    def __init__(self, where: str, why: str) -> None:
        super().__init__(f"{where}: {why}")


# Nesting levels of a state file: store > pools > pool > users > user > devices > device > field, and
# the echoed request configurations below a client or a pool.
_STATE_MAX_DEPTH = 64
# A state file is this server's own and as large as its pools: no limit on its number of objects.
_STATE_MAX_CONTAINERS = 1 << 62


def _key_path(where: str, key: str) -> str:
    shown = key if len(key) <= 40 else key[:37] + "..."
    return f"{where}[{shown!r}]"


def _type_name(hint: Any) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", type(None): "null"}
    if hint in names:
        return names[hint]
    origin = typing.get_origin(hint)
    if origin is list:
        return "an array"
    if origin is dict:
        return "an object"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(arg) for arg in typing.get_args(hint))
    return "a value of another kind"


def _check_value(value: Any, hint: Any, where: str) -> None:
    """Refuse ``value`` unless it is JSON of the field's annotated type (nested lists and objects too)."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            with contextlib.suppress(_Malformed):
                _check_value(value, arg, where)
                return
        raise _Malformed(where, f"not {_type_name(hint)}")
    if hint is type(None):
        ok = value is None
    elif hint is bool or hint is str:
        ok = type(value) is hint
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif origin is list:
        if not isinstance(value, list):
            raise _Malformed(where, f"not {_type_name(hint)}")
        (item,) = typing.get_args(hint)
        for index, element in enumerate(value):
            _check_value(element, item, f"{where}[{index}]")
        return
    elif origin is dict:
        _check_object(value, where, typing.get_args(hint)[1])
        return
    else:  # a type this checker does not know: nothing to refuse
        return
    if not ok:
        raise _Malformed(where, f"not {_type_name(hint)}")


def _check_object(value: Any, where: str, item: Any = Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Malformed(where, "not an object")
    for key, element in value.items():
        _check_value(element, item, _key_path(where, key))
    return value


_FIELDS: dict[type, tuple[dict[str, Any], dict[str, dataclasses.Field[Any]]]] = {}


def _fields_of(cls: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field[Any]]]:
    """A dataclass's resolved annotations and its fields by name (resolved once per class)."""
    known = _FIELDS.get(cls)
    if known is None:
        known = _FIELDS[cls] = (typing.get_type_hints(cls), {f.name: f for f in dataclasses.fields(cls)})
    return known


def _build(cls: type[_T], data: Any, where: str, *, nested: frozenset[str] = frozenset()) -> _T:
    """A dataclass from its JSON form; keys it does not know are dropped (older or newer files).

    Each known field is checked against its annotation, except the ``nested`` ones (dataclasses the
    caller builds itself).

    Raises:
        _Malformed: ``data`` is not an object, misses a required field, or has a value of the wrong type.
    """
    _check_object(data, where)
    hints, fields = _fields_of(cls)
    for name, spec in fields.items():
        if name not in data:
            required = spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
            if required:
                raise _Malformed(where, f"'{name}' is missing")
        elif name not in nested:
            _check_value(data[name], hints[name], f"{where}.{name}")
    return cls(**{key: value for key, value in data.items() if key in fields})


@dataclass(slots=True)
class Device:
    """A device Cognito handed out in ``NewDeviceMetadata``; confirmed once it has a verifier."""

    key: str
    group_key: str
    created_at: float
    modified_at: float
    name: str = ""
    salt: str = ""  # hex
    verifier: str = ""  # hex
    remembered: bool = False
    last_authenticated_at: float = 0.0
    last_ip: str = ""

    @property
    def confirmed(self) -> bool:
        return bool(self.verifier)


@dataclass(slots=True)
class User:
    """A user of a pool. ``username`` is the internal one (a UUID for pools with username attributes)."""

    username: str
    sub: str
    created_at: float
    modified_at: float
    attributes: dict[str, str] = field(default_factory=dict)
    status: str = "UNCONFIRMED"
    enabled: bool = True
    salt: str = ""
    verifier: str = ""
    password_set_at: float = 0.0
    sms_mfa_enabled: bool = False
    totp_enabled: bool = False
    email_mfa_enabled: bool = False
    preferred_mfa: str = ""
    totp_secret: str = ""
    totp_name: str = ""
    pending_totp_secret: str = ""
    last_totp_counter: int = -1
    failed_attempts: int = 0
    locked_until: float = 0.0
    # Pending codes by purpose ("SIGN_UP", "FORGOT_PASSWORD", "VERIFY:email"...): code and expiry.
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    devices: dict[str, Device] = field(default_factory=dict)
    device_group_key: str = ""

    @property
    def has_password(self) -> bool:
        return bool(self.verifier)

    def set_password(self, pool_name: str, password: str, now: float) -> None:
        self.salt, self.verifier = make_verifier(pool_name, self.username, password)
        self.password_set_at = now
        self.modified_at = now

    def check_password(self, pool_name: str, password: str) -> bool:
        if not self.verifier:
            return False
        try:
            x = srp.compute_x(pool_name, self.username, password, int(self.salt, 16))
        except UnicodeEncodeError:
            return False
        return secrets.compare_digest(format(_powmod_secret(srp.G, x, srp.N), "x"), self.verifier)

    def verified(self, attribute: str) -> bool:
        return self.attributes.get(f"{attribute}_verified") == "true" and bool(self.attributes.get(attribute))

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "devices"}
        data["devices"] = {key: dataclasses.asdict(device) for key, device in self.devices.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str = "user") -> User:
        """Raises: StateFileError: a value is missing or of the wrong type (the message gives its path)."""
        user = _build(cls, data, where, nested=frozenset({"devices"}))
        devices = _check_object(data.get("devices", {}), f"{where}.devices")
        user.devices = {
            key: _build(Device, value, _key_path(f"{where}.devices", key)) for key, value in devices.items()
        }
        return user


@dataclass(slots=True)
class Client:
    """An app client."""

    id: str
    name: str
    created_at: float
    modified_at: float
    secret: str = field(default="", repr=False)
    auth_flows: list[str] = field(default_factory=list)
    access_validity: int = 3600  # seconds
    id_validity: int = 3600
    refresh_validity: int = 30 * 86400
    revocation: bool = True
    rotation: bool = False
    rotation_grace: int = 0
    session_minutes: int = 3
    prevent_existence_errors: bool = True
    # What DescribeUserPoolClient echoes (the request's own fields, normalised).
    config: dict[str, Any] = field(default_factory=dict)

    def allows(self, flow: str) -> bool:
        return f"ALLOW_{flow}" in self.auth_flows


@dataclass(slots=True)
class Group:
    name: str
    created_at: float
    modified_at: float
    description: str = ""
    precedence: int | None = None
    role_arn: str = ""


@dataclass(slots=True)
class RefreshRecord:
    """What a refresh token stands for: its family (``origin_jti``), owner and validity."""

    username: str
    client_id: str
    origin_jti: str
    auth_time: int
    expires_at: float
    device_key: str = ""
    revoked: bool = False
    # With rotation: the time a newer token replaced this one (it stays valid for the grace period).
    replaced_at: float | None = None
    # The OAuth scopes of tokens issued through the domain's token endpoint ("" for API sign-ins).
    scope: str = ""


@dataclass(slots=True)
class Pool:
    """A user pool and everything in it."""

    id: str
    name: str
    region: str
    created_at: float
    modified_at: float
    key_pem: str = field(default="", repr=False)
    kid: str = ""
    password_policy: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_PASSWORD_POLICY))
    first_factors: list[str] = field(default_factory=lambda: ["PASSWORD"])
    mfa: str = "OFF"
    sms_mfa: bool = False
    totp_mfa: bool = False
    email_mfa: bool = False
    auto_verified: list[str] = field(default_factory=list)
    username_attributes: list[str] = field(default_factory=list)
    alias_attributes: list[str] = field(default_factory=list)
    case_sensitive: bool = True
    device_configuration: dict[str, bool] | None = None
    custom_attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    required_attributes: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshRecord] = field(default_factory=dict)
    revoked_origins: list[str] = field(default_factory=list)
    # OAuth 2.0 (aiocognito.testing.oauth): the domain prefix (CreateUserPoolDomain) and the resource
    # servers by identifier, as CreateResourceServer describes them.
    domain: str = ""
    resource_servers: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def srp_name(self) -> str:
        """The pool name SRP hashes (the id after ``_``)."""
        return srp.pool_name(self.id)

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.id}"

    @property
    def arn(self) -> str:
        return f"arn:aws:cognito-idp:{self.region}:123456789012:userpool/{self.id}"

    # --- users -------------------------------------------------------------------------------------

    def _fold(self, name: str) -> str:
        return name if self.case_sensitive else name.lower()

    def find_user(self, name: str) -> User | None:
        """The user signing in as ``name``: the username, a username attribute or a verified alias."""
        folded = self._fold(name)
        for user in self.users.values():
            if self._fold(user.username) == folded:
                return user
        for attribute in self.username_attributes:
            for user in self.users.values():
                value = user.attributes.get(attribute)
                if value is not None and self._fold(value) == folded:
                    return user
        for attribute in self.alias_attributes:
            for user in self.users.values():
                value = user.attributes.get(attribute)
                if value is None or self._fold(value) != folded:
                    continue
                if attribute == "preferred_username" or user.verified(attribute):
                    return user
        return None

    def check_attribute_names(self, names: list[str], *, writing: bool = True) -> None:
        """Refuse attribute names the pool's schema does not have (and ``sub``, which is immutable)."""
        for name in names:
            if name.startswith("custom:"):
                declared = self.custom_attributes.get(name[len("custom:") :])
                if declared is None:
                    raise invalid_parameter(f"{name}: Attribute does not exist in the schema.")
                continue
            if name not in STANDARD_ATTRIBUTES:
                raise invalid_parameter(f"{name}: Attribute does not exist in the schema.")
            if writing and name == "sub":
                raise invalid_parameter("Cannot modify the non-mutable attribute sub")

    def check_password_policy(self, password: str) -> None:
        """Cognito's password policy check.

        Raises:
            Fault: InvalidPasswordException with Cognito's message.
        """
        policy = self.password_policy
        problem = None
        if len(password) < int(policy.get("MinimumLength", 8)):
            problem = "Password not long enough"
        elif policy.get("RequireLowercase") and not any(c.islower() for c in password):
            problem = "Password must have lowercase characters"
        elif policy.get("RequireUppercase") and not any(c.isupper() for c in password):
            problem = "Password must have uppercase characters"
        elif policy.get("RequireNumbers") and not any(c.isdigit() for c in password):
            problem = "Password must have numeric characters"
        elif policy.get("RequireSymbols") and not any(c in _SYMBOLS for c in password.strip()):
            problem = "Password must have symbol characters"
        elif password != password.strip():
            problem = "Password must not have leading or trailing spaces"
        if problem is not None:
            raise Fault("InvalidPasswordException", f"Password did not conform with policy: {problem}")

    def new_user(self, username: str, now: float) -> User:
        sub = str(uuid.uuid4())
        user = User(username=username, sub=sub, created_at=now, modified_at=now, attributes={"sub": sub})
        user.device_group_key = "-" + random_id(9)
        self.users[username] = user
        return user

    def delete_user(self, user: User) -> None:
        self.users.pop(user.username, None)
        for token, record in list(self.refresh_tokens.items()):
            if record.username == user.username:
                del self.refresh_tokens[token]

    # --- persistence -------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        nested = {"users", "clients", "groups", "refresh_tokens"}
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in nested}
        data["users"] = {name: user.to_json() for name, user in self.users.items()}
        data["clients"] = {key: dataclasses.asdict(value) for key, value in self.clients.items()}
        data["groups"] = {key: dataclasses.asdict(value) for key, value in self.groups.items()}
        data["refresh_tokens"] = {
            key: dataclasses.asdict(value) for key, value in self.refresh_tokens.items()
        }
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str = "pool") -> Pool:
        """Raises: StateFileError: a value is missing or of the wrong type (the message gives its path)."""
        nested = frozenset({"users", "clients", "groups", "refresh_tokens"})
        pool = _build(cls, data, where, nested=nested)

        def each(name: str) -> tuple[str, dict[str, Any]]:
            return f"{where}.{name}", _check_object(data.get(name, {}), f"{where}.{name}")

        at, users = each("users")
        pool.users = {key: User.from_json(value, _key_path(at, key)) for key, value in users.items()}
        at, clients = each("clients")
        pool.clients = {key: _build(Client, value, _key_path(at, key)) for key, value in clients.items()}
        at, groups = each("groups")
        pool.groups = {key: _build(Group, value, _key_path(at, key)) for key, value in groups.items()}
        at, tokens = each("refresh_tokens")
        pool.refresh_tokens = {
            key: _build(RefreshRecord, value, _key_path(at, key)) for key, value in tokens.items()
        }
        return pool


@dataclass(slots=True)
class IdentityPool:
    """A Cognito identity pool (``cognito-identity``): which user pool clients it trusts, its identities."""

    id: str
    name: str
    allow_unauthenticated: bool
    providers: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    # identity id -> the logins ("cognito-idp.<region>.amazonaws.com/<pool>:<sub>") linked to it
    identities: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class Store:
    """Everything the server keeps across restarts."""

    pools: dict[str, Pool] = field(default_factory=dict)
    identity_pools: dict[str, IdentityPool] = field(default_factory=dict)

    def pool(self, pool_id: object) -> Pool:
        """Raises: Fault: ResourceNotFoundException for an unknown pool."""
        pool = self.pools.get(pool_id) if isinstance(pool_id, str) else None
        if pool is None:
            raise Fault("ResourceNotFoundException", f"User pool {pool_id} does not exist.")
        return pool

    def client(self, client_id: object) -> tuple[Pool, Client]:
        """The pool and app client of a client id.

        Raises:
            Fault: ResourceNotFoundException for an unknown client.
        """
        if isinstance(client_id, str):
            for pool in self.pools.values():
                client = pool.clients.get(client_id)
                if client is not None:
                    return pool, client
        raise Fault("ResourceNotFoundException", "User pool client " + str(client_id) + " does not exist.")

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "pools": {key: pool.to_json() for key, pool in self.pools.items()},
            "identity_pools": {key: dataclasses.asdict(pool) for key, pool in self.identity_pools.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Store:
        """The store of a state file's JSON.

        Raises:
            StateFileError: a value is missing or of the wrong type (the message gives its path).
        """
        _check_object(data, "the document")
        pools = _check_object(data.get("pools", {}), "pools")
        identity_pools = _check_object(data.get("identity_pools", {}), "identity_pools")
        return cls(
            pools={key: Pool.from_json(value, _key_path("pools", key)) for key, value in pools.items()},
            identity_pools={
                key: _build(IdentityPool, value, _key_path("identity_pools", key))
                for key, value in identity_pools.items()
            },
        )

    def save(self, path: Path) -> None:
        """Write the state to ``path`` atomically (a temporary file, then a rename)."""
        text = json.dumps(self.to_json(), indent=1, sort_keys=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    @classmethod
    def load(cls, path: Path) -> Store:
        """The state in ``path``, or an empty one when the file does not exist.

        Raises:
            StateFileError: the file cannot be read, or is not a local user pool state file; the message
                names it and says why (it is left unchanged).
        """

        def refused(why: str) -> StateFileError:
            return StateFileError(
                f"state file {path}: {why}; it was left unchanged (repair it, or remove it to start empty)"
            )

        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls()
        except OSError as exc:
            raise StateFileError(f"state file {path}: cannot read it: {exc.strerror or exc}") from None
        try:
            data = _json.loads(raw, max_depth=_STATE_MAX_DEPTH, max_containers=_STATE_MAX_CONTAINERS)
        except _json.JsonError as exc:
            where = _json_position(raw) if str(exc) == "not JSON" else ""
            raise refused(f"{exc}{where}") from None
        if not isinstance(data, dict):
            raise refused("not a JSON object")
        version = data.get("version")
        if version != 1:
            if type(version) is int:
                raise refused(f"format version {version}, this aiocognito reads version 1")
            raise refused('no "version": 1, so not a local user pool state file')
        try:
            return cls.from_json(data)
        except StateFileError as exc:
            raise refused(f"not a local user pool state file: {exc}") from None


def _json_position(raw: bytes) -> str:
    """Where json stops reading ``raw`` (" at line L column C"), to help a repair by hand; else "".

    Only for a document :func:`aiocognito._json.loads` refused as "not JSON": its nesting was checked.
    """
    try:
        json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as exc:
        return f" at line {exc.lineno} column {exc.colno}"
    except (ValueError, RecursionError):
        return ""
    return ""


def new_client_id() -> str:
    return random_id(26, _LOWER_ALNUM)
