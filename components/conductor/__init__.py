"""The Conductor adapter: the Dapr workflow API over a Conductor server (``workflow.conductor``).

Metadata: ``serverUrl`` (the REST API root, ``http://host:8080/api``), ``authKey`` and
``authSecret`` (Orkes only), ``requestTimeout`` (default ``10s``) and ``definitions`` (a JSON
file or directory of workflow and task definitions, upserted at start-up). The caller's
instance ID is kept as the workflow's correlation ID; see docs/conductor.md.
"""

from components.conductor._component import ConductorComponent
from components.conductor._metadata import ConductorMetadata

__all__ = ["ConductorComponent", "ConductorMetadata"]
