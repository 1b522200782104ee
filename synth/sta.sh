#!/usr/bin/env bash
# Static timing of a mapped netlist with OpenSTA at the configuration's clock (ClockMhz in
# build/gen/CONFIG/rsnpu_pkg.sv): ideal clock, input/output delays of 20% of the period,
# a fixed load on every output. Writes OUTDIR/TOP.sta.log and OUTDIR/timing.json.
# usage: synth/sta.sh CONFIG TOP OUTDIR   (expects OUTDIR/TOP.netlist.v from synth.sh)
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 CONFIG TOP OUTDIR" >&2
  exit 2
fi
cfg=$1; top=$2; out=$3
source "$(dirname "$0")/common.sh"
net=$out/$top.netlist.v
log=$out/$top.sta.log
tcl=$out/$top.sta.tcl
load_pf=${RSNPU_STA_LOAD_PF:-0.02}
macro_lib=$out/sram_macros.lib
for f in "$pkg" "$net" "$lib" "$macro_lib"; do
  [ -f "$f" ] || { echo "sta: missing $f" >&2; exit 1; }
done
clock_mhz=$(sed -nE 's/.*localparam int unsigned ClockMhz = ([0-9]+);.*/\1/p' "$pkg")
[ -n "$clock_mhz" ] || { echo "sta: no ClockMhz in $pkg" >&2; exit 1; }
period_ns=$(python3 -c "print(f'{1000.0 / $clock_mhz:.4f}')")
io_ns=$(python3 -c "print(f'{0.2 * 1000.0 / $clock_mhz:.4f}')")
sed -e "s|@LIBERTY@|$lib|" -e "s|@MACRO_LIB@|$macro_lib|" -e "s|@NETLIST@|$net|" -e "s|@TOP@|$top|" \
    -e "s|@PERIOD_NS@|$period_ns|" -e "s|@IO_DELAY_NS@|$io_ns|" -e "s|@LOAD_PF@|$load_pf|" \
    "$here/sta.tcl.in" > "$tcl"
if ! sta -no_splash -exit "$tcl" > "$log" 2>&1; then
  echo "sta: OpenSTA failed for $top ($cfg); log: $log" >&2
  exit 1
fi
# The old sta reports Tcl errors and warnings on stdout and still exits 0.
if grep -qE '^(Error|Warning)' "$log"; then
  echo "sta: OpenSTA errors/warnings for $top ($cfg); log: $log" >&2
  grep -E '^(Error|Warning)' "$log" | head -10 >&2
  exit 1
fi
python3 - "$log" "$out/timing.json" "$clock_mhz" "$period_ns" "$io_ns" "$load_pf" "$cfg" "$top" "$net" <<'PY'
import json, re, sys
log, outp, mhz, period, io, load, cfg, top, netp = sys.argv[1:]
text = open(log).read()
period = float(period)
worst = text.split("RSNPU_WORST_PATH_BEGIN")[1].split("RSNPU_WORST_PATH_END")[0]
sp = re.search(r"Startpoint: (\S+)(.*)", worst)
ep = re.search(r"Endpoint: (\S+)(.*)", worst)
slack = re.search(r"(-?[0-9.]+)\s+slack \((MET|VIOLATED)\)", worst)
wns = re.search(r"^wns (-?[0-9.]+)", text, re.M)
tns = re.search(r"^tns (-?[0-9.]+)", text, re.M)
if not (sp and ep and slack and wns and tns):
    sys.exit(f"sta: could not parse {log}")
ws = float(slack.group(1))
viol = len(re.findall(r"\(VIOLATED\)", text.split("RSNPU_ENDPOINTS_BEGIN")[1]
                      .split("RSNPU_ENDPOINTS_END")[0]))
res = {
    "config": cfg, "top": top,
    "clock_mhz": float(mhz), "period_ns": period,
    "io_delay_ns": float(io), "output_load_pf": float(load),
    "wns_ns": float(wns.group(1)), "tns_ns": float(tns.group(1)),
    "worst_slack_ns": ws,
    "fmax_mhz": round(1000.0 / (period - ws), 2),
    "worst_path_startpoint": sp.group(1), "worst_path_startpoint_kind": sp.group(2).strip(" ()"),
    "worst_path_endpoint": ep.group(1), "worst_path_endpoint_kind": ep.group(2).strip(" ()"),
    "violating_paths_in_top10": viol,
}
# Flops have generated instance names: name the register (its Q net) for the reader.
def q_net(inst):
    name = inst.split("/")[-1].split("/")[0]
    m = re.search(r"\b" + re.escape(name) + r"\s*\((.*?)\);", netlist, re.S)
    q = re.search(r"\.Q\(([^)]*)\)", m.group(1)) if m else None
    return q.group(1).strip() if q else ""
netlist = open(netp).read()
r2r = text.split("RSNPU_REG2REG_BEGIN")[1].split("RSNPU_REG2REG_END")[0]
r2r_slack = re.search(r"(-?[0-9.]+)\s+slack \((MET|VIOLATED)\)", r2r)
if r2r_slack:
    res["reg2reg_worst_slack_ns"] = float(r2r_slack.group(1))
    res["reg2reg_fmax_mhz"] = round(1000.0 / (period - float(r2r_slack.group(1))), 2)
    m = re.search(r"Startpoint: (\S+)", r2r)
    res["reg2reg_startpoint"] = m.group(1) if m else ""
    m = re.search(r"Endpoint: (\S+)", r2r)
    res["reg2reg_endpoint"] = m.group(1) if m else ""
hold = re.findall(r"(-?[0-9.]+) \((MET|VIOLATED)\)", text.split("RSNPU_ENDPOINTS_END")[1]
                  .split("RSNPU_REG2REG_BEGIN")[0])
if hold:
    res["hold_worst_slack_ns"] = min(float(h[0]) for h in hold)
# Worst slack per block: the first level of the endpoint's instance path (the PE array split
# into its own cells and the PEs).
blocks = {}
alle = text.split("RSNPU_ALL_ENDPOINTS_BEGIN")[1].split("RSNPU_ALL_ENDPOINTS_END")[0]
for m in re.finditer(r"^(\S+)(?:\s+\(\S+\))?\s+-?[0-9.]+\s+-?[0-9.]+\s+(-?[0-9.]+)\s+\((?:MET|VIOLATED)\)",
                     alle, re.M):
    parts = m.group(1).split("/")
    blk = parts[0] if len(parts) > 2 else "(top ports and flops)"
    if parts[0] == "u_array" and len(parts) > 2:
        blk = "u_array/PEs" if "u_pe" in parts[1] else "u_array"
    b = blocks.setdefault(blk, {"worst_slack_ns": 1e9, "endpoints": 0, "violating": 0,
                                "worst_endpoint": ""})
    sl = float(m.group(2))
    b["endpoints"] += 1
    b["violating"] += sl < 0
    if sl < b["worst_slack_ns"]:
        b["worst_slack_ns"], b["worst_endpoint"] = sl, m.group(1)
res["blocks"] = dict(sorted(blocks.items(), key=lambda kv: kv[1]["worst_slack_ns"]))
res["worst_path_startpoint_q_net"] = q_net(sp.group(1))
res["worst_path_endpoint_q_net"] = q_net(ep.group(1).split("/D")[0])
json.dump(res, open(outp, "w"), indent=2)
open(outp, "a").write("\n")
PY
echo "sta: $top ($cfg) timing $out/timing.json, log $log"
