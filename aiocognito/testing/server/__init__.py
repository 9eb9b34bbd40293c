"""The local user pool server: its HTTP face, its model and one module per area of Cognito's API."""

__all__: list[str] = []
