"""Browser tests: Debian's headless Chromium, driven by Selenium through its chromium-driver,
against the app on a live server on the test database (PostgreSQL in CI).

Registered by the root ``conftest.py``. A test that asks for ``browser`` is marked
``browser`` (``-m "not browser"`` leaves them out) and gets:

- the app on pytest-django's live server (a free port on localhost, a transactional
  database), serving the production Content-Security-Policies, so a page that needs an
  inline script or another origin breaks here as it would in production;
- a Chromium with no route out: every host but loopback resolves to nothing and every
  request that is not for loopback goes to a closed proxy port. The session checks the
  cut once, on start;
- ``browser.sign_in("csm1")``: the persona signs in through the admin's login form;
- a screenshot per test in ``test-artifacts/screenshots/`` (``BROWSER_ARTIFACTS_DIR``),
  plus the page's HTML when the test failed.

Nothing is downloaded: ``scripts/ensure_browser.sh`` (run by ``make test``) installs the
``chromium`` and ``chromium-driver`` packages, and the driver is given both paths, so
Selenium Manager never runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BINARY", "/usr/bin/chromedriver")
ARTIFACTS_DIR = Path(
    os.environ.get(
        "BROWSER_ARTIFACTS_DIR",
        Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots",
    )
)
PERSONA_PASSWORD = "browser-persona-password"  # noqa: S105 (test users on a test database)
# A port nothing listens on (below the ephemeral range, so no test server gets it).
CLOSED_PROXY = "http://127.0.0.1:9"
WINDOW = (1280, 900)
WAIT_SECONDS = 15

# Flags for a closed network: no first-run work, no background fetches (component
# updates, sync, safe-browsing lists), no QUIC; and no route out at all, so a page that
# needs the internet fails here as it would on an air-gapped install.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    f"--proxy-server={CLOSED_PROXY}",
)

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """Keep each phase's report on the item, so the screenshot fixture knows the outcome."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@dataclass
class BrowserSession:
    """The shared Chromium, pointed at this test's live server."""

    driver: Any
    base_url: str
    personas: Callable[[], dict[str, Any]]
    signed_in_as: str | None = field(default=None)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def open(self, path: str) -> None:
        self.driver.get(self.url(path))

    def wait_for(self, css: str, *, count: int = 1, timeout: float = WAIT_SECONDS) -> list[Any]:
        """The elements matching ``css`` once at least ``count`` of them are on the page."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        def enough(driver: Any) -> list[Any] | bool:
            found = driver.find_elements(By.CSS_SELECTOR, css)
            return found if len(found) >= count else False

        return WebDriverWait(self.driver, timeout).until(
            enough, message=f"fewer than {count} elements match {css!r} on {self.path}"
        )

    def text(self, css: str) -> str:
        return self.wait_for(css)[0].text

    @property
    def path(self) -> str:
        return urlsplit(self.driver.current_url).path

    def sign_in(self, persona: str, *, next_path: str = "/admin/") -> None:
        """Sign ``persona`` (manager, csm1, csm2, viewer) in through the admin login form."""
        from selenium.webdriver.common.by import By

        users = self.personas()
        if persona not in users:
            raise ValueError(f"no persona {persona!r}; one of {sorted(users)}")
        # Only the one who signs in gets a password: hashing one costs ~0.3 s.
        users[persona].set_password(PERSONA_PASSWORD)
        users[persona].save(update_fields=["password"])
        login = f"/admin/login/?next={next_path}"
        self.open(login)
        self.driver.delete_all_cookies()  # whoever signed in before is gone
        self.open(login)
        self.wait_for("#id_username")[0].send_keys(persona)
        self.driver.find_element(By.ID, "id_password").send_keys(PERSONA_PASSWORD)
        self.driver.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
        self.wait_for("#user-tools")
        assert self.path == next_path, f"{persona} did not get past the login form"
        self.signed_in_as = persona

    def console_errors(self) -> list[str]:
        """Console errors since the last call: failed loads, CSP refusals, script errors."""
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def loaded_urls(self) -> list[str]:
        """Every resource the current page fetched (scripts, styles, fonts, images, XHR)."""
        return self.driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )

    def foreign_loads(self) -> list[str]:
        """Fetched resources not served by this app (data: and blob: URLs are local)."""
        origin = urlsplit(self.base_url)[:2]
        return [
            url
            for url in self.loaded_urls()
            if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url)[:2] != origin
        ]


def _chromium_options(profile_dir: Path) -> Any:
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


def _assert_no_route_out(driver: Any) -> None:
    """A page outside loopback must not load: the cut is what the offline tests rely on."""
    from selenium.common.exceptions import WebDriverException

    try:
        driver.get("https://cdn.jsdelivr.net/npm/swagger-ui-dist/swagger-ui.css")
    except WebDriverException as exc:
        failure = exc.msg or ""
    else:
        failure = driver.page_source
    assert re.search(r"ERR_(PROXY_CONNECTION_FAILED|NAME_NOT_RESOLVED|TUNNEL)", failure), (
        "Chromium reached a host outside loopback; the browser tests must run with no route out"
    )
    driver.get("about:blank")
    driver.get_log("browser")  # drop the failed load's console entry


@pytest.fixture(scope="session")
def chromium(
    tmp_path_factory: pytest.TempPathFactory, django_db_setup: None, live_server: Any
) -> Iterator[Any]:
    """One headless Chromium per test process, on a fresh profile, with no route out.

    It asks for the test database and the live server only to quit before they are torn
    down: its keep-alive connections hold server threads, and their database sessions,
    until it quits, and the test database cannot be dropped while they are open.
    """
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(
            f"browser tests need {', '.join(missing)}: run `make test` or "
            "scripts/ensure_browser.sh (Debian's chromium and chromium-driver)",
            pytrace=False,
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    driver = webdriver.Chrome(
        service=Service(executable_path=CHROMEDRIVER),
        options=_chromium_options(tmp_path_factory.mktemp("chromium-profile")),
    )
    try:
        driver.set_page_load_timeout(30)
        _assert_no_route_out(driver)
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def personas(staff) -> dict[str, Any]:
    """The shared fixture's staff (manager, csm1, csm2, viewer) as admin users;
    ``BrowserSession.sign_in`` gives the one signing in ``PERSONA_PASSWORD``."""
    for user in staff.values():
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return staff


@pytest.fixture
def production_csp(settings) -> None:
    """The Content-Security-Policies production serves, on the live server too."""
    from cs_platform.settings import csp

    settings.CONTENT_SECURITY_POLICY = csp.DEFAULT_POLICY
    settings.CONTENT_SECURITY_POLICY_PATHS = dict.fromkeys(csp.API_DOCS_PATHS, csp.API_DOCS_POLICY)


def _artifact_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.replace("/", ".").replace("::", "__"))


@pytest.fixture
def browser(
    request: pytest.FixtureRequest,
    chromium: Any,
    live_server: Any,
    transactional_db: None,
    production_csp: None,
) -> Iterator[BrowserSession]:
    chromium.delete_all_cookies()
    chromium.get_log("browser")  # start each test with an empty console
    session = BrowserSession(
        driver=chromium,
        base_url=live_server.url,
        personas=lambda: request.getfixturevalue("personas"),
    )
    yield session
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    name = _artifact_name(request.node.nodeid)
    chromium.save_screenshot(str(ARTIFACTS_DIR / f"{name}.png"))
    failed = any(r.failed for r in request.node.stash.get(_REPORTS, {}).values())
    if failed:
        (ARTIFACTS_DIR / f"{name}.html").write_text(chromium.page_source)
    chromium.get("about:blank")  # nothing keeps running against the next test's server
