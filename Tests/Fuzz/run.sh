#!/bin/sh
# Builds the Wire parser with libFuzzer (+ AddressSanitizer) and fuzzes it.
#   Tests/Fuzz/run.sh [SECONDS]   (default 60)
# Findings (crashing inputs) are written to Tests/Fuzz/findings/; the corpus grows in Tests/Fuzz/corpus/.
set -eu
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
out=.build/fuzz
mkdir -p "$out" Tests/Fuzz/corpus Tests/Fuzz/findings
swiftc -parse-as-library -O -sanitize=fuzzer,address -module-name VPCEmuFuzz \
    Tests/Fuzz/ParserFuzzer/ParserFuzzer.swift \
    Sources/VPCEmu/Addressing/IPAddress.swift \
    $(find Sources/VPCEmu/Wire -name '*.swift' | sort) \
    -o "$out/ParserFuzzer"
exec "$out/ParserFuzzer" Tests/Fuzz/corpus -max_total_time="$seconds" -max_len=2048 \
    -artifact_prefix=Tests/Fuzz/findings/ -print_final_stats=1
