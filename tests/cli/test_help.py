"""Help that teaches: `-h` everywhere, examples that run, shell completion."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from notifier.cli import COMMANDS, main
from tests.support.processes import Children

ROOT = Path(__file__).resolve().parents[2]
NOTIFIER = str(Path(sys.executable).parent / "notifier")  # the installed console script
# commands whose examples run here as written: no store, no network, no service
SELF_CONTAINED = ("convert", "validate", "schedule", "schema")


def _command_paths() -> Iterator[tuple[str, ...]]:
    """("convert",), ("register",), ("register", "add"), … every command a user can call."""
    context = click.Context(main)
    for name in sorted(COMMANDS):
        yield (name,)
        command = main.get_command(context, name)
        if isinstance(command, click.Group):
            yield from ((name, sub) for sub in sorted(command.commands))


COMMAND_PATHS = list(_command_paths())


def _examples(path: tuple[str, ...]) -> list[str]:
    """The lines under "Examples:" in ``notifier PATH --help`` (continuations joined)."""
    text = CliRunner().invoke(main, [*path, "--help"], catch_exceptions=False).output
    block = text.split("Examples:\n", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in block.replace("\\\n", " ").strip().split("\n")]


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=[" ".join(p) for p in COMMAND_PATHS])
def test_every_command_has_h_and_examples_of_itself(path: tuple[str, ...]) -> None:
    """`-h` is what people type first; examples show the options in use."""
    runner = CliRunner()
    short = runner.invoke(main, [*path, "-h"], catch_exceptions=False)
    assert short.exit_code == 0
    assert short.output == runner.invoke(main, [*path, "--help"]).output
    examples = _examples(path)
    assert examples
    assert all(f"notifier {' '.join(path)}" in line for line in examples), examples


def test_the_top_level_help_has_examples_and_completion() -> None:
    """`notifier -h` is the front door: what to run first, and how to get completion."""
    result = CliRunner().invoke(main, ["-h"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "  notifier validate config/events" in result.output
    assert 'eval "$(_NOTIFIER_COMPLETE=bash_source notifier)"' in result.output


@pytest.mark.parametrize("name", SELF_CONTAINED)
def test_the_examples_in_help_run_as_written(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An example that fails teaches the wrong thing; these need only the repository."""
    monkeypatch.chdir(ROOT)
    for line in _examples((name,)):
        argv = shlex.split(line.split(" > ", 1)[0].split(" | ", 1)[0])
        assert argv[0] == "notifier"
        result = CliRunner().invoke(main, argv[1:], catch_exceptions=False)
        assert result.exit_code == 0, (line, result.output)


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _notifier_completion notifier"),
        ("zsh", "#compdef notifier"),
        ("fish", "complete --no-files --command notifier"),
    ],
)
def test_the_installed_command_prints_its_completion_script(shell: str, marker: str) -> None:
    """The README's completion line works: the real console script prints the script."""
    env = dict(os.environ, _NOTIFIER_COMPLETE=f"{shell}_source")
    with Children() as children:
        done = children.run([NOTIFIER], env=env, timeout_s=60)
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout.decode()


def test_completion_offers_the_lazily_loaded_commands() -> None:
    """Tab after `notifier reg` must find `register`, though its module is not imported yet."""
    env = dict(os.environ, _NOTIFIER_COMPLETE="bash_complete", COMP_WORDS="notifier reg")
    env["COMP_CWORD"] = "1"
    with Children() as children:
        done = children.run([NOTIFIER], env=env, timeout_s=60)
    assert done.stdout.decode().split() == ["plain,register"]
