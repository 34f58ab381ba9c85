"""What an operator can see of a running engine: one snapshot of its counters and gauges.

``Engine.stats()`` takes it on the engine's loop. Each figure is something the engine's parts
keep anyway (plain counters, queue lengths, the cache's size) or that the store answers when
asked (instances by status, the inbox's backlog), so keeping them costs the engine nothing
measurable; turning them into metrics is the host's business (the built-in component exports
them to Prometheus when scraped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EngineStats:
    """Counters (``_total``-like, since the engine started) and gauges (now)."""

    #: instances in the store, by status name (``RUNNING``, ``COMPLETED``...), every status
    instances: Mapping[str, int]
    #: events applied to instances (each one step of a workflow), replays not counted
    steps_applied: int
    activities_running: int
    #: activities waiting for a free slot (``max_concurrent_activities``)
    activities_queued: int
    activities_started: int
    #: seconds the started activities waited between being scheduled and starting, summed
    activity_wait_seconds: float
    timers_pending: int
    #: group commits (one transaction, one fsync each), the writes they held, and their time
    commits: int
    committed_writes: int
    commit_seconds: float
    #: instances whose execution is in memory, and the cache's bound
    cached_instances: int
    cache_capacity: int
    #: events that found their instance in memory / had to replay it; idle instances evicted
    cache_hits: int
    cache_misses: int
    cache_evictions: int
    #: messages other processes left in the inbox and the engine has not taken yet, and how
    #: long the oldest of them has waited (0 when none)
    inbox_waiting: int
    inbox_lag_seconds: float
    #: remote SDK workers connected (``GetWorkItems`` streams), and their work items by kind:
    #: waiting for a worker (queued), out with one (running), answered since start (done)
    remote_workers: int = 0
    remote_turns_queued: int = 0
    remote_activities_queued: int = 0
    remote_turns_running: int = 0
    remote_activities_running: int = 0
    remote_turns_done: int = 0
    remote_activities_done: int = 0
