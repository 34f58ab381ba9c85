"""The Temporal component: the Dapr workflow API over a Temporal server.

Registered as ``workflow.temporal``. See ``docs/temporal.md`` for its metadata, the status
mapping and the conventions a Temporal workflow follows to expose a custom status.
"""

# Imported first so that, without the `temporal` extra, the gateway's error names the SDK
# (temporalio) rather than one of its dependencies.
import temporalio  # noqa: F401

from components.temporal._component import PURGE_DETAIL, TemporalComponent
from components.temporal._errors import PAUSE_SETTING
from components.temporal._mapping import CUSTOM_STATUS_MEMO, TIMED_OUT_ERROR_TYPE
from components.temporal._metadata import TemporalMetadata

__all__ = [
    "CUSTOM_STATUS_MEMO",
    "PAUSE_SETTING",
    "PURGE_DETAIL",
    "TIMED_OUT_ERROR_TYPE",
    "TemporalComponent",
    "TemporalMetadata",
]
