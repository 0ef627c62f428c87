"""The editor schema: shipped, up to date with the models, and right about real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from notifier.cli import main
from notifier.events.keydocs import KEY_DOCS
from notifier.events.schema import event_schema, event_schema_text
from notifier.events.spec import DateSpan, EventSpec, SessionSpec
from tests.support.yaml12 import load_yaml12

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "schema" / "event.schema.json"
EXAMPLES = sorted((ROOT / "config" / "events").glob("*.yaml"))
BROKEN = Path(__file__).parent / "broken"


def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SHIPPED.read_text(encoding="utf-8")))


def test_the_shipped_schema_is_what_the_models_give() -> None:
    """Editors read the file in the repository; it must not drift from the loader's models."""
    assert SHIPPED.read_text(encoding="utf-8") == event_schema_text(), (
        "schema/event.schema.json is stale: run `notifier schema > schema/event.schema.json`"
    )


def test_notifier_schema_prints_the_shipped_file() -> None:
    """The documented one-liner regenerates exactly the shipped file."""
    result = CliRunner().invoke(main, ["schema"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output == SHIPPED.read_text(encoding="utf-8")


def test_the_schema_is_valid_draft_2020_12_and_refuses_unknown_keys() -> None:
    """A schema the language server cannot read gives no squiggles at all."""
    schema = event_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["SessionSpec"]["additionalProperties"] is False
    assert schema["required"] == ["id", "name", "zone", "sessions"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_config_passes_the_schema_as_an_editor_reads_it(path: Path) -> None:
    """No red squiggles on a file the loader accepts."""
    data = load_yaml12(path.read_text(encoding="utf-8"))
    assert [e.message for e in _validator().iter_errors(data)] == []


def test_an_editor_flags_a_misspelt_session_key_with_its_path() -> None:
    """The issue's check: a typo'd key is flagged where it is, as a language server would."""
    data = load_yaml12((BROKEN / "typo-for-editors.yaml").read_text(encoding="utf-8"))
    errors = sorted((e.json_path, e.message) for e in _validator().iter_errors(data))
    assert errors == [
        ("$.sessions[0]", "Additional properties are not allowed ('romm' was unexpected)"),
        ("$.sessions[0].cancelled", "'maybe' is not of type 'boolean'"),
    ]


def test_examples_in_the_schema_pass_their_own_field() -> None:
    """An example an editor offers for completion must itself be accepted."""
    schema = event_schema()
    for name, field in schema["properties"].items():
        for example in field.get("examples", []):
            sub = dict(field, **{"$defs": schema["$defs"]})
            assert list(Draft202012Validator(sub).iter_errors(example)) == [], (name, example)


def test_every_key_doc_names_a_key_the_models_have() -> None:
    """A doc left behind by a renamed key would silently document nothing."""
    models = {model.__name__: model for model in (EventSpec, SessionSpec, DateSpan)}
    for model_name, docs in KEY_DOCS.items():
        assert set(docs) <= set(models[model_name].model_fields), model_name
    schema = event_schema()
    assert schema["properties"]["zone"]["examples"] == ["Europe/Vienna"]
    assert (
        "full https://" in schema["$defs"]["SessionSpec"]["properties"]["join_url"]["description"]
    )
