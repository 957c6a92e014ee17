"""Typed settings declared in code (a leaf module: every layer may import it).

Every configuration key a component reads (the run, a benchmark, a target network, a method) is a
``Setting``: its default (or ``REQUIRED`` when the benchmark's preset must give it), what it does,
its type, and its constraint. Validation is derived from these declarations alone
(``Setting.check``), so a key cannot be read without being declared, checked and listed
(``python -m hnet list --settings``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hnet.errors import ConfigError


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()  # a Setting's default when the benchmark's preset must give the value

TYPES = ("bool", "int", "float", "str", "ints")  # "ints": a list of positive integers (layer sizes)
CONSTRAINTS = {
    "": "",
    "positive": "positive (> 0)",
    "non_negative": "non-negative (>= 0)",
    "unit_interval": "in [0, 1)",
    "probability": "in [0, 1]",
}


def _infer_type(default: Any) -> str:
    if isinstance(default, bool):
        return "bool"
    for py, name in ((int, "int"), (float, "float"), (str, "str"), (list, "ints")):
        if isinstance(default, py):
            return name
    raise TypeError(f"cannot infer a setting's type from its default {default!r}: give type=")


@dataclass(frozen=True)
class Setting:
    """A setting a method, benchmark, network or run reads.

    ``type`` is inferred from a concrete default and must be given with ``REQUIRED`` or ``None``;
    ``constraint`` is one of ``CONSTRAINTS``; ``nullable`` admits ``null`` (e.g. "unchunked");
    ``choices`` lists the valid values of a string setting. Floats must be finite.
    """

    default: Any
    doc: str
    choices: tuple = ()
    type: str = ""
    constraint: str = ""
    nullable: bool = False

    def __post_init__(self) -> None:
        if not self.type:
            if self.default is REQUIRED or self.default is None:
                raise TypeError(f"Setting({self.doc!r}): a REQUIRED or null default needs type=")
            object.__setattr__(self, "type", _infer_type(self.default))
        if self.type not in TYPES:
            raise TypeError(f"Setting({self.doc!r}): type {self.type!r} is not one of {TYPES}")
        if self.constraint not in CONSTRAINTS:
            raise TypeError(f"Setting({self.doc!r}): constraint {self.constraint!r} is not one of {list(CONSTRAINTS)}")
        if self.default is None and not self.nullable:
            object.__setattr__(self, "nullable", True)

    def describe(self) -> str:
        """The declared type and constraint in words, e.g. ``int > 0 or null``."""
        text = self.type if self.type != "ints" else "list of positive ints"
        if self.constraint:
            text += f" {CONSTRAINTS[self.constraint]}"
        if self.choices:
            text += f" one of {list(self.choices)}"
        return text + (" or null" if self.nullable else "")

    def check(self, key: str, value: Any) -> None:
        """Raise ``ConfigError`` naming ``key`` unless ``value`` is of the declared type and constraint."""

        def fail(why: str) -> None:
            raise ConfigError(f"config key {key!r}: {why} (got {value!r})")

        if value is None:
            if not self.nullable:
                fail(f"expected {self.describe()}, not null")
            return
        if self.type == "bool":
            if not isinstance(value, bool):
                fail("expected true or false")
            return
        if self.type == "str":
            if not isinstance(value, str):
                fail("expected a string")
        elif self.type == "ints":
            if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
            ):
                fail("expected a list of positive integers")
            return
        elif self.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                fail("expected an integer")
        elif self.type == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                fail("expected a number")
            if not math.isfinite(value):
                fail("must be a finite number")
        c = self.constraint
        if (c == "positive" and not value > 0) or (c == "non_negative" and not value >= 0):
            fail(f"must be {CONSTRAINTS[c]}")
        if (c == "unit_interval" and not 0 <= value < 1) or (c == "probability" and not 0 <= value <= 1):
            fail(f"must be {CONSTRAINTS[c]}")
        if self.choices and value not in self.choices:
            fail(f"valid: {list(self.choices)}")
