"""The API docs: Swagger UI and ReDoc from this app's own files, and an OpenAPI document a
newcomer can use (how to authenticate, an example per tool, every error with its body)."""

from __future__ import annotations

import inspect
import re
import subprocess
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from jsonschema import Draft202012Validator

from cs_platform.core.api.docs import REDOC_BUNDLE, REDOC_REMOTE_LOGO
from cs_platform.core.tools import tool_registry

REPO = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = {
    "cs_platform",
    "audit",
    "customers",
    "gdpr",
    "integrations",
    "health",
    "portfolio",
}


def test_swagger_ui_page_loads_the_sidecar_bundle_and_its_start_up_script(client):
    html = client.get("/api/docs/").content.decode()
    assert (
        '<script src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js">'
        in (html)
    )
    assert '<script src="/api/docs/?script=">' in html
    assert "<script>" not in html  # no inline code: script-src 'self' holds
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content and b'"validatorUrl": null' in script.content


def test_redoc_bundle_is_served_without_its_remote_logo(client):
    source = Path(finders.find(REDOC_BUNDLE)).read_text()
    assert REDOC_REMOTE_LOGO in source  # the stock bundle loads it: the patch is needed
    html = client.get("/api/redoc/").content.decode()
    assert '<script src="/api/redoc/redoc.standalone.js">' in html
    assert "<script>" not in html and "fonts.googleapis" not in html
    bundle = client.get("/api/redoc/redoc.standalone.js")
    assert bundle.status_code == 200 and bundle["Content-Type"].startswith("text/javascript")
    body = bundle.content.decode()
    assert "cdn.redoc.ly" not in body
    assert len(body) == len(source) - len(REDOC_REMOTE_LOGO) + len("data:,")


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_answer_anyone(client, path):
    assert client.get(path).status_code == 200


