"""The fuzz's tallies: what was tried, what came of it, and the failures to replay."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Failure", "Tally"]


@dataclass(frozen=True, slots=True)
class Failure:
    """One iteration that broke a promise, with what it takes to replay it."""

    what: str  # "untyped", "hang" or "resent"
    seed: int
    index: int
    phase: str
    error: str
    mutations: tuple[str, ...]
    traceback: str = ""

    def describe(self) -> str:
        lines = [
            f"{self.what} in {self.phase}: {self.error}",
            f"  replay: AIOCOGNITO_FUZZ_SEED={self.seed}, iteration {self.index}",
            f"  mutations: {', '.join(self.mutations) or 'none'}",
        ]
        if self.traceback:
            lines.append("  " + self.traceback.rstrip().replace("\n", "\n  "))
        return "\n".join(lines)


@dataclass
class Tally:
    seed: int
    iterations: int = 0
    sign_ins_attempted: int = 0
    sign_ins_succeeded: int = 0
    #: Iterations where no reply was mutated, and how many of those signed in.
    clean_iterations: int = 0
    clean_signed_in: int = 0
    #: Typed errors of unmutated iterations: each one is the fake's fault, or a timeout under load.
    clean_errors: list[str] = field(default_factory=list)
    completed: int = 0  # sign-in and every later phase succeeded
    typed_errors: Counter[str] = field(default_factory=Counter)
    untyped: list[Failure] = field(default_factory=list)
    hangs: list[Failure] = field(default_factory=list)
    resent: list[Failure] = field(default_factory=list)
    elsewhere: int = 0
    mutations: Counter[str] = field(default_factory=Counter)
    wall_seconds: float = 0.0

    @property
    def failures(self) -> list[Failure]:
        return [*self.untyped, *self.hangs, *self.resent]

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "iterations": self.iterations,
            "sign_ins_attempted": self.sign_ins_attempted,
            "sign_ins_succeeded": self.sign_ins_succeeded,
            "clean_iterations": self.clean_iterations,
            "clean_signed_in": self.clean_signed_in,
            "clean_errors": self.clean_errors[:5],
            "completed": self.completed,
            "typed_errors": dict(self.typed_errors.most_common()),
            "untyped": len(self.untyped),
            "hangs": len(self.hangs),
            "bodies_resent": len(self.resent),
            "bodies_elsewhere": self.elsewhere,
            "mutations": dict(self.mutations.most_common()),
            "wall_seconds": round(self.wall_seconds, 2),
        }

    def summary(self) -> str:
        return "FUZZ " + json.dumps(self.as_dict(), sort_keys=False)

    def failure_report(self, limit: int = 5) -> str:
        shown = self.failures[:limit]
        more = len(self.failures) - len(shown)
        text = "\n\n".join(f.describe() for f in shown)
        return text + (f"\n\n... and {more} more" if more > 0 else "")
