#!/usr/bin/env python3
"""Table of the FPGA flows (synth/fpga/fpga.sh): device, clock, precision, resources, peak
GOPS, from Yosys `stat`, nextpnr-ice40's log and report. Peak GOPS = 2 ops x PEs x clock (one
16-bit MAC per PE per cycle); the clock is the routed fmax when the design was placed and
routed, else the configuration's nominal clock, marked as not timed.
Writes OUT/fpga.json and OUT/fpga.md and prints the Markdown table.
"""
import argparse
import json
import os
import re

UP5K = {"LUT4": 5280, "SB_MAC16": 8, "EBR (SB_RAM40_4K)": 30, "SPRAM": 4, "I/O (SG48)": 39}


def cell_counts(stat_path):
    text = open(stat_path).read()
    if "=== design hierarchy ===" in text:
        text = text.split("=== design hierarchy ===")[1]
    counts = {}
    for m in re.finditer(r"^\s+(\$?[A-Za-z_][\w$]*)\s+(\d+)\s*$", text, re.M):
        counts[m.group(1)] = counts.get(m.group(1), 0) + int(m.group(2))
    return counts


def status(d):
    rc, secs = open(f"{d}/status").read().split()
    return int(rc), int(secs)


def ice40_row(out, name, what, pes, mhz):
    d = f"{out}/{name}"
    c = cell_counts(f"{d}/stat.txt")
    rc, secs = status(d)
    log = open(f"{d}/nextpnr.log").read()
    luts = c.get("SB_LUT4", 0)
    ffs = sum(v for k, v in c.items() if k.startswith("SB_DFF"))
    flow = open(f"{d}/flow.txt").read().strip() + " + nextpnr-ice40"
    note = open(f"{d}/dsp_note.txt").read().strip() if os.path.exists(f"{d}/dsp_note.txt") else ""
    res = {"design": what, "device": "Lattice iCE40 UP5K (SG48)", "flow": flow,
           "dsp_inference_note": (f"synth_ice40 -dsp failed ({note}); synthesized without -dsp, "
                                  "multipliers in LUTs") if note else "",
           "lut4": luts, "flops": ffs, "sb_mac16": c.get("SB_MAC16", 0),
           "ebr": c.get("SB_RAM40_4K", 0), "spram": c.get("SB_SPRAM256KA", 0),
           "carry": c.get("SB_CARRY", 0), "runtime_seconds": secs, "pnr_exit": rc}
    fmax = re.findall(r"Max frequency for clock\s+'[^']*':\s*([0-9.]+) MHz", log)
    if rc == 0 and fmax:
        res["fits"] = True
        res["routed_fmax_mhz"] = float(fmax[-1])
        res["clock_mhz"] = min(float(fmax[-1]), mhz)
        res["clock_note"] = f"routed fmax {float(fmax[-1]):.1f} MHz"
    else:
        res["fits"] = False
        err = [l.strip() for l in log.splitlines() if "ERROR" in l]
        res["pnr_error"] = err[0] if err else f"nextpnr exit {rc}"
        res["clock_mhz"] = None
        res["clock_note"] = "does not fit: " + res["pnr_error"]
    res["peak_gops"] = round(2 * pes * res["clock_mhz"] / 1000, 2) if res["clock_mhz"] else None
    res["over_capacity"] = {k: v for k, v in (("LUT4", luts / UP5K["LUT4"]),
                                               ("SB_MAC16", res["sb_mac16"] / UP5K["SB_MAC16"]),
                                               ("EBR", res["ebr"] / UP5K["EBR (SB_RAM40_4K)"]))
                            if v > 1.0}
    return res


def xilinx_row(out, name, what, pes, mhz):
    d = f"{out}/{name}"
    c = cell_counts(f"{d}/stat.txt")
    rc, secs = status(d)
    luts = sum(v for k, v in c.items() if re.match(r"^LUT[1-6]$", k))
    lutram = sum(v for k, v in c.items() if re.match(r"^RAM\d+[SDMX]", k))
    ffs = sum(v for k, v in c.items() if k in ("FDRE", "FDSE", "FDCE", "FDPE"))
    return {"design": what, "device": "Xilinx 7 series (xc7)", "flow": "synth_xilinx (no place and route)",
            "lut": luts, "lutram": lutram, "flops": ffs, "dsp48e1": c.get("DSP48E1", 0),
            "ramb36": c.get("RAMB36E1", 0), "ramb18": c.get("RAMB18E1", 0),
            "carry4": c.get("CARRY4", 0), "runtime_seconds": secs, "fits": None,
            "clock_mhz": mhz, "clock_note": f"{mhz} MHz nominal, not timed (no place and route)",
            "peak_gops": round(2 * pes * mhz / 1000, 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--tiny-mhz", type=float, required=True)
    ap.add_argument("--eyeriss-mhz", type=float, required=True)
    ap.add_argument("--tiny-pes", type=int, required=True)
    ap.add_argument("--eyeriss-pes", type=int, required=True)
    a = ap.parse_args()
    rows = [ice40_row(a.out_dir, "tiny_top", f"tiny rsnpu_top ({a.tiny_pes} PEs)", a.tiny_pes, a.tiny_mhz),
            ice40_row(a.out_dir, "tiny_pe", "tiny rsnpu_pe (1 PE)", 1, a.tiny_mhz),
            xilinx_row(a.out_dir, "eyeriss_top", f"eyeriss rsnpu_top ({a.eyeriss_pes} PEs)",
                       a.eyeriss_pes, a.eyeriss_mhz)]
    json.dump({"up5k_capacity": UP5K, "rows": rows,
               "note": "designs in a serial test wrapper (synth/fpga/wrap.py); precision INT16 "
                       "(INT8 mode on the same datapath); peak GOPS = 2 x PEs x clock"},
              open(f"{a.out_dir}/fpga.json", "w"), indent=2)
    md = ["# FPGA implementation (make fpga)", "",
          "| design | device | clock | precision | resources | peak GOPS |",
          "|---|---|---|---|---|---|"]
    for r in rows:
        if "lut4" in r:
            resv = (f"{r['lut4']} LUT4 / {UP5K['LUT4']}, {r['flops']} FF, {r['sb_mac16']} SB_MAC16 / 8, "
                    f"{r['ebr']} EBR / 30")
        else:
            resv = (f"{r['lut']} LUT6 + {r['lutram']} LUTRAM, {r['flops']} FF, {r['dsp48e1']} DSP48E1, "
                    f"{r['ramb36']} RAMB36 + {r['ramb18']} RAMB18")
        gops = f"{r['peak_gops']}" if r["peak_gops"] is not None else "-"
        if r.get("dsp_inference_note"):
            resv += " (no DSPs: Yosys 0.23 -dsp assertion)"
        md.append(f"| {r['design']} | {r['device']} | {r['clock_note']} | INT16 / INT8 | {resv} | {gops} |")
    md += ["", "Resources as Yosys maps them (iCE40: before packing; the test wrapper adds one flop "
           "per port bit and an XOR tree). nextpnr-ice40 places and routes on the UP5K; a design "
           "that does not fit is listed with nextpnr's message. synth_xilinx gives estimates "
           "without place and route.", ""]
    open(f"{a.out_dir}/fpga.md", "w").write("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
