#!/usr/bin/env bash
# The whole test suite: every ctest of the regular build (offscreen GUI tests included), then the
# core tests again under AddressSanitizer and UndefinedBehaviorSanitizer, the threads the loader and the
# index start under ThreadSanitizer (tests/tsan), and a short run of each fuzz target. The package test (label
# "package") builds the .deb from build/ and lints it.
# Every model the tests need is in the checkout (tests/models) except two whose licence forbids it; their
# tests skip, naming the reason, unless HIERSCOPE_EXTRA_MODELS names a folder holding them: ../shared/models
# when it exists beside the checkout (the project's workspace).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
if [ -z "${HIERSCOPE_EXTRA_MODELS:-}" ] && [ -d ../shared/models ]; then
  HIERSCOPE_EXTRA_MODELS="$(cd ../shared/models && pwd)"
  export HIERSCOPE_EXTRA_MODELS
fi
echo "== third-party models that may not be redistributed: ${HIERSCOPE_EXTRA_MODELS:-absent (their tests skip)}"
ctest --test-dir build --output-on-failure --timeout 900

echo "== core tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DHIERSCOPE_SANITIZE=ON -DHIERSCOPE_BUILD_GUI=OFF -DCMAKE_BUILD_TYPE=Debug > build-asan.log 2>&1 || { cat build-asan.log; exit 1; }
cmake --build build-asan -j"$(nproc)" >> build-asan.log 2>&1 || { tail -60 build-asan.log; exit 1; }
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure --timeout 900 -L core

echo "== the loader's and the index's threads under ThreadSanitizer (clang)"
cmake -S . -B build-tsan -DHIERSCOPE_TSAN=ON -DHIERSCOPE_BUILD_GUI=OFF -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo > build-tsan.log 2>&1 || { cat build-tsan.log; exit 1; }
cmake --build build-tsan -j"$(nproc)" --target tsan_threads >> build-tsan.log 2>&1 || { tail -60 build-tsan.log; exit 1; }
ctest --test-dir build-tsan --output-on-failure --timeout 900 -L tsan

echo "== fuzz targets (libFuzzer, clang, ASan + UBSan): a short run of each from its seed corpus"
cmake -S . -B build-fuzz -DHIERSCOPE_FUZZ=ON -DHIERSCOPE_BUILD_GUI=OFF -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo > build-fuzz.log 2>&1 || { cat build-fuzz.log; exit 1; }
cmake --build build-fuzz -j"$(nproc)" --target fuzz_model fuzz_sidecar fuzz_extract fuzz_structure fuzz_profile >> build-fuzz.log 2>&1 ||
  { tail -60 build-fuzz.log; exit 1; }
fuzz/run build-fuzz 30
