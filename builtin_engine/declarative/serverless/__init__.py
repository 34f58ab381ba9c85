"""CNCF Serverless Workflow DSL 1.0: load-time checks (``check``) and the interpreter (``SwProgram``)."""

from builtin_engine.declarative.serverless._interpreter import SwProgram
from builtin_engine.declarative.serverless._validate import check

__all__ = ["SwProgram", "check"]
