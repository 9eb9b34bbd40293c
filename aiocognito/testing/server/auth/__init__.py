"""Sign-in on the server side: InitiateAuth / RespondToAuthChallenge, their Admin forms and every flow."""

__all__: list[str] = []