def test_make_test_installs_the_browser_and_the_installer_is_a_no_op_when_present():
    makefile = (REPO / "Makefile").read_text()
    assert "\ntest: install-dev services browser\n" in makefile
    present = subprocess.run(
        ["bash", "scripts/ensure_browser.sh"],
        cwd=REPO,
        env={
            "PATH": "/usr/bin:/bin",
            "CHROMIUM_BINARY": "/bin/true",
            "CHROMEDRIVER_BINARY": "/bin/true",
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert present.returncode == 0, present.stderr
    assert present.stdout.strip() == "Chromium and chromedriver are installed"


# --- the OpenAPI document a newcomer reads ----------------------------------------------


@pytest.fixture(scope="module")
def openapi(django_db_blocker) -> dict:
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/api/schema/?format=json").json()


def operations(openapi: dict):
    for path, ops in openapi["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def test_the_root_says_how_to_get_a_token_and_authenticate(openapi):
    guide = openapi["info"]["description"]
    for needed in (
        "manage.py create_api_token --user",
        "Authorization: Bearer",
        "/api/v1/tools/list_clients/",
        "`retryable`",
        "/api/redoc/",
    ):
        assert needed in guide
    schemes = openapi["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert "create_api_token" in schemes["bearerAuth"]["description"]
    assert "/admin/" in schemes["cookieAuth"]["description"]


def test_every_operation_documents_its_errors_with_the_error_body(openapi):
    error = {"$ref": "#/components/schemas/Error"}
    assert set(openapi["components"]["schemas"]["Error"]["properties"]) == {
        "code",
        "message",
        "retryable",
        "details",
    }
    mutating = {name for name, spec in tool_registry().items() if spec.mutating}
    for path, method, op in operations(openapi):
        statuses = {int(code) for code in op["responses"] if code[0] in "45"}
        expected = {401, 403, 429, 500, 503}
        if method in ("post", "patch") or path.endswith("/") and "{" not in path:
            expected.add(400)
        if "{" in path or "/tools/" in path:
            expected.add(404)
        if "/tools/" in path and path.split("/")[-2] in mutating:
            expected.add(409)
        assert expected <= statuses, (method, path, statuses)
        for code in statuses:
            body = op["responses"][str(code)]["content"]["application/json"]
            assert body["schema"] == error, (method, path, code)
            (example,) = body["examples"].values()
            Draft202012Validator(openapi["components"]["schemas"]["Error"]).validate(
                example["value"]
            )


def _view_docstrings() -> set[str]:
    from django.urls import get_resolver

    found: set[str] = set()

    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns)
                continue
            view = getattr(pattern.callback, "cls", None)
            if view is None:
                continue
            for cls in view.__mro__:
                if cls.__module__.startswith(
                    ("cs_platform", "customers", "health", "integrations")
                ):
                    found.update(filter(None, [inspect.getdoc(cls)]))
                    for attr in vars(cls).values():
                        doc = inspect.getdoc(attr) if callable(attr) else None
                        if doc and not getattr(attr, "kwargs", None):
                            found.add(doc)

    walk(get_resolver().url_patterns)
    return found


def test_no_maintainer_docstring_becomes_an_operation_description(openapi):
    tool_docs = {spec.description for spec in tool_registry().values()}
    maintainer_docs = _view_docstrings() - tool_docs
    assert any("Subclasses set" in doc for doc in maintainer_docs)  # the scan sees them
    for path, method, op in operations(openapi):
        description = op.get("description", "")
        for doc in maintainer_docs:
            first_line = doc.splitlines()[0]
            assert first_line not in description, (method, path, first_line)


@pytest.mark.django_db
def test_real_error_answers_have_the_documented_body_and_status(openapi, client, staff, make_token):
    """What the document promises is what the API answers (401, 400, 403, 404, 409)."""
    error = Draft202012Validator(openapi["components"]["schemas"]["Error"])
    read_only = make_token(staff["csm1"], scopes=("read",))
    writer = make_token(staff["csm1"])

    def call(name: str, body: dict, token: str | None) -> tuple[int, dict]:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        response = client.post(
            f"/api/v1/tools/{name}/", body, content_type="application/json", **headers
        )
        return response.status_code, response.json()

    answers = {
        401: call("get_client_overview", {"account_id": 1}, None),
        400: call("get_client_overview", {"account_id": 0}, writer),
        403: call("update_client_info", {"account_id": 1, "name": "X"}, read_only),
        404: call("get_client_overview", {"account_id": 4242}, writer),
    }
    key = {"account_id": 4242, "name": "X", "idempotency_key": "docs-example-1"}
    for status, (got, body) in answers.items():
        assert got == status, (status, body)
        error.validate(body)
        documented = openapi["paths"]["/api/v1/tools/get_client_overview/"]["post"]["responses"]
        assert str(status) in documented
    assert answers[400][1]["details"]["errors"][0]["field"] == "account_id"
    assert answers[401][1]["code"] == "unauthenticated"
    assert call("update_client_info", key, writer)[0] == 404


@pytest.mark.parametrize("name", sorted(tool_registry()))
def test_every_tool_has_an_example_request_and_answer_that_fit_its_contracts(openapi, name):
    spec = tool_registry()[name]
    op = openapi["paths"][f"/api/v1/tools/{name}/"]["post"]
    request = op["requestBody"]["content"]["application/json"]
    (request_example,) = request["examples"].values()
    Draft202012Validator(request["schema"]).validate(request_example["value"])
    spec.input_model.model_validate(request_example["value"])
    answer = op["responses"]["200"]["content"]["application/json"]
    (answer_example,) = answer["examples"].values()
    Draft202012Validator(answer["schema"]).validate(answer_example["value"])
    spec.output_model.model_validate(answer_example["value"])


def test_examples_stay_out_of_the_mcp_tool_list():
    """Agents pay per token: the example request is for people reading the API docs."""
    from mcp_bridge.schema import mcp_tool_from_spec

    for name, spec in tool_registry().items():
        assert "examples" not in mcp_tool_from_spec(spec).inputSchema, name


def test_tool_descriptions_name_no_internal_model():
    """Descriptions are for agents and API users: no class names of ours (FeatureAdoption,
    HealthScore); one-word models (Account, CTA) are also the domain's words."""
    from django.apps import apps

    models = {
        m.__name__ for m in apps.get_models() if m.__module__.split(".")[0] in PROJECT_PACKAGES
    }
    for name, spec in tool_registry().items():
        words = set(re.findall(r"\b[A-Z][a-z]+[A-Z][A-Za-z]*\b", spec.description))
        assert not words & models, (name, words & models)
