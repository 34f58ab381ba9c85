"""The kit's pytest plugin (loaded through the ``pytest11`` entry point): the
``--flowport-facts`` option and the conformance report in the terminal summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from contracts.conformance._probe import Outcome

_REPORT = pytest.StashKey[dict[str, dict[str, "Outcome"]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--flowport-facts",
        dest="flowport_facts",
        default=None,
        metavar="FILE",
        help="facts YAML for the Flowport component conformance kit",
    )


def record_outcome(config: pytest.Config, component: str, scenario: str, outcome: Outcome) -> None:
    report = config.stash.setdefault(_REPORT, {})
    report.setdefault(component, {})[scenario] = outcome


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    report = config.stash.get(_REPORT, None)
    if not report:
        return
    terminalreporter.section("Flowport component conformance")
    for component, outcomes in sorted(report.items()):
        passed = sorted(name for name, outcome in outcomes.items() if outcome.name == "PASSED")
        unsupported = sorted(name for name, outcome in outcomes.items() if outcome.name == "UNSUPPORTED")
        terminalreporter.write_line(f"{component}: {len(passed)} scenario(s) passed: {', '.join(passed)}")
        if unsupported:
            terminalreporter.write_line(
                f"{component}: unsupported, answered 501 as declared: {', '.join(unsupported)}"
            )
