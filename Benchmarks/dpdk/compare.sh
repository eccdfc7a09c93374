#!/usr/bin/env bash
# Runs `vpcemu bench lpm` and the DPDK harness on the same files, one after the other, and
# prints the ratios. Usage: Benchmarks/dpdk/compare.sh WORKLOAD_DIR [--ipv6] [--repeat N]
# (WORKLOAD_DIR from shared/data/make-lpm-workload.py). Build first: `swift build -c release`
# and Benchmarks/dpdk/build.sh. rte_lpm takes minutes to load a full IPv4 table.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$1"; shift
family=4; extra=(); repeat=5
while [ $# -gt 0 ]; do
  case "$1" in
    --ipv6) family=6; extra+=(--ipv6); shift ;;
    --repeat) repeat="$2"; shift 2 ;;
    *) echo "compare.sh: unknown argument $1" >&2; exit 1 ;;
  esac
done
ours=$(mktemp); theirs=$(mktemp); trap 'rm -f "$ours" "$theirs"' EXIT
"$root/.build/release/vpcemu" bench lpm --routes "$dir/routes$family.txt" --addrs "$dir/addrs$family.txt" \
  "${extra[@]}" --repeat "$repeat" --verify --json > "$ours"
tbl8s=(); [ "$family" = 6 ] && tbl8s=(--tbl8s 400000)
"$root/Benchmarks/dpdk/lpm-bench" --no-huge --no-pci -l 0 -m 2048 -- --routes "$dir/routes$family.txt" \
  --addrs "$dir/addrs$family.txt" "${extra[@]}" "${tbl8s[@]}" --repeat "$repeat" 2>/dev/null | grep -v '^EAL\|^TELEMETRY' > "$theirs"
python3 - "$ours" "$theirs" <<'PY'
import json, re, sys
ours = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
def field(name):
    return float(re.search(name + r"\s+([0-9.]+)", text).group(1))
ref = {"single": field("single lookup"), "bulk": field("bulk lookup"), "build": field("build"),
       "memory": field("memory"), "checksum": int(field("checksum"))}
print(text.strip())
print(f"vpcemu          {ours['family']} Poptrie, {ours['root_bits']}-bit root")
print(f"single lookup   {ours['mlps_single']:.1f} Mlookups/s = {ours['mlps_single'] / ref['single']:.2f}x DPDK single")
print(f"batch lookup    {ours['mlps_batch']:.1f} Mlookups/s = {ours['mlps_batch'] / ref['bulk']:.2f}x DPDK bulk")
print(f"FIB build       {ours['build_seconds']:.3f} s vs DPDK {ref['build']:.3f} s = {ours['build_seconds'] / ref['build']:.4f}x DPDK's time")
print(f"memory          {ours['memory_bytes']} bytes = {ours['memory_bytes'] / ref['memory']:.3f}x DPDK")
same = ours['checksum'] == ref['checksum'] == ours['rib_checksum']
print(f"checksum        {ours['checksum']} ({'identical to DPDK and RIB' if same else 'MISMATCH'})")
sys.exit(0 if same else 1)
PY
