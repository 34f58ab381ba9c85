"""The instance record's hand-written fast path agrees with the generic one."""

from __future__ import annotations

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
