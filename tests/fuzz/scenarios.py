"""One fuzz iteration's plan: the flow, the chain of challenges, the client secret, the device.

Everything is drawn from one :class:`random.Random` seeded per iteration, so a failing iteration is
replayed from its seed alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["CHAIN_CHALLENGES", "FLOWS", "Scenario", "draw_scenario"]

FLOWS = ("USER_SRP_AUTH", "USER_PASSWORD_AUTH", "CUSTOM_AUTH", "CUSTOM_AUTH+SRP", "USER_AUTH")
# Challenges the server may put between the password and the tokens, in any order.
CHAIN_CHALLENGES = (
    "SMS_MFA",
    "SOFTWARE_TOKEN_MFA",
    "EMAIL_OTP",
    "SELECT_MFA_TYPE",
    "MFA_SETUP",
    "NEW_PASSWORD_REQUIRED",
    "CUSTOM_CHALLENGE",
)
# USER_AUTH's first factors: None lets the server answer SELECT_CHALLENGE.
FIRST_FACTORS = (None, "PASSWORD_SRP", "PASSWORD", "EMAIL_OTP")


@dataclass(frozen=True, slots=True)
class Scenario:
    """What one iteration signs in with and what the server asks on the way."""

    seed: int
    username: str
    flow: str
    preferred_challenge: str | None
    first_factor: str
    chain: tuple[str, ...]
    client_secret: bool
    device_remembered: bool
    new_device: bool
    rotate_refresh_token: bool
    mutation_rate: float

    @property
    def auth_flow(self) -> str:
        return self.flow.removesuffix("+SRP")

    @property
    def with_password(self) -> bool:
        # CUSTOM_AUTH without a password is the passwordless custom flow.
        return self.flow != "CUSTOM_AUTH"


def draw_scenario(seed: int, index: int) -> Scenario:
    rng = random.Random(f"scenario:{seed}:{index}")
    flow = rng.choice(FLOWS)
    preferred = rng.choice(FIRST_FACTORS) if flow == "USER_AUTH" else None
    chain = tuple(rng.sample(CHAIN_CHALLENGES, rng.choice((0, 0, 1, 1, 2, 3))))
    if flow == "CUSTOM_AUTH":
        chain = ("CUSTOM_CHALLENGE", *(c for c in chain if c != "CUSTOM_CHALLENGE"))
    return Scenario(
        seed=seed,
        username=f"user-{index}",
        flow=flow,
        preferred_challenge=preferred,
        first_factor=rng.choice(("PASSWORD_SRP", "PASSWORD", "EMAIL_OTP")),
        chain=chain,
        client_secret=rng.random() < 0.5,
        # A remembered device is answered after PASSWORD_VERIFIER (SRP flows only).
        device_remembered=rng.random() < 0.3,
        new_device=rng.random() < 0.3,
        rotate_refresh_token=rng.random() < 0.5,
        # Some iterations run clean, some are hammered: both ends of the range find different bugs.
        mutation_rate=rng.choice((0.0, 0.1, 0.2, 0.2, 0.35, 0.6)),
    )
