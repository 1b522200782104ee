#!/usr/bin/env python3
"""Writes the osu018 energy reference table (config/ert/osu018_<config>.json) from the sign-off
flow's reports of rsnpu_top (make synth / make signoff, synth/README.md):
  power.json        OpenSTA report_power per module at the configuration clock, input activity
                    measured in simulation (power.py)
  sram_macros.json  the SRAM macro model: energy per read / write of each macro (ESTIMATED)
Logic power becomes energy per clock cycle of each level (cycle_* actions: no clock gating, so
the clock and flops cost every cycle); SRAM macros give energy per access; DRAM per byte from
Horowitz (ISSCC 2014). Every figure records where it came from.
Usage: ert_osu018.py POWER_JSON SRAM_MACROS_JSON CONFIG_NAME NUM_PES OUT_JSON"""
import json
import sys

# Module (Yosys name without the parameter hash) -> level of its logic's per-cycle energy.
LEVEL_OF_MODULE = {
    "rsnpu_pe_mac": "cycle_mac",
    "rsnpu_pe": "cycle_spad",
    "rsnpu_pe_array": "cycle_noc",
    "rsnpu_flt_feeder": "cycle_noc",
    "rsnpu_ifm_feeder": "cycle_noc",
    "rsnpu_glb": "cycle_glb",
    "rsnpu_psum_unit": "cycle_glb",
    "rsnpu_res_loader": "cycle_glb",
}
# Horowitz, ISSCC 2014: DRAM 1.3-2.6 nJ per 64-bit access; the middle of the range, per byte.
DRAM_PJ_PER_BYTE = (1300.0 + 2600.0) / 2.0 / 8.0


def fail(msg):
    sys.exit(f"ert_osu018.py: {msg}")


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail(f"{path}: {e}")


