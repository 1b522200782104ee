#!/usr/bin/env bash
# Implementation flow of the whole accelerator (rsnpu_top) for one configuration: synthesis with
# SRAM macros (synth.sh), static timing (sta.sh) and, with --power, power per module from the
# switching activity of a real network run (tiny_cnn on the tiny RTL, see activity.sh).
# Reports go to build/reports/synth/CONFIG/top/; a short table is printed at the end.
# usage: synth/run_top_flow.sh CONFIG [--power]
# Exits non-zero if a step fails, naming the step and its log. Negative slack is reported, not a
# failure (make signoff judges it).
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ] || { [ $# -eq 2 ] && [ "$2" != "--power" ]; }; then
  echo "usage: $0 CONFIG [--power]" >&2
  exit 2
fi
cfg=$1; power=${2:-}
source "$(dirname "$0")/common.sh"
top=rsnpu_top
out=$build/reports/synth/$cfg/top
mkdir -p "$out"
[ -f "$pkg" ] || { echo "run_top_flow: unknown configuration '$cfg' (no $pkg)" >&2; exit 2; }

step_fail() {  # step log
  echo "run_top_flow: step '$1' failed for $cfg; log: $2" >&2
  exit 1
}
declare -A secs
run_step() {  # name log command...
  local name=$1 slog=$2 t0
  shift 2
  t0=$(date +%s)
  "$@" > "$out/$name.out" 2>&1 || { cat "$out/$name.out" >&2; step_fail "$name" "$slog"; }
  secs[$name]=$(( $(date +%s) - t0 ))
}

# Synthesis takes minutes (eyeriss: about 15): it is skipped while the netlist and the area
# report are newer than the RTL and every script and model synthesis uses.
if [ -f "$out/area.json" ] && [ "$out/area.json" -nt "$out/$top.netlist.v" ] && [ -z "$(find $srcs \
     "$here/synth.sh" "$here/sram_macros.py" "$here/sram_model.json" "$here/rename_modules.py" \
     "$here/area_report.py" "$here/techmap" "$lib" -newer "$out/$top.netlist.v" 2>/dev/null)" ]; then
  echo "run_top_flow: $out/$top.netlist.v is up to date (synthesis skipped)"
  secs[synth]=0
else
  run_step synth "$out/$top.yosys.log" "$here/synth.sh" "$cfg" "$top" "$out"
fi
run_step sta "$out/$top.sta.log" "$here/sta.sh" "$cfg" "$top" "$out"
if [ "$power" = "--power" ]; then
  act=$build/reports/synth/tiny/activity/activity.json
  run_step activity "$build/reports/synth/tiny/activity/activity.log" "$here/activity.sh"
  clock_mhz=$(sed -nE 's/.*localparam int unsigned ClockMhz = ([0-9]+);.*/\1/p' "$pkg")
  run_step power "$out/power_sta.log" python3 "$here/power.py" --netlist "$out/$top.netlist.v" \
    --liberty "$lib" --macro-lib "$out/sram_macros.lib" --macros "$out/sram_macros.json" \
    --area "$out/area.json" --activity "$act" --clock-mhz "$clock_mhz" \
    --out "$out/power.json" --sta-log "$out/power_sta.log"
fi

python3 - "$out" "$cfg" "${secs[synth]}" "${secs[sta]}" "${secs[power]:-}" <<'PY'
import json, sys
out, cfg, synth_s, sta_s, power_s = sys.argv[1:]
a = json.load(open(f"{out}/area.json"))
t = json.load(open(f"{out}/timing.json"))
runtime = {"synth_seconds": int(synth_s), "sta_seconds": int(sta_s)}
if power_s:
    runtime["power_seconds"] = int(power_s)
json.dump(runtime, open(f"{out}/runtime.json", "w"), indent=2)
tot = a["total"]
print(f"Top flow, config {cfg} (OSU 0.18 um, {t['clock_mhz']:.0f} MHz), reports in {out}")
print(f"  logic {tot['logic_area_um2'] / 1e6:.3f} mm^2 = {tot['nand2_eq'] / 1e3:.1f} kGates NAND2-eq, "
      f"{tot['flops']} flops, {tot['cells']} cells; SRAM macros {tot['macro_instances']} "
      f"= {tot['macro_area_um2'] / 1e6:.3f} mm^2 (estimated); total {tot['area_um2'] / 1e6:.3f} mm^2")
print(f"  WNS {t['wns_ns']:.3f} ns  TNS {t['tns_ns']:.3f} ns  fmax {t['fmax_mhz']:.1f} MHz  worst path "
      f"{t['worst_path_startpoint_q_net'] or t['worst_path_startpoint']} -> "
      f"{t['worst_path_endpoint_q_net'] or t['worst_path_endpoint']}")
if power_s:
    p = json.load(open(f"{out}/power.json"))["total"]
    print(f"  power {p['total_mw']:.1f} mW: logic {p['logic_total_mw']:.1f} mW, SRAM macros "
          f"{p['macro_mw_estimated']:.1f} mW (estimated)")
print("  runtime " + ", ".join(f"{k} {v}" for k, v in runtime.items()))
PY
