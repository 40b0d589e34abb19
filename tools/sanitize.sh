#!/bin/sh
# Continuous checks beyond tools/test.sh (run by .ci/run after it):
#  - the library and the unit tests built with clang, AddressSanitizer and
#    UndefinedBehaviorSanitizer (CAIRN_SANITIZE=ON, in build-sanitize/), and
#    the unit tests run under them, except those that only boot QEMU or the
#    libguestfs appliance (the normal run covers those; instrumenting cairn
#    changes nothing in a VM but makes it slower);
#  - each libFuzzer target of tests/fuzz/ run for CAIRN_FUZZ_SECONDS (default
#    60) on its checked-in seed corpus; new inputs go to a scratch corpus,
#    a crash, leak or timeout fails the run and leaves the input in
#    build-sanitize/fuzz-artifacts/.
# Needs what tools/test.sh installed and filled (build/test-cache).
set -eu
cd "$(dirname "$0")/.."
./tools/setup.sh
B=build-sanitize
FUZZ_SECONDS=${CAIRN_FUZZ_SECONDS:-60}
TARGETS="apkindex deb_control package config"

CC=clang CXX=clang++ cmake -S . -B "$B" -G Ninja -DCAIRN_SANITIZE=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -UCAIRN_MODULES >/dev/null
fuzzers=""
for t in $TARGETS; do fuzzers="$fuzzers fuzz_$t"; done
cmake --build "$B" -j"$(nproc)" --target unit_tests $fuzzers

# The unit tests read Debian inputs from the normal build's test cache.
[ -e "$B/test-cache" ] || ln -s ../build/test-cache "$B/test-cache"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$(pwd)/tests/fuzz/lsan.supp:print_suppressions=0"
echo "sanitize: unit tests under ASan and UBSan" >&2
"$B/tests/unit_tests" "~[boot]~[guestfs]~[.]" --order rand --rng-seed 1

mkdir -p "$B/fuzz-artifacts"
for t in $TARGETS; do
  scratch="$B/fuzz-corpus/$t"
  mkdir -p "$scratch"
  echo "sanitize: fuzzing $t for ${FUZZ_SECONDS}s" >&2
  "$B/tests/fuzz/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$B/fuzz-artifacts/$t-" \
    "$scratch" "tests/fuzz/corpus/$t" 2>"$B/fuzz-$t.log" || {
      tail -40 "$B/fuzz-$t.log" >&2
      echo "sanitize: fuzz_$t failed; the input is in $B/fuzz-artifacts/" >&2
      exit 1
    }
  grep -E "stat::number_of_executed_units|cov:" "$B/fuzz-$t.log" | tail -2 >&2
done
echo "sanitize: all passed" >&2
