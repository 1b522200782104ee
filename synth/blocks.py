#!/usr/bin/env python3
"""Area (and power) of rsnpu_top per block: PE parts (control, MAC, filter spad, psum spad),
NoC, global buffers, feeders, psum unit, write back, DMA, CSR, layer controller, from area.json
(synth.sh) and power.json (power.py). Used by signoff.py and run_top_flow.sh.
usage: blocks.py --area A [--power P]   (prints the Markdown table)
"""
import argparse
import json

LABELS = {  # first-level instances of rsnpu_top -> block names of the report
    "u_ctrl": "layer controller", "u_dma": "DMA", "u_csr": "CSR",
    "u_flt_buf": "global buffer: filters", "u_ifm_buf": "global buffer: ifmaps",
    "u_psum_buf": "global buffer: psums", "u_flt_feeder": "NoC: filter feeder",
    "u_ifm_feeder": "NoC: ifmap feeder", "u_psum_unit": "psum unit",
    "u_writeback": "write back + requant",
}


def block_of(path, module):
    """Block name of an instance path (rsnpu_top/u_x/...) of a module or macro."""
    parts = path.split("/")
    if len(parts) == 1:
        return "top glue (CSR wiring, status)"
    first = parts[1]
    if first == "u_array":
        if len(parts) == 2:
            return "NoC: PE array multicast + psum links"
        if module == "rsnpu_pe_mac":
            return "PE: MAC (16x16 multiplier + 32-bit accumulator)"
        if len(parts) == 4 and parts[-1].startswith("u_flt_spad"):
            return "PE: filter spad"
        if len(parts) >= 4:
            return "PE: psum spad + output FIFO"
        return "PE: control, ifmap spad, pipeline"
    name = LABELS.get(first, first)
    return name + " (SRAM)" if module.startswith("rsnpu_sram_") else name


def block_table(area, power=None):
    """{block: {instances, cells, flops, logic_area_um2, macro_area_um2, nand2_eq, power_mw}}."""
    blocks = {}

    def blk(name):
        return blocks.setdefault(name, {"instances": 0, "cells": 0, "flops": 0,
                                        "logic_area_um2": 0.0, "macro_area_um2": 0.0,
                                        "power_mw": 0.0})
    for mod, e in area["modules"].items():
        for path in e["instances"]:
            b = blk(block_of(path, e["module"]))
            b["instances"] += 1
            for k in ("cells", "flops", "logic_area_um2"):
                b[k] += e[k]
            if power and mod in power["modules"]:
                b["power_mw"] += power["modules"][mod]["total_mw"]
    for inst in area.get("macro_instances", []):
        b = blk(block_of(inst["path"], inst["macro"]))
        b["instances"] += 1
        b["macro_area_um2"] += inst["area_um2"]
    if power:
        for m in power["macros"]:
            blk(block_of(m["path"], m["macro"]))["power_mw"] += m["power_mw"]
    for b in blocks.values():
        b["nand2_eq"] = round(b["logic_area_um2"] / area["nand2_area_um2"], 1)
    return blocks


def markdown_rows(blocks, area, power=None):
    rows = ["", "## Area and power per block (OSU 0.18 um; SRAM figures are ESTIMATED)", "",
            "| block | instances | cells | flops | logic um^2 | NAND2-eq | SRAM um^2 (est.) | "
            "power mW |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, b in sorted(blocks.items(),
                          key=lambda kv: -(kv[1]["logic_area_um2"] + kv[1]["macro_area_um2"])):
        pw = f"{b['power_mw']:,.2f}" if power else "-"
        rows.append(f"| {name} | {b['instances']} | {b['cells']:,} | {b['flops']:,} | "
                    f"{b['logic_area_um2']:,.0f} | {b['nand2_eq']:,.0f} | "
                    f"{b['macro_area_um2']:,.0f} | {pw} |")
    t = area["total"]
    pw = f"{power['total']['total_mw']:,.2f}" if power else "-"
    rows.append(f"| **total** | | {t['cells']:,} | {t['flops']:,} | {t['logic_area_um2']:,.0f} | "
                f"{t['nand2_eq']:,.0f} | {t['macro_area_um2']:,.0f} | {pw} |")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--area", required=True)
    ap.add_argument("--power")
    a = ap.parse_args()
    area = json.load(open(a.area))
    power = json.load(open(a.power)) if a.power else None
    print("\n".join(markdown_rows(block_table(area, power), area, power)[2:]))


if __name__ == "__main__":
    main()
