"""A FastAPI service that trusts Cognito bearer tokens: verified claims, groups, scopes, the user.

Run it against a real pool::

    COGNITO_POOL_ID=us-east-1_AbC123 COGNITO_CLIENT_IDS=client-id \\
        uvicorn --factory examples.fastapi_app:create_app

or against a local user pool (``aiocognito serve-local``) by also setting ``COGNITO_ENDPOINT_URL`` (the
JWKS is then taken from ``<endpoint>/<pool id>/.well-known/jwks.json``).
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel

from aiocognito import TokenClaims
from aiocognito.fastapi import Claims, CurrentUser, IdClaims, lifespan, require_groups, require_scopes


class Profile(BaseModel):
    name: str


def create_app(
    pool_id: str | None = None,
    client_ids: list[str] | None = None,
    *,
    endpoint_url: str | None = None,
    jwks_url: str | None = None,
) -> FastAPI:
    """The app, configured by the arguments or by ``COGNITO_*`` environment variables."""
    pool_id = pool_id or os.environ["COGNITO_POOL_ID"]
    client_ids = client_ids or os.environ["COGNITO_CLIENT_IDS"].split(",")
    endpoint_url = endpoint_url or os.environ.get("COGNITO_ENDPOINT_URL")
    if jwks_url is None and endpoint_url:
        jwks_url = f"{endpoint_url.rstrip('/')}/{pool_id}/.well-known/jwks.json"
    app = FastAPI(lifespan=lifespan(pool_id, client_ids, endpoint_url=endpoint_url, jwks_url=jwks_url))

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/me")
    async def me(claims: Claims) -> dict[str, Any]:
        """Whoever holds a valid access token."""
        return {"username": claims.username, "sub": claims.sub, "groups": list(claims.groups)}

    @app.get("/whoami-id")
    async def whoami_id(claims: IdClaims) -> dict[str, Any]:
        """An ID token, for its user attributes."""
        return {"username": claims.username, "email": claims.raw.get("email")}

    @app.get("/admin")
    async def admin(claims: TokenClaims = Depends(require_groups("admin"))) -> dict[str, str]:  # noqa: B008
        """Members of the ``admin`` group only."""
        return {"admin": claims.username}

    @app.get("/reports", dependencies=[Depends(require_scopes("reports/read"))])
    async def reports() -> list[str]:
        """Access tokens carrying the ``reports/read`` scope only."""
        return ["q1", "q2"]

    @app.get("/profile")
    async def profile(user: CurrentUser) -> dict[str, str]:
        """GetUser, with the bearer's own access token."""
        return dict(await user.get_attributes())

    @app.put("/profile")
    async def update_profile(body: Profile, user: CurrentUser) -> dict[str, str]:
        """UpdateUserAttributes, with the bearer's own access token."""
        await user.update_attributes({"name": body.name})
        return dict(await user.get_attributes())

    return app
