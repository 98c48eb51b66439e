#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The one report of `make bench`, and its result file.

    scripts/bench-report.py [TAP_LOG] [-o build/results/bench.json]

TAP_LOG is what the guest's /bin/gpool-bench-all printed (stress/run-bench.sh),
as scripts/run-guest.py saved it: build/results/normal/bench/tap.log by
default.  Besides the benchmarks' own tables it holds the machine-readable
lines of stress/kvm/gpool_bench_util.h:

  @host {json}                 the guest: kernel, cmdline, cpus, memtotal_kb
  @bench-begin /bin/NAME       around each program, with its exit status
  @bench-end /bin/NAME RC
  @section {json}              section, title, baseline (a case name), note
  @result {json}               section, case, cond, metric, unit, median, min,
                               max, n
  @fio-begin {json}            job, backing, cond; then fio's own
  ...fio --output-format=json  JSON (after any warning lines of fio's)
  @fio-end

A section may be announced more than once (two programs adding to it): its
results are merged, in the order they came.

Ratios.  A section with a baseline compares each row with the baseline's
row: the baseline case with the same cond, else the baseline case's row
without a cond, else the baseline case's only row.  For a time (unit ns,
us, ms, s, or a time per something: ms/GiB, ms_per_GiB) the ratio is
baseline / value, "x faster" (above 1: better than the baseline); for a
rate (a unit ending in "/s") value / baseline; other units (counts,
percent, bytes) get none.  fio's rows are compared with the backing that a
`@section {"section":"fio","baseline":"BACKING"}` line names, same job,
direction and cond (else same job and direction): bandwidth value /
baseline, p99 completion latency baseline / value.

