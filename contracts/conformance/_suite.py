"""The conformance kit as a pytest test base.

A plugin author writes one class::

    from contracts.conformance import ComponentConformance

    class TestMyComponent(ComponentConformance):
        facts_file = "conformance.yaml"      # or override the ``conformance_facts`` fixture

and runs pytest. Every scenario runs through a real gateway serving the component; the
terminal summary reports which scenarios passed and which capabilities the component
declares unsupported (each verified to answer 501).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from contracts.conformance._facts import Facts
from contracts.conformance._probe import SCENARIOS, Probe
from contracts.conformance.pytest_plugin import record_outcome
from flowport_client import FlowportClient


class ComponentConformance:
    """Subclass it (name the subclass ``Test...``) and give it facts."""

    #: a facts YAML file, relative to the current directory; or override ``conformance_facts``
    facts_file: ClassVar[str | Path | None] = None

    @pytest.fixture(scope="class")
    @classmethod
    def conformance_facts(cls, request: pytest.FixtureRequest) -> Facts:
        option = request.config.getoption("flowport_facts", default=None)
        source = cls.facts_file or option
        if source is None:
            raise pytest.UsageError(
                f"{cls.__name__}: set facts_file, override the conformance_facts fixture, "
                "or pass --flowport-facts FILE"
            )
        return Facts.from_file(Path(source))

    @pytest.fixture(scope="class")
    @classmethod
    def conformance_probe(cls, conformance_facts: Facts) -> Iterator[Probe]:
        from gateway.testing import running_gateway  # the kit drives the real gateway

        with (
            running_gateway([conformance_facts.resources]) as base_url,
            FlowportClient(base_url) as client,
        ):
            yield Probe(client, conformance_facts)

    @pytest.mark.parametrize("scenario", SCENARIOS)
    def test_conformance(
        self, conformance_probe: Probe, scenario: str, request: pytest.FixtureRequest
    ) -> None:
        outcome = getattr(conformance_probe, scenario)()
        record_outcome(request.config, conformance_probe.facts.component, scenario, outcome)
