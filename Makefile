# Thin wrapper around meson/ninja.  See README.md.
BUILD ?= build
ASAN_BUILD ?= build-asan
MESON ?= meson

.PHONY: all deps build asan check unit integration v2vm demo bench bench-engine bench-network bench-phases bench-unpack bench-pull clean format

all: build

deps:
	./scripts/install-deps.sh

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD)

build: $(BUILD)/build.ninja
	$(MESON) setup --reconfigure $(BUILD) >/dev/null
	ninja -C $(BUILD)

$(ASAN_BUILD)/build.ninja:
	$(MESON) setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false

asan: $(ASAN_BUILD)/build.ninja
	$(MESON) setup --reconfigure $(ASAN_BUILD) >/dev/null
	ninja -C $(ASAN_BUILD)

# Every test: unit tests (normal and ASan+UBSan builds) and integration tests
# against the real binary.  Prints "N passed, N failed" last.
check: build asan
	./tests/run-all.sh

unit: build
	./tests/run-all.sh unit

integration: build
	./tests/run-all.sh integration

# The cgroup v2 lane alone (tests/vm): cgroup tests on a pure v2 kernel in QEMU.
v2vm: build
	./tests/run-all.sh v2vm

demo: build
	./scripts/demo.sh

bench: build
	./bench/run.sh

# kago run --rm vs podman run --rm vs docker run --rm (bench/engine.sh).
bench-engine: build
	./bench/engine.sh

# The bridge network's cost, kago vs podman vs docker (bench/network.sh).
bench-network: build
	./bench/network.sh

bench-phases:
	./bench/phases.sh

bench-unpack: build
	./bench/unpack.sh

# Cold pulls from a local registry, kago vs podman (bench/README.md).
bench-pull: build
	./bench/pull.sh

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'bench/*.c')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
