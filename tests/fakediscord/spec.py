"""Validate request bodies against Discord's official OpenAPI 3.1 spec.

The spec (`shared/discord-api-spec/openapi.json.gz` next to the repository, or the file named by
`NEXUS_DISCORD_SPEC`) is loaded lazily once per process. Each operation's schema is compiled once
(jsonschema-rs, a few microseconds per body afterwards) and cached by route, so the check stays on
everywhere, benchmarks included. Only a body that fails is run through the pure-Python
`jsonschema` validator too, for its clearer explanation. If the file is absent the check is
skipped (logged once).
"""

from __future__ import annotations

import copy
import gzip
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

log = logging.getLogger(__name__)

SPEC_URI = "urn:discord-openapi"
ENV_VAR = "NEXUS_DISCORD_SPEC"


def default_spec_path() -> Path:
    """`<repo>/../shared/discord-api-spec/openapi.json.gz`, overridable with NEXUS_DISCORD_SPEC."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override)
    repo_root = Path(__file__).resolve().parents[2]
    return repo_root.parent / "shared" / "discord-api-spec" / "openapi.json.gz"


def _load(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    data: dict[str, Any] = json.loads(raw)
    return data


def _absolutize_refs(node: Any) -> Any:
    """Point the operation schema's local `#/...` refs at the spec resource in the registry."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#"):
                out[key] = SPEC_URI + value
            else:
                out[key] = _absolutize_refs(value)
        return out
    if isinstance(node, list):
        return [_absolutize_refs(v) for v in node]
    return node


def _accept_integer_snowflakes(spec: dict[str, Any]) -> None:
    """Let `SnowflakeType` also match non-negative JSON integers (documented exception).

    The spec types snowflakes as digit strings, but Discord's API parses request snowflakes given
    as JSON integers too (its own "Uploading Files" example sends `"attachments": [{"id": 0}]`),
    and discord.py 2.7 legitimately sends integers, e.g. `recipient_id` for POST
    /users/@me/channels and the attachment index ids of multipart uploads. Strings that are not
    digits, negative numbers and other types are still rejected.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    original = schemas.get("SnowflakeType")
    if original is None or "anyOf" in original:
        return
    schemas["SnowflakeType"] = {
        "anyOf": [original, {"type": "integer", "minimum": 0, "maximum": 2**64 - 1}]
    }


def _normalize_known_deviations(template: str, body: Any) -> Any:
    """Adjust bodies where the spec is stricter than what Discord accepts and discord.py sends.

    Every exception is listed here, with the reason:

    * `default_member_permissions` on application commands: the spec types it as an integer, but
      Discord documents it as a "string" bitset (the API accepts both) and discord.py 2.7 always
      sends `str(permissions.value)`. A digit-only string is converted to int before validation.
    """
    if "/commands" in template:
        body = copy.deepcopy(body)
        commands = body if isinstance(body, list) else [body]
        for cmd in commands:
            if isinstance(cmd, dict):
                perms = cmd.get("default_member_permissions")
                if isinstance(perms, str) and perms.isdigit():
                    cmd["default_member_permissions"] = int(perms)
    return body


def _is_discriminator_miss(error: ValidationError) -> bool:
    """A union branch that failed only because it is for another kind of object."""
    path = list(error.relative_path)
    if not path and error.validator == "type":
        return True
    return path == ["type"] and error.validator in ("enum", "const", "oneOf")


def _explain(error: ValidationError) -> ValidationError:
    """Descend into anyOf/oneOf unions to the branch the body was evidently meant for."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return error
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0], []).append(sub)
    plausible = [
        errs for errs in branches.values() if not any(_is_discriminator_miss(e) for e in errs)
    ]
    if len(plausible) != 1:
        return error
    chosen = best_match(plausible[0])
    return _explain(chosen) if chosen is not None else error


def _format_error(error: ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(body)"
    message = error.message
    sized = ("maxLength", "minLength", "maxItems", "minItems")
    if error.validator in sized and isinstance(error.instance, str | list):
        message = (
            f"{error.validator} {error.validator_value} violated (length {len(error.instance)})"
        )
    if len(message) > 300:
        message = message[:300] + "..."
    return f"{where}: {message}"


class _Operation:
    """One operation's request-body schema: compiled once, explained only on failure."""

    def __init__(self, schema: dict[str, Any], compiled: Any, registry: Registry[Any]) -> None:
        self._schema = schema
        self._compiled = compiled
        self._registry = registry
        self._explainer: Draft202012Validator | None = None

    def problems(self, body: Any) -> list[str]:
        if self._compiled.is_valid(body):
            return []
        if self._explainer is None:
            self._explainer = Draft202012Validator(self._schema, registry=self._registry)
        errors = list(self._explainer.iter_errors(body))
        if not errors:  # the two validators disagree: report the compiled one's finding
            error = next(iter(self._compiled.iter_errors(body)))
            where = "/".join(str(p) for p in error.instance_path) or "(body)"
            return [f"{where}: {error.message[:300]}"]
        best = best_match(errors)
        return [_format_error(_explain(best))]


class SpecValidator:
    """Lazily-loaded validator for request bodies, keyed by (method, path template)."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path or default_spec_path()
        self._spec: dict[str, Any] | None = None
        self._registry: Registry[Any] | None = None
        self._compiled_registry: Any = None
        self._validators: dict[tuple[str, str], _Operation | None] = {}
        self._lock = threading.Lock()
        self._missing_logged = False
        self._loaded = False

    @property
    def available(self) -> bool:
        self._ensure_loaded()
        return self._spec is not None

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            if self._path.is_file():
                self._spec = _load(self._path)
                _accept_integer_snowflakes(self._spec)
                resource: Resource[Any] = Resource.from_contents(
                    self._spec, default_specification=DRAFT202012
                )
                self._registry = Registry().with_resource(SPEC_URI, resource)
                self._compiled_registry = jsonschema_rs.Registry([(SPEC_URI, self._spec)])
            elif not self._missing_logged:
                self._missing_logged = True
                log.warning(
                    "Discord OpenAPI spec not found at %s; skipping spec checks", self._path
                )
            self._loaded = True

    def has_operation(self, method: str, template: str) -> bool:
        self._ensure_loaded()
        if self._spec is None:
            return False
        return method.lower() in self._spec["paths"].get(template, {})

    def _validator(self, method: str, template: str) -> _Operation | None:
        key = (method.lower(), template)
        if key in self._validators:
            return self._validators[key]
        validator = None
        assert self._spec is not None and self._registry is not None
        operation = self._spec["paths"].get(template, {}).get(key[0])
        if operation is not None:
            content = (operation.get("requestBody") or {}).get("content") or {}
            schema = (content.get("application/json") or {}).get("schema")
            if schema is not None:
                absolute = _absolutize_refs(schema)
                compiled = jsonschema_rs.validator_for(
                    absolute, registry=self._compiled_registry, validate_formats=False
                )
                validator = _Operation(absolute, compiled, self._registry)
        self._validators[key] = validator
        return validator

    def validate(self, method: str, template: str, body: Any) -> list[str]:
        """Problems with `body` for this operation (empty if valid, unknown, or no spec)."""
        self._ensure_loaded()
        if self._spec is None:
            return []
        validator = self._validator(method, template)
        if validator is None:
            return []
        return validator.problems(_normalize_known_deviations(template, body))


_shared: SpecValidator | None = None


def shared_validator() -> SpecValidator:
    """One validator per process (the spec is large; load it once)."""
    global _shared
    if _shared is None:
        _shared = SpecValidator()
    return _shared
