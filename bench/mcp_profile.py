"""Where an MCP tool call spends its time, against the same call over REST, in one process.

Usage (a seeded database in DATABASE_URL, e.g. `seed_demo --accounts 1000` + recompute):

    DATABASE_URL=postgres://... .venv/bin/python bench/mcp_profile.py [--calls 60]
        [--profile mcp|rest] [--tool get_client_overview]

Both channels go through Django's test client (no network), so the difference is the
channel: DRF + JSON vs django-mcp-server's Starlette adapter, the MCP SDK's session and
JSON-RPC handling, and `async_to_sync` / `sync_to_async` hops. Calls are interleaved
(tool alone, REST, MCP) so a busy machine slows all three alike. With ``--profile`` the
calls of that channel run under py-spy (``PY_SPY`` names the binary) sampling every
thread, because the MCP SDK runs its event loop in a thread other than the request's
(``PROFILE_RAW=<file>`` keeps the collapsed stacks); the summary is each function's share
of the samples (inclusive). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cs_platform.settings")


def _setup() -> tuple[object, str, int]:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from cs_platform.core.models import Role, StaffProfile
    from cs_platform.core.tokens import api_token_create
    from customers.models import Account

    user, _ = get_user_model().objects.get_or_create(username="bench-mcp-profile")
    StaffProfile.objects.update_or_create(user=user, defaults={"role": Role.MANAGER})
    _, secret = api_token_create(username=user.username, scopes=["read"])
    account_id = Account.objects.order_by("id").values_list("id", flat=True)[10]
    return Client(), secret, account_id


def _rest(client, token: str, tool: str, args: dict) -> None:
    resp = client.post(
        f"/api/v1/tools/{tool}/", args, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert resp.status_code == 200, resp.content[:300]


def _mcp(client, token: str, tool: str, args: dict) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": tool, "arguments": args}}  # fmt: skip
    resp = client.post(
        "/mcp", json.dumps(body), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT="application/json, text/event-stream",
        HTTP_MCP_PROTOCOL_VERSION="2025-06-18",
    )  # fmt: skip
    assert resp.status_code == 200, resp.content[:300]
    assert b'"isError":false' in resp.content, resp.content[:300]


def _timed(fn, n: int, *a) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        fn(*a)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _tool_only(token_user, tool: str, args: dict, n: int) -> list[float]:
    from cs_platform.core.actors import actor_for_user
    from cs_platform.core.tools import invoke_tool

    actor = actor_for_user(token_user, channel="command")
    out = []
    for _ in range(n):
        started = time.perf_counter()
        invoke_tool(tool, actor, args)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _profile(fn, n: int, *a) -> dict:
    """Sample every thread of this process with py-spy while `fn` runs `n` times; return the
    share of samples each function appears in (inclusive), top first."""
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".txt") as out:
        spy = subprocess.Popen(
            [os.environ.get("PY_SPY", "py-spy"), "record", "--pid", str(os.getpid()),
             "--rate", "500", "--format", "raw", "--output", out.name, "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(2.0)  # py-spy attaches
        started = time.perf_counter()
        for _ in range(n):
            fn(*a)
        elapsed = time.perf_counter() - started
        spy.send_signal(2)
        spy.wait(timeout=30)
        stacks = Path(out.name).read_text().splitlines()
    if os.environ.get("PROFILE_RAW"):
        Path(os.environ["PROFILE_RAW"]).write_text("\n".join(stacks))
    inclusive: dict[str, int] = {}
    total = 0
    for line in stacks:
        frames, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        for frame in set(frames.split(";")):
            inclusive[frame] = inclusive.get(frame, 0) + int(count)
    top = sorted(inclusive.items(), key=lambda kv: -kv[1])[:60]
    return {
        "calls": n,
        "ms_per_call": round(elapsed * 1000 / n, 2),
        "samples": total,
        "top": [{"share": round(c / total, 3), "frame": f} for f, c in top],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--tool", default="get_client_overview")
    parser.add_argument("--profile", choices=["mcp", "rest"], default=None)
    opts = parser.parse_args()
    client, token, account_id = _setup()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="bench-mcp-profile")
    args = {"account_id": account_id} if opts.tool == "get_client_overview" else {}
    for fn in (_rest, _mcp):  # warm both paths (imports, tool list, scorecard cache)
        fn(client, token, opts.tool, args)
    if opts.profile:
        fn = _mcp if opts.profile == "mcp" else _rest
        print(json.dumps(_profile(fn, opts.calls, client, token, opts.tool, args), indent=1))
        return
    # Interleaved rounds (tool alone, REST, MCP), so a busy machine slows all three alike;
    # the channel costs are the per-round differences from the bare tool call.
    tool_ms, rest_ms, mcp_ms = [], [], []
    for _ in range(opts.calls):
        tool_ms += _tool_only(user, opts.tool, args, 1)
        rest_ms += _timed(_rest, 1, client, token, opts.tool, args)
        mcp_ms += _timed(_mcp, 1, client, token, opts.tool, args)

    def stats(values: list[float]) -> dict:
        return {"median_ms": round(statistics.median(values), 2),
                "p95_ms": round(statistics.quantiles(values, n=20)[-1], 2)}  # fmt: skip

    summary = {
        "tool": stats(tool_ms),
        "rest": stats(rest_ms),
        "mcp": stats(mcp_ms),
        "rest_over_tool_ms": round(
            statistics.median(r - t for r, t in zip(rest_ms, tool_ms, strict=True)), 2
        ),
        "mcp_over_tool_ms": round(
            statistics.median(m - t for m, t in zip(mcp_ms, tool_ms, strict=True)), 2
        ),
        "mcp_over_rest_ms": round(
            statistics.median(m - r for m, r in zip(mcp_ms, rest_ms, strict=True)), 2
        ),
    }
    summary["calls"] = opts.calls
    summary["tool_name"] = opts.tool
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
