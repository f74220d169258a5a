"""Scenario files: JSON and YAML read strictly (UTF-8, no duplicate keys, no aliases) and written back."""

from __future__ import annotations

import json
from typing import Any

import yaml
from pydantic import (
    ValidationError,
)

from costmodel.catalog.loader import (
    MAX_TEXT_BYTES,
    check_text,
    decode_text,
    format_validation_error,
    json_loads_strict,
    parse_yaml_text,
)
from costmodel.workload.scenario.base import ScenarioError
from costmodel.workload.scenario.model import Scenario

# ---- JSON / YAML -------------------------------------------------------------------------------------------


def scenario_to_json(s: Scenario) -> str:
    """The scenario as JSON text (exact: floats are written with ``repr`` precision)."""
    return json.dumps(s.model_dump(mode="json"), indent=2) + "\n"


def scenario_to_yaml(s: Scenario) -> str:
    """The scenario as YAML text (exact round trip through :func:`scenario_from_text`)."""
    return yaml.safe_dump(s.model_dump(mode="json"), sort_keys=False, allow_unicode=False)


def _parse_text(text: str, what: str) -> Any:
    """JSON when the text is JSON (exact for every string), otherwise safe YAML.

    The rules of the catalogue files: a leading byte-order mark is dropped, text that went through a lossy
    decoding (U+FFFD) is refused, and a key given twice in one mapping is refused (JSON and YAML alike).
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_TEXT_BYTES:
        raise ScenarioError(f"{what}: larger than {MAX_TEXT_BYTES // 1_000_000} MB; refused")
    try:
        text = check_text(text, what)
    except ValueError as e:
        raise ScenarioError(str(e)) from None
    try:
        return json_loads_strict(text)
    except RecursionError:
        raise ScenarioError(f"{what}: nested too deeply; refused") from None
    except ValueError:
        pass
    try:
        return parse_yaml_text(text, what=what)
    except ValueError as e:
        raise ScenarioError(str(e)) from None


def scenario_from_bytes(data: bytes, what: str = "scenario") -> Scenario:
    """Parse and validate a scenario file's bytes: UTF-8 (a byte-order mark dropped), refused otherwise.

    The one entry for file contents, the CLI's and the app upload's.

    Raises:
        ScenarioError: one line.
    """
    if len(data) > MAX_TEXT_BYTES:
        raise ScenarioError(f"{what}: larger than {MAX_TEXT_BYTES // 1_000_000} MB; refused")
    try:
        text = decode_text(data, what)
    except ValueError as e:
        raise ScenarioError(str(e)) from None
    return scenario_from_text(text, what)


def scenario_from_text(text: str, what: str = "scenario") -> Scenario:
    """Parse and validate a scenario from JSON or YAML text.

    Raises:
        ScenarioError: one line, e.g. ``scenario: field workload.cache_hit_fraction: Input should be ...``.
    """
    data = _parse_text(text, what)
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{what}: expected a mapping with keys workload, api_options, ..., got {type(data).__name__}"
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(f"{what}: {format_validation_error(e)}") from None
    except (RecursionError, TypeError, ValueError) as e:  # pragma: no cover - defensive
        raise ScenarioError(f"{what}: not a valid scenario ({type(e).__name__})") from None
