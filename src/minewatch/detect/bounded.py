"""Bounded memory for per-connection state: a session on a long capture must not grow forever."""

from __future__ import annotations

from collections import OrderedDict

MAX_TRACKED = 4096  # jobs and unanswered requests remembered per session (oldest dropped)
MAX_EVIDENCE = 24  # facts kept per session


def remember(table: OrderedDict, key, value, limit: int = MAX_TRACKED) -> None:
    """Put key -> value as the newest entry, dropping the oldest beyond `limit`."""
    table[key] = value
    table.move_to_end(key)
    if len(table) > limit:
        table.popitem(last=False)


def add_fact(evidence: list[str], text: str, limit: int = MAX_EVIDENCE) -> None:
    """Append a fact once, up to `limit` facts."""
    if text not in evidence and len(evidence) < limit:
        evidence.append(text)
