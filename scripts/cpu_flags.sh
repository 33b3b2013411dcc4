#!/usr/bin/env bash
# Prints the `swift build` flags that compile TransferSim's Swift code for this machine's vector unit: on an x86-64 CPU
# with Haswell's instruction set (AVX2, FMA, BMI1/2, MOVBE, LZCNT, F16C, POPCNT: Intel since 2013, AMD since Zen),
# `-target-cpu haswell`, so element-wise loops run four doubles wide instead of two and SpanBatch's fused
# multiply-adds (`addingProduct`) are one instruction instead of a call to libm's `fma`.
# The bits do not change: Swift never fuses a multiply and an add unless asked to, `addingProduct` is correctly
# rounded either way, and every committed result regenerates identically with either build. Nothing is printed elsewhere, or with PORTABLE=1 — a binary built with
# the flags needs such a CPU (SIGILL otherwise), one built without runs on any x86-64.
set -euo pipefail
[ -z "${PORTABLE:-}" ] || exit 0
[ "$(uname -m)" = x86_64 ] || exit 0
flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
for feature in avx2 fma bmi1 bmi2 movbe abm f16c popcnt; do
    case "$flags" in *" $feature "*) ;; *) exit 0 ;; esac
done
echo "-Xswiftc -target-cpu -Xswiftc haswell"
