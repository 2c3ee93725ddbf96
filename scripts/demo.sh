#!/usr/bin/env bash
# The main job on a fresh machine: a 3-host sandbox, the OVS GRE mesh brought up on it, and the
# ping matrix that proves it. The sandbox stays up to explore; the last lines say how to remove it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-docker.sh
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build

meshctl=./bin/meshctl.js
inventory=demo/inventory.yaml
"$meshctl" sandbox up --hosts 3 --backend ovs-gre --inventory "$inventory"
"$meshctl" up "$inventory"
"$meshctl" verify ping-matrix -i "$inventory"
cat <<MSG

The mesh is up on 3 sandbox hosts. Try:
  $meshctl up $inventory                       # again: changes nothing, and says so
  $meshctl exec -i $inventory --become -- 'ovs-vsctl show'
  $meshctl down -i $inventory                  # remove the mesh
  $meshctl sandbox down --inventory $inventory # remove the hosts
MSG
