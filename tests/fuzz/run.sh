#!/usr/bin/env bash
# make fuzz: runs each libFuzzer target of tests/fuzz/, one after another, for SECONDS each,
# from a copy of its seed corpus (the repository's stays as it is), with leak detection and a
# memory limit. Fails on the first crash, leak, sanitizer report, timeout or memory excess (or
# a run that outlasts SECONDS by 5 minutes, as a leak check over gigabytes of heap would); the
# input that caused it is left in BUILD/fuzz-run/<target>/artifacts/, to be kept in
# tests/fuzz/regressions/<target>/ once the bug is fixed.
# Usage: tests/fuzz/run.sh BUILD SECONDS [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../.."

build=$1
seconds=$2
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config_loader http_request rack dictionary proxy_header)

summary=()
for target in "${targets[@]}"; do
  binary=$(realpath "$build/tests/fuzz/${target}_fuzzer")
  work=$build/fuzz-run/$target
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts" "$work/cwd"
  work=$(realpath "$work")
  cp tests/fuzz/corpus/"$target"/* "$work/corpus/"
  # The config loader's relative dictionary paths are relative to the working directory: a
  # tiny word list there, and nothing else.
  printf 'care\nrace\nacre\nlexical\nzoo\n' >"$work/cwd/words"
  options=(-max_total_time="$seconds" -rss_limit_mb=2048 -detect_leaks=1 -timeout=30
           -print_final_stats=1 -artifact_prefix="$work/artifacts/")
  [ -f "tests/fuzz/$target.dict" ] && options+=(-dict="$PWD/tests/fuzz/$target.dict")
  [ "$target" = http_request ] && options+=(-dict="$PWD/tests/fuzz/http.dict")
  printf '\n--- %s: %s s\n' "$target" "$seconds"
  status=0
  (cd "$work/cwd" && ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     timeout --kill-after=30 $((seconds + 300)) "$binary" "${options[@]}" "$work/corpus") >"$work/log" 2>&1 || status=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/log" | tail -n 1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
  line="$target: ${runs:-?} runs, ${speed:-?} exec/s; ${done_line:-no DONE line}"
  summary+=("$line")
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$work/log"
    echo "make fuzz: $target FAILED (exit $status); the input is in $work/artifacts/:"
    ls -l "$work/artifacts/"
    exit 1
  fi
  echo "$line"
done
printf '\nmake fuzz: every target ran %s s with no finding\n' "$seconds"
printf '  %s\n' "${summary[@]}"
