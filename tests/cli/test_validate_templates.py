"""``notifier validate`` on an organizer's templates: every error at its file line (issue 16.4)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from notifier.cli import main
from tests.support.languages import EVENT_YAML

# the templates start on this line of the file
FIRST = EVENT_YAML.count("\n") + 1


def _validate(tmp_path: Path, templates: str) -> tuple[Result, str]:
    path = tmp_path / "congress.yaml"
    path.write_text(EVENT_YAML + templates, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)], catch_exceptions=False)
    return result, str(path)


def test_a_good_template_validates(tmp_path: Path) -> None:
    """Templates using only the documented variables pass, and the summary says ok."""
    templates = """\
templates:
  reminder:
    fr:
      subject: "Rappel : {{ f.title }} ({{ f.status }})"
      text: |
        {{ f.title }}, {{ f.your_time }}
        {% if f.show_join %}{{ f.join_url }}{% endif %}
  confirmation:
    ar:
      subject: "{{ event_name }}"
      text: "{{ confirm_url }} {{ sessions | join(', ') }} {{ timezone }} {{ unsubscribe_url }}"
"""
    result, path = _validate(tmp_path, templates)
    assert result.exit_code == 0, result.output
    assert f"{path}: ok, event languages-event" in result.output


def test_a_syntax_error_is_reported_at_its_line_in_the_file(tmp_path: Path) -> None:
    """The third line of a block template is the file's line FIRST+6: say that one."""
    templates = """\
templates:
  reminder:
    ja:
      subject: "{{ f.title }}"
      text: |
        {{ f.title }}
        {{ f.your_time }}
        {% if f.show_join %}{{ f.join_url }}
"""
    result, path = _validate(tmp_path, templates)
    assert result.exit_code == 1
    line = FIRST + 7  # "templates:" is FIRST; the unclosed if is the 8th line of the block
    assert (
        f"{path}:{line}:1: error: the reminder template (ja, text), its line 3: " in result.output
    )
    assert "[template-syntax]" in result.output


def test_an_unknown_variable_is_reported_at_its_line_with_its_name(tmp_path: Path) -> None:
    """StrictUndefined: a misspelt variable is an error now, not an empty space in 2,000 mails."""
    templates = """\
templates:
  reminder:
    es:
      subject: "{{ f.title }}"
      text: |
        Hola:
        {{ f.title }}
        {{ f.your_tme }}
"""
    result, path = _validate(tmp_path, templates)
    assert result.exit_code == 1
    assert f"{path}:{FIRST + 7}:1: error: the reminder template (es, text), its line 3" in (
        result.output
    )
    assert "your_tme" in result.output
    assert "[template-render]" in result.output


def test_the_sandbox_refuses_internals_and_says_where(tmp_path: Path) -> None:
    """An organizer's template must not reach Python internals: the sandbox refuses, validate
    reports it on the subject's own line."""
    templates = """\
templates:
  confirmation:
    en:
      subject: "{{ confirm_url.__class__.__mro__ }}"
      text: "{{ confirm_url }}"
"""
    result, path = _validate(tmp_path, templates)
    assert result.exit_code == 1
    assert f"{path}:{FIRST + 3}:1: error: the confirmation template (en, subject), its line 1" in (
        result.output
    )
    assert "unsafe" in result.output


def test_a_language_we_do_not_write_is_refused_at_its_key(tmp_path: Path) -> None:
    """A German template would never be used: say so rather than keep it silently."""
    templates = """\
templates:
  reminder:
    de:
      subject: "{{ f.title }}"
      text: "{{ f.title }}"
"""
    result, path = _validate(tmp_path, templates)
    assert result.exit_code == 1
    expected = 'error: templates.reminder key: "de" is not one of the choices'
    assert f"{path}:{FIRST + 2}:5: {expected}" in result.output
    assert "write en, fr, es, ru, zh, ar or ja" in result.output
