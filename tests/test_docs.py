"""The README is the manual: every command has help text and a section with an example."""

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
