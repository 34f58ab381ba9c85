"""Schemathesis, every check, positive and negative data and its stateful phase (following
the document's OpenAPI links from a start to the instance it created), finds nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.integration.openapi.conftest import TOKEN

HERE = Path(__file__).resolve().parent
SCHEMATHESIS = Path(sys.executable).parent / "st"
#: enough to reach every operation and status in each phase, kept small for the suite's time
MAX_EXAMPLES = 25


def test_schemathesis_finds_nothing(api_gateway: str, tmp_path: Path) -> None:
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{api_gateway}/openapi.json",
        "--header",
        f"dapr-api-token: {TOKEN}",
        "--checks",
        "all",
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "20261202",
        "--generation-database",
        "none",
        "--no-color",
        "--report-dir",
        str(tmp_path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path)
    report = done.stdout[-20000:] + done.stderr[-5000:]
    assert done.returncode == 0, report
    assert "Stateful" in done.stdout, report
