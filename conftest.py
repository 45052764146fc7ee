"""Root conftest: only here does pytest honour ``pytest_plugins``, which makes the shared
fixtures of ``tests/fixtures.py`` (and the browser-test fixtures of
``tests/browser/fixtures.py``) available to every app's tests."""

pytest_plugins = ["tests.fixtures", "tests.browser.fixtures"]
