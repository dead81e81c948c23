#!/usr/bin/env bash
# Benchmark, side by side on one machine: fleetscript's nightly_backup.rhai and inventory.rhai
# against the official Python `ncm` client (PyPI `ncm`, NcmClientv2) doing the same work, both
# against `fleetscript sim --routers N --latency-ms L`. Medians of alternating runs, the ratio,
# peak memory and the floor. Not part of `cargo test`.
#
#   bash benches/vs_ncm.sh                       # 10,000 routers, 20 ms, 3 runs
#   FLEET_ROUTERS=100000 FLEET_RUNS=1 bash benches/vs_ncm.sh
#   FLEET_OUT=/mnt/tmpfs bash benches/vs_ncm.sh   # outputs on a tmpfs: the clients, not the disk
#   FLEET_BIN=/tmp/fleetscript-before bash benches/vs_ncm.sh   # another build of fleetscript
#   SIM_BIN=target/release/fleetscript FLEET_BIN=/tmp/before bash benches/vs_ncm.sh   # before/after
#                                                 # on one simulator (default: FLEET_BIN's own)
set -euo pipefail
cd "$(dirname "$0")/.."
routers=${FLEET_ROUTERS:-10000}
latency=${LATENCY_MS:-20}
runs=${FLEET_RUNS:-3}
port=${SIM_PORT:-18181}
venv=${NCM_VENV:-target/vs_ncm-venv}

# FLEET_BIN=PATH measures another build (an earlier commit's, for a before/after comparison).
if [ -n "${FLEET_BIN:-}" ]; then
    bin=$FLEET_BIN
else
    cargo build --release --quiet
    bin=$PWD/target/release/fleetscript
fi
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet ncm
fi

sim_bin=${SIM_BIN:-$bin}
"$sim_bin" sim --addr "127.0.0.1:$port" --routers "$routers" --latency-ms "$latency" >/dev/null 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null' EXIT
for _ in $(seq 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

export CP_BASE_URL="http://127.0.0.1:$port/api/v2"
export X_CP_API_ID=sandbox-cp-id X_CP_API_KEY=sandbox-cp-key X_ECM_API_ID=sandbox-ecm-id X_ECM_API_KEY=sandbox-ecm-key
# The Python client reads the same keys under their header names.
env "X-CP-API-ID=sandbox-cp-id" "X-CP-API-KEY=sandbox-cp-key" "X-ECM-API-ID=sandbox-ecm-id" "X-ECM-API-KEY=sandbox-ecm-key" \
    "$venv/bin/python" benches/vs_ncm/run.py "$bin" "$PWD/$venv/bin/python" "$routers" "$latency" "$runs"
