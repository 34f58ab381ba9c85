"""A Dapr Python workflow program runs unchanged but for its import line, with the same output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.integration.builtin.hosting import REPO, WAIT

# What the program prints (the same lines Dapr's SDK makes it print).
EXPECTED = """\
Workflow started. Instance ID: exampleInstanceID
New counter value is: 0!
New counter value is: 1!
New counter value is: 11!
Retry count value is: 0!
Retry count value is: 1! This print statement verifies retry
Child workflow running
Child activity got 2
Get response from hello_world_wf after pause call: SUSPENDED
Get response from hello_world_wf after resume call: RUNNING
New counter value is: 111!
New counter value is: 1111!
Workflow completed! Status: COMPLETED
Purged: True
"""


def test_dapr_program_runs_with_only_the_import_changed(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("dapr_program.py"))],
        cwd=tmp_path,  # the default store lands in ./.flowport/ there
        capture_output=True,
        text=True,
        timeout=WAIT,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # The start line races with the workflow's first prints (as under Dapr); the rest is ordered.
    started = "Workflow started. Instance ID: exampleInstanceID"
    assert started in lines
    assert [line for line in lines if line != started] == EXPECTED.splitlines()[1:]
    assert (tmp_path / ".flowport" / "workflows.db").exists()
