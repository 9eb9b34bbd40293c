"""The user pools of the local user pool's model: :class:`Pool` and what it holds besides its users
(app clients, groups, refresh tokens), the rules that are pure functions of them (password policy,
attribute names, finding a user by alias) and the ids Cognito gives them.
"""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiocognito.core import srp

from ...faults import Fault, invalid_parameter, resource_not_found, user_not_found
from .json_form import build, check_object, key_path
from .users import User

__all__ = [
    "DEFAULT_PASSWORD_POLICY",
    "STANDARD_ATTRIBUTES",
    "Client",
    "Group",
    "Pool",
    "RefreshRecord",
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


def random_id(length: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_pool_id(region: str) -> str:
    """A user pool id like Cognito's: ``us-east-1_`` and nine letters and digits."""
    return f"{region}_{random_id(9)}"


def new_client_id() -> str:
    return random_id(26, _LOWER_ALNUM)


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
    # Secrets added by AddUserPoolClientSecret: ClientSecretId, ClientSecretValue, ClientSecretCreateDate.
    added_secrets: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def allows(self, flow: str) -> bool:
        return f"ALLOW_{flow}" in self.auth_flows

    @property
    def secrets(self) -> list[str]:
        """Every secret the client may prove itself with: its own, then the added ones."""
        added = [str(item["ClientSecretValue"]) for item in self.added_secrets]
        return [self.secret, *added] if self.secret else []


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
    # OAuth 2.0 (aiocognito.testing.server.oauth): the domain prefix (CreateUserPoolDomain) and the resource
    # servers by identifier, as CreateResourceServer describes them.
    domain: str = ""
    resource_servers: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The issuer's base URL when tokens name the server (LocalUserPool(issuer="endpoint")); "" for AWS's.
    issuer_base: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    # Identity providers by ProviderName, as DescribeIdentityProvider describes them.
    identity_providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Records the pool only stores and describes (branding, terms, import jobs, risk and log delivery
    # configurations, linked provider users): area -> id -> record.
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def srp_name(self) -> str:
        """The pool name SRP hashes (the id after ``_``)."""
        return srp.pool_name(self.id)

    @property
    def issuer(self) -> str:
        base = self.issuer_base or f"https://cognito-idp.{self.region}.amazonaws.com"
        return f"{base}/{self.id}"

    @property
    def arn(self) -> str:
        return f"arn:aws:cognito-idp:{self.region}:123456789012:userpool/{self.id}"

    def area(self, name: str) -> dict[str, Any]:
        """The stored records of one area (see :attr:`records`), made on first use."""
        return self.records.setdefault(name, {})

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

    def user(self, name: str) -> User:
        """The user signing in as ``name`` (see :meth:`find_user`).

        Raises:
            Fault: UserNotFoundException.
        """
        user = self.find_user(name)
        if user is None:
            raise user_not_found()
        return user

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

    # --- app clients and tokens ----------------------------------------------------------------------

    def client(self, client_id: str) -> Client:
        """The app client ``client_id`` of this pool.

        Raises:
            Fault: ResourceNotFoundException.
        """
        client = self.clients.get(client_id)
        if client is None:
            raise resource_not_found(f"User pool client {client_id} does not exist.")
        return client

    def revoke(self, record: RefreshRecord) -> None:
        """Revoke a refresh token, and the ID and access tokens issued in its family."""
        record.revoked = True
        if record.origin_jti not in self.revoked_origins:
            self.revoked_origins.append(record.origin_jti)

    def sign_out(self, user: User) -> None:
        """GlobalSignOut: every refresh token of the user, and the access tokens issued with them."""
        for record in self.refresh_tokens.values():
            if record.username == user.username:
                self.revoke(record)

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
        pool = build(cls, data, where, nested=nested)

        def each(name: str) -> tuple[str, dict[str, Any]]:
            return f"{where}.{name}", check_object(data.get(name, {}), f"{where}.{name}")

        at, users = each("users")
        pool.users = {key: User.from_json(value, key_path(at, key)) for key, value in users.items()}
        at, clients = each("clients")
        pool.clients = {key: build(Client, value, key_path(at, key)) for key, value in clients.items()}
        at, groups = each("groups")
        pool.groups = {key: build(Group, value, key_path(at, key)) for key, value in groups.items()}
        at, tokens = each("refresh_tokens")
        pool.refresh_tokens = {
            key: build(RefreshRecord, value, key_path(at, key)) for key, value in tokens.items()
        }
        return pool
