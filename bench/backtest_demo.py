"""Backtest of the default scorecard and the churn model on the seeded demo portfolio.

Usage (PostgreSQL on loopback; the scratch database is dropped and re-created):

    .venv/bin/python bench/backtest_demo.py [--accounts 300] [--seed 42]

Seeds the demo (``seed_demo``, deterministic for a seed) into ``cs_platform_bench_backtest``,
runs the ``backtest_scorecard`` tool as the demo's CS manager (the whole portfolio) and
writes what it reports — AUC, "churned while green", Brier score of the model's own and of
its Platt-calibrated probabilities (5-fold cross-validated) beside the base-rate Brier, and
the reliability tables by decile — and the calibration a fit on all outcomes would store,
with the date to bench/results/backtest.json (earlier runs kept in
``history``). Not a timing benchmark: it records how trustworthy the score and the churn
probability are on the demo data, so a change to either shows up as a diff.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cs_platform.core import clock  # noqa: E402 (needs ROOT on sys.path)

DB_NAME = "cs_platform_bench_backtest"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
RESULTS = ROOT / "bench" / "results" / "backtest.json"
KEPT = ("scorecard", "horizon_days", "renewals_considered", "rows_scored",
        "skipped_missing_score", "skipped_low_coverage", "outcome_counts", "auc", "auc_note",
        "churned_total", "churned_green", "churned_green_share", "band_outcomes",
        "churn_model", "brier", "brier_calibrated", "brier_base_rate", "calibration_note",
        "reliability", "reliability_calibrated")  # fmt: skip


def _recreate_database() -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--horizon-days", type=int, default=90)
    parser.add_argument("--no-write", action="store_true", help="Do not update the results file.")
    args = parser.parse_args()

    _recreate_database()
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
    os.environ.setdefault("DB_POOL", "false")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cs_platform.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from cs_platform.core.actors import actor_for_user
    from cs_platform.core.models import Role
    from cs_platform.core.tools import invoke_tool
    from health.services.churn_calibration import churn_calibration_fit

    call_command("migrate", verbosity=0)
    call_command(
        "seed_demo", f"--accounts={args.accounts}", f"--seed={args.seed}", "--reset", verbosity=0
    )
    manager = get_user_model().objects.filter(staff_profile__role=Role.MANAGER).first()
    out = invoke_tool(
        "backtest_scorecard",
        actor_for_user(manager, channel="command"),
        {"horizon_days": args.horizon_days},
    )
    # The fit the demo's predictions would apply (in-sample on all outcomes); the backtest's
    # brier_calibrated above is the cross-validated, out-of-sample figure.
    fit = churn_calibration_fit(horizon_days=args.horizon_days, apply=False).row
    report = {
        "benchmark": "backtest_scorecard on the seeded demo portfolio (score AUC, churned "
        "while green, churn-model Brier score and reliability by decile)",
        "date": clock.now().isoformat(timespec="seconds"),
        "demo": {"accounts": args.accounts, "seed": args.seed},
        "result": {
            **{k: out[k] for k in KEPT},
            "calibration_fit": {
                "model_version": fit.model_version,
                "version": fit.version,
                "status": fit.status,
                "slope": fit.slope,
                "intercept": fit.intercept,
                "outcomes": fit.outcomes,
                "churned": fit.churned,
                "reason": fit.reason,
                "brier_in_sample_before": fit.brier_before,
                "brier_in_sample_after": fit.brier_after,
                "fitted_at": fit.fitted_at.isoformat(timespec="seconds"),
            },
        },
    }
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    history = previous.get("history", [])
    if previous.get("result"):
        r = previous["result"]
        kept = ("scorecard", "churn_model", "auc", "churned_green_share", "brier",
                "brier_calibrated", "brier_base_rate")  # fmt: skip
        history.append(
            {"date": previous.get("date"), "demo": previous.get("demo"),
             **{k: r.get(k) for k in kept}}
        )  # fmt: skip
    report["history"] = history
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=2, default=str) + "\n")
    shown = ("auc", "churned_green_share", "brier", "brier_calibrated", "brier_base_rate",
             "calibration_fit")  # fmt: skip
    print(json.dumps({k: report["result"][k] for k in shown}, default=str))


if __name__ == "__main__":
    main()
