#!/usr/bin/env bash
# PE implementation flow for one configuration: synthesis (synth.sh), static timing
# (sta.sh) and gate-level simulation of the netlist against the golden model (gls/).
# Reports go to build/reports/synth/CONFIG/; a short table is printed at the end.
# usage: synth/run_pe_flow.sh CONFIG
# env: RSNPU_BUILD_DIR (build tree, default build/), RSNPU_GLS_JOBS (12), RSNPU_GLS_SEED (1)
# Exits non-zero if a step fails, naming the step and its log. Negative slack is reported,
# not a failure.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 CONFIG" >&2
  exit 2
fi
cfg=$1; top=rsnpu_pe
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"  # root, build, lib, pkg, gls_vflags, lib_cell_models
out=$build/reports/synth/$cfg
cells_v=${RSNPU_CELLS_V:-/usr/share/qflow/tech/osu018/osu018_stdcells.v}
jobs=${RSNPU_GLS_JOBS:-12}
seed=${RSNPU_GLS_SEED:-1}
if [ ! -f "$pkg" ]; then
  echo "run_pe_flow: unknown configuration '$cfg' (no $pkg; configurations: config/hw.json)" >&2
  exit 2
fi
mkdir -p "$out"
t0=$(date +%s)

step_fail() {  # step log
  echo "run_pe_flow: step '$1' failed for $cfg; log: $2" >&2
  exit 1
}

# 1. Synthesis
"$here/synth.sh" "$cfg" "$top" "$out" > "$out/synth.out" 2>&1 || {
  cat "$out/synth.out" >&2; step_fail synth "$out/$top.yosys.log"; }
# 2. Static timing
"$here/sta.sh" "$cfg" "$top" "$out" > "$out/sta.out" 2>&1 || {
  cat "$out/sta.out" >&2; step_fail sta "$out/$top.sta.log"; }

# 3. Gate-level simulation
gls_log=$out/gls.log
: > "$gls_log"
golden_lib=$build/golden/librsnpu_golden.a
[ -f "$golden_lib" ] || { echo "run_pe_flow: missing $golden_lib (make build)" >> "$gls_log";
                          step_fail gls "$gls_log"; }
[ -f "$cells_v" ] || { echo "run_pe_flow: missing $cells_v (make deps)" >> "$gls_log";
                       step_fail gls "$gls_log"; }
gen=$out/gen_pe_vectors
if [ ! -x "$gen" ] || [ "$gen" -ot "$here/gls/gen_pe_vectors.cpp" ] || [ "$gen" -ot "$golden_lib" ]; then
  g++ -std=c++20 -O1 -Wall -Wextra -I"$root/golden/include" "$here/gls/gen_pe_vectors.cpp" \
      "$golden_lib" -o "$gen" >> "$gls_log" 2>&1 || step_fail "gls (build gen_pe_vectors)" "$gls_log"
fi
pkgval() { sed -nE "s/.*localparam int unsigned $1 = ([0-9]+);.*/\\1/p" "$pkg"; }
"$gen" "$seed" "$jobs" "$(pkgval FilterSpadWords)" "$(pkgval IfmapSpadWords)" \
    "$(pkgval PsumSpadWords)" "$out/gls_stim.txt" "$out/gls_expected.txt" >> "$gls_log" 2>&1 \
  || step_fail "gls (vectors)" "$gls_log"
