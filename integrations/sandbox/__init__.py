"""Sandbox providers: Zendesk, Intercom, Mixpanel and SendGrid over real HTTP on loopback,
with deterministic data and switchable faults (DESIGN.md section 7).

Start one with ``manage.py sandbox_providers`` or in-process with
``SandboxServer(port=0).start()``; drive it with ``SandboxControl(server.url)``.
"""

from integrations.sandbox.config import SandboxConfig, SandboxCredentials
from integrations.sandbox.control import SandboxControl
from integrations.sandbox.data import Dataset
from integrations.sandbox.server import SandboxServer

__all__ = ["Dataset", "SandboxConfig", "SandboxControl", "SandboxCredentials", "SandboxServer"]
