"""The local user pool server: its HTTP face, its model, and one module per area of Cognito's API.

A request travels ``app.py`` (content type, ``X-Amz-Target``, JSON read with the client library's
bounded reader, SigV4 header present for signed operations) -> ``invoke`` (the operation checked
against botocore's model by ``schema.py``, its handler found in ``operations.py``) -> the handler of its
area, which works on the :class:`~.context.Context` and answers a dict, or raises
:class:`~aiocognito.testing.Fault` for a Cognito error -> the state file written after an operation that
changes something. Everything is Cognito-shaped on the wire; nothing is a traceback.

The face and the shared parts::

    app.py         the aiohttp application: routes, dispatch, error replies, JWKS, discovery
    operations.py  THE table: operation name -> handler (and whether it writes the state file)
    schema.py      request bodies checked against botocore's service models
    context.py     what every handler gets: the store, keys, outbox, clock, sessions, triggers
    state/         the model: Store, Pool, Client, User, Device, Group, IdentityPool; the state file
    triggers.py    Lambda triggers as Python callables     codes.py   confirmation codes, masking
    checks.py      SECRET_HASH, required parameters, the caller's access token
    paging.py      NextToken / PaginationToken
    tokens.py      JWTs issued and read back   keys.py  signing keys, JWKS
    token_claims.py  a pre token generation trigger's claim, group and scope overrides
    lifecycle.py   post confirmation, pre/post authentication, pre token generation events
    migration.py   the user migration trigger   messages.py  message words: templates, custom message
    srp_math.py    the server's SRP arithmetic  totp.py  RFC 6238

One module per API area (the operations each serves are listed in ``operations.py``)::

    pools.py  clients.py  users.py (Admin*)  groups.py  account.py (the user's own)  devices.py
    identity.py (cognito-identity)   auth/ (sign-in, one module per flow)
    oauth/ (the domain's OAuth 2.0 endpoints and login pages; domains, resource servers)
    pool_settings.py (schema, tags, certificate)  providers.py (identity providers, linked users)
    admin_devices.py  admin_account.py  client_secrets.py  branding.py  terms.py  import_jobs.py
    security.py (risk and log delivery settings)

A new operation is a coroutine ``handler(ctx, body) -> dict`` in the module of its area (a new module
for a new area) and one line in ``operations.py``; what it keeps goes into a record of ``state/``.
"""

__all__: list[str] = []
