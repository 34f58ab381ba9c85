"""The engine's hand-written fast paths agree with the generic ones, and keep no garbage."""

from __future__ import annotations

import builtin_engine as wf
from builtin_engine._store import InstanceRecord, Status


def test_stepped_is_replace_of_the_three_step_fields() -> None:
    # ``stepped`` lists every field by position for speed: adding a field to InstanceRecord
    # without updating it fails here.
    record = InstanceRecord(
        **{name: f"value of {name}" for name in InstanceRecord._fields}  # type: ignore[arg-type]
    )
    stepped = record.stepped(Status.SUSPENDED, 42.0, '"busy"')
    assert stepped == record._replace(status=Status.SUSPENDED, updated_at=42.0, custom_status='"busy"')
    assert type(stepped) is InstanceRecord


def test_a_finished_race_lets_go_of_the_tasks_still_pending() -> None:
    from builtin_engine._task import CompletableTask

    pending: CompletableTask[int] = CompletableTask()
    for round_ in range(100):  # one long wait raced in a loop against tasks that finish first
        quick: CompletableTask[int] = CompletableTask()
        race = wf.when_any([pending, quick])
        quick.complete(round_)
        assert race.is_complete
        assert race.get_result() is quick
    assert not pending._parents  # no finished race kept alive through the pending task
    final = wf.when_all([pending])
    pending.complete(7)
    assert final.get_result() == [7]
