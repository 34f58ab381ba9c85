"""What the client raises.

::

    ClientError
    ├── GatewayUnreachableError   no answer from the gateway (refused, DNS, timeout)
    └── ProblemError              the gateway answered with an error (a problem document)
"""

from __future__ import annotations

from collections.abc import Mapping

from flowport_client.models import Problem

PROBLEM_BASE = "urn:flowport:problem:"


class ClientError(Exception):
    """The root of the client's errors."""


class GatewayUnreachableError(ClientError):
    """The gateway could not be reached, or did not answer in time."""


class ProblemError(ClientError):
    """The gateway refused the request; ``problem`` is its problem document."""

    def __init__(self, problem: Problem, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{problem.status} {problem.title}: {problem.detail}")
        self.problem = problem
        self.headers = dict(headers or {})

    @property
    def status(self) -> int:
        return self.problem.status

    @property
    def slug(self) -> str:
        """The problem type without its URN prefix (``instance-not-found``)."""
        return self.problem.type.removeprefix(PROBLEM_BASE)