The result file (JSON) has "generated" (when this ran), "run_finished" (the
log's modification time), "host" (the guest's @host facts, and the build
machine's build_cpu_model, build_nproc, build_memtotal_kb), "emulation",
"programs" [{name, rc}], "sections" [{id, title, baseline, note, results}]
(each result as printed, plus "ratio" and "ratio_kind" ("faster" or
"rate") where it has one) and "fio" [{job, backing, cond, read, write,
usr_cpu, sys_cpu, minf, majf, ctx}] with, per direction that did I/O,
bw_mib_s, iops, clat_p50_us, clat_p99_us, clat_p99_9_us, total_ios and
bw_vs_baseline, p99_vs_baseline where there is a baseline.

The table goes to stdout, warnings (a malformed line, a program that did not
finish) to stderr.  The exit status is 0 when every program exited 0 and the
log ends with "# gpool-runner: bench exit 0", else 1; the file is written
and the table printed either way.
"""

import argparse
import datetime
import json
import os
import re
import sys
import textwrap

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_LOG = os.path.join(TOP, "build/results/normal/bench/tap.log")
DEFAULT_OUT = os.path.join(TOP, "build/results/bench.json")
EMULATION = ("QEMU TCG, nested SVM: times are emulated; compare ratios in one "
             "run and counts")
WIDTH = 118  # the widest a table may be

TIME_UNITS = ("ns", "us", "ms", "s")
MARKER = re.compile(r"@(host|section|result|fio-begin)\s+(\{.*)$")
BENCH = re.compile(r"@bench-(begin|end)\s+(\S+)(?:\s+(-?\d+))?\s*$")
RUNNER_EXIT = re.compile(r"^# gpool-runner: bench exit (\S+)")


def warn(msg):
    print("bench-report: warning: " + msg, file=sys.stderr)


def ratio_kind(unit):
    """"faster" for a time, "rate" for something per second, else None."""
    u = (unit or "").strip()
    if u.endswith("/s"):
        return "rate"
    head = re.split(r"/|_per_| per ", u, maxsplit=1)[0]
    if head in TIME_UNITS:
        return "faster"
    return None


def ratio_of(kind, value, base):
    if kind is None or value is None or base is None:
        return None
    if kind == "faster":
        return base / value if value > 0 else None
    return value / base if base > 0 else None


def parse_json(text, where):
    """The JSON object at the start of @text; None (and a warning) if it
    is not one."""
    try:
        obj, end = json.JSONDecoder().raw_decode(text)
    except ValueError as e:
        warn("%s: not JSON (%s): %.100s" % (where, e, text))
        return None
    if not isinstance(obj, dict):
        warn("%s: not a JSON object: %.100s" % (where, text))
        return None
    if text[end:].strip():
        warn("%s: text after the JSON object ignored: %.60s" % (where, text[end:]))
    return obj


def number(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError("not a number: %r" % (v,))
    return float(v)


class Log:
    def __init__(self):
        self.host = {}
        self.programs = []   # [{"name", "rc"}]
        self.sections = {}   # id -> {"id", "title", "baseline", "note", "results"}
        self.fio = []        # [{"meta": @fio-begin, "json": fio's, "lineno"}]
        self.runner_exit = None

    def section(self, sid):
        if sid not in self.sections:
            self.sections[sid] = {"id": sid, "title": "", "baseline": None,
                                  "note": None, "results": []}
        return self.sections[sid]


def read_log(path):
    with open(path, "rb") as f:
        data = f.read().decode("utf-8", "replace")
    log = Log()
    fio = None  # [meta, lines, lineno] of an open fio block
    for lineno, raw in enumerate(data.split("\n"), 1):
        line = raw.replace("\r", "").rstrip()
        where = "%s:%d" % (os.path.basename(path), lineno)
        if fio is not None:
            if "@fio-end" in line:
                end_fio(log, fio)
                fio = None
                continue
            if not (MARKER.search(line) or BENCH.search(line)):
                fio[1].append(line)
                continue
            warn("%s: fio block of line %d has no @fio-end" % (where, fio[2]))
            end_fio(log, fio)
            fio = None
        m = RUNNER_EXIT.search(line)
        if m:
            log.runner_exit = m.group(1)
            continue
        m = BENCH.search(line)
        if m:
            name = os.path.basename(m.group(2))
            if m.group(1) == "begin":
                log.programs.append({"name": name, "rc": None})
            elif m.group(3) is None:
                warn("%s: @bench-end without an exit status" % where)
            else:
                prog = next((p for p in reversed(log.programs)
                             if p["name"] == name and p["rc"] is None), None)
                if prog is None:
                    prog = {"name": name, "rc": None}
                    log.programs.append(prog)
                    warn("%s: @bench-end %s without @bench-begin" % (where, name))
                prog["rc"] = int(m.group(3))
            continue
        if "@fio-end" in line:
            warn("%s: @fio-end outside a fio block" % where)
            continue
        m = MARKER.search(line)
        if not m:
            continue
        if m.start() != 0:
            warn("%s: @%s not at the start of the line (output mixed up?)" %
                 (where, m.group(1)))
        obj = parse_json(m.group(2), where)
        if obj is None:
            continue
        kind = m.group(1)
        if kind == "host":
            log.host.update(obj)
        elif kind == "section":
            add_section(log, obj, where)
        elif kind == "result":
            add_result(log, obj, where)
        else:
            fio = [obj, [], lineno]
    if fio is not None:
        warn("fio block of line %d has no @fio-end" % fio[2])
        end_fio(log, fio)
    return log


def add_section(log, obj, where):
    sid = obj.get("section")
    if not isinstance(sid, str) or not sid:
        warn("%s: @section without a section id" % where)
        return
    sec = log.section(sid)
    if obj.get("title") and not sec["title"]:
        sec["title"] = str(obj["title"])
    if obj.get("baseline"):
        if sec["baseline"] and sec["baseline"] != obj["baseline"]:
            warn("%s: section %s: baseline %r, was %r: keeping the first" %
                 (where, sid, obj["baseline"], sec["baseline"]))
        else:
            sec["baseline"] = str(obj["baseline"])
    note = obj.get("note")
    if note:
        note = str(note)
        if not sec["note"]:
            sec["note"] = note
        elif note not in sec["note"].split("; "):
            sec["note"] += "; " + note


def add_result(log, obj, where):
    try:
        sid, case, metric = obj["section"], obj["case"], obj["metric"]
        if not all(isinstance(x, str) and x for x in (sid, case, metric)):
            raise ValueError("section, case and metric must be strings")
        median = number(obj["median"])
        r = {"case": case}
        cond = obj.get("cond")
        if cond:
            r["cond"] = str(cond)
        r.update(metric=metric, unit=str(obj.get("unit", "")), median=median,
                 min=number(obj.get("min", median)),
                 max=number(obj.get("max", median)), n=int(obj.get("n", 1)))
    except (KeyError, ValueError, TypeError) as e:
        warn("%s: @result ignored (%s)" % (where, e))
        return
    results = log.section(sid)["results"]
    for i, old in enumerate(results):
        if (old["case"], old.get("cond"), old["metric"]) == (case, r.get("cond"), metric):
            warn("%s: %s: %s%s %s given twice: keeping the last" %
                 (where, sid, case, " [%s]" % r["cond"] if "cond" in r else "", metric))
            results[i] = r
            return
    results.append(r)


def end_fio(log, fio):
    meta, lines, lineno = fio
    start = next((i for i, l in enumerate(lines) if l.startswith("{")), None)
    if start is None:
        warn("fio block of line %d (%s/%s): no JSON" %
             (lineno, meta.get("job"), meta.get("backing")))
        return
    obj = parse_json("\n".join(lines[start:]), "fio block of line %d" % lineno)
    if obj is not None:
        log.fio.append({"meta": meta, "json": obj, "lineno": lineno})


def fio_entry(block):
    """One fio result: the measured job of fio's JSON, per direction."""
    meta, doc = block["meta"], block["json"]
    e = {"job": str(meta.get("job", "?")), "backing": str(meta.get("backing", "?"))}
    if meta.get("cond"):
        e["cond"] = str(meta["cond"])
    jobs = [j for j in doc.get("jobs", []) if isinstance(j, dict)]

    def did_io(j):
        return any((j.get(d) or {}).get("total_ios", 0) for d in ("read", "write"))
    # The job named in @fio-begin, else the first that did I/O (an
    # unmeasured stats=0 job is listed too, empty).
    job = next((j for j in jobs if j.get("jobname") == e["job"] and did_io(j)), None)
    job = job or next((j for j in jobs if did_io(j)), None)
    if job is None:
        warn("fio %s/%s (line %d): no job did any I/O" %
             (e["job"], e["backing"], block["lineno"]))
        job = jobs[0] if jobs else {}
    for d in ("read", "write"):
        s = job.get(d) or {}
        if not s.get("total_ios"):
            e[d] = None
            continue
        pct = (s.get("clat_ns") or {}).get("percentile") or {}

        def p_us(key):
            v = pct.get(key)
            return v / 1000.0 if isinstance(v, (int, float)) else None
        e[d] = {"bw_mib_s": s.get("bw", 0) / 1024.0, "iops": s.get("iops"),
                "clat_p50_us": p_us("50.000000"), "clat_p99_us": p_us("99.000000"),
                "clat_p99_9_us": p_us("99.900000"), "total_ios": s.get("total_ios")}
    for k in ("usr_cpu", "sys_cpu", "minf", "majf", "ctx"):
        if k in job:
            e[k] = job[k]
    return e


def fio_ratios(entries, baseline):
    if not baseline:
        return
    for e in entries:
        for d in ("read", "write"):
            if not e.get(d):
                continue
            same = [b for b in entries if b["job"] == e["job"] and
                    b["backing"] == baseline and b.get(d)]
            base = next((b for b in same if b.get("cond") == e.get("cond")),
                        same[0] if same else None)
            if base is None:
                continue
            e[d]["bw_vs_baseline"] = ratio_of("rate", e[d]["bw_mib_s"],
                                              base[d]["bw_mib_s"])
            if e[d]["clat_p99_us"] and base[d]["clat_p99_us"]:
                e[d]["p99_vs_baseline"] = ratio_of("faster", e[d]["clat_p99_us"],
                                                   base[d]["clat_p99_us"])


def baseline_row(results, baseline, r):
    """The row of @results @r is compared with (see the docstring)."""
    rows = [b for b in results if b["case"] == baseline and b["metric"] == r["metric"]]
    for pick in (lambda b: b.get("cond") == r.get("cond"),
                 lambda b: "cond" not in b):
        for b in rows:
            if pick(b):
                return b
    return rows[0] if len(rows) == 1 else None


def section_ratios(sec):
    if not sec["baseline"]:
        return
    for r in sec["results"]:
        kind = ratio_kind(r["unit"])
        base = baseline_row(sec["results"], sec["baseline"], r)
        if kind and base:
            v = ratio_of(kind, r["median"], base["median"])
            if v is not None:
                r["ratio"] = v
                r["ratio_kind"] = kind


def build_machine():
    facts = {"build_cpu_model": None, "build_nproc": None, "build_memtotal_kb": None}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    facts["build_cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        facts["build_nproc"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        facts["build_nproc"] = os.cpu_count()
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    facts["build_memtotal_kb"] = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return facts


# -- the table ---------------------------------------------------------------

def fmt_num(v, unit=""):
    if v is None:
        return "-"
    if unit == "bytes":
        for div, suffix in ((1 << 30, " GiB"), (1 << 20, " MiB"), (1 << 10, " KiB")):
            if abs(v) >= div:
                return fmt_num(v / div) + suffix
        return "%d B" % v
    a = abs(v)
    if float(v).is_integer() and a < 1e15:
        return "{:,}".format(int(v))
    if a >= 1000:
        return "{:,.0f}".format(v)
    if a >= 10:
        return "%.1f" % v
    if a >= 1:
        return "%.2f" % v
    return "%.3g" % v


def fmt_cell(r):
    unit = r["unit"]
    m = fmt_num(r["median"], unit)
    if r["n"] > 1 and r["min"] != r["max"]:
        sep = ".." if r["min"] < 0 or r["max"] < 0 else "-"
        m += " (%s%s%s)" % (fmt_num(r["min"], unit), sep, fmt_num(r["max"], unit))
    unit = show_unit(unit)
    if unit:
        m += ("" if unit == "%" else " ") + unit
    return m


def show_unit(unit):
    """@unit as the table shows it: ms_per_GiB as ms/GiB, percent as %,
    none for counts and bytes (their figures say it)."""
    if unit in ("count", "bytes"):
        return ""
    if unit == "percent":
        return "%"
    return unit.replace("_per_", "/")


def fmt_ratio(v, kind):
    if v is None:
        return ""
    if v >= 10:
        s = "{:,.0f}x".format(v)
    elif v >= 0.1:
        s = "%.1fx" % v
    else:
        s = "%.2gx" % v
    return s + (" faster" if kind == "faster" else "")


def render(headers, rows, right):
    """A plain text table; @right: which columns align right."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]

    def line(cells):
        out = []
        for i, c in enumerate(cells):
            out.append(str(c).rjust(widths[i]) if right[i] else str(c).ljust(widths[i]))
        return "  ".join(out).rstrip()
    text = [line(headers), "  ".join("-" * w for w in widths)]
    text += [line(r) for r in rows]
    return "\n".join(text)


def wrap(text, indent="  "):
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


def metric_groups(results, keys):
    """The section's metrics in file order, grouped so that one table holds
    metrics with the same rows: a metric whose rows are a subset of a
    group's, at least three quarters of them, joins it."""
    order, rows_of = [], {}
    for r in results:
        if r["metric"] not in rows_of:
            order.append(r["metric"])
            rows_of[r["metric"]] = set()
        rows_of[r["metric"]].add(keys(r))
    groups = []  # [rowset, [metric...]]
    for m in order:
        for g in groups:
            if rows_of[m] <= g[0] and 4 * len(rows_of[m]) >= 3 * len(g[0]):
                g[1].append(m)
                break
        else:
            groups.append([rows_of[m], [m]])
    return groups


def section_rows(res):
    """A section's rows: the key of a result's row, the leading columns,
    the rows in the order they first appear, and row -> metric -> result."""
    def key(r):
        return (r["case"], r.get("cond", ""))
    row_order, cell = [], {}
    for r in res:
        if key(r) not in cell:
            row_order.append(key(r))
            cell[key(r)] = {}
        cell[key(r)][r["metric"]] = r
    lead = ["case"] + (["cond"] if any("cond" in r for r in res) else [])
    return key, lead, row_order, cell


def section_table(sec):
    res = sec["results"]
    out = ["", "== %s: %s" % (sec["id"], sec["title"] or "(no title)")]
    if sec["note"]:
        out.append(wrap(sec["note"]))
    if sec["baseline"]:
        out.append(wrap('ratios against "%s" (its row with the same cond where '
                        'it has one)' % sec["baseline"]))
    if not res:
        out.append("  (no results)")
        return out
    key, lead, row_order, cell = section_rows(res)
    lead_w = sum(max([len(k[i]) for k in row_order] + [len(lead[i])]) + 2
                 for i in range(len(lead)))
    for gi, (rowset, metrics) in enumerate(metric_groups(res, key)):
        if gi:
            out.append("")
        rows = [k for k in row_order if k in rowset]
        # Each metric: its column and, with a baseline, its ratio column.
        cols = []
        for m in metrics:
            rs = [cell[k].get(m) for k in rows]
            vals = [fmt_cell(r) if r else "-" for r in rs]
            col = [(m, vals)]
            if any(r and "ratio" in r for r in rs):
                col.append(("vs " + sec["baseline"],
                            [fmt_ratio(r.get("ratio"), r.get("ratio_kind"))
                             if r else "" for r in rs]))
            width = sum(max(len(h), *(len(v) for v in vs)) + 2 for h, vs in col)
            cols.append((col, width))
        # As many metrics a table as fit in WIDTH, at least one.
        while cols:
            take, w = [], lead_w
            while cols and (not take or w + cols[0][1] <= WIDTH):
                w += cols[0][1]
                take += cols.pop(0)[0]
            headers = lead + [h for h, _ in take]
            table = []
            for i, k in enumerate(rows):
                table.append(list(k[:len(lead)]) + [vs[i] for _, vs in take])
            out.append(render(headers, table, [False] * len(lead) + [True] * len(take)))
            if cols:
                out.append("")
    return out


def section_markdown(sec):
    """The section as GitHub tables (make bench's -m FILE), for docs/."""
    res = sec["results"]
    out = ["", "### %s: %s" % (sec["id"], sec["title"] or "(no title)"), ""]
    if sec["note"]:
        out += [sec["note"], ""]
    if not res:
        return out + ["(no results)"]
    key, lead, row_order, cell = section_rows(res)
    for rowset, metrics in metric_groups(res, key):
        rows = [k for k in row_order if k in rowset]
        heads = list(lead)
        for m in metrics:
            heads.append(m)
            if any(m in cell[k] and "ratio" in cell[k][m] for k in rows):
                heads.append("vs " + sec["baseline"])
        out.append("| " + " | ".join(heads) + " |")
        out.append("|" + "---|" * len(heads))
        for k in rows:
            line = list(k[:len(lead)])
            for m in metrics:
                r = cell[k].get(m)
                line.append(fmt_cell(r) if r else "-")
                if any(m in cell[j] and "ratio" in cell[j][m] for j in rows):
                    line.append(fmt_ratio(r.get("ratio"), r.get("ratio_kind"))
                                if r and "ratio" in r else "")
            out.append("| " + " | ".join(line) + " |")
        out.append("")
    return out


def fio_table(entries, sec):
    baseline = sec["baseline"] if sec else None
    out = ["", "== fio: %s" % (sec["title"] if sec and sec["title"] else
                               "fio over the host mapping of each backing")]
    if sec and sec["note"]:
        out.append(wrap(sec["note"]))
    out.append(wrap("completion latency (clat) in us, emulated; minf: page "
                    "faults of the job's thread" +
                    ('; ratios against "%s": MiB/s value/baseline, p99 '
                     'baseline/value' % baseline if baseline else "")))
    has_cond = any("cond" in e for e in entries)
    headers = ["job", "backing"] + (["cond"] if has_cond else []) + \
        ["dir", "MiB/s"] + (["vs " + baseline] if baseline else []) + \
        ["IOPS", "p50", "p99", "p99.9"] + (["p99 vs " + baseline] if baseline else []) + \
        ["minf"]
    rows = []
    for e in entries:
        for d in ("read", "write"):
            s = e.get(d)
            if not s:
                continue
            row = [e["job"], e["backing"]] + ([e.get("cond", "")] if has_cond else [])
            row += [d, fmt_num(s["bw_mib_s"])]
            if baseline:
                row.append(fmt_ratio(s.get("bw_vs_baseline"), "rate"))
            row += [fmt_num(round(s["iops"])) if s["iops"] is not None else "-",
                    fmt_num(s["clat_p50_us"]), fmt_num(s["clat_p99_us"]),
                    fmt_num(s["clat_p99_9_us"])]
            if baseline:
                row.append(fmt_ratio(s.get("p99_vs_baseline"), "faster"))
            row.append(fmt_num(e["minf"]) if "minf" in e else "-")
            rows.append(row)
    if not rows:
        out.append("  (no results)")
        return out
    lead = 4 if has_cond else 3
    out.append(render(headers, rows, [False] * lead + [True] * (len(headers) - lead)))
    return out


def show_path(path):
    """@path relative to the repository when it is in it."""
    path = os.path.abspath(path)
    rel = os.path.relpath(path, TOP)
    return path if rel.startswith("..") else rel


def header_lines(path, host, programs):
    out = ["gpool make bench: %s" % show_path(path)]
    guest = []
    if host.get("kernel"):
        guest.append("kernel " + str(host["kernel"]))
    if host.get("cpus"):
        guest.append("%s vCPUs" % host["cpus"])
    if host.get("memtotal_kb"):
        guest.append("MemTotal %.1f GiB" % (host["memtotal_kb"] / 1048576.0))
    out.append("guest: " + (", ".join(guest) or "(no @host line)"))
    if host.get("cmdline"):
        out.append(wrap("cmdline: " + str(host["cmdline"]), "")[:2000])
    out.append("build machine: %s, %s CPUs, MemTotal %s" % (
        host.get("build_cpu_model") or "?", host.get("build_nproc") or "?",
        "%.1f GiB" % (host["build_memtotal_kb"] / 1048576.0)
        if host.get("build_memtotal_kb") else "?"))
    out.append(EMULATION)
    out.append(wrap("programs: " + (", ".join(
        "%s %s" % (p["name"], "rc=%d" % p["rc"] if p["rc"] is not None
                   else "did not finish") for p in programs) or "none"), ""))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log", nargs="?", default=DEFAULT_LOG, metavar="TAP_LOG")
    ap.add_argument("-o", "--output", default=DEFAULT_OUT, metavar="JSON")
    ap.add_argument("-m", "--markdown", metavar="FILE",
                    help="also write every section as GitHub tables, for docs/")
    args = ap.parse_args()

    try:
        log = read_log(args.log)
        mtime = os.path.getmtime(args.log)
    except OSError as e:
        print("bench-report: %s: %s (run make bench first)" % (args.log, e.strerror),
              file=sys.stderr)
        return 1
    host = dict(log.host)
    host.update(build_machine())
    sections = [s for s in log.sections.values() if s["id"] != "fio"]
    for s in sections:
        section_ratios(s)
    fio_sec = log.sections.get("fio")
    fio = [fio_entry(b) for b in log.fio]
    fio_ratios(fio, fio_sec["baseline"] if fio_sec else None)
    doc = {
        "generated": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "run_finished": datetime.datetime.fromtimestamp(mtime).astimezone()
        .isoformat(timespec="seconds"),
        "log": show_path(args.log),
        "host": host,
        "emulation": EMULATION,
        "programs": log.programs,
        "sections": sections + ([fio_sec] if fio_sec and fio_sec["results"] else []),
        "fio_section": ({k: fio_sec[k] for k in ("title", "baseline", "note")}
                        if fio_sec else None),
        "fio": fio,
    }

    if args.markdown:
        md = ["# make bench, %s" % doc["run_finished"], ""]
        md += ["    " + l for l in header_lines(args.log, host, log.programs)]
        for s in sections + ([fio_sec] if fio_sec and fio_sec["results"] else []):
            md += section_markdown(s)
        with open(args.markdown, "w") as f:
            f.write("\n".join(md) + "\n")

    out = header_lines(args.log, host, log.programs)
    for s in sections:
        out += section_table(s)
    if fio or fio_sec:
        out += fio_table(fio, fio_sec)
        if fio_sec and fio_sec["results"]:
            out += section_table(fio_sec)

    failed = []
    for p in log.programs:
        if p["rc"] is None:
            failed.append("%s did not finish" % p["name"])
        elif p["rc"] != 0:
            failed.append("%s exited %d" % (p["name"], p["rc"]))
    if not log.programs:
        failed.append("no @bench-begin line: no program ran")
    if log.runner_exit is None:
        failed.append("no '# gpool-runner: bench exit' line: the guest did not finish")
    elif log.runner_exit != "0":
        failed.append("the guest's bench exit status is " + log.runner_exit)
    doc["ok"] = not failed
    doc["failures"] = failed

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    tmp = args.output + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, args.output)

    out.append("")
    if failed:
        out.append("bench: FAILED: " + "; ".join(failed))
    else:
        out.append("bench: %d program%s, all exited 0" % (
            len(log.programs), "" if len(log.programs) == 1 else "s"))
    out.append("bench: wrote %s" % show_path(args.output))
    print("\n".join(out))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
