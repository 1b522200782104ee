#!/usr/bin/env python3
"""Mixed-level sources for bisecting a gate-level mismatch: the RTL with chosen instances
replaced by their mapped netlists.

Every module of the netlist is renamed with a `gl_` prefix (SRAM macros and cells keep their
names: they are shared models), so the netlist and the RTL can be compiled together. An instance
is named `u_array` (in rsnpu_top) or `PARENT.INSTANCE` (`rsnpu_pe_array.u_pe`: every instance of
that name inside the RTL module PARENT, generate loops included). The copy of the parent's RTL
file instantiates `gl_<netlist module>` instead, with its parameter overrides dropped: the
netlist module is already specialised.

With --lockstep the instance is a wrapper instead: the RTL module drives the parent and the
netlist runs beside it on the same inputs; on every falling clock edge the wrapper compares each
output of the two and prints the first mismatches (time, instance, output, both values). This
finds the first cycle and the port where a netlist departs from its RTL in a real workload.

usage: hybrid.py [--lockstep] NETLIST RTL_DIR OUT_DIR INSTANCE...
writes OUT_DIR/gl_netlist.v, OUT_DIR/PARENT.sv for each parent changed (and OUT_DIR/lockstep.sv)
"""
import re
import sys


def fail(msg):
    print(f"hybrid: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    args = sys.argv[1:]
    lockstep = bool(args) and args[0] == "--lockstep"
    if lockstep:
        args = args[1:]
    if len(args) < 4:
        fail("usage: hybrid.py [--lockstep] NETLIST RTL_DIR OUT_DIR INSTANCE...")
    netlist, rtl_dir, out, insts = args[0], args[1], args[2], args[3:]
    net = open(netlist).read()
    defined = re.findall(r"^module (rsnpu_\w+)\(", net, flags=re.M)
    if "rsnpu_top" not in defined:
        fail(f"{netlist} has no module rsnpu_top")
    renamed = set(m for m in defined if not m.startswith("rsnpu_sram_"))
    pat = re.compile(r"^(module |  )(" + "|".join(sorted(renamed, key=len, reverse=True)) +
                     r")\b", flags=re.M)
    open(f"{out}/gl_netlist.v", "w").write(pat.sub(lambda m: m.group(1) + "gl_" + m.group(2),
                                                   net))
    parents = {}
    wrappers = []
    for spec in insts:
        parent, inst = spec.split(".") if "." in spec else ("rsnpu_top", spec)
        body = re.search(r"^module " + parent + r"\(.*?^endmodule", net, flags=re.M | re.S)
        if body is None:
            fail(f"{spec}: no module {parent} in {netlist}")
        # The netlist's parent names the module the instance maps to (generate scopes are
        # escaped identifiers: `\\gen_row[0].u_pe`).
        mods = set(re.findall(r"^  (rsnpu_\w+) \\?(?:\S*\.)?" + inst + r"\s*\($", body.group(0),
                              flags=re.M))
        if len(mods) != 1:
            fail(f"{spec}: {len(mods)} netlist modules for it in {parent} ({' '.join(mods)})")
        mod = mods.pop()
        text = parents.get(parent) or open(f"{rtl_dir}/{parent}.sv").read()
        # `rsnpu_x u_i (` or `rsnpu_x #( ... ) u_i (` in the RTL.
        rx = re.compile(r"^(\s*)rsnpu_\w+\s*(#\s*\((?:[^()]|\([^()]*\))*\)\s*)?" + inst +
                        r"\s*\(", flags=re.M)
        rtl_inst = []

        def sub(m):
            rtl_inst.append(m.group(0).strip()[:-1].strip()[:-len(inst)].strip())
            new = f"lockstep_{mod}_{len(wrappers)}" if lockstep else f"gl_{mod}"
            return f"{m.group(1)}{new} {inst} ("
        text, n = rx.subn(sub, text)
        if lockstep and n == 1:
            wrappers.append(lockstep_wrapper(net, mod, rtl_inst[0], len(wrappers), spec))
        if n != 1:
            fail(f"{spec}: found {n} times in {rtl_dir}/{parent}.sv")
        parents[parent] = text
        print(f"hybrid: {parent}.{inst} -> gl_{mod}{' in lockstep with the RTL' if lockstep else ''}")
    for parent, text in parents.items():
        open(f"{out}/{parent}.sv", "w").write(text)
    if lockstep:
        open(f"{out}/lockstep.sv", "w").write("\n".join(wrappers))


def lockstep_wrapper(net, mod, rtl_head, idx, spec):
    """A module with the netlist's ports: the RTL (rtl_head: `rsnpu_x #(...)`) drives the
    outputs, the netlist gets the same inputs, and the outputs are compared at each negedge (a stream's data output only while its valid is high)."""
    body = re.search(r"^module " + mod + r"\(.*?^endmodule", net, flags=re.M | re.S).group(0)
    ports = re.findall(r"^\s*(input|output)\s*(\[\d+:\d+\])?\s*(\w+);", body, flags=re.M)
    if not any(p[2] == "clk_i" for p in ports):
        fail(f"{spec}: {mod} has no clk_i; lockstep needs it")
    name = f"lockstep_{mod}_{idx}"
    lines = [f"// {spec}: RTL and netlist in lockstep (synth/gls/hybrid.py --lockstep)",
             f"module {name} (" + ", ".join(p[2] for p in ports) + ");"]
    for d, w, n in ports:
        lines.append(f"  {d} {w} {n};".replace("  ", " ").replace(" ", "  ", 1))
        if d == "output":
            lines.append(f"  wire {w} gl_{n};")
    lines.append(f"  {rtl_head} u_rtl (" + ", ".join(f".{n}({n})" for _, _, n in ports) + ");")
    lines.append(f"  gl_{mod} u_gl (" + ", ".join(
        f".{n}({'gl_' if d == 'output' else ''}{n})" for d, _, n in ports) + ");")
    lines.append("  int unsigned errs_q = 0;")
    lines.append("  always @(negedge clk_i) if (rst_ni) begin")
    outs = set(n for d, _, n in ports if d == "output")
    for d, _, n in ports:
        if d == "output":
            # A stream's data counts only while its valid is high.
            valid = re.sub(r"_data_o$", "_valid_o", n)
            qual = f"{valid} && " if valid != n and valid in outs else ""
            lines.append(f"    if ({qual}{n} !== gl_{n} && errs_q < 20) begin errs_q <= errs_q + 1; "
                         f"$display(\"lockstep %t %m.{n}: rtl %h netlist %h\", $time, {n}, "
                         f"gl_{n}); end")
    lines.append("  end")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
