"""Finding component classes through the ``flowport.components`` entry-point group.

The in-repo components register through the same entry points as any third-party plugin,
keyed by ``spec.type``. Loading uses stevedore's driver manager, one type at a time, so a
plugin that fails to import breaks only the components that use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

from stevedore import DriverManager
from stevedore.exception import NoMatches

from contracts import ENTRY_POINT_GROUP, ComponentConfigError, ComponentSpec, WorkflowComponent


@dataclass(frozen=True, slots=True)
class Plugin:
    """A loaded component class and the distribution that provides it."""

    type_name: str
    component_class: type[WorkflowComponent]
    distribution: str | None
    version: str | None


def installed_types() -> list[str]:
    """Every ``spec.type`` some installed distribution provides, sorted."""
    return sorted({entry.name for entry in metadata.entry_points(group=ENTRY_POINT_GROUP)})


def load_plugin(spec: ComponentSpec) -> Plugin:
    """The component class for ``spec.type``; ``ComponentConfigError`` if none can be loaded."""
    failures: list[BaseException] = []

    def on_failure(_manager: object, _entry_point: object, exc: BaseException) -> None:
        failures.append(exc)

    try:
        manager: DriverManager[type[WorkflowComponent]] = DriverManager(
            namespace=ENTRY_POINT_GROUP,
            name=spec.type,
            invoke_on_load=False,
            on_load_failure_callback=on_failure,
        )
    except NoMatches:
        if failures:
            raise _error(
                spec, f"plugin for {spec.type!r} failed to import: {_describe(failures[0])}"
            ) from None
        installed = ", ".join(installed_types()) or "none"
        raise _error(spec, f"unknown component type {spec.type!r}; installed types: {installed}") from None
    extension = manager.extensions[0]
    plugin_class: object = extension.plugin
    if not (isinstance(plugin_class, type) and issubclass(plugin_class, WorkflowComponent)):
        raise _error(
            spec,
            f"entry point {extension.entry_point.value!r} for {spec.type!r} is not a "
            "contracts.WorkflowComponent subclass",
        )
    dist = _distribution(spec.type)
    return Plugin(
        type_name=spec.type,
        component_class=plugin_class,
        distribution=dist.name if dist is not None else None,
        version=dist.version if dist is not None else None,
    )


def _distribution(type_name: str) -> metadata.Distribution | None:
    # stevedore's cached entry points do not keep their distribution; importlib's do.
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP, name=type_name):
        return entry.dist
    return None


def _error(spec: ComponentSpec, reason: str) -> ComponentConfigError:
    return ComponentConfigError(reason, field="spec.type", file=spec.source, component=spec.name)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
