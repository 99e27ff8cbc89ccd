# The README's two commands are `make demo` and `make test`; everything else here helps them.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test test-asan format format-check clean

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
	@echo "Stop with Ctrl-C."
	@echo ""
	./build/veikart serve --config config/demo.yaml

# The whole suite on the release build (warnings are errors), then again under ASan+UBSan.
test: build format-check
	ctest --preset $(PRESET) -j $(JOBS)
	$(MAKE) --no-print-directory test-asan

test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

FORMAT_FILES = $(shell git ls-files '*.cpp' '*.hpp' 2>/dev/null || find gateway adapters tests bench -name '*.[ch]pp')

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: ok"

clean:
	rm -rf build
