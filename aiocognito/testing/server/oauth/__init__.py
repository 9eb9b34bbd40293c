"""The local user pool's OAuth 2.0 authorization server: a user pool domain's endpoints, and its set-up.

Domains are served under a path of the local server rather than a host name::

    http://127.0.0.1:PORT/oauth/<domain>/oauth2/authorize | /login | /oauth2/token | /oauth2/revoke
                                         /oauth2/userInfo | /logout | /.well-known/openid-configuration

where ``<domain>`` is the prefix given to ``CreateUserPoolDomain`` or, always, the pool id itself (so a
test needs no domain). ``server.oauth.domain_url(pool_id)`` gives the base URL.

Semantics follow Cognito's (developer guide, "User pool endpoints and managed login reference") and
RFC 6749 / 7009 / 7636:

- App clients get ``AllowedOAuthFlows`` (``code``, ``client_credentials``; ``implicit`` is refused here),
  ``AllowedOAuthScopes``, ``CallbackURLs``, ``LogoutURLs`` and ``AllowedOAuthFlowsUserPoolClient`` from
  ``CreateUserPoolClient``/``UpdateUserPoolClient``, checked as Cognito checks them (client credentials
  need a secret, only custom scopes, and exclude ``code``; custom scopes must exist on a resource server
  made with ``CreateResourceServer``; callback URLs are https, or http on localhost / 127.0.0.1).
- ``/oauth2/token``: ``client_credentials`` (Basic or ``client_secret`` in the body), ``authorization_code``
  (single-use codes valid 5 minutes, the same ``redirect_uri``, PKCE S256 checked) and ``refresh_token``.
  Errors are ``{"error": ..., "error_description": ...}`` with HTTP 400.
- ``/oauth2/authorize`` redirects to ``/login``, the managed login pages: the password, then what the
  pool asks (an MFA code by authenticator app, SMS or e-mail, the MFA choice, an authenticator set-up, a
  new password), each answered through the pool's own ``AdminRespondToAuthChallenge``; then the redirect
  to the callback with ``code`` and ``state``. A successful sign-in sets a ``cognito`` session cookie so a
  later ``/oauth2/authorize`` signs in without the form; ``/logout`` ends it. The flow between pages is
  kept server side behind a per-page token, with a CSRF token in the form and the ``XSRF-TOKEN`` cookie.
  There is no federation.
- Test hook: ``server.oauth.sign_in(authorize_url, username)`` validates an authorize URL as the
  endpoint does and returns the callback URL (with a code, or with ``error=``), without a password.
- ``server.oauth.token_requests`` counts token requests by grant type (Cognito bills M2M requests).

One module per part::

    endpoints.py   OAuthEndpoints (``server.oauth``): the routes, discovery, the sign-in test hook
    login.py       the managed login: /oauth2/authorize, /logout, the session cookie
    login_form.py  /login: the password, MFA, MFA choice, set-up and new password pages
    sign_in.py     the sign-in behind those pages, on the pool's own auth machinery
    flows.py       sign-ins in progress between pages (tokens, CSRF)    forms.py  bounded form bodies
    templates.py   the pages' HTML and inline style
    token.py       /oauth2/token (each grant), /oauth2/revoke, /oauth2/userInfo
    codes.py       authorization codes between the two     pages.py   HTML pages and redirects
    config.py      an app client's OAuth settings, checked as Cognito checks them
    domains.py     CreateUserPoolDomain & co, and which pool a domain in a URL names
    resource_servers.py  CreateResourceServer & co: the custom scopes
"""

__all__: list[str] = []
