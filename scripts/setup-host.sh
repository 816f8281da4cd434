#!/usr/bin/env bash
# Installs and starts what ari's sandboxes need on a Debian host: bubblewrap, busybox-static, docker.io (+ dockerd),
# and PostgreSQL's server binaries (for the fleet tests; no cluster is started here).
set -euo pipefail
need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v dockerd >/dev/null || need+=(docker.io)
command -v setpriv >/dev/null || need+=(util-linux)
# PostgreSQL server binaries for the fleet tests (each test starts its own cluster in a temp dir; none is started here)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "setup-host: need root to install: ${need[*]}" >&2; exit 1; fi
  echo "setup-host: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# dockerd: start it when no engine answers
if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null; then
    echo "setup-host: starting dockerd" >&2
    mkdir -p /var/log
    (setsid dockerd >/var/log/ari-dockerd.log 2>&1 &)
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || { echo "setup-host: dockerd did not come up; see /var/log/ari-dockerd.log" >&2; exit 1; }
  else
    echo "setup-host: no Docker engine reachable (docker backend will report unavailable)" >&2
  fi
fi
echo "setup-host: ok (bwrap $(bwrap --version 2>/dev/null | awk '{print $2}'), docker $(docker version --format '{{.Server.Version}}' 2>/dev/null))" >&2
