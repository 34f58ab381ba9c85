"""The loaded components: building them, initialising them, and handing them to routes."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from contracts import ComponentConfigError, ComponentHealth, WorkflowComponent, WorkflowError
from gateway.plugins import Plugin, load_plugin
from gateway.resources import ComponentDefinition, ResourcesError, load_resources
from gateway.telemetry.metrics import COMPONENT_INIT_SECONDS

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ComponentSlot:
    """One configured component; ``error`` is set when it could not be built or initialised."""

    definition: ComponentDefinition
    plugin: Plugin | None = None
    component: WorkflowComponent | None = None
    error: str | None = None
    #: true once ``init`` succeeded
    initialised: bool = False

    @property
    def name(self) -> str:
        return self.definition.spec.name


class ComponentRegistry:
    """Every workflow component the gateway serves, by name."""

    def __init__(self, slots: Sequence[ComponentSlot]) -> None:
        self._slots = {slot.name: slot for slot in slots}
        self._closing: set[asyncio.Future[None]] = set()

    @classmethod
    def from_resources(cls, paths: Sequence[Path]) -> ComponentRegistry:
        """Load YAML, load plugins and construct components; no I/O to any runtime yet.

        Raises ``ResourcesError`` with every mistake, except those of components marked
        ``ignoreErrors``, which stay registered as failed.
        """
        make_importable([Path.cwd(), *paths])
        resources = load_resources(paths)
        errors = list(resources.errors)
        slots: list[ComponentSlot] = []
        for definition in resources.components:
            slot = ComponentSlot(definition)
            try:
                slot.plugin = load_plugin(definition.spec)
                slot.component = _construct(slot.plugin, definition)
            except ComponentConfigError as exc:
                located = exc.located(file=definition.spec.source, component=definition.spec.name)
                if not definition.ignore_errors:
                    errors.extend(located.each())
                    continue
                log.warning("component %s failed and is ignored (ignoreErrors): %s", slot.name, located)
                slot.error = str(located)
            slots.append(slot)
        if errors:
            raise ResourcesError(errors)
        return cls(slots)

    @classmethod
    def of(cls, components: Iterable[WorkflowComponent]) -> ComponentRegistry:
        """A registry of components built in code (tests, embedding)."""
        return cls([ComponentSlot(ComponentDefinition(spec=c.spec), component=c) for c in components])

    @property
    def slots(self) -> list[ComponentSlot]:
        return list(self._slots.values())

    def slot(self, name: str) -> ComponentSlot | None:
        return self._slots.get(name)

    async def start(self) -> None:
        """Initialise every component concurrently, each within its ``initTimeout``.

        A component that fails stops the start-up, unless it is marked ``ignoreErrors``:
        then it stays listed as failed and its routes answer 503.
        """
        slots = [slot for slot in self._slots.values() if slot.component is not None]
        results = await asyncio.gather(*(self._init(slot) for slot in slots))
        fatal = [single for error in results if error is not None for single in error.each()]
        if fatal:
            await self.close()
            raise ResourcesError(fatal)

    async def _init(self, slot: ComponentSlot) -> ComponentConfigError | None:
        assert slot.component is not None
        definition = slot.definition
        began = time.perf_counter()
        try:
            await asyncio.wait_for(slot.component.init(), timeout=definition.init_timeout)
            COMPONENT_INIT_SECONDS.labels(slot.name, definition.spec.type).set(time.perf_counter() - began)
            slot.initialised = True
            return None
        except TimeoutError:
            reason = f"init did not finish within initTimeout ({definition.init_timeout:g}s)"
        except ComponentConfigError as exc:
            error = exc.located(file=definition.spec.source, component=slot.name)
            return self._init_failed(slot, error)
        except WorkflowError as exc:  # expected, such as a runtime that cannot be reached
            reason = f"init failed: {exc.message}"
        except Exception as exc:  # a plugin's own bug must not take the gateway down
            log.exception("component %s failed to initialise", slot.name)
            reason = f"init failed: {type(exc).__name__}: {exc}"
        error = ComponentConfigError(reason, file=definition.spec.source, component=slot.name)
        return self._init_failed(slot, error)

    def _init_failed(self, slot: ComponentSlot, error: ComponentConfigError) -> ComponentConfigError | None:
        slot.error = str(error)
        component, slot.component = slot.component, None
        if component is not None:
            # Best effort: release what init may have opened before failing.
            task = asyncio.ensure_future(_close_quietly(component))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        if slot.definition.ignore_errors:
            log.warning("component %s failed and is ignored (ignoreErrors): %s", slot.name, error)
            return None
        return error

    async def close(self) -> None:
        """Close every component; one that fails to close does not stop the others."""
        components = [slot.component for slot in self._slots.values() if slot.component is not None]
        await asyncio.gather(*(_close_quietly(component) for component in components))

    async def health(self, slot: ComponentSlot, limit: float = 2.0) -> ComponentHealth:
        """The slot's health, never raising: a failed or slow component is unhealthy."""
        if slot.component is None:
            return ComponentHealth(healthy=False, detail=slot.error)
        try:
            async with asyncio.timeout(limit):
                return await slot.component.health()
        except TimeoutError:
            return ComponentHealth(healthy=False, detail=f"health check timed out after {limit:g}s")
        except Exception as exc:
            return ComponentHealth(healthy=False, detail=f"{type(exc).__name__}: {exc}")


def make_importable(directories: Iterable[Path]) -> None:
    """Put directories on ``sys.path`` so component metadata can name a user's module."""
    for directory in directories:
        text = str(directory.resolve())
        if text not in sys.path:
            sys.path.insert(0, text)


def _construct(plugin: Plugin, definition: ComponentDefinition) -> WorkflowComponent:
    try:
        component_class: type[WorkflowComponent] = plugin.component_class
        return component_class(definition.spec)
    except ComponentConfigError:
        raise
    except Exception as exc:
        raise ComponentConfigError(
            f"plugin {plugin.distribution or plugin.type_name} failed to initialise: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


async def _close_quietly(component: WorkflowComponent) -> None:
    try:
        await component.close()
    except Exception:
        log.exception("component %s failed to close", component.name)
