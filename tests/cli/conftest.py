"""Fixtures of the command-line tests: a store folder per test and the CLI pointed at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import Run, cli_runner


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The store's folder; the working folder is the test's, so no stray .env is read."""
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


@pytest.fixture
def run(data_dir: Path) -> Run:
    """``run("register", "list")``: the real CLI with this test's store and the examples."""
    return cli_runner(data_dir)
