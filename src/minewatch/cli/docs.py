"""docs/cli.md, generated from the command tree itself; a test keeps the file equal to this.

Regenerate with `python -m minewatch.cli.docs > docs/cli.md`.
"""

from __future__ import annotations

import typer

from minewatch.cli.main import app


def _options(cmd) -> list[str]:
    """Rows for a command's parameters (typer bundles click: we only duck-type its objects)."""
    rows = []
    for p in cmd.params:
        if p.param_type_name == "argument":
            rows.append(f"| `{p.name.upper()}` | argument | {_help(p)} |")
        elif p.param_type_name == "option" and "--help" not in p.opts:
            default = "" if p.required or p.default in (None, False) else f" (default: `{_default(p)}`)"
            rows.append(f"| `{', '.join(p.opts)}` | option | {_help(p)}{default} |")
    return rows


def _default(p) -> str:
    value = p.default
    return getattr(value, "value", value)


def _help(p) -> str:
    return (getattr(p, "help", None) or "").replace("|", "\\|").replace("\n", " ")


def _walk(cmd, path: str) -> list[str]:
    out = [f"## `{path}`", "", (cmd.help or "").strip().split("\n\n")[0], ""]
    rows = _options(cmd)
    if rows:
        out += ["| name | kind | meaning |", "|---|---|---|", *rows, ""]
    if getattr(cmd, "commands", None):
        for name in sorted(cmd.commands):
            out += _walk(cmd.commands[name], f"{path} {name}")
    return out


def cli_markdown() -> str:
    root = typer.main.get_command(app)
    lines = ["# Command line", "",
             "Generated from the command tree (`python -m minewatch.cli.docs > docs/cli.md`); "
             "do not edit by hand.", "",
             "Exit status: `0` success, `2` usage error, `65` an input could not be read at all.", ""]
    for name in sorted(root.commands):
        lines += _walk(root.commands[name], f"minewatch {name}")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(cli_markdown(), end="")
