"""The conformance kit: one scenario list, run through the real gateway against any component.

Run it on a facts file with ``flowport conformance FACTS.yaml``, or subclass
``ComponentConformance`` in your own pytest suite. See ``docs/writing-a-component.md``.
"""

from contracts.conformance._facts import Facts, WorkflowFact
from contracts.conformance._probe import SCENARIOS, Outcome, Probe
from contracts.conformance._suite import ComponentConformance

__all__ = ["SCENARIOS", "ComponentConformance", "Facts", "Outcome", "Probe", "WorkflowFact"]
