#!/usr/bin/env bash
# Switching activity for the power analysis: the tiny_cnn network (networks/tiny_cnn.json,
# seeded random weights: conv+pool, conv+pool, fc) on the tiny RTL, DRAM to DRAM and checked
# bit-exact against the golden model, with an FST waveform; fst2vcd and activity.py turn it into
# per-signal toggle rates. Reused while it is newer than the RTL and the scripts.
# Writes build/reports/synth/tiny/activity/{activity.json,run.json,activity.log}.
# usage: synth/activity.sh
set -euo pipefail
cfg=tiny
source "$(dirname "$0")/common.sh"
out=$build/reports/synth/$cfg/activity
log=$out/activity.log
mkdir -p "$out"
fail() { echo "activity: $1; log: $log" >&2; exit 1; }
net=$root/networks/tiny_cnn.json
if [ -f "$out/activity.json" ] && [ -z "$(find $srcs "$net" "$here/activity.py" "$here/activity.sh" \
     "$here/accel_sim.sh" -newer "$out/activity.json" 2>/dev/null)" ]; then
  echo "activity: $out/activity.json is up to date"
  exit 0
fi
: > "$log"
command -v fst2vcd > /dev/null || fail "fst2vcd not found (Debian package gtkwave; make deps)"
"$here/accel_sim.sh" "$cfg" rtl "$out" >> "$log" 2>&1 || fail "RTL model build failed"
"$out/accel_rtl" run "$net" 1 "$out/run.json" "$out/run.fst" >> "$log" 2>&1 \
  || fail "tiny_cnn on the RTL failed"
fst2vcd "$out/run.fst" -o "$out/run.vcd" >> "$log" 2>&1 || fail "fst2vcd failed"
python3 "$here/activity.py" --vcd "$out/run.vcd" --root rsnpu_top --clock clk_i \
  --out "$out/activity.json" >> "$log" 2>&1 || fail "activity.py failed"
rm -f "$out/run.vcd" "$out/run.fst"
tail -1 "$log"
