"""The worker side of the sidecar service: work-item streams and the workers' answers.

A Dapr SDK worker opens ``GetWorkItems`` (a server stream) and answers each item with
``CompleteOrchestratorTask`` (alias ``CompleteWorkflowTask``) or ``CompleteActivityTask``.
Each stream is one ``RemoteWorker`` of the engine: it takes the next item when it has sent
the last, and when the stream ends (the worker went away, or the gateway stops) whatever it
held goes back to the engine's queue under new tokens, for another worker.

What a stream gets depends on what its request advertised:

- ``WORKER_CAPABILITY_HEALTH_PING`` (1.19): a ``healthPing`` after every quiet interval, so that
  proxies do not close an idle stream. Nobody else gets one (a 1.18 worker drops its stream
  on a work item it does not know).
- ``WORKER_CAPABILITY_STATEFUL_HISTORY`` (1.19): the worker keeps an instance's committed
  history between turns, so a turn sends only what it lacks, with ``cachedHistory``: the
  stream remembers, per instance and execution, how many committed events it last sent. A
  worker whose cache missed calls ``GetInstanceHistory`` for the whole history.

An item too large for the message limit is never written (the stream would break): its
instance fails with a failure that says so. An answer that cannot be carried out (an action
the engine does not know, a malformed one) fails its instance the same way, through the
engine's own turn check, and is answered INVALID_ARGUMENT. A late answer (another dispatch's
token, an instance that ended meanwhile) is answered OK and ignored.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import grpc

import builtin_engine as wf
import contracts
from builtin_engine._remote_items import CompleteWorkflow, TurnResult, WorkflowWorkItem, WorkItem
from builtin_engine._store import Status
from contracts import Capability
from gateway.grpc_api import mapping
from gateway.grpc_api.handlers import decoded
from gateway.grpc_api.status import failure_status
from gateway.grpc_api.stubs import sidecar as ps
from gateway.problems import ApiError, OperationError

log = logging.getLogger(__name__)

#: instances a stateful stream remembers the histories of (the oldest are forgotten first;
#: a forgotten one just gets a full history next time)
WARM_INSTANCES = 50_000
_HEALTH_PING = ps.WorkItem(healthPing=ps.HealthPing()).SerializeToString()
_DONE = ps.CompleteTaskResponse()


class _Stream:
    """One ``GetWorkItems`` stream: what it accepts, and what a stateful one holds."""

    __slots__ = ("pings", "stateful", "warm")

    def __init__(self, capabilities: set[int]) -> None:
        self.pings = ps.WORKER_CAPABILITY_HEALTH_PING in capabilities
        self.stateful = ps.WORKER_CAPABILITY_STATEFUL_HISTORY in capabilities
        #: instance ID -> (execution ID, committed events the worker holds)
        self.warm: OrderedDict[str, tuple[str, int]] = OrderedDict()

    def cached(self, item: WorkflowWorkItem) -> int:
        """How many leading past events of ``item`` the worker already holds."""
        if not self.stateful:
            return 0
        held = self.warm.get(item.instance_id)
        if held is None or held[0] != item.execution_id or not 0 < held[1] <= len(item.past):
            return 0
        return held[1]

    def sent(self, item: WorkflowWorkItem) -> None:
        if self.stateful:
            self.warm[item.instance_id] = (item.execution_id, len(item.past))
            self.warm.move_to_end(item.instance_id)
            if len(self.warm) > WARM_INSTANCES:
                self.warm.popitem(last=False)


class WorkerStreams:
    """``GetWorkItems`` and the completions, over the engine ``engine()`` returns (it raises
    the gateway error to answer when there is none)."""

    def __init__(self, engine: Callable[[], wf.Engine], max_message_bytes: int, ping_interval: float) -> None:
        self._engine = engine
        self._max_message_bytes = max_message_bytes
        self._ping_interval = ping_interval
        self._streams: set[_Stream] = set()

    # -- the stream -------------------------------------------------------------------------------

    async def get_work_items(self, raw: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> None:
        """Serve one worker stream until it ends (server-streaming, written with ``context.write``)."""
        try:
            request = decoded(ps.GetWorkItemsRequest, raw, "GetWorkItems")
            engine = self._engine()
        except (ApiError, OperationError) as exc:
            status = failure_status(exc)
            await context.abort(status.code, status.details, status.trailing_metadata)
        stream = _Stream(set(request.capabilities))
        worker = engine.remote.connect(stateful=stream.stateful)
        self._streams.add(stream)
        quiet = self._ping_interval if stream.pings else None
        try:
            while True:
                try:
                    item = await worker.next(quiet)
                except TimeoutError:
                    await context.write(_HEALTH_PING)
                    continue
                if item is None:  # the engine stopped
                    return
                payload = self._payload(engine, stream, item)
                if payload is not None:
                    await context.write(payload)
        finally:
            worker.close()
            self._streams.discard(stream)

    def _payload(self, engine: wf.Engine, stream: _Stream, item: WorkItem) -> bytes | None:
        """The item as it goes on ``stream``; ``None`` when it is too large to send (its instance
        is failed instead)."""
        if isinstance(item, WorkflowWorkItem):
            cached = stream.cached(item)
            payload = mapping.workflow_work_item(item, cached).SerializeToString()
            what = f"the history of workflow {item.name!r} for its next turn"
            if cached:
                what += f" (the {len(item.past) - cached} events the worker lacks)"
            else:
                stream.warm.pop(item.instance_id, None)
        else:
            payload = mapping.activity_work_item(item).SerializeToString()
            what = f"the input of activity {item.name!r}"
        limit = self._max_message_bytes
        if len(payload) <= limit:
            if isinstance(item, WorkflowWorkItem):
                stream.sent(item)
            return payload
        failure = wf.FailureDetails(
            f"{what} is {len(payload)} bytes, over the gRPC message limit of {limit} bytes "
            "(flowport serve --grpc-max-message-size); the work item was not sent",
            "PayloadSizeExceeded",
        )
        log.warning("instance %s failed: %s", item.instance_id, failure.message)
        engine.remote.fail(item.instance_id, failure)
        return None

    # -- the answers ------------------------------------------------------------------------------

    async def complete_workflow(self, response: ps.WorkflowResponse) -> ps.CompleteTaskResponse:
        engine = self._engine()
        instance_id, token = response.instanceId, response.completionToken
        try:
            result = mapping.turn_result(response)
        except mapping.MalformedAnswer as exc:
            failure = wf.FailureDetails(
                f"the worker's answer cannot be carried out: {exc}", "MalformedAnswer"
            )
            failing = TurnResult([CompleteWorkflow(-1, Status.FAILED, failure=failure)])
            applied = engine.remote.complete_workflow(instance_id, token, failing)
            self._forget(instance_id)
            outcome = "the instance failed" if applied else "ignored (not the instance's current turn)"
            raise ApiError("malformed-request", f"workflow {instance_id!r}: {exc}; {outcome}") from None
        if not engine.remote.complete_workflow(instance_id, token, result):
            await self._known(engine, instance_id)
        elif any(isinstance(action, CompleteWorkflow) for action in result.actions):
            self._forget(instance_id)
        return _DONE

    async def complete_activity(self, response: ps.ActivityResponse) -> ps.CompleteTaskResponse:
        engine = self._engine()
        result, failure = mapping.activity_outcome(response)
        instance_id = response.instanceId
        if not engine.remote.complete_activity(
            instance_id, response.taskId, response.completionToken, result, failure
        ):
            await self._known(engine, instance_id)
        return _DONE

    async def _known(self, engine: wf.Engine, instance_id: str) -> None:
        """A stale answer is ignored; one for an instance that never existed is NOT_FOUND."""
        if await engine.get(instance_id) is None:
            error = contracts.InstanceNotFoundError(
                f"no instance with ID {instance_id!r}", instance_id=instance_id
            )
            raise OperationError(error, Capability.GET)

    def _forget(self, instance_id: str) -> None:
        """The instance's execution ended: no stream holds a history worth sending a delta of."""
        for stream in self._streams:
            stream.warm.pop(instance_id, None)

    @property
    def connected(self) -> int:
        return len(self._streams)


def stream_handler(behavior: Callable[[bytes, Any], Any]) -> grpc.RpcMethodHandler[bytes, bytes]:
    """A unary-stream method handler whose behaviour writes with ``context.write``."""
    return grpc.unary_stream_rpc_method_handler(behavior)
