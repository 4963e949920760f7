"""What every command module shares: exit statuses and the one-line failure."""

from __future__ import annotations

import typer

EXIT_USAGE = 2
EXIT_DATAERR = 65  # an input could not be read at all (sysexits.h EX_DATAERR)


def fail(message: str, code: int) -> None:
    """Print `minewatch: message` on stderr and exit with `code` (no traceback)."""
    typer.secho(f"minewatch: {message}", err=True, fg="red")
    raise typer.Exit(code)