def main():
    if len(sys.argv) != 6:
        fail("usage: ert_osu018.py POWER_JSON SRAM_MACROS_JSON CONFIG_NAME NUM_PES OUT_JSON")
    power_path, macros_path, config, num_pes, out_path = sys.argv[1:]
    num_pes = int(num_pes)
    power = load(power_path)
    macros = {m["name"]: m for m in load(macros_path)["macros"]}
    mhz = float(power["clock_mhz"])

    cycle_pj = {k: 0.0 for k in ("cycle_mac", "cycle_spad", "cycle_noc", "cycle_glb",
                                 "cycle_control")}
    parts = {k: [] for k in cycle_pj}
    for name, m in power["modules"].items():
        base = m["module"]
        level = LEVEL_OF_MODULE.get(base)
        if base == "rsnpu_fifo":
            # The FIFOs instantiated once per PE are the PE's psum queues.
            level = "cycle_spad" if m["instances"] == num_pes else "cycle_control"
        if level is None:
            level = "cycle_control"
        # mW / MHz = nJ per cycle; x1000 -> pJ.
        pj = m["total_mw"] * m["instances"] / mhz * 1000.0
        cycle_pj[level] += pj
        parts[level].append(f"{name} x{m['instances']}")

    def macro_pj(path_part):
        found = [m for m in power["macros"] if path_part in m["path"]]
        if not found:
            fail(f"{power_path}: no SRAM macro on a path containing '{path_part}'")
        names = {m["macro"] for m in found}
        if len(names) != 1:
            fail(f"{power_path}: macros of several shapes under '{path_part}': {sorted(names)}")
        mac = macros.get(names.pop())
        if mac is None:
            fail(f"{macros_path}: macro of '{path_part}' not in the model")
        return mac

    flt_spad = macro_pj("u_pe/")
    glb_flt = macro_pj("u_flt_buf/")
    glb_ifm = macro_pj("u_ifm_buf/")
    glb_psum = macro_pj("u_psum_buf/")

    def macro_action(mac, kind, what):
        return {"energy": round(mac[f"{kind}_pj"], 4),
                "note": f"{what}: SRAM macro {mac['name']} {kind} (ESTIMATED, synth/sram_model.json)"}

    zero_logic = "in the per-cycle energy of its level (register logic, no clock gating)"
    actions = {
        "mac": {"energy": 0, "note": f"MAC datapath {zero_logic}: see cycle_mac"},
        "mac_gated": {"energy": 0, "note": f"{zero_logic}: see cycle_mac"},
        "spad_filter_read": macro_action(flt_spad, "read", "filter spad word"),
        "spad_filter_write": macro_action(flt_spad, "write", "filter spad word"),
        "spad_ifmap_read": {"energy": 0, "note": f"ifmap spad registers {zero_logic}"},
        "spad_ifmap_write": {"energy": 0, "note": f"ifmap spad registers {zero_logic}"},
        "spad_psum_read": {"energy": 0, "note": f"psum spad registers {zero_logic}"},
        "spad_psum_write": {"energy": 0, "note": f"psum spad registers {zero_logic}"},
        "noc_delivery": {"energy": 0, "note": f"network wires and registers {zero_logic}"},
        "noc_psum": {"energy": 0, "note": f"network wires and registers {zero_logic}"},
        "glb_filter_read": macro_action(glb_flt, "read", "filter buffer line"),
        "glb_filter_write": macro_action(glb_flt, "write", "filter buffer line"),
        "glb_ifmap_read": macro_action(glb_ifm, "read", "ifmap buffer line (one bank)"),
        "glb_ifmap_write": macro_action(glb_ifm, "write", "ifmap buffer line (one bank)"),
        "glb_psum_read": macro_action(glb_psum, "read", "psum buffer word (one bank)"),
        "glb_psum_write": macro_action(glb_psum, "write", "psum buffer word (one bank)"),
        "dram_read_byte": {"energy": DRAM_PJ_PER_BYTE,
                           "note": "Horowitz ISSCC 2014: DRAM 1.3-2.6 nJ per 64 bits, middle"},
        "dram_write_byte": {"energy": DRAM_PJ_PER_BYTE,
                            "note": "Horowitz ISSCC 2014: DRAM 1.3-2.6 nJ per 64 bits, middle"},
    }
    for level, pj in cycle_pj.items():
        actions[level] = {
            "energy": round(pj, 3),
            "note": f"gate-level power at {mhz:g} MHz / clock: " + ", ".join(sorted(parts[level])),
        }

    src = power.get("activity_source", {})
    ert = {
        "name": f"osu018_{config}",
        "unit": "pJ",
        "technology": "OSU 0.18 um standard cells (qflow-tech-osu018), 1.8 V; SRAM macros estimated",
        "source": (f"generated by scripts/ert_osu018.py from the sign-off flow of the '{config}' "
                   f"configuration: OpenSTA report_power per module at {mhz:g} MHz with input "
                   f"activity measured in simulation ({src.get('method', 'see power.py')}; "
                   f"{src.get('cycles', '?')} simulated cycles), SRAM macro model "
                   f"{load(macros_path).get('model', '?')} (ESTIMATED), DRAM from Horowitz, "
                   "ISSCC 2014."),
        "scale_to_65nm": {
            "factor": round((65.0 / 180.0) * (1.0 / 1.8) ** 2, 4),
            "method": ("constant-field (Dennard) scaling of switching energy C*V^2 with C ~ "
                       "feature size: (65/180) x (1.0 V / 1.8 V)^2. R. H. Dennard et al., 'Design "
                       "of ion-implanted MOSFETs with very small physical dimensions', IEEE JSSC "
                       "9(5), 1974. Stillmaker and Baas (Integration 58, 2017) show classical "
                       "scaling can be far off below 90 nm: a rough comparison only. Not applied "
                       "to DRAM."),
        },
        "actions": actions,
    }
    with open(out_path, "w") as f:
        json.dump(ert, f, indent=2)
        f.write("\n")
    total = sum(cycle_pj.values())
    print(f"ert_osu018.py: {out_path}: logic {total:.0f} pJ/cycle "
          f"({total * mhz / 1000.0:.0f} mW at {mhz:g} MHz)")


if __name__ == "__main__":
    main()
