"""PyYAML's syntax errors in an organizer's words, placed where the broken construct began.

PyYAML reports two marks: the *problem* mark, where reading stopped (for an unclosed quote,
the end of the file), and the *context* mark, where the construct it was reading began (the
open quote or bracket). The fix goes at the context mark, so the error is placed there and
the problem mark is kept in the message. One table per mark kind; PyYAML's own text stays
beside ours for the rare construct the table does not know.
"""

from __future__ import annotations

# PyYAML's context (the construct being read) -> what to do about it
CONTEXT_WORDS: dict[str, str] = {
    "while scanning a quoted scalar": (
        "the quoted text that starts here is never closed; add the closing quote"
    ),
    "while parsing a flow sequence": (
        "the [ list that starts here is not closed or misses a comma; "
        "separate the items with commas and close it with ]"
    ),
    "while parsing a flow mapping": (
        "the { mapping that starts here is not closed or misses a comma; "
        "separate the pairs with commas and close it with }"
    ),
    "while parsing a block collection": (
        'a line in the list that starts here is not a "- item" at its indentation; '
        'indent it like the other items and start it with "- "'
    ),
    "while parsing a block mapping": (
        'a line in the mapping that starts here is not a "key: value" at its indentation; '
        "line its key up with the keys above it"
    ),
    "while scanning a simple key": (
        'this key has no ": " after it on the same line; write "key: value" on one line'
    ),
}
# PyYAML's problem (when no context says more) -> what to do about it
PROBLEM_WORDS: dict[str, str] = {
    "mapping values are not allowed": (
        'a second ": " on one line; put the value in quotes (title: "Keynote: the future") '
        "or start the nested keys on a new, indented line"
    ),
    "found character that cannot start any token": (
        "a tab or a character no YAML value may start with; indent with spaces, "
        "and put a value that starts with @ or ` in quotes"
    ),
    "found undefined alias": (
        "an *alias with no &anchor of that name above it; define the anchor first "
        "or write the value out"
    ),
    "found unexpected end of stream": "the file ends in the middle of a value; finish it",
}


def _words(table: dict[str, str], text: str | None) -> str | None:
    return next((words for key, words in table.items() if text and text.startswith(key)), None)


def yaml_words(context: str | None, problem: str, *, at_context: bool) -> str:
    """What to do, in words: placed ``at_context`` the construct's own words come first."""
    context_words = _words(CONTEXT_WORDS, context)
    problem_words = _words(PROBLEM_WORDS, problem)
    if at_context:
        return context_words or problem_words or f"{context}: {problem}"
    return problem_words or context_words or problem
