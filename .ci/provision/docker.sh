#!/usr/bin/env bash
# Docker engine for the sandbox integration tests (@bga/sandbox-docker): installs Debian's
# docker.io and busybox-static when missing, starts dockerd in the background when no engine
# answers, waits for its socket, and builds the registry-free test image. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/../.."

socket=/var/run/docker.sock
log=/var/log/bga-dockerd.log

engine_up() { docker info >/dev/null 2>&1; }

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "docker: installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Lanes need no bridge, NAT or forwarding (their network is "none"), so the daemon is started
# without touching the host's iptables or forwarding settings.
start_dockerd() {
  local driver="$1"
  echo "docker: starting dockerd (storage driver: ${driver:-default}), log in $log"
  local args=(--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false)
  [ -n "$driver" ] && args+=(--storage-driver="$driver")
  nohup dockerd "${args[@]}" >>"$log" 2>&1 </dev/null &
  echo $! >/var/run/bga-dockerd.pid
  for _ in $(seq 1 60); do
    if [ -S "$socket" ] && engine_up; then return 0; fi
    kill -0 "$(cat /var/run/bga-dockerd.pid)" 2>/dev/null || return 1
    sleep 1
  done
  return 1
}

if engine_up; then
  echo "docker: engine answering on $socket"
else
  if ! start_dockerd ""; then
    # Some kernels or nested setups cannot mount overlayfs; vfs always works (slower, larger).
    pid=$(cat /var/run/bga-dockerd.pid 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    sleep 2
    start_dockerd vfs || { echo "docker: dockerd did not come up; see $log" >&2; tail -n 30 "$log" >&2; exit 1; }
  fi
  echo "docker: engine up"
fi

docker info --format 'docker: server {{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}} ({{.CgroupDriver}}), pids limit {{.PidsLimit}}, memory limit {{.MemoryLimit}}, cpu quota {{.CPUCfsQuota}}'
if [ "$(docker info --format '{{.PidsLimit}} {{.MemoryLimit}}')" != "true true" ]; then
  echo "docker: WARNING the engine cannot enforce pids/memory limits on this machine; the sandbox driver will refuse to start" >&2
fi

bash packages/sandbox-docker/images/build-test-image.sh
