#!/usr/bin/env python3
"""Switching activity of a simulation, from its VCD (fst2vcd of the FST the testbench wrote):
per instance scope and signal, bit toggles per clock cycle and the fraction of time at 1.

Writes JSON: {"cycles": N, "clock": "...", "scopes": {"rsnpu_top.u_arr....u_pe":
  {"sig": {"width": w, "toggles_per_cycle": t (per bit), "duty": d}}}}
Only the scopes under --root are kept (the testbench's TOP wrapper is dropped).
usage: activity.py --vcd F --root rsnpu_top --clock clk_i --out activity.json
"""
import argparse
import json
import re
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vcd", required=True)
    ap.add_argument("--root", default="rsnpu_top")
    ap.add_argument("--clock", default="clk_i")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    ids = {}      # vcd id -> list of (scope, name, width)
    scope = []
    f = open(a.vcd)
    for line in f:
        tok = line.split()
        if not tok:
            continue
        if tok[0] == "$scope":
            scope.append(tok[2])
        elif tok[0] == "$upscope":
            scope.pop()
        elif tok[0] == "$var":
            width, vid, name = int(tok[2]), tok[3], tok[4]
            path = ".".join(scope)
            ids.setdefault(vid, []).append((path, name, width))
        elif tok[0] == "$enddefinitions":
            break
    # Keep the signals under the root scope; the clock of the root counts the cycles.
    root_re = re.compile(r"(^|\.)" + re.escape(a.root) + r"(\.|$)")
    keep = {vid for vid, uses in ids.items() if any(root_re.search(p) for p, _, _ in uses)}
    clk_id = None
    for vid, uses in ids.items():
        for p, n, _ in uses:
            if n == a.clock and p.split(".")[-1] == a.root:
                clk_id = vid
    if clk_id is None:
        sys.exit(f"activity: no {a.root}.{a.clock} in {a.vcd}")

    val = {}      # id -> current value (int)
    tog = {}      # id -> bit toggles
    ones = {}     # id -> sum over time of set bits
    since = {}    # id -> time of the last change
    t = 0
    t_first = None
    cycles = 0
    for line in f:
        c = line[0]
        if c == "#":
            t = int(line[1:])
            if t_first is None:
                t_first = t
            continue
        if c in "01xzXZ":
            vid, bits = line[1:].strip(), c
        elif c in "bB":
            bits, vid = line[1:].split()
        else:
            continue
        if vid not in keep:
            continue
        v = int(re.sub(r"[xzXZ]", "0", bits), 2)
        old = val.get(vid)
        if old is not None:
            tog[vid] = tog.get(vid, 0) + bin(old ^ v).count("1")
            ones[vid] = ones.get(vid, 0) + bin(old).count("1") * (t - since[vid])
            if vid == clk_id and v == 1 and old == 0:
                cycles += 1
        val[vid] = v
        since[vid] = t
    for vid, v in val.items():
        ones[vid] = ones.get(vid, 0) + bin(v).count("1") * (t - since[vid])
    span = max(1, t - (t_first or 0))
    if cycles == 0:
        sys.exit(f"activity: the clock never toggled in {a.vcd}")

    scopes = {}
    prefix_re = re.compile(r"^.*?(?=(^|\.)" + re.escape(a.root) + r"(\.|$))\.?")
    for vid, uses in ids.items():
        if vid not in keep:
            continue
        for p, n, w in uses:
            if not root_re.search(p):
                continue
            p = prefix_re.sub("", p, count=1)
            scopes.setdefault(p, {})[n] = {
                "width": w,
                "toggles_per_cycle": round(tog.get(vid, 0) / w / cycles, 6),
                "duty": round(ones.get(vid, 0) / w / span, 6),
            }
    json.dump({"vcd": a.vcd, "cycles": cycles, "clock": f"{a.root}.{a.clock}", "scopes": scopes},
              open(a.out, "w"), indent=1)
    print(f"activity: {cycles} cycles, {len(scopes)} scopes -> {a.out}")


if __name__ == "__main__":
    main()
