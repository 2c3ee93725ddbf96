#!/usr/bin/env bash
# Benchmark on a local sandbox: how close a no-op `meshctl up` (the idempotency check of every
# task on every host) and a ping matrix come to the floor of one SSH connection and round trip
# per host (`meshctl exec -- true`). Prints the median of RUNS runs of each.
# Usage: scripts/bench.sh [HOSTS=3] [RUNS=5]   (leaves the sandbox up; `meshctl sandbox down -i` it)
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-3}
runs=${2:-5}
inventory=bench/inventory.yaml
meshctl=./bin/meshctl.js

bash scripts/ensure-docker.sh
npm run --silent build
"$meshctl" sandbox up --hosts "$hosts" --backend ovs-gre --inventory "$inventory" >/dev/null
"$meshctl" up "$inventory" --json >/dev/null

median_of() {
  local label=$1; shift
  local times=()
  for ((i = 0; i < runs; i++)); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    times+=($(((end - start) / 1000000)))
  done
  local sorted
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  printf '%-40s median %6d ms   (runs: %s)\n' "$label" "$(sed -n "$(((runs + 1) / 2))p" <<<"$sorted")" "$(tr '\n' ' ' <<<"$sorted")"
}

echo "meshctl benchmark: $hosts sandbox hosts, $runs runs each"
median_of 'floor: exec -- true (connect + 1 cmd)' "$meshctl" exec -i "$inventory" -- true
median_of 'up, nothing to change' "$meshctl" up "$inventory" --json
median_of 'verify ping-matrix' "$meshctl" verify ping-matrix -i "$inventory" --json
