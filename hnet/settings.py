"""Typed settings declared in code (a leaf module: every layer may import it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()  # a Setting's default when the benchmark's preset must give the value


@dataclass(frozen=True)
class Setting:
    """A setting a method, benchmark or run reads: its typed default in code, or ``REQUIRED``, and what it does."""

    default: Any
    doc: str
    choices: tuple = ()
