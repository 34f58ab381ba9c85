"""Tasks: what workflow code yields, and the combinators over them.

A task completes when the event it waits for is applied (on a live step or on replay); the
workflow generator is resumed when the task it yielded is complete. Nothing here does I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from builtin_engine._errors import FailureDetails, TaskFailedError

T = TypeVar("T")


class Task(Generic[T]):
    """A durable operation's eventual result. Yield it from a workflow to wait for it."""

    __slots__ = ("_complete", "_exception", "_parents", "_result")

    def __init__(self) -> None:
        self._complete = False
        self._result: Any = None
        self._exception: TaskFailedError | None = None
        self._parents: list[CompositeTask[Any]] | None = None

    @property
    def is_complete(self) -> bool:
        """True once the task has a result or has failed."""
        return self._complete

    @property
    def is_failed(self) -> bool:
        """True if the task completed with a failure."""
        return self._exception is not None

    def get_result(self) -> T:
        """The task's result; raises its ``TaskFailedError`` if it failed."""
        if not self._complete:
            raise ValueError("The task has not completed.")
        if self._exception is not None:
            raise self._exception
        result: T = self._result
        return result

    def get_exception(self) -> TaskFailedError:
        """The failure of a failed task."""
        if self._exception is None:
            raise ValueError("The task has not failed.")
        return self._exception

    def _finish(self) -> None:
        self._complete = True
        if self._parents:
            for parent in self._parents:
                parent._on_child_done(self)


class CompletableTask(Task[T]):
    """A task completed by one history event (activity, timer, external event, child)."""

    __slots__ = ()

    def complete(self, result: T) -> None:
        if self._complete:
            return
        self._result = result
        self._finish()

    def fail(self, message: str, details: FailureDetails) -> None:
        if self._complete:
            return
        self._exception = TaskFailedError(message, details)
        self._finish()


class CompositeTask(Task[T]):
    """A task over other tasks."""

    __slots__ = ("_children", "_done_count")

    def __init__(self, children: Sequence[Task[Any]]) -> None:
        super().__init__()
        self._children = list(children)
        self._done_count = 0
        for child in self._children:
            if child._parents is None:
                child._parents = []
            child._parents.append(self)
        for child in self._children:
            if child.is_complete:
                self._on_child_done(child)

    def _on_child_done(self, child: Task[Any]) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        super()._finish()
        # Detach from the children still pending: a task raced in many ``when_any`` calls (an
        # event waited for in a loop, say) must not keep every finished race alive.
        for child in self._children:
            if not child._complete and child._parents is not None:
                child._parents = [parent for parent in child._parents if parent is not self]


class WhenAllTask(CompositeTask[list[T]]):
    """Completes with every child's result in order; fails as soon as one child fails."""

    __slots__ = ()

    def __init__(self, children: Sequence[Task[T]]) -> None:
        super().__init__(children)
        if not self._children and not self._complete:
            self._result = []
            self._finish()

    def _on_child_done(self, child: Task[Any]) -> None:
        if self._complete:
            return
        self._done_count += 1
        if child.is_failed:
            self._exception = child.get_exception()
            self._finish()
        elif self._done_count == len(self._children):
            self._result = [c._result for c in self._children]
            self._finish()


class WhenAnyTask(CompositeTask[Task[Any]]):
    """Completes with the first child to complete (successfully or not)."""

    __slots__ = ()

    def _on_child_done(self, child: Task[Any]) -> None:
        if self._complete:
            return
        self._result = child
        self._finish()


def when_all(tasks: Sequence[Task[T]]) -> WhenAllTask[T]:
    """A task that completes when every task has completed; its result is the list of results.

    Fails with the first failure among ``tasks``.
    """
    return WhenAllTask(tasks)


def when_any(tasks: Sequence[Task[Any]]) -> WhenAnyTask:
    """A task that completes when any of ``tasks`` completes; its result is that task."""
    return WhenAnyTask(tasks)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a failed activity or child workflow is retried (durably, with timers).

    ``max_number_of_attempts`` counts the first try. The n-th retry waits
    ``first_retry_interval * backoff_coefficient ** (n - 1)``, capped by ``max_retry_interval``;
    no retry starts after ``retry_timeout`` has passed since the first attempt.
    ``non_retryable_error_types`` (an extension) names exception types that fail at once; an
    activity raising ``NonRetryableError`` is never retried either.
    """

    first_retry_interval: timedelta
    max_number_of_attempts: int
    backoff_coefficient: float | None = 1.0
    max_retry_interval: timedelta | None = None
    retry_timeout: timedelta | None = None
    non_retryable_error_types: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.first_retry_interval < timedelta(0):
            raise ValueError("first_retry_interval must be >= 0")
        if self.max_number_of_attempts < 1:
            raise ValueError("max_number_of_attempts must be >= 1")
        if self.backoff_coefficient is not None and self.backoff_coefficient < 1:
            raise ValueError("backoff_coefficient must be >= 1")
        if self.max_retry_interval is not None and self.max_retry_interval < timedelta(0):
            raise ValueError("max_retry_interval must be >= 0")
        if self.retry_timeout is not None and self.retry_timeout < timedelta(0):
            raise ValueError("retry_timeout must be >= 0")

    def next_delay(self, attempts: int, failure: FailureDetails, elapsed: float) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to give up.

        ``attempts`` is how many attempts have run so far, ``elapsed`` the seconds since the
        first one started (workflow time, so replay decides the same).
        """
        if attempts >= self.max_number_of_attempts:
            return None
        if failure.error_type == "NonRetryableError" or failure.error_type in self.non_retryable_error_types:
            return None
        coefficient = self.backoff_coefficient or 1.0
        delay = self.first_retry_interval.total_seconds() * math.pow(coefficient, attempts - 1)
        if self.max_retry_interval is not None:
            delay = min(delay, self.max_retry_interval.total_seconds())
        if self.retry_timeout is not None and elapsed + delay > self.retry_timeout.total_seconds():
            return None
        return delay