# Port widths of the netlist (they depend on the configuration).
net=$out/$top.netlist.v
width() {
  local w
  w=$(awk -v p="$1" '/^module rsnpu_pe\(/{m=1} m && $1=="input" && $NF==p";" {print $0; exit}' "$net" \
      | sed -nE 's/.*\[([0-9]+):0\].*/\1/p')
  echo $(( ${w:-0} + 1 ))
}
params=""
for pair in SW:cfg_s_i PW:cfg_p_i QW:cfg_q_i UW:cfg_stride_i EW:cfg_e_i RW:cfg_rows_i; do
  params="$params -Ppe_gls_tb.${pair%%:*}=$(width "${pair#*:}")"
done
echo "iverilog params:$params" >> "$gls_log"
# shellcheck disable=SC2086
iverilog -g2012 -T typ $params -o "$out/gls.vvp" "$here/gls/pe_gls_tb.sv" "$net" "$cells_v" \
  "$out/sram_macros.v" \
  >> "$gls_log" 2>&1 || step_fail "gls (iverilog)" "$gls_log"
tg=$(date +%s)
vvp -n "$out/gls.vvp" +stim="$out/gls_stim.txt" +exp="$out/gls_expected.txt" +bp=1 \
  +seed="$seed" >> "$gls_log" 2>&1 || step_fail "gls (vvp)" "$gls_log"
gls_s=$(( $(date +%s) - tg ))
gls_line=$(grep -E '^GLS (PASS|FAIL)' "$gls_log" | tail -1 || true)
[ -n "$gls_line" ] || step_fail "gls (no verdict)" "$gls_log"

# 4. The MAC datapath (the netlist's rsnpu_pe_mac) against the behavioural product and sum on
# full-range random operands, in iverilog and in Verilator with the top-level gate-level
# build's flags and cell models (gls/mac_gls_tb.sv).
mac_log=$out/mac_gls.log
: > "$mac_log"
mac_v=$out/rsnpu_pe_mac.netlist.v
awk '/^module rsnpu_pe_mac\(/{m=1} m{print} m && /^endmodule/{exit}' "$net" > "$mac_v"
grep -q '^endmodule' "$mac_v" || { echo "no module rsnpu_pe_mac in $net" >> "$mac_log";
                                   step_fail "mac (netlist)" "$mac_log"; }
iverilog -g2012 -T typ -o "$out/mac_gls.vvp" "$here/gls/mac_gls_tb.sv" "$mac_v" "$cells_v" \
  >> "$mac_log" 2>&1 || step_fail "mac (iverilog)" "$mac_log"
mac_iv=$(vvp -n "$out/mac_gls.vvp" +seed="$seed" 2>&1 | tee -a "$mac_log" | grep -E '^MAC ' \
         | tail -1)
lib_cells_v=$out/osu018_cells.v
lib_cell_models "$out" >> "$mac_log" 2>&1 \
  || step_fail "mac (cell models)" "$out/osu018_cells.yosys.log"
# shellcheck disable=SC2086
verilator --binary --timing $gls_vflags --top-module mac_gls_tb -Mdir "$out/obj_mac" \
  -o mac_gls "$here/gls/mac_gls_tb.sv" "$mac_v" "$lib_cells_v" >> "$mac_log" 2>&1 \
  || step_fail "mac (verilator)" "$mac_log"
mac_vl=$("$out/obj_mac/mac_gls" +seed="$seed" 2>&1 | tee -a "$mac_log" | grep -E '^MAC ' | tail -1)
echo "iverilog: $mac_iv; verilator: $mac_vl" >> "$mac_log"
case "$mac_iv/$mac_vl" in
  "MAC PASS"*"/MAC PASS"*) mac_line="MAC PASS (iverilog and Verilator: ${mac_iv#MAC PASS })" ;;
  *) step_fail "mac (mismatch: iverilog '$mac_iv', Verilator '$mac_vl')" "$mac_log" ;;
esac

python3 - "$out" "$cfg" "$gls_line" "$gls_s" "$(( $(date +%s) - t0 ))" "$mac_line" <<'PY'
import json, sys
out, cfg, gls, gls_s, total_s, mac = sys.argv[1:]
a = json.load(open(f"{out}/area.json"))
t = json.load(open(f"{out}/timing.json"))
json.dump({"config": cfg, "gls": gls, "gls_seconds": int(gls_s), "mac": mac,
           "flow_seconds": int(total_s)},
          open(f"{out}/gls.json", "w"), indent=2)
tot = a["total"]
print(f"PE flow, config {cfg} (OSU 0.18 um, {t['clock_mhz']:.0f} MHz), reports in {out}")
print(f"  {'module':34s} {'cells':>7s} {'flops':>6s} {'area um^2':>11s} {'NAND2-eq':>9s}")
for m in a["modules"].values():
    print(f"  {m['instances'][0] + ' (' + m['module'] + ')':34s} {m['cells']:7d} {m['flops']:6d} "
          f"{m['area_um2']:11.0f} {m['nand2_eq']:9.0f}")
print(f"  {'total':34s} {tot['cells']:7d} {tot['flops']:6d} {tot['area_um2']:11.0f} "
      f"{tot['nand2_eq']:9.0f}")
print(f"  WNS {t['wns_ns']:.3f} ns  TNS {t['tns_ns']:.3f} ns  fmax {t['fmax_mhz']:.1f} MHz  "
      f"worst path {t['worst_path_startpoint_q_net'] or t['worst_path_startpoint']} -> "
      f"{t['worst_path_endpoint_q_net'] or t['worst_path_endpoint']}")
print(f"  {gls} ({gls_s} s)   flow {total_s} s")
print(f"  {mac}")
PY
case "$gls_line" in
  "GLS PASS"*) ;;
  *) step_fail "gls (mismatch)" "$gls_log" ;;
esac
