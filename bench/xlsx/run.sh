#!/usr/bin/env bash
# Compares bench_xlsx (the spreadsheet adapter reading a workbook into fragments) with
# pandas.read_excel(engine="openpyxl") on the same generated workbook: time and peak memory, RUNS times each.
# Build first:  cmake --preset release && cmake --build --preset release --target bench_xlsx -j1
# Environment:  ROWS (100000), RUNS (3), BENCH_XLSX (build/release/bench_xlsx), WORK (build/bench-xlsx)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
py=/usr/bin/python3  # the Debian interpreter that the apt packages below belong to
rows=${ROWS:-100000}
runs=${RUNS:-3}
bench=${BENCH_XLSX:-$repo/build/release/bench_xlsx}
work=${WORK:-$repo/build/bench-xlsx}

missing=()
for p in python3-openpyxl python3-pandas time; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ ! -x "$bench" ]; then
  echo "run.sh: $bench is missing; build it with: cmake --preset release && cmake --build --preset release --target bench_xlsx -j1" >&2
  exit 1
fi

mkdir -p "$work"
file="$work/portefolje-$rows.xlsx"
if [ ! -f "$file" ]; then
  echo "generating $file"
  "$py" "$here/generate.py" "$file" "$rows"
fi
ls -l "$file"

for i in $(seq "$runs"); do
  /usr/bin/time -v "$bench" "$file" >"$work/veikart-$i.out" 2>"$work/veikart-$i.time"
  cat "$work/veikart-$i.out"
  /usr/bin/time -v "$py" "$here/pandas_read.py" "$file" >"$work/pandas-$i.out" 2>"$work/pandas-$i.time"
  cat "$work/pandas-$i.out"
done

"$py" - "$work" "$runs" <<'PY'
import re, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
def read(name):
    secs, rss, wall = [], [], []
    for i in range(1, runs + 1):
        out = open(f"{work}/{name}-{i}.out").read()
        tv = open(f"{work}/{name}-{i}.time").read()
        secs.append(float(re.search(r"seconds ([0-9.]+)", out).group(1)))
        rss.append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", tv).group(1)) / 1024)
        w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([0-9.]+)", tv)
        wall.append(int(w.group(1) or 0) * 3600 + int(w.group(2)) * 60 + float(w.group(3)))
    return statistics.median(secs), statistics.median(wall), statistics.median(rss)
v, p = read("veikart"), read("pandas")
print()
print(f"{'':24}{'read s (median)':>17}{'process s':>12}{'peak RSS MiB':>14}")
print(f"{'veikart bench_xlsx':24}{v[0]:>17.3f}{v[1]:>12.2f}{v[2]:>14.1f}")
print(f"{'pandas + openpyxl':24}{p[0]:>17.3f}{p[1]:>12.2f}{p[2]:>14.1f}")
print(f"{'ratio (pandas/veikart)':24}{p[0] / v[0]:>16.1f}x{p[1] / v[1]:>11.1f}x{p[2] / v[2]:>13.1f}x")
print(f"goal: read >= 20x faster: {'met' if p[0] / v[0] >= 20 else 'NOT met'}; "
      f"peak memory <= 1/4 of pandas: {'met' if v[2] * 4 <= p[2] else 'NOT met'}")
PY
