#!/usr/bin/env bash
# Reruns every committed result from scratch with the current code (release build) and prints each wall time
# and peak resident size: experiments/results/<figure>/, plots/*.svg, experiments/results/section9/ and
# experiments/results/verify/. Run it after any change that moves results, even by rounding (bump
# ResultsVersion.current first; see docs/outputs.md), then review `git diff --stat experiments plots`.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release $(bash scripts/cpu_flags.sh) >/dev/null
bin=.build/release/transfersim
measure() { /usr/bin/time -f "$1: %e s wall, %M KiB peak" "${@:2}" >/dev/null 2>/tmp/transfersim-regenerate.log || { cat /tmp/transfersim-regenerate.log; exit 1; }; tail -1 /tmp/transfersim-regenerate.log; }
for name in fig1a fig1b fig1c fig2 alpha dynamics recipes kou2023; do
    rm -rf "experiments/results/$name"
    measure "$name" "$bin" figure "$name" --out "experiments/results/$name" --plots plots --quiet --no-upstream-cache
done
rm -rf experiments/results/section9
measure section9 "$bin" sweep --config experiments/section9.yaml --out experiments/results/section9 --quiet --no-upstream-cache
rm -rf experiments/results/verify
measure verify "$bin" verify --out experiments/results/verify
rm -rf experiments/results/regimes
measure regimes "$bin" verify --claims experiments/claims/regimes.yaml --out experiments/results/regimes --no-upstream-cache
rm -rf experiments/results/lemmas
measure lemmas "$bin" verify --claims experiments/claims/lemmas.yaml --out experiments/results/lemmas --no-upstream-cache
