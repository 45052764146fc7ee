#!/usr/bin/env bash
# promtool and amtool for `make deploy-check`, in .tools/bin. A no-op when they are there
# (or already on PATH). Otherwise they are taken out of Debian's `prometheus` and
# `prometheus-alertmanager` packages with `apt-get download` + `dpkg-deb -x`: nothing is
# installed system-wide and no Prometheus or Alertmanager service is started.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tools/bin

link_or_fetch() {  # <tool> <debian package>
  local tool=$1 package=$2
  [ -x ".tools/bin/$tool" ] && return 0
  if command -v "$tool" >/dev/null; then
    ln -sf "$(command -v "$tool")" ".tools/bin/$tool"
    return 0
  fi
  command -v apt-get >/dev/null || { echo "$tool is missing and apt-get is not available" >&2; exit 1; }
  local work
  work=$(mktemp -d)
  if ! (cd "$work" && apt-get download -q "$package" >/dev/null 2>&1); then
    echo "refreshing the package lists to find $package"
    apt-get update -qq
    (cd "$work" && apt-get download -q "$package" >/dev/null)
  fi
  dpkg-deb -x "$work"/"$package"_*.deb "$work/root"
  install -m 0755 "$work/root/usr/bin/$tool" ".tools/bin/$tool"
  rm -rf "$work"
  echo "$tool: $(".tools/bin/$tool" --version 2>&1 | head -n1)"
}

link_or_fetch promtool prometheus
link_or_fetch amtool prometheus-alertmanager
