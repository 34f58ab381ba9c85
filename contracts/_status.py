"""The runtime status of a workflow instance, spelled as Dapr spells it."""

from __future__ import annotations

import enum


class RuntimeStatus(enum.Enum):
    """Dapr's eight runtime statuses. Every component maps its runtime's statuses onto these."""

    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CONTINUED_AS_NEW = "CONTINUED_AS_NEW"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    TERMINATED = "TERMINATED"
    PENDING = "PENDING"
    SUSPENDED = "SUSPENDED"

    @property
    def is_terminal(self) -> bool:
        """True for the statuses an instance never leaves (the ones that may be purged)."""
        return self in _TERMINAL


_TERMINAL = frozenset(
    {RuntimeStatus.COMPLETED, RuntimeStatus.FAILED, RuntimeStatus.TERMINATED, RuntimeStatus.CANCELED}
)
