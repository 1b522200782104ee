#!/usr/bin/env python3
"""Area report of a hierarchical Yosys netlist: per module and total cells, area (um^2),
flops and NAND2 equivalents, from `stat -json` cell counts and the liberty's cell areas.

SRAM macros (--macros, from sram_macros.py) count with their ESTIMATED model area, apart
from the standard cells: `logic_area_um2` / `nand2_eq` are standard cells only,
`macro_area_um2` the macros, `area_um2` both.

Per module the numbers are the module's own cells (sub-module instances excluded);
`instances` lists the hierarchical instance paths of the module under the top, and the
total sums every module's own numbers times its instance count. The total is checked
against Yosys' own "Chip area for top module" line when the stat text is given.
"""
import argparse
import json
import re
import sys


def liberty_cells(path):
    """{cell: {"area": float, "seq": bool}} from a liberty file (flat, one library)."""
    text = open(path).read()
    cells = {}
    parts = re.split(r'\n\s*cell\s*\(\s*"?([A-Za-z0-9_]+)"?\s*\)\s*\{', text)
    for name, body in zip(parts[1::2], parts[2::2]):
        m = re.search(r'\barea\s*:\s*([0-9.eE+-]+)\s*;', body)
        if not m:
            continue
        seq = re.search(r'\b(ff|latch|ff_bank|latch_bank)\s*\(', body) is not None
        cells[name] = {"area": float(m.group(1)), "seq": seq}
    return cells


def read_stat_json(path):
    """Yosys 0.23 `stat -json` output. On a hierarchy deeper than two levels it prints the text
    hierarchy tree into the JSON, after the "modules" object (which stays intact): keep that."""
    text = open(path).read()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        end = text.find("\n   },\n")
        if end < 0:
            raise
        return json.loads(text[:end] + "\n   }\n}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--liberty", required=True)
    ap.add_argument("--stat", required=True, help="Yosys `stat -json` output")
    ap.add_argument("--stat-text", help="Yosys `stat -liberty` text, for the cross-check")
    ap.add_argument("--netlist", required=True)
    ap.add_argument("--top", required=True)
    ap.add_argument("--config", default="")
    ap.add_argument("--nand2", default="NAND2X1", help="cell that defines one NAND2 equivalent")
    ap.add_argument("--macros", help="sram_macros.json: SRAM macro cells and their estimated area")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    macros = {}
    if a.macros:
        macros = {m["name"]: m for m in json.load(open(a.macros))["macros"]}

    lib = liberty_cells(a.liberty)
    if a.nand2 not in lib:
        sys.exit(f"area_report: cell {a.nand2} not in {a.liberty}")
    nand2 = lib[a.nand2]["area"]
    # Yosys escapes public names with a backslash in some places and not in others.
    stat = {m.lstrip('\\'): {"num_cells_by_type": {t.lstrip('\\'): n for t, n in
                                                    st["num_cells_by_type"].items()}}
            for m, st in read_stat_json(a.stat)["modules"].items()}
    modnames = set(stat)
    if a.top not in modnames:
        sys.exit(f"area_report: top {a.top} not in {a.stat}")

    # Instance names of sub-modules, from the netlist (`\mod  inst (` or `mod inst (`).
    inst_names = {}  # parent -> list of (child module, instance name)
    macro_children = {}  # parent -> list of (macro cell, instance name)
    cur = None
    for line in open(a.netlist):
        m = re.match(r'\s*module\s+(\\\S+|\S+?)\s*\(', line)
        if m:
            cur = m.group(1).lstrip('\\')
            inst_names[cur] = []
            continue
        m = re.match(r'\s*(\\\S+|[A-Za-z_][A-Za-z0-9_$]*)\s+(\\\S+|[A-Za-z_][A-Za-z0-9_$]*)\s*\(', line)
        if m and cur is not None:
            mod = m.group(1).lstrip('\\')
            if mod in modnames:
                inst_names[cur].append((mod, m.group(2).lstrip('\\')))
            elif mod in macros:
                macro_children.setdefault(cur, []).append((mod, m.group(2).lstrip('\\')))

    own = {}
    for mod, st in stat.items():
        cells = area = flops = nmac = mac_area = 0
        for ctype, n in st["num_cells_by_type"].items():
            if ctype in modnames:
                continue
            if ctype in macros:
                nmac += n
                mac_area += n * macros[ctype]["area_um2"]
                continue
            if ctype not in lib:
                sys.exit(f"area_report: module {mod}: cell type {ctype} is not a liberty cell "
                         f"(unmapped logic?)")
            cells += n
            area += n * lib[ctype]["area"]
            flops += n if lib[ctype]["seq"] else 0
        own[mod] = {"cells": cells, "logic_area_um2": round(area, 3), "flops": flops,
                    "nand2_eq": round(area / nand2, 1), "macros": nmac,
                    "macro_area_um2": round(mac_area, 1),
                    "area_um2": round(area + mac_area, 3)}

    # Walk the hierarchy from the top: instance paths per module.
    paths = {m: [] for m in stat}
    def walk(mod, path):
        paths[mod].append(path)
        for child, inst in inst_names.get(mod, []):
            walk(child, f"{path}/{inst}")
    walk(a.top, a.top)

    modules = {}
    keys = ("cells", "logic_area_um2", "flops", "macros", "macro_area_um2", "area_um2")
    tot = {k: 0 for k in keys}
    for mod in sorted(stat, key=lambda m: (m != a.top, m)):
        if not paths[mod]:
            continue
        base = re.sub(r'^\$paramod\$[0-9a-f]+\\', '', mod)
        base = re.sub(r'_[0-9a-f]{8}$', '', base)  # rename_modules.py
        base = re.sub(r'^\$paramod\\([^\\]+)\\.*$', r'\1', base)
        entry = dict(own[mod])
        entry["module"] = base
        entry["instances"] = paths[mod]
        modules[mod] = entry
        k = len(paths[mod])
        for key in keys:
            tot[key] += k * entry[key]
    for key in ("logic_area_um2", "macro_area_um2", "area_um2"):
        tot[key] = round(tot[key], 3)
    tot["nand2_eq"] = round(tot["logic_area_um2"] / nand2, 1)
    # Every macro instance, by hierarchical path (the netlist instantiates them like modules).
    macro_insts = []
    for mod in modules:
        for parent_path in paths[mod]:
            for child, inst in macro_children.get(mod, []):
                macro_insts.append({"path": f"{parent_path}/{inst}", "macro": child,
                                    "area_um2": macros[child]["area_um2"]})
    tot["macro_instances"] = len(macro_insts)

    if a.stat_text:
        m = re.findall(r'Chip area for (?:top )?module .*?:\s*([0-9.]+)', open(a.stat_text).read())
        if not m:
            sys.exit(f"area_report: no 'Chip area for (top) module' in {a.stat_text}")
        if abs(float(m[-1]) - tot["area_um2"]) > 0.01 * max(1.0, tot["area_um2"]) / 100:
            sys.exit(f"area_report: total {tot['area_um2']} differs from Yosys' {m[-1]}")
        tot["yosys_chip_area_um2"] = float(m[-1])

    report = {
        "config": a.config, "top": a.top, "liberty": a.liberty,
        "area_unit": "um^2 (liberty area, no unit in the file)",
        "nand2_cell": a.nand2, "nand2_area_um2": nand2,
        "modules": modules, "total": tot, "macro_instances": macro_insts,
        "sram_model": ({"estimated": True, "file": a.macros} if a.macros else None),
    }
    with open(a.out, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
