"""The built-in engine's figures as Prometheus metrics, read when scraped.

One collector serves every built-in component of the process (prometheus-client registers
each metric name once): a component that hosts an engine adds it at init and removes it at
close. A scrape runs on the metrics listener's thread and asks each engine for its
``EngineStats`` on the engine's own loop, so between scrapes the engine pays nothing.

Activity waits and group commits are summaries (``_count`` and ``_sum``: the mean over any
interval is ``rate(_sum) / rate(_count)``), because the engine keeps sums, not distributions.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

import builtin_engine as wf

log = logging.getLogger(__name__)

#: seconds a scrape waits for an engine's figures before leaving them out
SCRAPE_TIMEOUT = 5.0


class EngineMetrics(Collector):
    """Every running built-in engine of the process, by component name."""

    def __init__(self) -> None:
        self._engines: dict[str, wf.Engine] = {}
        self._lock = threading.Lock()

    def add(self, component: str, engine: wf.Engine) -> None:
        with self._lock:
            self._engines[component] = engine

    def remove(self, component: str) -> None:
        with self._lock:
            self._engines.pop(component, None)

    def describe(self) -> Iterator[Metric]:
        return iter(_families().values())

    def collect(self) -> Iterator[Metric]:
        families = _families()
        with self._lock:
            engines = list(self._engines.items())
        for component, engine in engines:
            try:
                stats = asyncio.run_coroutine_threadsafe(engine.stats(), engine.loop).result(SCRAPE_TIMEOUT)
            except Exception as exc:  # stopping, or too busy to answer: no figures this scrape
                log.info("component %s: no engine figures for this scrape: %s", component, exc)
                continue
            _add(families, component, stats)
        return iter(families.values())


def _families() -> dict[str, Metric]:
    def gauge(name: str, text: str, *labels: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, text, labels=["component", *labels])

    def counter(name: str, text: str) -> CounterMetricFamily:
        return CounterMetricFamily(name, text, labels=["component"])

    def summary(name: str, text: str) -> SummaryMetricFamily:
        return SummaryMetricFamily(name, text, labels=["component"])

    families: list[Metric] = [
        gauge("flowport_engine_instances", "Instances in the store, by status.", "status"),
        counter("flowport_engine_steps_applied", "Events applied to instances (workflow steps)."),
        gauge("flowport_engine_activities_running", "Activities running now."),
        gauge("flowport_engine_activity_queue_depth", "Activities waiting for a free slot."),
        summary("flowport_engine_activity_wait_seconds", "Time from scheduling an activity to its start."),
        gauge("flowport_engine_timers_pending", "Durable timers armed and not yet fired."),
        summary("flowport_engine_commit_duration_seconds", "Group commits: one transaction and fsync each."),
        summary("flowport_engine_commit_batch_size", "Writes per group commit."),
        gauge("flowport_engine_instance_cache_size", "Instances whose execution is in memory."),
        gauge("flowport_engine_instance_cache_capacity", "maxCachedInstances."),
        counter("flowport_engine_instance_cache_hits", "Events that found their instance in memory."),
        counter("flowport_engine_instance_cache_misses", "Events whose instance had to be replayed."),
        counter("flowport_engine_instance_cache_evictions", "Idle instances dropped from memory."),
        gauge("flowport_engine_inbox_waiting", "Inbox messages from other processes not taken yet."),
        gauge("flowport_engine_inbox_lag_seconds", "How long the oldest waiting inbox message has waited."),
        gauge("flowport_engine_remote_workers", "Remote SDK worker streams connected (GetWorkItems)."),
        gauge(
            "flowport_engine_remote_work_items",
            "Work items of remote workers: waiting for a worker (queued) or out with one (running).",
            "kind",
            "state",
        ),
        CounterMetricFamily(
            "flowport_engine_remote_work_items_completed",
            "Work items remote workers answered.",
            labels=["component", "kind"],
        ),
    ]
    return {family.name: family for family in families}


def _add(families: dict[str, Metric], component: str, stats: wf.EngineStats) -> None:
    def gauge(name: str, value: float, *labels: str) -> None:
        family = families[name]
        assert isinstance(family, GaugeMetricFamily)
        family.add_metric([component, *labels], value)

    def counter(name: str, value: float) -> None:
        family = families[name]
        assert isinstance(family, CounterMetricFamily)
        family.add_metric([component], value)

    def summary(name: str, count: int, total: float) -> None:
        family = families[name]
        assert isinstance(family, SummaryMetricFamily)
        family.add_metric([component], count_value=count, sum_value=total)

    for status, count in stats.instances.items():
        gauge("flowport_engine_instances", count, status)
    counter("flowport_engine_steps_applied", stats.steps_applied)
    gauge("flowport_engine_activities_running", stats.activities_running)
    gauge("flowport_engine_activity_queue_depth", stats.activities_queued)
    summary("flowport_engine_activity_wait_seconds", stats.activities_started, stats.activity_wait_seconds)
    gauge("flowport_engine_timers_pending", stats.timers_pending)
    summary("flowport_engine_commit_duration_seconds", stats.commits, stats.commit_seconds)
    summary("flowport_engine_commit_batch_size", stats.commits, stats.committed_writes)
    gauge("flowport_engine_instance_cache_size", stats.cached_instances)
    gauge("flowport_engine_instance_cache_capacity", stats.cache_capacity)
    counter("flowport_engine_instance_cache_hits", stats.cache_hits)
    counter("flowport_engine_instance_cache_misses", stats.cache_misses)
    counter("flowport_engine_instance_cache_evictions", stats.cache_evictions)
    gauge("flowport_engine_inbox_waiting", stats.inbox_waiting)
    gauge("flowport_engine_inbox_lag_seconds", stats.inbox_lag_seconds)
    gauge("flowport_engine_remote_workers", stats.remote_workers)
    remote = (
        ("workflow", stats.remote_turns_queued, stats.remote_turns_running, stats.remote_turns_done),
        (
            "activity",
            stats.remote_activities_queued,
            stats.remote_activities_running,
            stats.remote_activities_done,
        ),
    )
    for kind, queued, running, done in remote:
        gauge("flowport_engine_remote_work_items", queued, kind, "queued")
        gauge("flowport_engine_remote_work_items", running, kind, "running")
        completed = families["flowport_engine_remote_work_items_completed"]
        assert isinstance(completed, CounterMetricFamily)
        completed.add_metric([component, kind], done)


ENGINE_METRICS = EngineMetrics()
REGISTRY.register(ENGINE_METRICS)
