"""Progress bars for long imports: on a terminal's stderr only, never in stdout or a pipe."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from notifier.cli.progress import BAR_FROM_ITEMS
from tests.support.cli import EVENT, EVENTS, Run
from tests.support.terminal import run_with_terminal_stderr

NOTIFIER = str(Path(sys.executable).parent / "notifier")  # the installed console script


def _csv(folder: Path, rows: int) -> Path:
    path = folder / "participants.csv"
    lines = ["email,timezone,sessions"]
    lines += [f"p{i}@example.org,Asia/Tokyo," for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _listing(folder: Path, days: int, rows: int) -> Path:
    """A programme page: a heading, day headings, then one timed row per side event."""
    path = folder / "programme.txt"
    lines = ["Side events, Vienna, 13–17 October 2031", ""]
    for day in range(days):
        lines.append(f"{13 + day} OCTOBER 2031")
        lines += [
            f"{9 + i % 8:02d}:{i % 6 * 10:02d}-{9 + i % 8:02d}:{i % 6 * 10 + 5:02d}  "
            f"Side event {day}-{i} on topic {i}  CR{i % 7}"
            for i in range(rows)
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("NOTIFIER_")}
    env |= {"NOTIFIER_CONFIG": str(EVENTS), "NOTIFIER_DATA_DIR": str(folder / "data")}
    return env | {"COLUMNS": "100", "TERM": "xterm"}


def test_register_import_draws_no_bar_when_stderr_is_not_a_terminal(
    run: Run, tmp_path: Path
) -> None:
    """Logs and CI output must not fill with carriage returns."""
    result = run("register", "import", EVENT, str(_csv(tmp_path, BAR_FROM_ITEMS)))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    summary = f"{BAR_FROM_ITEMS} of {BAR_FROM_ITEMS} row(s) imported, 0 failed"
    assert result.stdout.splitlines()[-1] == summary


def test_register_import_of_a_large_csv_draws_a_bar_on_a_terminal(tmp_path: Path) -> None:
    """Hundreds of rows take seconds; a terminal shows how far along, stdout stays clean."""
    csv_file = _csv(tmp_path, BAR_FROM_ITEMS)
    report = tmp_path / "report.txt"
    # by its name, run in its folder: a long temporary path would push the count off the
    # 100 columns (rich shortens it to "500/5…") and the test would measure the path
    argv = [NOTIFIER, "register", "import", EVENT, csv_file.name]
    status, shown = run_with_terminal_stderr(argv, _environment(tmp_path), tmp_path, report)
    assert status == 0, shown
    assert f"importing {csv_file.name} " in shown
    assert f"{BAR_FROM_ITEMS}/{BAR_FROM_ITEMS}" in shown
    lines = report.read_text(encoding="utf-8").splitlines()
    assert len(lines) == BAR_FROM_ITEMS + 1  # a line per row and the summary, no bar
    assert not any("importing" in line for line in lines)


def test_listing_import_of_a_long_page_draws_a_bar_per_stage_on_a_terminal(
    tmp_path: Path,
) -> None:
    """A long programme takes seconds to read; each stage shows its count, the YAML is clean."""
    listing = _listing(tmp_path, days=5, rows=BAR_FROM_ITEMS // 5)
    lines = len(listing.read_text(encoding="utf-8").splitlines())
    draft = tmp_path / "draft.yaml"
    argv = [NOTIFIER, "import", str(listing), "--zone", "Europe/Vienna"]
    status, shown = run_with_terminal_stderr(argv, _environment(tmp_path), tmp_path, draft)
    assert status == 0, shown
    read = re.findall(r"reading lines\D*(\d+)/(\d+)", shown)
    assert read, shown
    assert read[-1][0] == read[-1][1]  # the bar reached its end
    assert int(read[-1][1]) >= lines  # over every line of the page
    assert re.search(r"placing sessions\D*(\d+)/\1", shown)
    text = draft.read_text(encoding="utf-8")
    assert text.startswith("# Draft imported by `notifier import`")
    assert "reading lines" not in text
