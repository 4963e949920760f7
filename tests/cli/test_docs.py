"""Every command and option is documented: docs/cli.md is generated from the command tree."""

from pathlib import Path

from minewatch.cli.docs import cli_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_docs_are_current():
    assert DOCS.read_text(encoding="utf-8") == cli_markdown(), (
        "regenerate with: python -m minewatch.cli.docs > docs/cli.md")


def test_every_command_has_help():
    text = cli_markdown()
    for block in text.split("## `")[1:]:
        title, _, body = block.partition("\n")
        assert body.strip().split("\n")[0].strip(), f"{title} has no help text"
