#!/usr/bin/env python3
"""Sign-off checklist of one configuration (synth/signoff.sh): reads the step table and the
flow reports, prints the checklist (check, result, figure, limit), area per block, timing,
power and the gate-level results, writes JSON and Markdown. Exit status 1 if any check fails.
"""
import argparse
import json
import os
import re
import sys

from blocks import block_table, markdown_rows

def load(path):
    return json.load(open(path)) if os.path.exists(path) else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for arg in ("config", "build", "steps", "json", "md"):
        ap.add_argument("--" + arg, required=True)
    a = ap.parse_args()
    cfg, b = a.config, a.build
    steps = {}
    for line in open(a.steps):
        name, rc, secs, log, outp = line.rstrip("\n").split("\t")
        steps[name] = {"exit": int(rc), "seconds": int(secs), "log": log, "output": outp}
    syn = f"{b}/reports/synth/{cfg}"
    area = load(f"{syn}/top/area.json")
    timing = load(f"{syn}/top/timing.json")
    power = load(f"{syn}/top/power.json")
    pe_area = load(f"{syn}/area.json")
    pe_timing = load(f"{syn}/timing.json")
    pe_gls = load(f"{syn}/gls.json")
    top_gls = load(f"{b}/reports/synth/tiny/top/gls.json")
    regr = load(f"{b}/reports/signoff/{cfg}/regression.json")
    macros = load(f"{syn}/top/sram_macros.json")

    checks = []

    def check(name, ok, figure, limit, step=None):
        if step and steps.get(step, {}).get("exit", 1) != 0 and ok is not None:
            ok = False
        res = "PASS" if ok else ("FAIL" if ok is not None else "FAIL (not run)")
        log = steps.get(step, {}).get("log", "") if step else ""
        checks.append({"check": name, "result": res, "figure": figure, "limit": limit,
                       "log": log})

    lint_out = open(steps["lint"]["output"]).read() if "lint" in steps else ""
    m = re.search(r"(\d+)% tests passed, (\d+) tests failed out of (\d+)", lint_out)
    check("lint: Verilator -Wall and Yosys check -assert of every top",
          bool(m) and m.group(2) == "0" and int(m.group(3)) > 0,
          f"{int(m.group(3)) - int(m.group(2))}/{m.group(3)} tests pass" if m else "no ctest result",
          "all pass", "lint")
    if area:
        check("structure of the synthesized rsnpu_top: no latch, undriven or implicit wire, "
              "multiple driver, combinational loop", True,
              f"check -assert clean, {area['total']['flops']} flops, 0 latches", "0 problems",
              "top_flow")
        tot = area["total"]
        check("synthesis rsnpu_top (OSU 0.18 um)", True,
              f"logic {tot['logic_area_um2'] / 1e6:.2f} mm^2 = {tot['nand2_eq'] / 1e3:,.0f} kGates; "
              f"SRAM {tot['macro_area_um2'] / 1e6:.2f} mm^2 (estimated)", "completes", "top_flow")
    else:
        check("synthesis rsnpu_top (OSU 0.18 um)", None, "-", "completes", "top_flow")
    if timing:
        check(f"setup timing rsnpu_top at {timing['clock_mhz']:.0f} MHz",
              timing["wns_ns"] >= 0,
              f"WNS {timing['wns_ns']:.3f} ns, TNS {timing['tns_ns']:.1f} ns, fmax "
              f"{timing['fmax_mhz']:.1f} MHz", "WNS >= 0", "top_flow")
        check("hold timing rsnpu_top (ideal clock)", timing.get("hold_worst_slack_ns", -1) >= 0,
              f"worst hold slack {timing.get('hold_worst_slack_ns', float('nan')):.3f} ns",
              ">= 0", "top_flow")
    else:
        check("setup timing rsnpu_top", None, "-", "WNS >= 0", "top_flow")
    if pe_timing:
        check(f"setup timing rsnpu_pe register to register at {pe_timing['clock_mhz']:.0f} MHz",
              pe_timing.get("reg2reg_worst_slack_ns", -1) >= 0,
              f"slack {pe_timing.get('reg2reg_worst_slack_ns', float('nan')):.3f} ns (fmax "
              f"{pe_timing.get('reg2reg_fmax_mhz', 0):.1f} MHz); with 20% I/O budgets WNS "
              f"{pe_timing['wns_ns']:.3f} ns", "slack >= 0", "pe_flow")
    if power:
        pt = power["total"]
        # Modules made by synthesis (rsnpu_pe_mac) have no scope in the simulation; their
        # anonymous ports (the accumulator's operands) take the default input activity.
        unmeasured = sum(len(m["activity"]["unmeasured_ports"]) for m in power["modules"].values()
                         if m["activity"].get("own_scope", True))
        check("power rsnpu_top (OpenSTA, activity of tiny_cnn on the RTL)", unmeasured == 0,
              f"{pt['total_mw']:,.1f} mW = logic {pt['logic_total_mw']:,.1f} + SRAM "
              f"{pt['macro_mw_estimated']:,.1f} (estimated); {unmeasured} input ports of RTL "
              f"modules without measured activity", "every RTL input port measured", "top_flow")
    else:
        check("power rsnpu_top", None, "-", "computed", "top_flow")
    if pe_gls:
        check("gate-level simulation rsnpu_pe (iverilog, osu018 cell models)",
              pe_gls["gls"].startswith("GLS PASS"), pe_gls["gls"], "every psum equal", "pe_flow")
    else:
        check("gate-level simulation rsnpu_pe", None, "-", "every psum equal", "pe_flow")
    if top_gls:
        check("gate-level simulation rsnpu_top (tiny netlist, Verilator)", top_gls["pass"],
              f"{top_gls['bitexact_layers']}/{top_gls['layers']} random layers bit-exact, "
              f"{top_gls['cycle_identical_layers']}/{top_gls['layers']} with the RTL's cycles",
              "all layers", "top_gls")
    else:
        check("gate-level simulation rsnpu_top", None, "-", "all layers", "top_gls")
    if regr:
        check("regression smoke: random layers on the tiny RTL", regr["failed"] == 0,
              f"{regr['passed']}/{regr['layers']} bit-exact", "all layers", "regression")
    else:
        check("regression smoke", None, "-", "all layers", "regression")

    blocks = block_table(area, power) if area else {}

    ok = all(c["result"] == "PASS" for c in checks)
    runtime = {k: v["seconds"] for k, v in steps.items()}
    report = {"config": cfg, "pass": ok, "checks": checks, "blocks": blocks,
              "area_total": area["total"] if area else None, "timing": timing,
              "pe_timing": pe_timing, "power_total": power["total"] if power else None,
              "gls_top": top_gls and {k: top_gls[k] for k in ("layers", "bitexact_layers",
                                                              "cycle_identical_layers", "pass")},
              "gls_pe": pe_gls, "runtime_seconds": runtime,
              "sram_model": macros and {"estimated": True, "model": macros["model"],
                                        "sources": macros["sources"]}}
    os.makedirs(os.path.dirname(a.json), exist_ok=True)
    json.dump(report, open(a.json, "w"), indent=2)

    md = [f"# Sign-off: configuration `{cfg}`: {'PASS' if ok else 'FAIL'}", "",
          "| check | result | figure | limit |", "|---|---|---|---|"]
    md += [f"| {c['check']} | {c['result']} | {c['figure']} | {c['limit']} |" for c in checks]
    if blocks:
        md += markdown_rows(blocks, area, power)
    if timing:
        md += ["", "## Timing", "",
               f"rsnpu_top at {timing['clock_mhz']:.0f} MHz: WNS {timing['wns_ns']:.3f} ns, TNS "
               f"{timing['tns_ns']:.3f} ns, fmax {timing['fmax_mhz']:.1f} MHz; worst path "
               f"{timing['worst_path_startpoint']} ({timing['worst_path_startpoint_q_net'] or '-'}) -> "
               f"{timing['worst_path_endpoint']} ({timing['worst_path_endpoint_q_net'] or '-'}); "
               f"register to register fmax {timing.get('reg2reg_fmax_mhz', 0):.1f} MHz. "
               f"Full paths: {b}/reports/synth/{cfg}/top/rsnpu_top.sta.log"]
        if timing.get("blocks"):
            md += ["", "| block (endpoint instances) | worst slack ns | endpoints | violating |",
                   "|---|---:|---:|---:|"]
            md += [f"| {k} | {v['worst_slack_ns']:.3f} | {v['endpoints']} | {v['violating']} |"
                   for k, v in timing["blocks"].items()]
    if power:
        md += ["", "## Power", "", f"Activity: {power['activity_source']['method']} "
               f"({power['activity_source']['cycles']} cycles of tiny_cnn on the tiny RTL). "
               f"SRAM macros: {power['sram_model']}."]
    if macros:
        md += ["", "## SRAM model (ESTIMATED)", ""] + [f"- {k}: {v}" for k, v in macros["sources"].items()]
    md += ["", "## Runtime (s)", "", " ".join(f"{k} {v};" for k, v in runtime.items()), ""]
    open(a.md, "w").write("\n".join(md))
    width = max(len(c["check"]) for c in checks)
    print(f"\nSign-off {cfg}: {'PASS' if ok else 'FAIL'}")
    for c in checks:
        print(f"  {c['check']:{width}s}  {c['result']:14s} {c['figure']}  [limit: {c['limit']}]")
    print(f"Report: {a.md} and {a.json}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
