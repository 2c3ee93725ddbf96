#!/usr/bin/env bash
# Makes sure a Docker engine answers here, plus the tools the sandbox builds its images with and
# the ones the unit tests run for real (Open vSwitch and ethtool in network namespaces, Chromium
# for the HTML matrix). Installs docker.io, debootstrap, busybox-static, openvswitch-switch,
# ethtool and chromium when missing and starts
# dockerd (no systemd as PID 1 on these machines). Usage: sudo bash scripts/ensure-docker.sh   (same logic as src/sandbox/docker-engine.ts)
set -euo pipefail

export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export DEBIAN_FRONTEND=noninteractive
dockerd_log=/var/log/meshctl-dockerd.log
start_timeout=60

log() { echo "ensure-docker: $*" >&2; }

engine_answers() { timeout 20 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

if [[ $(id -u) -ne 0 ]]; then
  engine_answers && exit 0
  log "no Docker engine answers and only root can install or start one: run this as root"
  exit 1
fi

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
# The probe image needs the static build: a plain busybox would lack its libraries inside the image.
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
# The l2_uplink script tests run private ovsdb-server/ovs-vswitchd daemons; nothing starts the service.
command -v ovs-vswitchd >/dev/null || missing+=(openvswitch-switch)
command -v ethtool >/dev/null || missing+=(ethtool)
# The HTML ping-matrix test renders the page in headless Chromium and reads the screenshot.
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
if ((${#missing[@]} > 0)); then
  log "installing ${missing[*]}"
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
fi

engine_answers && exit 0

log "starting dockerd (log: $dockerd_log)"
# setsid: dockerd gets its own session and outlives this script and CI's shell.
setsid nohup dockerd >>"$dockerd_log" 2>&1 </dev/null &

for ((i = 0; i < start_timeout; i++)); do
  if engine_answers; then
    log "Docker engine is up"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer 'docker info' within ${start_timeout}s; last lines of $dockerd_log:"
tail -n 20 "$dockerd_log" >&2 || true
exit 1
