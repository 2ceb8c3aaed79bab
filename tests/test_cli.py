"""The command line: version, help on every command, settings errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusters import __version__
from clusters.cli import app

runner = CliRunner()

COMMANDS = [
    [],
    ["run"],
    ["ingest"],
    ["ingest", "companies"],
    ["taxonomy"],
    ["taxonomy", "validate"],
    ["taxonomy", "show"],
    ["train"],
    ["evaluate"],
    ["classify"],
]


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"clusters {__version__}"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "clusters")
def test_every_command_has_useful_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    # each command explains itself in a sentence, and options carry help text
    assert len(result.output.strip().splitlines()) > 4


def _all_commands(command, path=()):
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _all_commands(sub, (*path, name))


def test_every_option_help_is_shown_whole():
    """Rich markup must not eat help text: "[default: x]" reads as a tag unless escaped."""
    import re

    import typer

    checked = 0
    for path, command in _all_commands(typer.main.get_command(app)):
        shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "250"}).output
        flat = re.sub(r"[\s│]+", " ", shown)
        for param in command.params:
            text = getattr(param, "help", None)
            if not text or "[" not in text:
                continue
            checked += 1
            expected = re.sub(r"\s+", " ", text.replace("\\[", "["))
            assert expected in flat, f"clusters {' '.join(path)} {param.name}: {expected!r}"
    assert checked >= 10


def test_every_help_paragraph_is_one_line():
    """Typer's rich help keeps line breaks: one inside a paragraph (the summary shown in the
    group's listing, or any later one) would break the text mid-sentence on screen."""
    import re

    import typer

    broken = [
        f"{' '.join(path)}: {paragraph[:40]!r}"
        for path, command in _all_commands(typer.main.get_command(app))
        for paragraph in (command.help or "").strip().split("\n\n")
        if re.search(r"\n(?![-*] )", paragraph)
    ]
    assert not broken, f"help paragraphs spanning lines: {broken}"
    shown = runner.invoke(app, ["diff", "--help"], env={"COLUMNS": "250"}).output
    assert "cluster added/removed, threshold moved, model changed" in shown


def test_top_level_help_lists_the_pipeline_stages():
    result = runner.invoke(app, ["--help"])
    for stage in ("ingest", "train", "evaluate", "classify", "run", "taxonomy"):
        assert stage in result.output


def test_bad_config_file_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "settings.yaml"
    bad.write_text("thresholds: {review_confidence: 7}\n")
    result = runner.invoke(app, ["--config", str(bad), "taxonomy", "validate"])
    assert result.exit_code == 2
    assert "review_confidence" in result.output


def test_taxonomy_show_lists_clusters_by_tier():
    result = runner.invoke(app, ["taxonomy", "show"])
    assert result.exit_code == 0
    assert "new-economy:" in result.output and "space-tech" in result.output


def test_console_script_is_installed():
    done = subprocess.run(
        [str(Path(sys.executable).parent / "clusters"), "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.startswith("clusters ")
