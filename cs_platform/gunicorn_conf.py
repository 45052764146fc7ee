"""gunicorn configuration: ``gunicorn -c python:cs_platform.gunicorn_conf ...``.

Command-line flags (scripts/docker-entrypoint.sh) set bind, workers and timeouts; this
module adds the hooks that keep metrics right across workers and the JSON log format.
"""

import os

from cs_platform.core.telemetry.gunicorn import child_exit, gunicorn_logconfig, on_starting

logconfig_dict = gunicorn_logconfig(os.environ.get("LOG_LEVEL", "INFO"))

__all__ = ["child_exit", "logconfig_dict", "on_starting"]
