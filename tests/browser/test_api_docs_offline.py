"""`/api/docs/` and `/api/redoc/` render the whole reference in a browser with no route out,
under the production Content-Security-Policy: everything they load is served by this app."""

from __future__ import annotations

import pytest

from cs_platform.core.tools import tool_registry


@pytest.fixture
def operation_ids(client) -> list[str]:
    schema = client.get("/api/schema/?format=json").json()
    return [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]


def test_swagger_ui_renders_every_operation_offline(browser, operation_ids):
    browser.open("/api/docs/")
    blocks = browser.wait_for(".opblock", count=len(operation_ids))
    assert len(blocks) == len(operation_ids)
    # One block per tool, reachable by its deep link (tag "tools", operation tool_<name>).
    for name in tool_registry():
        browser.wait_for(f"#operations-tools-tool_{name}")
    # Opened, a tool shows its example request and the error answers with their bodies.
    operation = browser.wait_for("#operations-tools-tool_list_clients .opblock-summary")[0]
    operation.click()
    browser.driver.execute_script("arguments[0].scrollIntoView()", operation)  # screenshot
    example = browser.text("#operations-tools-tool_list_clients .body-param__example")
    assert '"renewal_within_days": 90' in example
    statuses = {
        cell.text
        for cell in browser.wait_for("#operations-tools-tool_list_clients .response-col_status")
    }
    assert {"200", "400", "401", "403", "404", "429", "500", "503"} <= statuses
    assert browser.foreign_loads() == []
    assert browser.console_errors() == []


def test_redoc_renders_every_operation_offline(browser, operation_ids):
    browser.open("/api/redoc/")
    sections = browser.wait_for("[data-section-id*='/operation/']", count=len(operation_ids))
    assert len(sections) == len(operation_ids)
    assert browser.foreign_loads() == []
    assert browser.console_errors() == []
