"""An ASL chain of five Task states against the same chain as a code workflow, same run.

    python -m bench.declarative_chain [--quick]

Through the engine API (no HTTP), on one engine and one SQLite store at full durability: N
instances of the code workflow ``chain`` (five no-op activities) and N of the ASL state machine
``asl_chain`` (five Task states calling the same no-op activity), in alternating rounds so that
both see the same machine load. The interpreted one must reach at least half the throughput of
the code one (issue 13).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
from pathlib import Path

import builtin_engine as wf
from bench.engine_common import parser, run_all, runtime
from builtin_engine import declarative

MACHINE = {
    "StartAt": "S1",
    "States": {
        **{f"S{i}": {"Type": "Task", "Resource": "noop", "Next": f"S{i + 1}"} for i in range(1, 5)},
        "S5": {"Type": "Task", "Resource": "noop", "End": True},
    },
}


async def main(quick: bool) -> None:
    count, rounds = (200, 2) if quick else (1000, 3)
    with tempfile.TemporaryDirectory(prefix="flowport-bench-") as tmp:
        (Path(tmp) / "asl_chain.asl.json").write_text(json.dumps(MACHINE))
        definitions, problems = declarative.load_definitions([Path(tmp) / "asl_chain.asl.json"])
        assert not problems, problems
        registry = wf.Registry()
        registry.merge(runtime.registry)
        declarative.install(registry, definitions)
        engine = wf.Engine(wf.SQLiteStore(Path(tmp) / "bench.db"), registry, wf.EngineOptions())
        await engine.start()
        try:
            await run_all(engine, "chain", [{"steps": 5}] * 50, "warm-code")
            await run_all(engine, "asl_chain", [0] * 50, "warm-asl")
            rates: dict[str, list[float]] = {"code": [], "asl": []}
            for round_no in range(rounds):
                elapsed = await run_all(engine, "chain", [{"steps": 5}] * count, f"code-{round_no}")
                rates["code"].append(count / elapsed)
                elapsed = await run_all(engine, "asl_chain", [0] * count, f"asl-{round_no}")
                rates["asl"].append(count / elapsed)
        finally:
            await engine.stop()
    code, asl = statistics.median(rates["code"]), statistics.median(rates["asl"])
    print(f"code workflow, five no-op activities: {code:.0f} workflows/s (rounds: {_rounds(rates['code'])})")
    print(f"ASL state machine, five Task states:  {asl:.0f} workflows/s (rounds: {_rounds(rates['asl'])})")
    print(
        f"interpreted / code: {asl / code:.2f} (target >= 0.50); {count} instances per round, {rounds} rounds"
    )


def _rounds(values: list[float]) -> str:
    return ", ".join(f"{value:.0f}" for value in values)


if __name__ == "__main__":
    asyncio.run(main(parser(__doc__ or "").parse_args().quick))
