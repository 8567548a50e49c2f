"""The README is the manual: every command has help text and a section with an example."""

import os
import re

import pytest

from conftest import ROOT
from ingest.cli import cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_help_and_readme_section(name):
    command = cli.commands[name]
    assert command.help and command.help.strip(), f"ingest {name} has no help text"
    headings = re.findall(r"^### (.+)$", README, re.M)
    assert any(f"`ingest {name}`" in h for h in headings), f"README has no section for ingest {name}"
    assert re.search(rf"^ingest {name}\b", README, re.M), f"README has no example of ingest {name}"


def test_readme_opens_with_the_two_commands():
    block = re.search(r"```[a-z]*\n(.*?)```", README, re.S).group(1)
    lines = [line for line in block.splitlines() if line.strip()]
    assert len(lines) == 2
    assert lines[0].endswith("ingest run seeds/")
    assert "pytest" in lines[1]


def cli_reference() -> str:
    """docs/cli.md: the --help of every command, as a reader of the docs sees it."""
    from click.testing import CliRunner

    parts = ["# CLI reference\n", "Generated from `--help` by tests/test_docs.py (`INGEST_UPDATE_DOCS=1 pytest`).\n"]
    for name in ["", *sorted(cli.commands)]:
        args = [name, "--help"] if name else ["--help"]
        text = CliRunner().invoke(cli, args, prog_name="ingest", terminal_width=100).output
        parts.append(f"## ingest {name}".rstrip() + f"\n\n```\n{text.rstrip()}\n```\n")
    return "\n".join(parts)


def test_cli_reference_is_current():
    path = ROOT / "docs" / "cli.md"
    if os.environ.get("INGEST_UPDATE_DOCS"):
        path.write_text(cli_reference(), encoding="utf-8")
    assert path.read_text(encoding="utf-8") == cli_reference(), "run INGEST_UPDATE_DOCS=1 pytest tests/test_docs.py"
