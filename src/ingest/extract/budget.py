"""A run's model-call budget: at most so many calls, or so many estimated dollars; once reached, no call is
issued (the chunks left are recorded as failed, and the next run, with the calls made so far cached, goes on)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .llm import Usage, estimate_cost


@dataclass
class Budget:
    """Calls and estimated USD spent on one model against their caps (None: no cap); safe across threads."""

    message = "model-call budget reached (--max-calls/--max-cost): not sent; run again to continue"
    model: str
    max_calls: int | None = None
    max_cost: float | None = None
    calls: int = 0
    cost: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def reached(self) -> bool:
        over_calls = self.max_calls is not None and self.calls >= self.max_calls
        return over_calls or (self.max_cost is not None and self.cost >= self.max_cost)

    def reserve(self) -> bool:
        """Take one call from the budget before issuing it; False once the budget is reached."""
        with self._lock:
            if self.reached:
                return False
            self.calls += 1
            return True

    def spend(self, usage: Usage) -> None:
        """Record what an issued call cost: its retries as further calls, its tokens at list price."""
        with self._lock:
            self.calls += usage.calls - 1  # a call that failed before it was sent gives its reservation back
            self.cost += estimate_cost(self.model, usage) or 0.0

    def report(self) -> dict:
        """Spend against the caps, for the run summary."""
        return {
            "calls": self.calls,
            "max_calls": self.max_calls,
            "cost_usd": round(self.cost, 6),
            "max_cost_usd": self.max_cost,
            "reached": self.reached,
        }
