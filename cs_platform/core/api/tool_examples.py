"""Example requests and answers for the tools' OpenAPI entries, from their contracts.

A tool's request example is written on its input contract, as JSON Schema's
``examples`` (``model_config = ConfigDict(json_schema_extra={"examples": [{...}]})``);
a test checks that every tool has one and that it validates. The answer example is the
output contract's own ``examples`` when it has them, otherwise it is built from the
output schema (each field's example, default or first enum value, else a value of its
type and format within its bounds) and serialised by the contract like a real answer.
The error examples are worded as ``invoke_tool`` words them: the 400 body is the input
contract's own validation of a request that lacks a required field (or has an unknown
one).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from cs_platform.core.tools import ToolSpec, validation_errors

EXAMPLE_DATETIME = "2026-03-02T09:30:00Z"
EXAMPLE_DATE = "2026-03-02"
FORMAT_EXAMPLES = {
    "date-time": EXAMPLE_DATETIME,
    "date": EXAMPLE_DATE,
    "email": "ana.silva@example.com",
    "uri": "https://example.com/",
    "uuid": "3f2b8c1e-5d4a-4e0b-9c6f-1a2b3c4d5e6f",
    "duration": "P30D",
}


def contract_examples(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The ``examples`` a contract carries in its JSON schema (none: an empty list)."""
    return list(model.model_json_schema().get("examples", []))


def value_from_schema(schema: dict[str, Any]) -> Any:
    """A value that fits ``schema`` (a flat schema: no ``$ref``)."""
    if schema.get("examples"):
        return schema["examples"][0]
    if "const" in schema:
        return schema["const"]
    if schema.get("default") is not None:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            branches = [b for b in schema[key] if b.get("type") != "null"] or schema[key]
            return value_from_schema(branches[0])
    if "allOf" in schema:
        return value_from_schema({k: v for part in schema["allOf"] for k, v in part.items()})
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        return {name: value_from_schema(sub) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        items = schema.get("items")
        count = max(1, schema.get("minItems", 1)) if items else 0
        return [value_from_schema(items) for _ in range(count)]
    if kind == "integer":
        return _number(schema, 1, step=1)
    if kind == "number":
        return _number(schema, 1.5, step=0.5)
    if kind == "boolean":
        return True
    if kind == "string":
        text = FORMAT_EXAMPLES.get(schema.get("format", ""), "text")
        return text.ljust(schema.get("minLength", 0), "x")[: schema.get("maxLength")]
    return None


def _number(schema: dict[str, Any], fallback: float, *, step: float) -> float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is not None:
        value = low + (step if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
    elif high is not None:
        value = min(fallback, high - (step if "exclusiveMaximum" in schema else 0))
    else:
        value = fallback
    return int(value) if step == 1 else value


def request_example(spec: ToolSpec) -> dict[str, Any] | None:
    examples = contract_examples(spec.input_model)
    return examples[0] if examples else None


def response_example(spec: ToolSpec, validation_schema: dict[str, Any]) -> dict[str, Any]:
    """The output contract's own example, else one built from its validation schema and
    serialised by the contract, so it reads exactly as a real answer would (decimals
    as strings, timestamps in ISO 8601)."""
    examples = contract_examples(spec.output_model)
    value = examples[0] if examples else value_from_schema(validation_schema)
    return spec.output_model.model_validate(value).model_dump(mode="json")


def invalid_input_example(spec: ToolSpec) -> dict[str, Any]:
    """The 400 ``invoke_tool`` gives for a request missing its first required field (or,
    for a tool with none, one with a misspelt field): the contract's own words."""
    payload = dict(request_example(spec) or {})
    required = spec.input_model.model_json_schema().get("required", [])
    if required:
        payload.pop(required[0], None)
    else:
        payload["acount_id"] = 1
    try:
        spec.input_model.model_validate(payload)
    except ValidationError as exc:
        errors = validation_errors(exc)[:1]
    else:  # cannot happen for a contract that forbids unknown fields; say so plainly
        errors = [{"field": "body", "message": "invalid", "type": "invalid"}]
    return {
        "code": "invalid_input",
        "message": f"invalid arguments: {errors[0]['field']}",
        "retryable": False,
        "details": {"errors": errors},
    }


def error_examples(spec: ToolSpec) -> dict[int, dict[str, Any]]:
    """Example bodies of the errors a tool answers with, as ``invoke_tool`` words them."""
    fields = spec.input_model.model_json_schema().get("properties", {})
    scope = "write" if spec.mutating and spec.permission == "write" else "read"
    examples: dict[int, dict[str, Any]] = {
        400: invalid_input_example(spec),
        403: {
            "code": "permission_denied",
            "message": (
                f"{spec.name} changes data: token lacks the 'write' scope"
                if scope == "write"
                else "token lacks the 'read' scope"
            ),
            "retryable": False,
            "details": {"tool": spec.name},
        },
    }
    if "account_id" in fields:
        examples[404] = {
            "code": "not_found",
            "message": "account 4242 not found in your book of business",
            "retryable": False,
            "details": {"field": "account_id", "account_id": 4242},
        }
    if spec.mutating:
        examples[409] = {
            "code": "conflict",
            "message": "idempotency_key was already used with different arguments",
            "retryable": False,
            "details": {"field": "idempotency_key"},
        }
    return examples
