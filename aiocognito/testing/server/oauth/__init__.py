"""The OAuth 2.0 authorization server of a user pool domain, and its set-up operations."""

__all__: list[str] = []
