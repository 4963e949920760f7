"""docs/intel.md names every format, kind, category, command and option of the importers."""

from pathlib import Path

import typer

from minewatch.cli.intel import app
from minewatch.intel.formats import FORMATS
from minewatch.intel.indicator import CATEGORIES, KINDS

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "intel.md").read_text(encoding="utf-8")


def test_formats_kinds_and_categories_are_documented():
    for name in [*FORMATS, *KINDS, *CATEGORIES]:
        assert f"`{name}`" in DOCS, name


def test_every_intel_command_and_option_is_documented():
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert f"minewatch intel {name}" in DOCS, name
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help":
                    assert opt in DOCS, f"{name} {opt}"
