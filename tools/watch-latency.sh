#!/usr/bin/env bash
# The time from a file's save to the new verdict on screen under `--watch`.
#
# usage: tools/watch-latency.sh FILE RUNS -- COMMAND...
#   COMMAND is a `--watch` run (e.g. `target/release/xtask gate phase-b-readiness --repo R
#   --watch`). After its first verdict, the script edits FILE RUNS times (appends a word to
#   its first line with `sed -i`, as an editor's save: a new file renamed over the old one),
#   each time timestamping the edit and the next verdict line (`PASS`/`FAIL`) COMMAND prints,
#   and prints each latency and the median in milliseconds. FILE is restored at the end.
# Needs bash 5 (EPOCHREALTIME).
set -euo pipefail
file=$1 runs=$2
shift 2
[ "${1:-}" = "--" ] && shift
saved=$(mktemp)
cp -p "$file" "$saved"
fifo=$(mktemp -u)
mkfifo "$fifo"
"$@" >"$fifo" 2>/dev/null &
pid=$!
exec 3<"$fifo"
cleanup() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  cp -p "$saved" "$file"
  rm -f "$saved" "$fifo"
}
trap cleanup EXIT

verdict() {
  local line
  while IFS= read -r -t 60 line <&3; do
    case $line in PASS* | FAIL*) return 0 ;; esac
  done
  echo "no verdict line within 60 s" >&2
  exit 2
}
verdict
lat=()
for i in $(seq "$runs"); do
  sleep 1
  t0=${EPOCHREALTIME/./}
  sed -i "1s/\$/ edit-$i/" "$file"
  verdict
  t1=${EPOCHREALTIME/./}
  lat+=($(((t1 - t0) / 1000)))
  echo "save $i: $(((t1 - t0) / 1000)) ms"
done
sorted=($(printf '%s\n' "${lat[@]}" | sort -n))
echo "median of $runs: ${sorted[$((runs / 2))]} ms (min ${sorted[0]}, max ${sorted[$((runs - 1))]})"
