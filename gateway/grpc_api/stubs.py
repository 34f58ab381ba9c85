"""The generated protocol stubs, imported from one pinned published package.

Flowport copies no ``.proto`` file and no generated code. The ``dapr`` distribution (pinned
exactly in ``pyproject.toml``) carries both services Flowport serves over gRPC:

- Dapr's runtime API, ``dapr.proto.runtime.v1`` (a public, versioned protobuf package);
- the Durable Task sidecar service (``TaskHubSidecarService``, no protobuf package), vendored
  by the SDK under a private module path that moved between releases.

This module is the one place that names those paths; everything else imports from here, so
a new ``dapr`` release is one edit (and ``tests/unit/gateway/test_grpc_stubs.py`` says whether
the protocol facts Flowport relies on still hold). Only one generation of the sidecar stubs
can live in a process (their messages have no package, so a second set is a duplicate
symbol); Dapr kept the field numbers through the 2026 rename from "orchestration" to
"workflow", so these 1.19 stubs serve SDKs of 1.19, 1.18 and durabletask-dapr 0.17 alike.
See docs/sidecar.md for the choice.
"""

from __future__ import annotations

from dapr.ext.workflow._durabletask.internal import (
    history_events_pb2 as history_events,
)
from dapr.ext.workflow._durabletask.internal import (
    orchestration_pb2 as orchestration,
)
from dapr.ext.workflow._durabletask.internal import (
    orchestrator_actions_pb2 as actions,
)
from dapr.ext.workflow._durabletask.internal import (
    orchestrator_service_pb2 as sidecar,
)
from dapr.proto.runtime.v1 import workflow_pb2 as runtime_workflow

#: the full name of Dapr's runtime service, as it appears in method paths
RUNTIME_SERVICE = "dapr.proto.runtime.v1.Dapr"
#: the sidecar service's name (its protos have no package)
SIDECAR_SERVICE = "TaskHubSidecarService"

__all__ = [
    "RUNTIME_SERVICE",
    "SIDECAR_SERVICE",
    "actions",
    "history_events",
    "orchestration",
    "runtime_workflow",
    "sidecar",
]
