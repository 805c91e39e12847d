"""Each context key is declared once (stacks/context_keys.py): what the app reads, the
defaults it applies and the configuration reference all follow the declarations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.config import AppConfig
from stacks.context_keys import CONTEXT_KEYS, EVERY_MODE, KNOWN_KEYS, ContextKey
from tests.conftest import DOMAIN_MODES, MODES, config_from, suite_context
from tests.pipeline_assembly import PIPELINE, PIPELINE_CONFIGURATIONS, VARIANTS
from tools import generated_docs

# Every setting the suite configures: each mode, and the pipeline with its variants.
CONFIGURATIONS = {
    **MODES,
    **DOMAIN_MODES,
    **{name: {**PIPELINE, **context} for name, context in PIPELINE_CONFIGURATIONS.items()},
    "authorizer-with-api-id": {**MODES["lambda-authorizer"], "api_id": "k3x9q2m7pa", "authorizer_id": "abc123"},
}
# Where each key with a literal default is read: the first configuration that reads it.
MODE_CONFIGURATIONS = {
    "assume-role": MODES["assume-role"],
    "HTTP API": MODES["http"],
    "private API": MODES["private"],
    "lambda-authorizer": MODES["lambda-authorizer"],
    "organization rollout": MODES["org-rollout"],
    "pipeline": {**PIPELINE, **VARIANTS["org-rollout"]},
    "custom domain": DOMAIN_MODES["private-domain"],
}
LITERAL_DEFAULTS = [key for key in CONTEXT_KEYS if key.default is not None and not key.default_means]


def keys_read(context: dict[str, Any]) -> set[str]:
    asked: set[str] = set()

    def get(key: str) -> Any:
        asked.add(key)
        return context.get(key)

    AppConfig.from_context(get, list(context))
    return asked


def test_the_app_reads_exactly_the_declared_keys() -> None:
    read = set().union(*(keys_read(suite_context(**overrides)) for overrides in CONFIGURATIONS.values()))
    assert read - set(KNOWN_KEYS) == set(), "keys read but not declared in stacks/context_keys.py"
    assert set(KNOWN_KEYS) - read == set(), "keys declared but never read"


@pytest.mark.parametrize("key", LITERAL_DEFAULTS, ids=lambda key: key.name)
def test_a_declared_default_is_the_value_the_app_uses(key: ContextKey) -> None:
    unset = {**MODE_CONFIGURATIONS.get(key.modes[0], {}), key.name: None}
    written_out = {**unset, key.name: json.loads(json.dumps(key.default))}
    assert config_from(**written_out) == config_from(**unset)
    assert config_from(**written_out) != config_from(**{**unset, **another_value(key)})


def another_value(key: ContextKey) -> dict[str, Any]:
    """A valid configuration of another value than the default, so that the comparison above can fail."""
    if key.name == "endpoint_type":
        return MODES["private"]
    return {key.name: other_than(key)}


def other_than(key: ContextKey) -> Any:
    if key.choices:
        return next(choice for choice in key.choices if choice != key.default)
    if isinstance(key.default, bool):
        return not key.default
    if isinstance(key.default, int):
        return key.default + 1
    return f"{key.default}-b"


def test_a_key_without_a_description_is_refused() -> None:
    with pytest.raises(ValueError, match="'new_key' needs a one-line description"):
        ContextKey("new_key", "text", (EVERY_MODE,), " ")


def test_a_key_in_a_mode_that_does_not_exist_is_refused() -> None:
    with pytest.raises(ValueError, match="modes must be among"):
        ContextKey("new_key", "text", ("privat API",), "a key")


def test_the_configuration_reference_is_written_from_the_declarations() -> None:
    assert generated_docs.CONFIGURATION.read_text() == generated_docs.configuration_page(), "run make docs"


def test_the_configuration_reference_names_every_key_with_its_default() -> None:
    page = generated_docs.CONFIGURATION.read_text()
    for key in CONTEXT_KEYS:
        assert f"| `{key.name}` | {key.description.replace('|', chr(92) + '|')} |" in page
        assert f" | {key.default_text} | " in page
