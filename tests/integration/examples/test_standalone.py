"""Each example also runs on its own, as a Dapr user runs a workflow program.

``python examples/builtin/<x>.py`` starts the engine in its own process (state in
``./.flowport/`` of the working directory, a temporary one here) and prints what happens.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "builtin"

#: a line each program prints only when its story went as told in its docstring
EXPECTED = {
    "order_processing.py": "FAILED Activity task #2 (process_payment) failed: payment declined",
    "task_chaining.py": "FAILED TripNotBooked: trip to Rome not booked: no car available to Rome; cancelled: hotel, flight",
    "fan_out_fan_in.py": 'COMPLETED {"total": 21000',
    "async_http_api.py": '"pages": ["Q3 sales - page 1", "Q3 sales - page 2", "Q3 sales - page 3", "Q3 sales - page 4"]',
    "monitor.py": 'COMPLETED {"checks": 8, "alerts": 1, "healthy": false}',
    "human_approval.py": 'server: COMPLETED "Cancelled: no approval within 1 seconds"',
    "child_workflows.py": "-p3: FAILED",
}


def test_every_example_is_covered() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("program", sorted(EXPECTED))
def test_the_program_runs_on_its_own(program: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / program)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert EXPECTED[program] in done.stdout, done.stdout
    assert (tmp_path / ".flowport" / "workflows.db").exists()
