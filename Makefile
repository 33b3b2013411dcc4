# TransferSim: `make run` runs the default experiment, `make test` runs the test suite.
SWIFT ?= swift
OUT ?= results/default
# Release builds for this CPU's vector unit when it has Haswell's instruction set (the same bits, ~10% faster);
# PORTABLE=1 builds for any x86-64 (scripts/cpu_flags.sh).
CPUFLAGS := $(shell PORTABLE="$(PORTABLE)" bash scripts/cpu_flags.sh)

.PHONY: deps python-deps build run test test-slurm keys clean docs format

# Installs OpenBLAS and LAPACKE (and librsvg's rsvg-convert, for --format pdf,png) with apt when missing (needs root or sudo).
deps:
	@if ! pkg-config --exists lapacke openblas 2>/dev/null || ! command -v rsvg-convert >/dev/null; then \
		echo "installing liblapacke-dev libopenblas-dev pkg-config librsvg2-bin with apt"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update && $$SUDO apt-get install -y liblapacke-dev libopenblas-dev pkg-config librsvg2-bin; \
	fi

# SwiftPM's incremental build has linked stale objects here after a change of a public struct's layout in
# another module (a crash at run time): a checkout of another commit starts the configuration afresh.
define fresh_if_moved
	@head=$$(git rev-parse HEAD 2>/dev/null || echo none); \
	if [ -f .build/.head-$(1) ] && [ "$$(cat .build/.head-$(1))" != "$$head" ]; then \
		echo "another commit since the last $(1) build: building it afresh"; rm -rf .build/$(1) .build/*/$(1); \
	fi; mkdir -p .build; echo "$$head" > .build/.head-$(1)
endef

build: deps
	$(call fresh_if_moved,release)
	$(SWIFT) build -c release $(CPUFLAGS)

# The default job: a small sweep (alpha-quick: transfer gain over α × ‖u‖) that writes CSV and SVG heatmaps.
run: build
	$(SWIFT) run -c release $(CPUFLAGS) transfersim figure alpha --quick --out $(OUT)

# The Python reader (python/) and its pinned test dependencies, from PyPI.
python-deps:
	python3 -m pip install -q -r python/requirements-test.txt ./python

# Swift tests, then the Python reader's tests against directories the CLI writes in the same run. The test process
# runs the BLAS kernel the executable pins (`transfersim blas --kernel`: Haswell on AVX2 CPUs, or what
# --blas-kernel / TRANSFERSIM_BLAS_KERNEL name); tests that need other kernels start processes of their own.
test: deps python-deps
	$(call fresh_if_moved,debug)
	$(SWIFT) build
	OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=$$($$($(SWIFT) build --show-bin-path)/transfersim blas --kernel) $(SWIFT) test
	TRANSFERSIM_BIN=$$($(SWIFT) build --show-bin-path)/transfersim python3 -m pytest -q python/tests

# A real single-node Slurm cluster (installs slurm-wlm and munge with apt if missing; needs root).
test-slurm: deps
	bash scripts/slurm_test.sh

keys: build
	$(SWIFT) run -c release $(CPUFLAGS) transfersim keys

clean:
	rm -rf .build results

# Rewrites the key table of docs/config.md, the column table of docs/outputs.md and the Python reader's
# python/transfersim/columns.json from `transfersim keys [--columns [--json]]` (tests check they agree).
docs: build
	$(SWIFT) run -c release $(CPUFLAGS) transfersim keys > .keys.md
	python3 -c "import re,sys; r=open('docs/config.md').read(); k=open('.keys.md').read().rstrip('\n'); open('docs/config.md','w').write(re.sub(r'(<!-- keys:begin -->\n).*?(\n<!-- keys:end -->)', lambda m: m.group(1)+k+m.group(2), r, flags=re.S))"
	$(SWIFT) run -c release $(CPUFLAGS) transfersim keys --columns > .keys.md
	python3 -c "import re,sys; r=open('docs/outputs.md').read(); k=open('.keys.md').read().rstrip('\n'); open('docs/outputs.md','w').write(re.sub(r'(<!-- columns:begin -->\n).*?(\n<!-- columns:end -->)', lambda m: m.group(1)+k+m.group(2), r, flags=re.S))"
	rm -f .keys.md
	$(SWIFT) run -c release $(CPUFLAGS) transfersim keys --columns --json > python/transfersim/columns.json

# Formats Sources and Tests with the toolchain's swift-format and .swift-format (line length 120).
format:
	$(SWIFT) format -i -r Sources Tests
