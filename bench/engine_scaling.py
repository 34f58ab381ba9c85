"""Flat per-step cost: one 1,000-step workflow against ten 100-step workflows.

    python -m bench.engine_scaling [--quick]

The same 1,000 steps either way (the ten run one after another), so a ratio near 1 means a
step costs the same at step 990 as at step 10: no replay of the history per step. Also times
a cold replay of the long workflow (the engine restarted on the same store). Target: <= 1.2.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import builtin_engine as wf
from bench.engine_common import is_done, parser, run_all, runtime


async def main(quick: bool) -> None:
    long_steps = 200 if quick else 1000
    short = long_steps // 10
    rounds = 1 if quick else 3
    async with _engine_at(None) as (e, _):
        await run_all(e, "chain", [{"steps": 50}], "warm")
        longs, shorts = [], []
        for r in range(rounds):
            longs.append(await run_all(e, "chain", [{"steps": long_steps}], f"long-{r}"))
            total = 0.0
            for i in range(10):
                total += await run_all(e, "chain", [{"steps": short}], f"short-{r}-{i}")
            shorts.append(total)
    best_long, best_short = min(longs), min(shorts)
    print(
        f"one {long_steps}-step workflow: {best_long:.3f} s; ten {short}-step workflows: {best_short:.3f} s; "
        f"ratio {best_long / best_short:.2f} (best of {rounds})"
    )
    await cold_replay(long_steps)


async def cold_replay(steps: int) -> None:
    """Time rebuilding a long workflow from its history after a restart."""
    with tempfile.TemporaryDirectory(prefix="flowport-bench-") as tmp:
        path = Path(tmp) / "replay.db"
        async with _engine_at(path) as (e, _):
            await e.schedule("chain", f'{{"steps": {steps}}}', "replayed")
            record = await e.wait("replayed", is_done, 600)
            assert record is not None
            history = await e.history("replayed")
        from builtin_engine._replay import Execution

        began = time.perf_counter()
        execution = Execution("replayed", runtime.registry)
        execution.is_replaying = True
        for _, event in history[:-1]:
            execution.apply(event)
        elapsed = time.perf_counter() - began
        print(
            f"cold replay of the {steps}-step history ({len(history) - 1} events): {elapsed * 1000:.1f} ms "
            f"({elapsed / (len(history) - 1) * 1e6:.1f} us per event)"
        )


class _engine_at:
    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    async def __aenter__(self) -> tuple[wf.Engine, Path]:
        if self._path is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="flowport-bench-")
            self._path = Path(self._tmp.name) / "bench.db"
        self._engine = wf.Engine(wf.SQLiteStore(self._path), runtime.registry)
        await self._engine.start()
        return self._engine, self._path

    async def __aexit__(self, *exc: object) -> None:
        await self._engine.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main(parser(__doc__ or "").parse_args().quick))
