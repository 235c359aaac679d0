# The README's commands: `make run` starts lockboxd on SQLite, `make check` runs every test.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
ANALYZER_BUILD ?= build-analyzer
BENCH_BUILD ?= build-release
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
LISTEN     ?= 127.0.0.1:8077
DATA       ?= ./var

.PHONY: all build deps run check check-unit check-asan check-tsan check-analyzer bench format format-check install clean

all: build

deps:
	@scripts/deps.sh test

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory build
	@echo "lockboxd: http://$(LISTEN)/  data: $(DATA)  bootstrap token: $(DATA)/bootstrap-token"
	@$(BUILD)/lockboxd --listen $(LISTEN) --data $(DATA)

check: deps build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

check-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLB_SANITIZE=address,undefined \
		-DBUILD_TESTING=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer (which cannot share a build with ASan) on the tests of the threaded parts:
# CTest label tsan, see tests/CMakeLists.txt. gcc 12's TSan wants its shadow memory where a
# kernel with more mmap randomisation (vm.mmap_rnd_bits above 28) may map the program, and
# then stops with "FATAL: ThreadSanitizer: unexpected memory mapping": the tests run without
# address randomisation (setarch -R, inherited by lockboxd) wherever the system allows it.
TSAN_SETARCH = $(shell setarch $$(uname -m) -R true 2>/dev/null && echo setarch $$(uname -m) -R)
check-tsan: deps
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLB_SANITIZE=thread \
		-DBUILD_TESTING=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS)
	@cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		$(TSAN_SETARCH) ctest --output-on-failure -j $(JOBS) -L tsan

# Everything built with gcc's static analyzer; its warnings are errors (-Werror).
check-analyzer: deps
	@cmake -S . -B $(ANALYZER_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLB_ANALYZER=ON \
		-DBUILD_TESTING=ON >/dev/null
	@cmake --build $(ANALYZER_BUILD) -j $(JOBS)

bench:
	@scripts/deps.sh bench
	@cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DLB_FAULT_INJECTION=OFF \
		-DBUILD_TESTING=OFF >/dev/null
	@cmake --build $(BENCH_BUILD) -j $(JOBS)
	@LOCKBOXD=$(BENCH_BUILD)/lockboxd bench/run-all

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

# What is installed is an optimised build without the test builds' fault injection (which
# reads LB_FAIL_ALLOC_AT from the environment).
install:
	@scripts/deps.sh build
	@cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DLB_FAULT_INJECTION=OFF \
		-DBUILD_TESTING=OFF >/dev/null
	@cmake --build $(BENCH_BUILD) -j $(JOBS)
	@cmake --install $(BENCH_BUILD)

clean:
	@rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(ANALYZER_BUILD) $(BENCH_BUILD)
