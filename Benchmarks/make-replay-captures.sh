#!/usr/bin/env bash
# Writes the `bench replay` captures for Benchmarks/topologies/three-vpcs-acl.yaml (docs/forwarding.md,
# "Performance"): small packets (64-byte IP UDP streams, 40-byte TCP ACKs, 84-byte pings) mixed across
# the three VPCs, with a share of every drop the pipeline counts: security group, network ACL, no route,
# throttled on the 4 Mbit/s peering, plus a random 5-tuple IMIX that churns the connection tracker.
#
#   Benchmarks/make-replay-captures.sh [OUT_DIR] [SCALE...]
#
# For each SCALE (default: 1 4) writes OUT_DIR/replay-SCALEm.pcap with about SCALE million packets
# (SCALE × 10 s of emulated traffic). OUT_DIR defaults to .build/bench-captures; capture files are
# never committed. Runs the release build of vpcemu from the checkout this script is in (or $VPCEMU).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$repo/.build/bench-captures}"
shift || true
scales=("$@")
[ ${#scales[@]} -gt 0 ] || scales=(1 4)
topology="$repo/Benchmarks/topologies/three-vpcs-acl.yaml"
mkdir -p "$out"
vpcemu="${VPCEMU:-}"
if [ -z "$vpcemu" ]; then
  (cd "$repo" && swift build -c release --product vpcemu >/dev/null)
  vpcemu="$(cd "$repo" && swift build -c release --show-bin-path)/vpcemu"
fi

for scale in "${scales[@]}"; do
  seconds=$((10 * scale))
  "$vpcemu" generate "$topology" --seed "$scale" --out "$out/replay-${scale}m.pcap" \
    --flow "udp ecs-a1 ecs-b1 5001 mbps=12 size=64 duration=${seconds}s" \
    --flow "udp ecs-b2 ecs-a2 5002 mbps=8 size=64 duration=${seconds}s" \
    --flow "udp ecs-a2 ecs-c1 5003 mbps=10 size=64 duration=${seconds}s" \
    --flow "udp ecs-c2 ecs-b1 5004 mbps=6 size=64 duration=${seconds}s" \
    --flow "udp ecs-a1 ecs-a2 5005 mbps=4 size=64 duration=${seconds}s" \
    --flow "udp ecs-b1 ecs-c2 9999 mbps=2 size=64 duration=${seconds}s" \
    --flow "udp ecs-a1 10.9.0.1 5006 mbps=1 size=64 duration=${seconds}s" \
    --flow "udp ecs-c1 ecs-a1 7050 mbps=1 size=64 duration=${seconds}s" \
    --flow "mix ecs-a1 ecs-b2 count=$((100000 * scale)) pps=10000" \
    --flow "tcp ecs-a2 ecs-b2 443 bytes=$((20000000 * scale)) mbps=16" \
    --flow "ping ecs-b1 ecs-c1 count=$((10000 * scale)) interval=1ms"
done
