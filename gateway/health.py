"""Component health over time: readiness, the health gauge, and outage log lines.

``readiness`` answers ``/readyz`` and ``/v1.0/healthz/outbound``: every component that is not
initialised or not healthy, each marked blocking or not (``ignoreErrors`` components never
block). ``HealthWatch`` keeps ``flowport_component_healthy`` current from a periodic health
check and from what requests see, and logs a backend outage once when it begins and once when
it ends, however many requests fail in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from gateway.registry import ComponentRegistry, ComponentSlot
from gateway.telemetry.metrics import COMPONENT_HEALTHY

log = logging.getLogger(__name__)

#: seconds between two health checks of every component
DEFAULT_HEALTH_INTERVAL = 10.0


@dataclass(frozen=True, slots=True)
class ComponentReadiness:
    name: str
    ready: bool
    #: false for ``ignoreErrors`` components: listed, but they do not hold readiness back
    blocking: bool
    detail: str | None


async def readiness(registry: ComponentRegistry) -> list[ComponentReadiness]:
    """Each component's readiness, checked now (health checks run concurrently)."""
    return list(await asyncio.gather(*(_readiness(registry, slot) for slot in registry.slots)))


async def _readiness(registry: ComponentRegistry, slot: ComponentSlot) -> ComponentReadiness:
    blocking = not slot.definition.ignore_errors
    if slot.component is None:
        return ComponentReadiness(slot.name, False, blocking, slot.error or "not constructed")
    if not slot.initialised:
        return ComponentReadiness(slot.name, False, blocking, "not initialised yet")
    health = await registry.health(slot)
    return ComponentReadiness(slot.name, health.healthy, blocking, health.detail)


@dataclass(slots=True)
class _State:
    healthy: bool
    since: float


class HealthWatch:
    """The components' health as the gateway last saw it."""

    def __init__(self, registry: ComponentRegistry, interval: float = DEFAULT_HEALTH_INTERVAL) -> None:
        self._registry = registry
        self._interval = interval
        self._states: dict[str, _State] = {}

    def observe(self, name: str, healthy: bool, detail: str | None = None) -> None:
        """What a health check or a request just showed; logs only a change."""
        state = self._states.get(name)
        if state is not None and state.healthy == healthy:
            return
        now = time.monotonic()
        slot = self._registry.slot(name)
        kind = slot.definition.spec.type if slot is not None else ""
        COMPONENT_HEALTHY.labels(name, kind).set(1 if healthy else 0)
        if state is None:
            self._states[name] = _State(healthy, now)
            if not healthy:
                log.warning("component %s: backend unavailable: %s", name, detail, extra={"component": name})
            return
        if healthy:
            log.info(
                "component %s: backend available again after %.1f s",
                name,
                now - state.since,
                extra={"component": name},
            )
        else:
            log.warning("component %s: backend unavailable: %s", name, detail, extra={"component": name})
        state.healthy, state.since = healthy, now

    async def check(self) -> None:
        """Check every component once."""
        slots = self._registry.slots
        healths = await asyncio.gather(*(self._registry.health(slot) for slot in slots))
        for slot, health in zip(slots, healths, strict=True):
            if slot.component is None:
                # Failed at start-up: down for good, and already logged as failed.
                COMPONENT_HEALTHY.labels(slot.name, slot.definition.spec.type).set(0)
                continue
            self.observe(slot.name, health.healthy, health.detail)

    async def run(self, stop: asyncio.Event) -> None:
        """Check every ``interval`` seconds until ``stop`` is set.

        Never cancelled mid-check: a health check cut off in the middle of a call can leave
        that call's connection behind.
        """
        while not stop.is_set():
            await self.check()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)
