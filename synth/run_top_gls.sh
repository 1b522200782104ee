#!/usr/bin/env bash
# Gate-level simulation of the whole accelerator: the mapped netlist of rsnpu_top (synth.sh)
# compiled by Verilator with Verilog models of the OSU 0.18 um cells (accel_sim.sh gls) runs the
# seeded random layers of `rsnpu layer-regress` (random shapes, data and DRAM timing; every
# output word compared with the golden model), and the RTL runs the same seeds: the netlist
# passes when every layer is bit-exact and takes exactly the RTL's cycle count (zero-delay
# simulation of a synchronous netlist is cycle-accurate).
# Writes build/reports/synth/CONFIG/top/gls.json.
# usage: synth/run_top_gls.sh CONFIG [SEED [COUNT]]   (defaults: seed 1, 20 layers)
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 3 ]; then
  echo "usage: $0 CONFIG [SEED [COUNT]]" >&2
  exit 2
fi
cfg=$1; seed=${2:-1}; count=${3:-20}
source "$(dirname "$0")/common.sh"
[ -f "$pkg" ] || { echo "run_top_gls: unknown configuration '$cfg' (no $pkg)" >&2; exit 2; }
out=$build/reports/synth/$cfg/top
act=$build/reports/synth/$cfg/activity
log=$out/gls_top.log
mkdir -p "$out" "$act"
: > "$log"
fail() { echo "run_top_gls: step '$1' failed for $cfg; log: $2" >&2; exit 1; }
t0=$(date +%s)
# Synthesize unless the netlist is newer than the RTL and the synthesis scripts.
if [ ! -f "$out/rsnpu_top.netlist.v" ] || [ -n "$(find $srcs "$here/synth.sh" "$here/sram_macros.py" \
     "$here/sram_model.json" "$here/techmap" -newer "$out/rsnpu_top.netlist.v" 2>/dev/null)" ]; then
  "$here/synth.sh" "$cfg" rsnpu_top "$out" >> "$log" 2>&1 || fail synth "$out/rsnpu_top.yosys.log"
fi
"$here/accel_sim.sh" "$cfg" gls "$out" >> "$log" 2>&1 || fail "build (gate level)" "$out/accel_gls.build.log"
"$here/accel_sim.sh" "$cfg" rtl "$act" >> "$log" 2>&1 || fail "build (RTL)" "$act/accel_rtl.build.log"
tg=$(date +%s)
gls_rc=0
"$out/accel_gls" layer-regress "$seed" "$count" "$out/gls_layers.json" >> "$log" 2>&1 || gls_rc=$?
gls_s=$(( $(date +%s) - tg ))
rtl_rc=0
"$act/accel_rtl" layer-regress "$seed" "$count" "$out/rtl_layers.json" >> "$log" 2>&1 || rtl_rc=$?
[ -f "$out/gls_layers.json" ] || fail "gate-level run (no report)" "$log"
[ -f "$out/rtl_layers.json" ] || fail "RTL run (no report)" "$log"
python3 - "$out" "$cfg" "$seed" "$count" "$gls_rc" "$rtl_rc" "$gls_s" "$(( $(date +%s) - t0 ))" <<'PY'
import json, sys
out, cfg, seed, count, gls_rc, rtl_rc, gls_s, total_s = sys.argv[1:]
g = json.load(open(f"{out}/gls_layers.json"))
r = json.load(open(f"{out}/rtl_layers.json"))
rows, problems = [], []
for a, b in zip(g["results"], r["results"]):
    same = a["cycles"] == b["cycles"]
    rows.append({"seed": a["seed"], "gls_bitexact": a["bitexact"], "rtl_bitexact": b["bitexact"],
                 "gls_cycles": a["cycles"], "rtl_cycles": b["cycles"], "same_cycles": same})
    if not a["bitexact"]:
        problems.append(f"seed {a['seed']}: netlist output differs from the golden model")
    if not same:
        problems.append(f"seed {a['seed']}: netlist {a['cycles']} cycles, RTL {b['cycles']}")
if len(rows) != int(count) or int(gls_rc) != 0:
    problems.append(f"gate-level run: {len(rows)} of {count} layers reported, exit {gls_rc}")
ok = not problems
res = {"config": cfg, "netlist": f"{out}/rsnpu_top.netlist.v", "simulator": "Verilator 5 "
       "(liberty cell functions as Verilog, zero delay)", "seed": int(seed), "layers": len(rows),
       "bitexact_layers": sum(x["gls_bitexact"] for x in rows),
       "cycle_identical_layers": sum(x["same_cycles"] for x in rows),
       "rtl_exit": int(rtl_rc), "gls_sim_seconds": int(gls_s), "flow_seconds": int(total_s),
       "pass": ok, "problems": problems, "results": rows}
json.dump(res, open(f"{out}/gls.json", "w"), indent=2)
verdict = "GLS PASS" if ok else "GLS FAIL"
print(f"{verdict} rsnpu_top netlist ({cfg}): {res['bitexact_layers']}/{len(rows)} random layers "
      f"bit-exact, {res['cycle_identical_layers']}/{len(rows)} with the RTL's cycle count "
      f"(seeds {seed}..{int(seed) + len(rows) - 1}; {gls_s} s simulation, {total_s} s flow)")
for p in problems[:5]:
    print("  " + p)
sys.exit(0 if ok else 1)
PY
