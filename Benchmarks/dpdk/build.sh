#!/usr/bin/env bash
# Builds the DPDK reference harness for `vpcemu bench lpm` (needs libdpdk-dev and pkg-config).
# Run: ./lpm-bench --no-huge --no-pci -l 0 -m 2048 -- --routes FILE --addrs FILE [--ipv6]
set -euo pipefail
cd "$(dirname "$0")"
cc -O3 -march=native -o lpm-bench lpm-bench.c $(pkg-config --cflags --libs libdpdk)
