"""What a use-case returns: the CLI reports it (generator/report/) and picks the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.errors import Entry


@dataclass
class Result:
    """problems: what is wrong with the input (lint findings; values problems are refused
    earlier, with InvalidValues). drift: stale file -> what is wrong with it. notes: what the
    summary must say. counts: what was done, by kind."""

    problems: list[Entry] = field(default_factory=list)
    drift: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
