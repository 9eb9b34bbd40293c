"""The browser half of managed login, with no IO: the domain's URL, the ``/oauth2/authorize`` request
the web app keeps until the callback, and the check of the callback's ``state``."""

from __future__ import annotations

import hmac
import json
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.safe_json import JsonError, loads
from .errors import StateMismatchError
from .pkce import code_challenge

__all__ = ["AuthorizationRequest", "authorize_url", "check_state", "domain_url", "scope_text"]


def domain_url(domain: str, region: str | None = None) -> str:
    """The base URL of a user pool domain.

    ``domain_url("myapp", "eu-west-1")`` is ``"https://myapp.auth.eu-west-1.amazoncognito.com"``; a host
    (``"auth.example.com"``, a custom domain) or a URL is returned as an ``https://`` URL without the
    trailing slash.

    Raises:
        ValueError: an empty domain, or a prefix without a region.
    """
    domain = domain.strip().rstrip("/")
    if not domain:
        raise ValueError("the domain is empty")
    if "://" in domain:
        return domain
    if "." not in domain:
        if region is None:
            raise ValueError("a domain prefix needs the region: domain_url(prefix, region)")
        return f"https://{domain}.auth.{region}.amazoncognito.com"
    return f"https://{domain}"


def scope_text(scopes: Iterable[str] | str | None) -> str | None:
    """The ``scope`` parameter: the scopes space-separated, each once, in the order given.

    Raises:
        ValueError: a scope is empty or holds a space.
    """
    if scopes is None:
        return None
    items = scopes.split() if isinstance(scopes, str) else list(scopes)
    for scope in items:
        if not isinstance(scope, str) or not scope or any(c.isspace() for c in scope):
            raise ValueError(f"a scope is a non-empty string without spaces, not {scope!r}")
    return " ".join(dict.fromkeys(items))


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """One sign-in through managed login, as the web app keeps it between the redirect and the callback.

    Keep it server side (or in an encrypted cookie): ``code_verifier`` is the PKCE secret that proves the
    code is redeemed by whoever asked for it. ``to_json``/``from_json`` give and read a JSON string.

    Attributes:
        url: the ``/oauth2/authorize`` URL to send the browser to.
        state: the anti-CSRF value the callback must bring back.
        nonce: the value the id token must carry, or ``None``.
        redirect_uri: the callback URL, sent again when the code is exchanged.
        code_verifier: the PKCE verifier, or ``None`` without PKCE. Not in the repr.
        scopes: the scopes asked for (empty: the app client's defaults).
        issued_at: when it was made, epoch seconds.
    """

    url: str
    state: str
    nonce: str | None
    redirect_uri: str
    code_verifier: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = ()
    issued_at: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "state": self.state,
            "nonce": self.nonce,
            "redirect_uri": self.redirect_uri,
            "code_verifier": self.code_verifier,
            "scopes": list(self.scopes),
            "issued_at": self.issued_at,
        }

    def to_json(self) -> str:
        """The JSON form (it holds the verifier: keep it where the browser cannot read it)."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuthorizationRequest:
        """Read :meth:`to_dict`'s form back.

        Raises:
            ValueError: the data is not an authorization request.
        """
        if not isinstance(data, Mapping):
            raise ValueError("authorization request data is not an object")
        try:
            url, state, redirect_uri = data["url"], data["state"], data["redirect_uri"]
            nonce, verifier = data.get("nonce"), data.get("code_verifier")
            scopes, issued_at = data.get("scopes", []), data.get("issued_at", 0.0)
        except KeyError as exc:
            raise ValueError(f"authorization request data lacks {exc.args[0]!r}") from None
        if not all(isinstance(v, str) and v for v in (url, state, redirect_uri)):
            raise ValueError("authorization request data: url, state and redirect_uri must be strings")
        if not all(v is None or isinstance(v, str) for v in (nonce, verifier)):
            raise ValueError("authorization request data: nonce and code_verifier must be strings")
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise ValueError("authorization request data: scopes must be a list of strings")
        if isinstance(issued_at, bool) or not isinstance(issued_at, int | float):
            raise ValueError("authorization request data: issued_at must be a number")
        return cls(url, state, nonce, redirect_uri, verifier, tuple(scopes), float(issued_at))

    @classmethod
    def from_json(cls, text: str | bytes) -> AuthorizationRequest:
        """Read :meth:`to_json`'s form back.

        Raises:
            ValueError: the text is not an authorization request.
        """
        try:
            data = loads(text)
        except JsonError:
            raise ValueError("authorization request data is not JSON") from None
        return cls.from_dict(data)


def authorize_url(
    base_url: str,
    client_id: str,
    redirect_uri: str,
    *,
    state: str,
    now: float,
    scopes: Iterable[str] | str | None = None,
    nonce: str | None = None,
    code_verifier: str | None = None,
    identity_provider: str | None = None,
    idp_identifier: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> AuthorizationRequest:
    """Build the ``/oauth2/authorize`` URL (pure: the random values are given).

    Raises:
        ValueError: a bad scope or code verifier.
    """
    params: dict[str, str] = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri}
    params["state"] = state
    scope = scope_text(scopes)
    if scope:
        params["scope"] = scope
    if nonce is not None:
        params["nonce"] = nonce
    if code_verifier is not None:
        params["code_challenge"] = code_challenge(code_verifier)
        params["code_challenge_method"] = "S256"
    if identity_provider is not None:
        params["identity_provider"] = identity_provider
    if idp_identifier is not None:
        params["idp_identifier"] = idp_identifier
    if extra:
        params.update(extra)
    url = f"{base_url}/oauth2/authorize?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"
    return AuthorizationRequest(
        url=url,
        state=state,
        nonce=nonce,
        redirect_uri=redirect_uri,
        code_verifier=code_verifier,
        scopes=tuple(scope.split()) if scope else (),
        issued_at=now,
    )


def check_state(given: object, expected: AuthorizationRequest) -> None:
    """Compare a callback's ``state`` with the one sent, in constant time.

    Raises:
        StateMismatchError: it is missing or not the one sent (status 0).
    """
    if not isinstance(given, str) or not given:
        raise StateMismatchError("the callback has no state", status=0)
    if not hmac.compare_digest(given.encode(), expected.state.encode()):
        raise StateMismatchError("the callback's state is not the one sent with the request", status=0)
