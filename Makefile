# The two set-up commands in the README are `make demo` and `make test`; each installs what it needs.
.PHONY: deps demo test asan bench fuzz release dev clean

JOBS ?= $(shell nproc)

deps:
	./scripts/install-deps

dev: deps
	cmake --preset dev
	cmake --build --preset dev -j $(JOBS)

release: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

demo: release
	./build/release/src/cli/ringleader simulate

test: dev
	ctest --preset dev

asan: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan

bench: release
	./build/release/bench/micro/ringleader_bench

clean:
	rm -rf build
