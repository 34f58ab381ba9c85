"""Branches that run at once inside one workflow: Parallel, Map, ``fork``, ``for``.

A branch is a generator that yields engine tasks, like a workflow. ``gather`` drives several of
them from one workflow generator: it resumes each branch whose task has completed, in branch
order, and otherwise waits with ``when_any`` on every pending task. Which branch moves next
depends only on the order in which the engine applies events, so replay takes the same path.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import builtin_engine as wf

Branch = Generator[wf.Task[Any], Any, Any]


@dataclass(slots=True)
class Outcome:
    """How one branch ended: its value, or the exception it raised."""

    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def gather(
    branches: Sequence[Callable[[], Branch]],
    *,
    limit: int = 0,
    stop: Callable[[int, Outcome], bool] = lambda index, outcome: not outcome.ok,
) -> Generator[wf.Task[Any], Any, list[Outcome | None]]:
    """Run ``branches`` (at most ``limit`` at once; 0 means all) until all end or ``stop`` says so.

    ``stop(index, outcome)`` is asked as each branch ends; when it answers true the other
    branches are abandoned (their pending work is left to finish unobserved) and the outcomes
    so far are returned, ``None`` for branches that did not end.
    """
    outcomes: list[Outcome | None] = [None] * len(branches)
    running: dict[int, tuple[Branch, wf.Task[Any]]] = {}
    started = 0
    stopped = False

    def advance(index: int, branch: Branch, task: wf.Task[Any] | None) -> bool:
        """Resume ``branch`` until it waits for an incomplete task (True) or ends (False)."""
        while True:
            try:
                if task is None:
                    task = branch.send(None)
                elif task.is_failed:
                    task = branch.throw(task.get_exception())
                else:
                    task = branch.send(task.get_result())
            except StopIteration as end:
                outcomes[index] = Outcome(end.value)
                return False
            except Exception as exc:  # the branch failed: its error is the outcome
                outcomes[index] = Outcome(error=exc)
                return False
            if not task.is_complete:
                running[index] = (branch, task)
                return True

    def finish(index: int) -> bool:
        outcome = outcomes[index]
        return outcome is not None and stop(index, outcome)

    while not stopped and (running or started < len(branches)):
        while started < len(branches) and (limit <= 0 or len(running) < limit):
            index = started
            started += 1
            if not advance(index, branches[index](), None) and finish(index):
                stopped = True
                break
        if stopped or not running:
            continue
        ready = [index for index, (_, task) in running.items() if task.is_complete]
        if not ready:
            yield wf.when_any([task for _, task in running.values()])
            continue
        for index in sorted(ready):
            branch, task = running.pop(index)
            if not advance(index, branch, task) and finish(index):
                stopped = True
                break
    for branch, _ in running.values():
        branch.close()
    return outcomes
