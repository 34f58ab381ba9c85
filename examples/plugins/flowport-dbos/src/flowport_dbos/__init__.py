"""A Flowport workflow component for DBOS Transact (``spec.type: workflow.dbos``).

Install this distribution next to Flowport and the gateway finds ``DbosComponent`` through the
``flowport.components`` entry point; see ``docs/writing-a-component.md`` in Flowport.
"""

from flowport_dbos._component import DbosComponent
from flowport_dbos._mapping import CUSTOM_STATUS_EVENT
from flowport_dbos._metadata import DbosMetadata

__all__ = ["CUSTOM_STATUS_EVENT", "DbosComponent", "DbosMetadata"]
