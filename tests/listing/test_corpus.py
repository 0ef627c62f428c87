"""`notifier import` on 15 real programme pages (tests/listing/corpus/), each against the
sessions a careful organizer would import, written by hand before the importer ran on it.

``-s`` prints the per-page table that docs/import.md reports.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.listing.corpus_score import Score, pages, score


@pytest.mark.parametrize("expect_file", pages(), ids=lambda p: p.name.removesuffix(".expect.yaml"))
def test_corpus_page_imports_as_a_careful_organizer_would(
    expect_file: Path, tmp_path: Path
) -> None:
    """Right session count, sampled sessions right, and the draft validates with --strict."""
    outcome = score(expect_file, tmp_path)
    assert outcome.imported == outcome.expected, outcome.problems
    assert outcome.problems == []
    assert outcome.validates == outcome.expected_validates


def test_corpus_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The table docs/import.md shows; every page is scored and the corpus has 15 pages."""
    scores: list[Score] = [score(path, tmp_path) for path in pages()]
    assert len(scores) >= 15
    with capsys.disabled():
        print("\n| page | expected | imported | sampled right | validates --strict | exact |")
        print("| --- | ---: | ---: | ---: | --- | --- |")
        for s in scores:
            mark = "yes" if s.validates else "no"
            print(
                f"| {s.page} | {s.expected} | {s.imported} | {s.sampled_right}/{s.sampled} "
                f"| {mark} | {'yes' if s.exact else 'no'} |"
            )
        print(f"exact: {sum(s.exact for s in scores)}/{len(scores)}")
