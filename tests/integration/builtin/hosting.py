"""Running ``tests.integration.builtin.host`` as a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
WAIT = 60


@contextmanager
def host(store: Path, side_file: Path) -> Iterator[subprocess.Popen[str]]:
    """The host process, once it reports ready; killed (SIGKILL) on exit if still running."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.builtin.host", str(store), str(side_file)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "ready", f"host did not start (exit code {process.poll()})"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=WAIT)
        if process.stdout is not None:
            process.stdout.close()


def orders_component(resources: Path, **metadata: str) -> Path:
    """The ``orders`` component over the test workflows (``workflows.py``) in ``resources``.

    Its store is ``state/orders.db`` beside the YAML; ``metadata`` adds settings.
    """
    settings = {"runtimes": "tests.integration.builtin.workflows:wfr", "store": "state/orders.db", **metadata}
    items = "".join(f"  - {{name: {key}, value: '{value}'}}\n" for key, value in settings.items())
    (resources / "orders.yaml").write_text(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: orders}\n"
        f"spec:\n  type: workflow.builtin\n  version: v1\n  metadata:\n{items}"
    )
    return resources
