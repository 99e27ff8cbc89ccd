# The README's two commands are `make demo` and `make test`; everything else here helps them.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test test-asan test-fuzz format format-check clean

all: build

deps:
	@bash deploy/install-deps.sh

build: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build --preset $(PRESET) -j $(JOBS)
	@ln -sfn $(PRESET)/veikart build/veikart

demo: build
	@echo ""
	@echo "Veikart demo: http://127.0.0.1:8080/"
	@echo "  feed     http://127.0.0.1:8080/v1/roadmap"
	@echo "  sources  http://127.0.0.1:8080/v1/sources"
	@echo "  metrics  http://127.0.0.1:8080/metrics"
	@echo "  API      http://127.0.0.1:8080/openapi.yaml"
	@echo "  upstreams: fake Fiks roadmap API http://127.0.0.1:8091, fake Noark 5 http://127.0.0.1:8092/api"
	@echo "             (faults: curl -X POST 'http://127.0.0.1:8092/_fault?mode=503', then mode=none)"
	@echo "Stop with Ctrl-C."
	@echo ""
	@ln -sfn $(PRESET)/veikart-fake-upstream build/veikart-fake-upstream
	@./build/veikart-fake-upstream --key-dir build/demo-keys --data config/demo/upstream & \
	  fake=$$!; trap 'kill $$fake 2>/dev/null; wait $$fake 2>/dev/null' EXIT INT TERM; \
	  for i in $$(seq 50); do [ -f build/demo-keys/fiks-demo.pem ] && break; sleep 0.1; done; \
	  ./build/veikart serve --config config/demo.yaml

# The whole suite on the release build (warnings are errors), again under ASan+UBSan, then a bounded smoke run
# of every libFuzzer target (clang).
test: build format-check
	ctest --preset $(PRESET) -j $(JOBS)
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory test-fuzz

test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

FUZZ_SECONDS ?= 20

test-fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVEIKART_FUZZ=ON \
	  -DVEIKART_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	cmake --build build/fuzz -j $(JOBS)
	ctest --test-dir build/fuzz -L fuzz -j $(JOBS) --output-on-failure

FORMAT_FILES = $(shell git ls-files '*.cpp' '*.hpp' 2>/dev/null || find gateway adapters tests bench -name '*.[ch]pp')

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: ok"

clean:
	rm -rf build
