"""Root conftest: only here does pytest honour ``pytest_plugins``. Every fixture of the
suite lives in one of these modules (or in the one test module that uses it), so any test
can use any of them by name, and a fixture is found by grepping for its ``def``."""

pytest_plugins = [
    "tests.fixtures",  # staff, actors, tokens, a small portfolio, the clock (`travel`)
    "integrations.tests.fixtures",  # sandbox providers, webhook receiver, two books, connections
    "health.tests.fixtures",  # an expansion book: seats, tiers, contracts with known figures
    "tests.browser.fixtures",  # headless Chromium against a live server, persona sign-in
    "tests.operations.fixtures",  # the production topology on loopback (`stack`)
]
