"""Amazon States Language: load-time checks (``check``) and the interpreter (``AslProgram``)."""

from builtin_engine.declarative.asl._interpreter import AslProgram
from builtin_engine.declarative.asl._validate import check

__all__ = ["AslProgram", "check"]
