"""Small helpers the intel tests share (a uniquely named module: `conftest` names clash)."""


def values(parsed, kind: str | None = None) -> set[str]:
    """The indicator values of a parse, optionally of one kind."""
    return {r["value"] for r in parsed.rows if kind is None or r["kind"] == kind}
