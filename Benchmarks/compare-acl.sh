#!/usr/bin/env bash
# Runs `vpcemu bench acl` and DPDK's dpdk-test-acl (scalar and avx2) on the same ClassBench
# rule sets and traces, one after the other in the same run, and prints Mpps and the ratio of
# VPCEmu to DPDK's best algorithm. Usage: Benchmarks/compare-acl.sh [SET ...] (default: acl1_10k fw1_10k)
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/classbench
sets=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(acl1_10k fw1_10k)

swift build -c release --product vpcemu >/dev/null
vpcemu=$(swift build -c release --show-bin-path)/vpcemu

# dpdk-test-acl reports one average over its 20 iterations; vpcemu reports its best repetition.
# So that a busy machine does not favour either side, dpdk-test-acl runs RUNS times (default 5)
# and its best run counts.
runs=${RUNS:-5}
# A private --file-prefix keeps the EAL runtime files apart from other DPDK processes on the machine.
dpdk_mpps() {  # rules trace alg -> best Mpps from dpdk-test-acl's "pkt/sec"
    for _ in $(seq "$runs"); do
        if ! output=$(dpdk-test-acl --no-huge --no-pci -l 0 -m 1024 --file-prefix="vpcemu-acl-$$" -- \
                --rulesf="$1" --tracef="$2" --tracenum=100000 --iter=20 --verbose=0 --alg="$3" 2>&1); then
            echo "dpdk-test-acl --alg=$3 failed on $1: $(echo "$output" | tail -2)" >&2
            continue
        fi
        echo "$output" | awk '/search_ip5tuples/ { for (i = 1; i <= NF; i++) if ($i ~ /pkt\/sec/) { printf "%.2f\n", $(i-1) / 1e6 } }'
    done | sort -g | tail -1
}

printf "%-10s %10s %10s %10s %8s %9s %12s %12s\n" set vpcemu dpdk-sc dpdk-avx2 ratio build-s memory checksum
for set in "${sets[@]}"; do
    rules=$data/$set trace=$data/${set}_trace
    json=$("$vpcemu" bench acl --rules "$rules" --trace "$trace" --json --verify)
    ours=$(python3 -c 'import json,sys; print("%.2f" % json.loads(sys.argv[1])["mpps"])' "$json")
    build=$(python3 -c 'import json,sys; print("%.3f" % json.loads(sys.argv[1])["build_seconds"])' "$json")
    memory=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["memory_bytes"])' "$json")
    checksum=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["checksum"])' "$json")
    scalar=$(dpdk_mpps "$rules" "$trace" scalar)
    avx2=$(dpdk_mpps "$rules" "$trace" avx2)
    ratio=$(python3 -c 'import sys; o, a, b = (float(x or 0) for x in sys.argv[1:]); print("%.2fx" % (o / max(a, b)) if max(a, b) else "n/a")' "$ours" "$scalar" "$avx2")
    printf "%-10s %10s %10s %10s %8s %9s %12s %12s\n" "$set" "$ours" "$scalar" "$avx2" "$ratio" "$build" "$memory" "$checksum"
done
echo "ratio = vpcemu Mpps / best dpdk-test-acl Mpps; vpcemu checksum verified against a linear scan (--verify)"
