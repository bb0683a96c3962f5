#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turn a gk-bench JSON file into PNG plots.

    python3 tools/plot_bench.py bench.json [out_dir]

Writes, per op measured in GB/s, rate against working-set size with the machine's measured
bandwidth of each cache level as horizontal ceilings, and per op in GFLOP/s, rate against shape
with the measured FMA peak as the ceiling. Needs matplotlib (pip install matplotlib).
"""
import json
import os
import re
import sys


def shape_size(shape):
    """The element count in a shape such as 'n=32768' or 'm=4,n=8,k=16' (product of numbers)."""
    numbers = [int(x) for x in re.findall(r"=(\d+)", shape)]
    size = 1
    for x in numbers:
        size *= x
    return size if numbers else None


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(sys.argv[1]) as f:
        data = json.load(f)
    out_dir = sys.argv[2] if len(sys.argv) > 2 else "bench-out"
    os.makedirs(out_dir, exist_ok=True)
    levels = [lv["name"] for lv in data["limits"]["levels"]]
    configs = {c["threads"]: c for c in data["limits"]["configs"]}

    rows = [r for r in data["results"] if r["suite"] != "limits" and shape_size(r["shape"])]
    written = []
    for op in sorted({r["op"] for r in rows}):
        op_rows = [r for r in rows if r["op"] == op]
        unit = op_rows[0]["unit"]
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for threads in sorted({r["threads"] for r in op_rows}):
            pts = sorted((shape_size(r["shape"]), r["rate"]) for r in op_rows
                         if r["threads"] == threads)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                    label=f"{op}, {threads} thread(s)")
            cfg = configs.get(threads)
            if cfg and unit == "GB/s":
                pattern = (op_rows[0]["limit"] or "copy").split()[0]
                ceilings = cfg["bandwidth_gbs"].get(pattern, [])
                for name, gbs in zip(levels, ceilings):
                    ax.axhline(gbs, linestyle="--", linewidth=0.8, color="grey")
                    ax.text(pts[0][0], gbs, f" {pattern} {name} {threads}T {gbs:.0f}",
                            fontsize=7, va="bottom")
            if cfg and unit == "GFLOP/s":
                peak = max(cfg["fma_gflops"].values())
                ax.axhline(peak, linestyle="--", color="red", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("elements")
        ax.set_ylabel(unit)
        ax.set_title(f"{op} — {data['cpu']}, isa {data['isa']}")
        ax.legend(fontsize=7)
        path = os.path.join(out_dir, f"{op}.png")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    print("\n".join(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
