#!/usr/bin/env bash
# Compares mapping a ~100 MB folder of Fiks Arkiv messages with the bare streaming parse of the same files
# (`xmllint --stream --noout`). Goal: the adapter costs at most 2x the bare parse. (`xmllint --stream
# --schema` is no fair reference: it compiles the XSD again for every file.) Each case runs under
# /usr/bin/time -v; the table gives wall time and CPU time (user + sys, all threads), median and best of the
# rounds, with the load average before and after, since the machine may be shared.
#
# Usage: bench/fiks_arkiv/run.sh [RUNS]   (from the repository root; build the release preset first:
#   cmake --preset release && cmake --build --preset release --target bench_fiks_arkiv -j2)
# Environment: DATA (folder, default build/bench-fiks-arkiv-data), MB (default 100), SCHEMA_DIR, BENCH (binary).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-3}
data=${DATA:-$root/build/bench-fiks-arkiv-data}
mb=${MB:-100}
schema_dir=${SCHEMA_DIR:-$root/../shared/formats/fiks-arkiv/Schema/V1}
bench=${BENCH:-$root/build/release/bench_fiks_arkiv}

if ! command -v xmllint > /dev/null; then
  echo "run.sh: installing libxml2-utils for xmllint"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get install -y -qq --no-install-recommends libxml2-utils
fi
[ -x "$bench" ] || { echo "run.sh: $bench is missing; build the release preset's bench_fiks_arkiv target" >&2; exit 1; }
[ -d "$schema_dir" ] || { echo "run.sh: schema folder $schema_dir is missing" >&2; exit 1; }
if [ ! -f "$data/.complete-$mb" ]; then
  rm -rf "$data"
  python3 "$root/bench/fiks_arkiv/generate.py" "$data" "$mb"
  touch "$data/.complete-$mb"
fi

files=$(find "$data" -name '*.xml' | wc -l)
bytes=$(find "$data" -name '*.xml' -printf '%s\n' | awk '{s += $1} END {print s}')
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# Runs a command under /usr/bin/time -v; prints "wall_seconds cpu_seconds max_rss_kib" (CPU = user + sys).
measure() {
  /usr/bin/time -v -o "$tmp" "$@" > /dev/null 2>&1 || true
  local wall rss cpu
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp")
  cpu=$(awk -F': ' '/User time \(seconds\)/ {u = $2} /System time \(seconds\)/ {s = $2} END {printf "%.2f", u + s}' "$tmp")
  # h:mm:ss or m:ss.ss → seconds
  echo "$wall" | awk -F: -v rss="$rss" -v cpu="$cpu" \
    '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f %s %s\n", s, cpu, rss }'
}

declare -A times cpus rss_of
# The adapter cases read the folder as a scheduled run does (up to 4 threads, as many as the machine has);
# the last one is pinned to one thread, to show what the threads add and what one thread costs.
names=("xmllint --stream --noout (baseline)" "bench_fiks_arkiv lenient (XSD + mapping)"
  "bench_fiks_arkiv strict (XSD + mapping)" "bench_fiks_arkiv no-xsd (mapping only)"
  "bench_fiks_arkiv lenient, 1 thread")
xargs_xmllint=(sh -c 'find "$1" -name "*.xml" -print0 | xargs -0 xmllint --stream --noout' sh "$data")
run_case() {
  local name=$1 i=$2
  shift 2
  read -r s cpu rss < <(measure "$@")
  echo "  $name run $i: ${s}s wall, ${cpu}s CPU (user+sys), max RSS ${rss} KiB" >&2
  times[$name]="${times[$name]:-} $s"
  cpus[$name]="${cpus[$name]:-} $cpu"
  rss_of[$name]=$rss
}

echo "fiks-arkiv benchmark: $files messages, $((bytes / 1000000)) MB in $data; $runs rounds, cases alternating" >&2
echo "CPUs: $(nproc); this shell's scheduling group: $(cat /proc/self/autogroup 2> /dev/null || echo unknown)" >&2
echo "load before: $(uptime)" >&2
# Rounds alternate the cases, so that a machine whose load shifts weighs on all of them alike.
for ((i = 1; i <= runs; i++)); do
  run_case "${names[0]}" "$i" "${xargs_xmllint[@]}"
  run_case "${names[1]}" "$i" "$bench" "$schema_dir" "$data" lenient
  run_case "${names[2]}" "$i" "$bench" "$schema_dir" "$data" strict
  run_case "${names[3]}" "$i" "$bench" "$schema_dir" "$data" no-xsd
  run_case "${names[4]}" "$i" "$bench" "$schema_dir" "$data" lenient 1
done
echo "load after: $(uptime)" >&2

"$bench" "$schema_dir" "$data" strict >&2 || { echo "run.sh: the adapter rejected generated messages" >&2; exit 1; }

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
best() { tr ' ' '\n' | grep -v '^$' | sort -g | head -1; }
stat() { echo "$1" | $2; }  # stat "LIST" median|best
base=${names[0]}
printf '\n| what | wall median s (%s runs) | wall best s | CPU median s | CPU best s | max RSS (MiB) | wall ratio (median) | wall ratio (best) | CPU ratio (median) | CPU ratio (best) |\n' "$runs"
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for name in "${names[@]}"; do
  awk -v n="$name" -v r="${rss_of[$name]}" \
    -v wm="$(stat "${times[$name]}" median)" -v wb="$(stat "${times[$name]}" best)" \
    -v cm="$(stat "${cpus[$name]}" median)" -v cb="$(stat "${cpus[$name]}" best)" \
    -v bwm="$(stat "${times[$base]}" median)" -v bwb="$(stat "${times[$base]}" best)" \
    -v bcm="$(stat "${cpus[$base]}" median)" -v bcb="$(stat "${cpus[$base]}" best)" \
    'BEGIN { printf "| %s | %.2f | %.2f | %.2f | %.2f | %.1f | %.2f | %.2f | %.2f | %.2f |\n",
             n, wm, wb, cm, cb, r / 1024, wm / bwm, wb / bwb, cm / bcm, cb / bcb }'
done
