"""The suite ``flowport conformance FACTS`` runs: one component, described by a facts file."""

from contracts.conformance._suite import ComponentConformance


class TestComponentConformance(ComponentConformance):
    """Facts come from ``--flowport-facts``."""
