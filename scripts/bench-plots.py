#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The plots of `make bench-plots`: build/results/bench.json as PNG charts.

    scripts/bench-plots.py [build/results/bench.json] [-o docs/performance]

The result file is what scripts/bench-report.py wrote from a `make bench`.
Each section gets one bar chart, OUT/<section>.png: the median of its main
metric (the first metric of the section in the file, or the ones PLOTS
below names) for each case, with the conds as clustered bars, min-max as
error bars (where a figure is over more than one round) and the median
written over each bar.  When the cases and conds are mostly disjoint (half
or fewer of the case x cond cells have a figure) each (case, cond) is a
bar of its own instead.  The y axis is logarithmic when the largest figure
is more than 50 times the smallest.  fio gets fio-bw.png (MiB/s, job x
backing) and fio-lat.png (completion latency p50/p99/p99.9 per backing of
the random read job, FIO_LAT_JOB, log scale).

Needs gnuplot (Debian's gnuplot-nox, which scripts/deps.sh installs); the
pngcairo terminal when it works, else png.  The data and gnuplot scripts
go to a temporary directory; the images carry no timestamp but the run's
date from the result file, so the same file gives the same images.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The metrics a section's chart shows, when not its first one.  Several
# metrics (of one unit) become clustered bars side by side per case.
PLOTS = {
    "faultin": ["touch"],
    "lifecycle": ["create", "populate", "punch", "close"],
    "memio": ["bw"],
}
# The fio job of fio-lat.png; else the first job whose name has "rand"
# and "read".
FIO_LAT_JOB = "rand-read"
LOG_RATIO = 50
COLORS = ["#4472c4", "#ed7d31", "#70ad47", "#ffc000", "#5b9bd5", "#a5a5a5",
          "#264478", "#9e480e", "#43682b", "#997300"]
WIDTH, HEIGHT = 1000, 560


def q(s):
    """@s as a gnuplot double-quoted string."""
    return '"%s"' % str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def unit_label(unit):
    if unit == "percent":
        return "%"
    return unit.replace("_per_", " per ")


def fmt(v):
    """A short figure for a bar's label."""
    a = abs(v)
    if a >= 1e6:
        return "%.3gM" % (v / 1e6)
    if a >= 1000:
        return "{:,.0f}".format(v)
    if float(v).is_integer():
        return "%d" % v
    if a >= 100:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    return "%.3g" % v


class Chart:
    """A bar chart: categories along x, one bar per series in each.

    values[(category, series)] = (median, min, max, n)
    """

    def __init__(self, name, title, ylabel, cats, series, values, log=None,
                 integer=False):
        self.name, self.title, self.ylabel = name, title, ylabel
        self.cats, self.series, self.values = cats, series, values
        self.log = log
        self.integer = integer  # counts: whole numbers on the y axis


def terminal():
    ok = subprocess.run(["gnuplot", "-e", "set terminal pngcairo"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if ok.returncode == 0:
        return 'set terminal pngcairo size %d,%d font ",10" noenhanced' % (WIDTH, HEIGHT)
    return 'set terminal png size %d,%d noenhanced' % (WIDTH, HEIGHT)


def tic_labels(cats, slot_chars):
    """The x labels, wrapped at spaces to fit under their bars; None when
    that takes more than six lines (then they are tilted)."""
    out = []
    for c in cats:
        lines = []
        for part in c.split("\n"):
            lines += textwrap.wrap(part, max(slot_chars, 6), break_on_hyphens=False) or [""]
        if len(lines) > 6 or max(len(x) for x in lines) > slot_chars + 4:
            return None
        out.append("\n".join(lines))
    return out


def script(chart, footer, tmp, term, out):
    """The gnuplot script of @chart (its data files written into @tmp)."""
    vals = list(chart.values.values())
    lows = [v[1] if v[3] > 1 else v[0] for v in vals]
    highs = [max(v[0], v[2] if v[3] > 1 else v[0]) for v in vals]
    pos = [x for x in lows + [v[0] for v in vals] if x > 0]
    ymax = max(highs + [0])
    log = chart.log
    if log is None:
        log = bool(pos) and ymax / min(pos) > LOG_RATIO
    if log and pos:
        ybot = 10 ** math.floor(math.log10(min(pos) / 2.5))
        ytop = 10 ** (math.log10(ymax) + 0.12 * (math.log10(ymax) - math.log10(ybot)) + 0.05)
        base = ybot
    else:
        log = False
        ymin = min(lows + [0])
        span = (ymax - ymin) or 1
        ybot, ytop = (ymin - 0.08 * span if ymin < 0 else 0), ymax + 0.12 * span
        base = 0

    ncat, nser = len(chart.cats), len(chart.series)
    bw = 0.8 / nser
    # The key under the title, in as many columns as fit.
    longest_s = max(len(x) for x in chart.series)
    cols = max(1, min(nser, (WIDTH - 100) // (longest_s * 7 + 60)))
    key_rows = -(-nser // cols) if nser > 1 else 0
    lines = [term, "set output %s" % q(out),
             "set label 2 %s at screen 0.5,0.965 center font ',11'" % q(chart.title),
             "set tmargin %g" % (3 + key_rows * 1.3 + (1 if key_rows else 0)),
             "set rmargin 3",
             "set ylabel %s" % q(chart.ylabel),
             "set grid ytics lc rgb '#dddddd'",
             "set border 3", "set tics nomirror",
             "set xrange [-0.6:%g]" % (ncat - 0.4),
             "set yrange [%g:%g]" % (ybot, ytop),
             "set style fill solid 0.85 border rgb '#333333'",
             "set label 1 %s at screen 0.99,0.015 right font ',8' tc rgb '#555555'" % q(footer)]
    if log:
        lines += ["set logscale y", "set format y '%g'"]
    else:
        if ybot < 0:
            lines.append("set xzeroaxis lt -1")
        if chart.integer and ytop - ybot <= 10:
            lines.append("set ytics 1")
    if nser > 1:
        lines.append("set key at screen 0.5,0.93 center top horizontal maxcols %d "
                     "samplen 2 width 1" % cols)
    else:
        lines.append("unset key")
    # Category names along x: wrapped to fit under their bars, else tilted.
    slot_chars = int((WIDTH - 120) / max(ncat, 1) / 7)
    labels = tic_labels(chart.cats, slot_chars)
    if labels is None:
        labels = [c.replace("\n", ", ") for c in chart.cats]
        labels = [c if len(c) <= 45 else c[:42] + "..." for c in labels]
        longest = max(len(c) for c in labels)
        lines += ["set xtics rotate by 25 right",
                  "set bmargin %d" % (3 + longest // 2),
                  "set lmargin %d" % max(10, longest * 0.85)]
    else:
        lines.append("set bmargin %g" % (3.5 + max(c.count("\n") for c in labels)))
    lines.append("set xtics (%s)" % ", ".join("%s %d" % (q(c), i)
                                              for i, c in enumerate(labels)))
    plots = []
    for j, s in enumerate(chart.series):
        bars, errs = [], []
        for i, c in enumerate(chart.cats):
            v = chart.values.get((c, s))
            if v is None:
                continue
            x = i - 0.4 + bw * (j + 0.5)
            med, lo, hi, n = v
            if log and med <= 0:
                # No bar on a log axis: only the figure, on the axis.
                bars.append("%g %g %g %g %g %s" % (x, base, x, x, base * 1.001, q(fmt(med))))
                continue
            top = max(med, base)
            if n > 1 and lo < hi:
                errs.append("%g %g %g %g" % (x, med, max(lo, ybot) if log else lo, hi))
                top = max(top, hi)
            bars.append("%g %g %g %g %g %s" % (x, med, x - bw * 0.45, x + bw * 0.45,
                                               top, q(fmt(med))))
        color = COLORS[j % len(COLORS)]
        if bars:
            f = os.path.join(tmp, "%s.%d.bars" % (chart.name, j))
            with open(f, "w") as fh:
                fh.write("\n".join(bars) + "\n")
            plots.append("%s using 1:(%g):3:4:(%g):2 with boxxyerror lc rgb '%s' title %s" %
                         (q(f), base, base, color, q(s)))
            plots.append("%s using 1:5:6 with labels offset 0,0.6 font ',8' notitle" % q(f))
        if errs:
            f = os.path.join(tmp, "%s.%d.errs" % (chart.name, j))
            with open(f, "w") as fh:
                fh.write("\n".join(errs) + "\n")
            # Vectors, not yerrorbars: those blank a disc around the median.
            cap = bw * 0.12
            err = "lc rgb '#222222' lw 1 notitle"
            plots.append("%s using 1:3:(0):($4-$3) with vectors nohead %s" % (q(f), err))
            for col in (3, 4):
                plots.append("%s using ($1-%g):%d:(%g):(0) with vectors nohead %s" %
                             (q(f), cap, col, 2 * cap, err))
    if not plots:
        return None
    lines.append("plot " + ", \\\n     ".join(plots))
    return "\n".join(lines) + "\n"


def section_chart(sec):
    res = sec.get("results") or []
    if not res:
        return None
    wanted = [m for m in PLOTS.get(sec["id"], []) if any(r["metric"] == m for r in res)]
    metrics = wanted or [res[0]["metric"]]
    unit = next(r["unit"] for r in res if r["metric"] == metrics[0])
    metrics = [m for m in metrics
               if next(r["unit"] for r in res if r["metric"] == m) == unit]
    rows = [r for r in res if r["metric"] in metrics]
    several = len(metrics) > 1

    def label(r):
        parts = ([r["metric"]] if several else []) + ([r["cond"]] if r.get("cond") else [])
        return ", ".join(parts)
    cats, series, values = [], [], {}
    for r in rows:
        c = r["case"]
        if sec.get("baseline") and c == sec["baseline"]:
            c += "\n(baseline)"
        s = label(r)
        if c not in cats:
            cats.append(c)
        if s not in series:
            series.append(s)
        values[(c, s)] = (r["median"], r["min"], r["max"], r.get("n", 1))
    # Mostly disjoint cases and conds: one bar per (case, cond).
    if len(series) > 1 and len(values) * 2 <= len(cats) * len(series):
        flat = {}
        for (c, s), v in values.items():
            flat[(c + "\n" + s, "")] = v
        order = [c + "\n" + s for c in cats for s in series if (c, s) in values]
        cats, series, values = order, [""], flat
    ylabel = unit_label(unit) if several else "%s (%s)" % (metrics[0], unit_label(unit))
    return Chart(sec["id"], "%s (QEMU TCG, emulated)" % (sec.get("title") or sec["id"]),
                 ylabel, cats, series, values, integer=unit == "count")


def fio_series(entries):
    """The backings in order, each with its cond when one job x backing has
    several conds."""
    conds = {}
    for e in entries:
        conds.setdefault((e["job"], e["backing"]), set()).add(e.get("cond", ""))
    split = any(len(c) > 1 for c in conds.values())

    def name(e):
        return "%s (%s)" % (e["backing"], e["cond"]) if split and e.get("cond") else e["backing"]
    return name


def fio_charts(doc):
    entries = doc.get("fio") or []
    if not entries:
        return []
    name = fio_series(entries)
    baseline = (doc.get("fio_section") or {}).get("baseline")
    charts = []
    jobs, backs, bw = [], [], {}
    for e in entries:
        dirs = [e[d] for d in ("read", "write") if e.get(d)]
        if not dirs:
            continue
        if e["job"] not in jobs:
            jobs.append(e["job"])
        b = name(e)
        if baseline and e["backing"] == baseline:
            b += " (baseline)"
        if b not in backs:
            backs.append(b)
        total = sum(d["bw_mib_s"] for d in dirs)
        bw[(e["job"], b)] = (total, total, total, 1)
    if bw:
        charts.append(Chart("fio-bw", "fio bandwidth per job and backing "
                            "(QEMU TCG, emulated)", "MiB/s", jobs, backs, bw))
    lat_job = FIO_LAT_JOB if FIO_LAT_JOB in jobs else next(
        (j for j in jobs if "rand" in j and "read" in j), None)
    if lat_job:
        cats, lat = [], {}
        for e in entries:
            if e["job"] != lat_job or not e.get("read"):
                continue
            b = name(e)
            if baseline and e["backing"] == baseline:
                b += "\n(baseline)"
            cats.append(b)
            for key, s in (("clat_p50_us", "p50"), ("clat_p99_us", "p99"),
                           ("clat_p99_9_us", "p99.9")):
                v = e["read"].get(key)
                if v is not None:
                    lat[(b, s)] = (v, v, v, 1)
        if lat:
            charts.append(Chart("fio-lat", "fio %s completion latency per backing "
                                "(QEMU TCG, emulated)" % lat_job, "clat (us)",
                                cats, ["p50", "p99", "p99.9"], lat, log=True))
    return charts


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", nargs="?", default=os.path.join(TOP, "build/results/bench.json"))
    ap.add_argument("-o", "--outdir", default=os.path.join(TOP, "docs/performance"))
    args = ap.parse_args()
    try:
        with open(args.json) as f:
            doc = json.load(f)
    except OSError as e:
        sys.exit("bench-plots: %s: %s (run make bench first)" % (args.json, e.strerror))
    except ValueError as e:
        sys.exit("bench-plots: %s: not JSON: %s" % (args.json, e))
    try:
        term = terminal()
    except OSError:
        sys.exit("bench-plots: gnuplot not found (make deps installs gnuplot-nox)")

    host = doc.get("host") or {}
    date = (doc.get("run_finished") or doc.get("generated") or "")[:10]
    footer = "make bench %s, guest %s, %s vCPUs; %s" % (
        date, host.get("kernel", "?"), host.get("cpus", "?"),
        doc.get("emulation", "QEMU TCG: emulated times"))
    charts = [c for c in (section_chart(s) for s in doc.get("sections") or []) if c]
    charts += fio_charts(doc)
    os.makedirs(args.outdir, exist_ok=True)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="gpool-plots.") as tmp:
        for chart in charts:
            out = os.path.join(args.outdir, chart.name + ".png")
            gp = script(chart, footer, tmp, term, out)
            if gp is None:
                continue
            path = os.path.join(tmp, chart.name + ".gp")
            with open(path, "w") as f:
                f.write(gp)
            r = subprocess.run(["gnuplot", path], stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                print("bench-plots: gnuplot failed for %s:\n%s" % (chart.name, r.stderr),
                      file=sys.stderr)
                failed += 1
                continue
            if r.stderr.strip():
                print("bench-plots: %s: %s" % (chart.name, r.stderr.strip()), file=sys.stderr)
            print(os.path.relpath(out) if not os.path.relpath(out).startswith("..") else out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
