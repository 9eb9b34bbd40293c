"""A seeded fuzz of sign-in, refresh and GetUser against a fake Cognito whose replies are mutated.

Helpers only (no ``test_`` files here): ``tests/integration/test_fuzz.py`` runs them.
"""
