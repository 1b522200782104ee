#!/usr/bin/env python3
"""Validates the reports of `rsnpu bench` in DIR: bench.json (schema and internal consistency:
layer sums equal the totals, energies add up per level, utilization inside (0, 1], counters
consistent), bench.md (the tables) and the PNG plots. Exit 1 with the first problem found.
Usage: check_bench_report.py DIR [EXPECTED_LAYERS]"""
import json
import math
import os
import sys


def fail(msg):
    sys.exit(f"check_bench_report.py: {msg}")


def main():
    if len(sys.argv) not in (2, 3):
        fail("usage: check_bench_report.py DIR [EXPECTED_LAYERS]")
    d = sys.argv[1]
    try:
        with open(os.path.join(d, "bench.json")) as f:
            j = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail(f"bench.json: {e}")
    for key in ("network", "config", "pes", "clock_mhz", "batch", "dram", "bitexact", "layers",
                "total", "summary", "energy_tables"):
        if key not in j:
            fail(f"bench.json: key '{key}' missing")
    if j["bitexact"] is not True:
        fail("bench.json: the run was not bit-exact")
    layers = j["layers"]
    if len(sys.argv) == 3 and len(layers) != int(sys.argv[2]):
        fail(f"bench.json: {len(layers)} layers, expected {sys.argv[2]}")
    if not layers:
        fail("bench.json: no layers")
    tot = j["total"]
    for key in ("macs", "pe_mac_slots", "cycles", "dram_bytes", "glb_bytes", "ideal_cycles"):
        s = sum(l[key] for l in layers)
        if not math.isclose(s, tot[key], rel_tol=1e-9):
            fail(f"bench.json: layers' {key} sum to {s}, total says {tot[key]}")
    tables = [t["name"] for t in j["energy_tables"]]
    if not tables:
        fail("bench.json: no energy tables")
    for l in layers + [tot]:
        if not (0 < l["utilization"] <= 1):
            fail(f"bench.json: {l['name']}: utilization {l['utilization']} outside (0, 1]")
        if l["cycles"] < l["ideal_cycles"]:
            fail(f"bench.json: {l['name']}: fewer cycles than the ideal")
        c = l["counters"]
        if c["mac_exec"] + c["mac_skip"] != l["pe_mac_slots"] or l["pe_mac_slots"] < l["macs"]:
            fail(f"bench.json: {l['name']}: MACs executed + gated != the mapping's MAC slots")
        if c["dram_rd_bytes"] + c["dram_wr_bytes"] != l["dram_bytes"]:
            fail(f"bench.json: {l['name']}: DRAM bytes disagree with the counters")
        classes = sum(c[k] for k in ("cyc_mac", "cyc_noc", "cyc_glb", "cyc_array", "cyc_out",
                                     "cyc_dram", "cyc_ctrl"))
        if classes != c["cycles"] or c["cycles"] != l["cycles"]:
            fail(f"bench.json: {l['name']}: cycle classes do not sum to the cycles")
        for t in tables:
            e = l["energy"][t]
            levels = sum(v for k, v in e.items() if k not in ("unit", "total"))
            if not e["total"] > 0 or not math.isclose(levels, e["total"], rel_tol=1e-9):
                fail(f"bench.json: {l['name']}: energy levels of {t} do not add up")
    # Targets (present when the reference has them): each verdict agrees with its numbers.
    for t in j.get("targets", []):
        for key in ("target", "limit", "rsnpu", "met", "gap", "value", "bound", "kind"):
            if key not in t:
                fail(f"bench.json: target {t.get('target')}: key '{key}' missing")
        ok = t["value"] >= t["bound"] if t["kind"] == "min" else t["value"] <= t["bound"]
        if ok != t["met"]:
            fail(f"bench.json: target {t['target']}: 'met' is {t['met']}, the numbers say {ok}")
    try:
        md = open(os.path.join(d, "bench.md")).read()
    except OSError as e:
        fail(f"bench.md: {e}")
    needles = ["| layer | power mW |", "| metric | rsnpu |"] + [l["name"] for l in layers] + \
        [f"Energy by level: {t}" for t in tables]
    if j.get("targets"):
        needles.append("| target | limit | rsnpu | met | gap |")
    for needle in needles:
        if needle not in md:
            fail(f"bench.md: '{needle}' missing")
    for png in ("bench_util.png", "bench_energy.png"):
        p = os.path.join(d, png)
        try:
            head = open(p, "rb").read(8)
        except OSError as e:
            fail(f"{png}: {e}")
        if head != b"\x89PNG\r\n\x1a\n" or os.path.getsize(p) < 1000:
            fail(f"{png}: not a PNG image")
    print(f"check_bench_report.py: {d}: {len(layers)} layers, tables {', '.join(tables)}: ok")


if __name__ == "__main__":
    main()
