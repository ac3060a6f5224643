# The two set-up commands in the README are `make demo` and `make test`; each installs what it needs.
.PHONY: deps demo test asan bench soak soak-http fuzz release dev package clean

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
	./build/release/src/cli/ringleader demo

# Every test, then the whole suite again under AddressSanitizer + UBSan.
test: dev
	ctest --preset dev
	$(MAKE) asan

asan: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan

# A Debian package of the release build (docs/packaging.md): build/release/ringleader_<version>_<arch>.deb
package: release
	cd build/release && cpack

bench: release
	./build/release/bench/micro/ringleader_bench
	./bench/proxy/run --build build/release
	./bench/http/run --build build/release

# The soak test (issue 10, tests/soak/soak.py): SOAK_SECONDS of mixed pipelined load with large values
# while backends are killed, stopped and restarted, servers reloaded in and out, and bursts of new
# connections arrive; then fds, RSS and burst latency are checked. Figures: build/release/soak.json.
SOAK_SECONDS ?= 1800
soak: release
	/usr/bin/python3 tests/soak/soak.py build/release/src/cli/ringleader --duration $(SOAK_SECONDS) \
	  --json build/release/soak.json

# The http pool test with 1 GiB bodies (make test moves 64 MiB ones): up and down, Content-Length
# and chunked, the proxy's peak RSS checked against its RSS before.
soak-http: release
	/usr/bin/python3 tests/integration/http/http_pool_test.py build/release/src/cli/ringleader 1024

# Each libFuzzer target runs FUZZ_SECONDS on a copy of its checked-in seed corpus.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = memcache_request memcache_reply redis_request redis_reply http_request http_response config
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
	  -DRINGLEADER_FUZZ=ON -DRINGLEADER_TOOLS=OFF -DRINGLEADER_TEST=OFF -DRINGLEADER_BENCH=OFF -DRINGLEADER_PYTHON=OFF
	cmake --build build/fuzz -j $(JOBS)
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t && cp -n tests/fuzz/corpus/$$t/* build/fuzz/corpus/$$t/ ; \
	  build/fuzz/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/ build/fuzz/corpus/$$t || exit 1; \
	done

clean:
	rm -rf build
