"""``WorkflowRuntime``: Dapr's registry of workflows and activities, hosting its own engine."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar, overload

from builtin_engine._client import resolve_store
from builtin_engine._engine import Engine, EngineOptions
from builtin_engine._registry import NAME_ATTRIBUTE, Registry
from builtin_engine._retention import RetentionPolicy
from builtin_engine._store import Store

F = TypeVar("F", bound=Callable[..., Any])


def alternate_name(name: str | None = None) -> Callable[[F], F]:
    """Register a workflow or activity under ``name`` instead of its function name (Dapr's decorator)."""

    def decorate(fn: F) -> F:
        setattr(fn, NAME_ATTRIBUTE, name or fn.__name__)
        return fn

    return decorate


class WorkflowRuntime:
    """Holds workflow and activity registrations and, once ``start()``-ed, runs them.

    ``start()`` runs the engine on a background thread (like Dapr's worker) and returns;
    ``shutdown()`` stops it. The Flowport gateway instead hosts the registrations of the
    runtimes named in a component's ``runtimes`` metadata on its own loop (do not ``start()``
    those yourself). Dapr's constructor arguments are accepted; ``host``, ``port``,
    ``logger_options``, ``interceptors`` and the orchestration limit are ignored.

    Flowport's own keywords: ``store`` (a ``Store``, SQLite URL or path; default
    ``$FLOWPORT_STORE`` or ``./.flowport/workflows.db``), ``max_cached_instances``,
    ``poll_interval`` (seconds, for requests from other processes) and ``retention`` (a
    ``RetentionPolicy``: how long finished instances are kept).
    """

    def __init__(
        self,
        host: str | None = None,
        port: str | None = None,
        logger_options: Any = None,
        interceptors: Any = None,
        maximum_concurrent_activity_work_items: int | None = None,
        maximum_concurrent_orchestration_work_items: int | None = None,
        maximum_thread_pool_workers: int | None = None,
        *,
        store: Store | str | os.PathLike[str] | None = None,
        max_cached_instances: int | None = None,
        poll_interval: float | None = None,
        retention: RetentionPolicy | None = None,
    ) -> None:
        self.registry = Registry()
        self._store_arg = store
        defaults = EngineOptions()
        self.options = EngineOptions(
            max_concurrent_activities=maximum_concurrent_activity_work_items
            or defaults.max_concurrent_activities,
            thread_pool_workers=maximum_thread_pool_workers or defaults.thread_pool_workers,
            max_cached_instances=max_cached_instances or defaults.max_cached_instances,
            poll_interval=poll_interval if poll_interval is not None else defaults.poll_interval,
            retention=retention,
        )
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._engine: Engine | None = None

    # -- registration ----------------------------------------------------------------------------

    def register_workflow(self, fn: Callable[..., Any], *, name: str | None = None) -> None:
        """Register a workflow: a generator function ``(ctx[, input])`` that yields tasks."""
        self.registry.add_workflow(fn, name)

    def register_activity(self, fn: Callable[..., Any], *, name: str | None = None) -> None:
        """Register an activity: a plain or ``async`` function ``(ctx[, input])``."""
        self.registry.add_activity(fn, name)

    @overload
    def workflow(self, __fn: F) -> F: ...
    @overload
    def workflow(self, __fn: None = None, *, name: str | None = None) -> Callable[[F], F]: ...

    def workflow(self, __fn: F | None = None, *, name: str | None = None) -> F | Callable[[F], F]:
        """Register a workflow, bare (``@wfr.workflow``) or named (``@wfr.workflow(name=...)``)."""

        def decorate(fn: F) -> F:
            self.registry.add_workflow(fn, name or getattr(fn, NAME_ATTRIBUTE, None))
            return fn

        return decorate(__fn) if __fn is not None else decorate

    @overload
    def activity(self, __fn: F) -> F: ...
    @overload
    def activity(self, __fn: None = None, *, name: str | None = None) -> Callable[[F], F]: ...

    def activity(self, __fn: F | None = None, *, name: str | None = None) -> F | Callable[[F], F]:
        """Decorator registering an activity, bare or with ``name=``."""

        def decorate(fn: F) -> F:
            self.registry.add_activity(fn, name or getattr(fn, NAME_ATTRIBUTE, None))
            return fn

        return decorate(__fn) if __fn is not None else decorate

    # -- hosting -------------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        """The store this runtime's engine uses (resolved when first asked)."""
        if not isinstance(self._store_arg, Store):
            self._store_arg = resolve_store(
                self._store_arg if self._store_arg is not None else _default_path()
            )
        return self._store_arg

    def start(self) -> None:
        """Start the engine on a background thread; returns once it has recovered its instances."""
        if self._thread is not None:
            raise RuntimeError("the workflow runtime is already started")
        ready = threading.Event()
        failure: list[BaseException] = []
        engine = Engine(self.store, self.registry, self.options)

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(engine.start())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            stop = asyncio.Event()
            self._stop = stop
            self._engine = engine
            ready.set()
            try:
                loop.run_until_complete(stop.wait())
                loop.run_until_complete(engine.stop())
            finally:
                loop.close()

        thread = threading.Thread(target=run, name="flowport-runtime", daemon=True)
        self._thread = thread
        thread.start()
        ready.wait()
        if failure:
            self._thread = None
            raise failure[0]

    def shutdown(self) -> None:
        """Stop the engine; unfinished instances carry on at the next start."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        thread.join()
        self._engine = None


def _default_path() -> str:
    from builtin_engine._client import DEFAULT_STORE, STORE_ENV

    return os.environ.get(STORE_ENV) or str(DEFAULT_STORE)
