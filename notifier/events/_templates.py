"""An organizer's message templates: where each string sits in the file, its syntax checked.

Pure: Jinja2 only parses here (rendering, against a sample session, is ``notifier validate``'s
and the channels' job). A template that does not parse is an error of the file, so the
service refuses the edit and keeps the last good config, as for any other error.
"""

from __future__ import annotations

from collections.abc import Callable

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from notifier.events._yaml import Located, Mark, Path
from notifier.events.model import MessageTemplate, Problem
from notifier.events.spec import TemplatesSpec

FIELDS = ("subject", "text", "html")
# the syntax the channels render with (notifier.channels.custom): parse with the same
_PARSER = SandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)

Report = Callable[[Problem], None]


def load_templates(
    spec: TemplatesSpec, located: Located, source: str, report: Report
) -> tuple[MessageTemplate, ...]:
    """Each (kind, language) template, with the file line of each of its strings."""
    found = []
    for kind, per_language in (("reminder", spec.reminder), ("confirmation", spec.confirmation)):
        for language, written in per_language.items():
            base: Path = ("templates", kind, language)
            lines = []
            for name in FIELDS:
                text = getattr(written, name)
                if text is None:
                    continue
                mark = located.values.get((*base, name), Mark(0, 0))
                lines.append((name, first_line(mark)))
                _check_syntax(text, kind, language, name, mark, source, report)
            found.append(
                MessageTemplate(
                    kind=kind,
                    language=language,
                    subject=written.subject,
                    text=written.text,
                    html=written.html,
                    source=source,
                    lines=tuple(lines),
                )
            )
    return tuple(found)


def first_line(mark: Mark) -> int:
    """The file line of a string's first line: a ``|`` or ``>`` block starts below its key."""
    return mark.line + 1 if mark.style in ("|", ">") else mark.line


def _check_syntax(
    text: str, kind: str, language: str, name: str, mark: Mark, source: str, report: Report
) -> None:
    try:
        _PARSER.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        line = first_line(mark) + max(exc.lineno, 1) - 1
        column = mark.column if line == mark.line else 1
        message = (
            f"the {kind} template ({language}, {name}), its line {exc.lineno}: {exc.message}; "
            "see docs/languages.md for the template syntax and variables"
        )
        report(Problem(source, line, column, "error", "template-syntax", message))
