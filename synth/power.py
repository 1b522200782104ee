#!/usr/bin/env python3
"""Power per module of a hierarchical netlist with OpenSTA `report_power`, the input activity of
every module measured in simulation (activity.py), and the SRAM macros from their measured
access rates times the model's energy per access (ESTIMATED, synth/sram_model.json).

Every module of area.json is linked on its own (OpenSTA 2019 has no read_vcd/saif; its
set_power_activity -pins is broken): each input port gets the toggle rate and duty measured at
that port in the simulation, averaged over the module's instances (instance paths with their
generate indices as wildcards, so the activity of the simulated configuration applies to
another configuration of the same RTL); OpenSTA propagates it through the module's logic. A
module that is not a scope of the simulation (rsnpu_pe_mac, cut out by synth.sh) takes its
ports' signals from its parent's scope. The module's own power is the sum of its leaf cells
(`report_power -instances`); the total multiplies it by the module's instance count.
usage: power.py --netlist N --liberty L --macro-lib ML --macros MJ --area A --activity ACT
                --clock-mhz F --out OUT.json --sta-log LOG
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys


def pattern(path):
    return re.sub(r"\[\d+\]", "[*]", path.replace("/", "."))


def module_inputs(netlist_text):
    """{module: [(port, width)]} of the input ports in a Yosys netlist."""
    mods = {}
    for m in re.finditer(r"^module\s+(\\\S+|\S+?)\s*\((.*?)^endmodule", netlist_text, re.S | re.M):
        name = m.group(1).lstrip("\\")
        ports = []
        for d in re.finditer(r"^\s*input\s+(?:\[(\d+):(\d+)\]\s+)?(\\\S+|\w+)\s*;", m.group(2), re.M):
            w = abs(int(d.group(1)) - int(d.group(2))) + 1 if d.group(1) else 1
            ports.append((d.group(3).lstrip("\\"), w))
        mods[name] = ports
    return mods


def module_texts(netlist_text):
    """{module: its full text} of a Yosys netlist."""
    return {m.group(1).lstrip("\\"): m.group(0) for m in
            re.finditer(r"^module\s+(\\\S+|\S+?)\s*\(.*?^endmodule\n", netlist_text, re.S | re.M)}


def stub(text):
    """A module reduced to its ports: a black box for OpenSTA."""
    head = re.match(r"^module.*?;\n", text, re.S).group(0)
    ports = re.findall(r"^\s*(?:input|output|inout)\b.*?;\n", text, re.M)
    return head + "".join(ports) + "endmodule\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for arg in ("netlist", "liberty", "macro-lib", "macros", "area", "activity", "out", "sta-log"):
        ap.add_argument("--" + arg, required=True)
    ap.add_argument("--clock-mhz", type=float, required=True)
    ap.add_argument("--sta", default="sta")
    a = ap.parse_args()

    area = json.load(open(a.area))
    act = json.load(open(a.activity))
    macros = {m["name"]: m for m in json.load(open(a.macros))["macros"]}
    netlist_text = open(a.netlist).read()
    inputs = module_inputs(netlist_text)
    texts = module_texts(netlist_text)
    # Each module is linked alone: its own text plus port-only stubs of the modules it
    # instantiates (OpenSTA 2019 crashed in report_power on the whole eyeriss top, and linking
    # 2 million instances per module is slow). The outputs of a stubbed child are undriven: they
    # take the module's default input activity (the mean of its measured inputs).
    netdir = os.path.join(os.path.dirname(os.path.abspath(a.out)), "power_netlists")
    os.makedirs(netdir, exist_ok=True)
    period_ns = 1000.0 / a.clock_mhz

    by_pattern = {}
    for scope, sigs in act["scopes"].items():
        by_pattern.setdefault(pattern(scope), []).append(sigs)

    def measured(paths, sig):
        """Mean (toggles per cycle, duty) of signal sig over the scopes of paths (or their
        parents when the path itself is no scope), or None."""
        vals = []
        for p in paths:
            pat = pattern(p)
            scopes = by_pattern.get(pat)
            if scopes is None:
                scopes = by_pattern.get(pat.rsplit(".", 1)[0], [])
            vals += [s[sig] for s in scopes if sig in s]
        if not vals:
            return None
        return (statistics.mean(v["toggles_per_cycle"] for v in vals),
                statistics.mean(v["duty"] for v in vals))

    def scope_mean(paths):
        """Mean toggle rate per bit of the RTL signals (lower-case names: not parameters, not
        clock or reset) in the scopes of paths, or of their parents when they are no scope."""
        vals = []
        for p in paths:
            pat = pattern(p)
            scopes = by_pattern.get(pat) or by_pattern.get(pat.rsplit(".", 1)[0], [])
            for sc in scopes:
                vals += [v["toggles_per_cycle"] for n, v in sc.items()
                         if n[0].islower() and n not in ("clk_i", "rst_ni")]
        return statistics.mean(vals) if vals else 0.0

    tcl = [f"read_liberty {a.liberty}", f"read_liberty {a.macro_lib}"]
    annotated = {}
    for mod, info in area["modules"].items():
        ports = inputs.get(mod)
        if ports is None:
            sys.exit(f"power: module {mod} not in {a.netlist}")
        rates, unmeasured = {}, []
        for port, _ in ports:
            if port == "clk_i":
                continue
            r = measured(info["instances"], port)
            if r is None:
                unmeasured.append(port)
            else:
                rates[port] = r
        default = statistics.mean(r[0] for r in rates.values()) if rates else 0.0
        internal = scope_mean(info["instances"])
        own_scope = any(pattern(p) in by_pattern for p in info["instances"])
        annotated[mod] = {"measured_ports": len(rates), "unmeasured_ports": unmeasured,
                          "own_scope": own_scope,
                          "default_input_activity": round(default, 6),
                          "global_activity": round(internal, 6)}
        children = [c for c in texts if c != mod and re.search(
            r"^\s*\\?" + re.escape(c) + r"\s+\S+\s*\(", texts[mod], re.M)]
        sub = os.path.join(netdir, f"{len(annotated)}.v")
        open(sub, "w").write(texts[mod] + "".join(stub(texts[c]) for c in children))
        annotated[mod]["stubbed_children"] = children
        cells = "[get_cells *]"
        if not any(p == "clk_i" for p, _ in ports):
            # OpenSTA gives a module without a clock no power: wrap it with a clock port.
            names = re.match(r"^module\s+\S+?\s*\((.*?)\);", texts[mod], re.S).group(1)
            names = [n.strip() for n in names.split(",")]
            decl = "".join(re.findall(r"^\s*(?:input|output)\b.*?;\n", texts[mod], re.M))
            open(sub, "a").write(
                f"module rsnpu_power_wrap(clk_i, {', '.join(names)});\n  input clk_i;\n{decl}"
                f"  {mod} u ({', '.join(f'.{n}({n})' for n in names)});\nendmodule\n")
            top, cells = "rsnpu_power_wrap", "[get_cells u/*]"
        else:
            top = mod
        tcl += [f"read_verilog {sub}", f"link_design {{{top}}}",
                f"create_clock -name clk -period {period_ns:.4f} [get_ports clk_i]",
                # Inputs clocked by clk: combinational logic gets the clock's period for its
                # activity (else OpenSTA reports it at almost zero power).
                "set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports clk_i]]"]
        # Internal nets: the mean toggle rate of the module's signals in the simulation
        # (-global; OpenSTA's density propagation alone blew up through the layer controller's
        # XOR trees); input ports: their own measured rates.
        tcl.append(f"set_power_activity -global -activity {internal:.6f} -duty 0.5")
        tcl.append(f"set_power_activity -input -activity {default:.6f} -duty 0.5")
        for port, (t, d) in rates.items():
            w = dict(ports)[port]
            sel = f"{{{port}[*]}}" if w > 1 else port
            tcl.append(f"set_power_activity -input_ports [get_ports {sel}] -activity {t:.6f} "
                       f"-duty {min(max(d, 0.0), 1.0):.6f}")
        tcl += [f"puts {{RSNPU_POWER_BEGIN {mod}}}", f"report_power -instances {cells} -digits 9",
                f"puts {{RSNPU_POWER_END {mod}}}"]
    tcl_path = a.sta_log.rsplit(".", 1)[0] + ".tcl"
    open(tcl_path, "w").write("\n".join(tcl) + "\n")
    r = subprocess.run([a.sta, "-no_splash", "-exit", tcl_path], capture_output=True, text=True)
    open(a.sta_log, "w").write(r.stdout + r.stderr)
    if r.returncode != 0 or re.search(r"^(Error|Warning)", r.stdout + r.stderr, re.M):
        sys.exit(f"power: OpenSTA failed or warned; log: {a.sta_log}")

    modules, tot = {}, {"internal_mw": 0.0, "switching_mw": 0.0, "leakage_mw": 0.0, "total_mw": 0.0}
    for mod, info in area["modules"].items():
        body = r.stdout.split(f"RSNPU_POWER_BEGIN {mod}\n")[1].split(f"RSNPU_POWER_END {mod}")[0]
        own = [0.0, 0.0, 0.0, 0.0]
        for line in body.splitlines():
            f = line.split()
            if len(f) == 5 and re.match(r"^-?[0-9.]+e[-+][0-9]+$", f[0]):
                for i in range(4):
                    own[i] += float(f[i])
        k = len(info["instances"])
        e = {"module": info["module"], "instances": k,
             "internal_mw": own[0] * 1e3, "switching_mw": own[1] * 1e3,
             "leakage_mw": own[2] * 1e3, "total_mw": own[3] * 1e3}
        e = {kk: (round(v, 6) if isinstance(v, float) else v) for kk, v in e.items()}
        e["activity"] = annotated[mod]
        modules[mod] = e
        for key in tot:
            tot[key] += k * e[key]

    # SRAM macros: measured read/write enables (duty = fraction of cycles) x model energy.
    macro_rows = []
    for inst in area.get("macro_instances", []):
        m = macros[inst["macro"]]
        re_ = measured([inst["path"]], "re_i")
        we_ = measured([inst["path"]], "we_i")
        if re_ is None or we_ is None:
            sys.exit(f"power: no re_i/we_i activity for macro {inst['path']}")
        uw = (re_[1] * m["read_pj"] + we_[1] * m["write_pj"]) * a.clock_mhz  # pJ x MHz = uW
        macro_rows.append({"path": inst["path"], "macro": inst["macro"],
                           "reads_per_cycle": round(re_[1], 6), "writes_per_cycle": round(we_[1], 6),
                           "power_mw": round(uw / 1e3, 6)})
    macro_mw = sum(x["power_mw"] for x in macro_rows)
    tot = {k: round(v, 4) for k, v in tot.items()}
    tot["logic_total_mw"] = tot.pop("total_mw")
    tot["macro_mw_estimated"] = round(macro_mw, 4)
    tot["total_mw"] = round(tot["logic_total_mw"] + macro_mw, 4)
    out = {
        "clock_mhz": a.clock_mhz,
        "activity_source": {"vcd": act.get("vcd"), "cycles": act["cycles"],
                            "method": "per module: input ports at their toggle rate and duty "
                                      "measured in simulation; internal nets at the mean toggle "
                                      "rate of the module's RTL signals in simulation (-global)"},
        "sram_model": "estimated (synth/sram_model.json): macro power = measured enables x "
                      "model energy per access",
        "modules": modules, "macros": macro_rows, "total": tot,
    }
    json.dump(out, open(a.out, "w"), indent=2)
    open(a.out, "a").write("\n")
    print(f"power: logic {tot['logic_total_mw']:.2f} mW + SRAM macros {macro_mw:.2f} mW (estimated) "
          f"-> {a.out}")


if __name__ == "__main__":
    main()
