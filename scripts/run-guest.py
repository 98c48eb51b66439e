#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the gpool test guest in QEMU and judge the run.

Each boot of scripts/guest-runs names the kernel it boots ("kernel: debug";
the normal one otherwise); --variant debug (make check DEBUG=1) boots every
one on the debug kernel.  The guest (scripts/guest-init.sh) writes the
kernel log, including KUnit's KTAP, to ttyS0 and the selftest runner's TAP
to ttyS1; both are saved under build/results/<kernel>/<boot>/, and the
judgement of the whole run under build/results/.  Every KUnit case and
every kselftest case (the nested "ok N name" lines of each test program; a
program that reports none is one case) counts on its own.  The run fails
when

  - a KUnit case, a selftest case or a host test fails,
  - the run does not match scripts/test-manifest: a case the manifest
    expects in a boot did not report, a case reported that it does not
    list, a boot of the manifest is not in scripts/guest-runs, or a host
    test part is missing or reports fewer cases than its floor,
  - a case skipped that the boot does not declare as an expected skip in
    scripts/guest-runs ("unexpected skip"), or a declared skip did not
    happen,
  - the guest did not finish (crash, hang, timeout),
  - the boot did not run the kernel it names (KASAN's banner tells), or
  - the kernel log shows a splat (WARNING:, BUG:, Oops, KASAN, lockdep,
    kmemleak, Call Trace, ...), wherever it happened.

With --host-log, the userspace test results (the kselftest "# Totals:"
line of each "# host-test: NAME" part) are counted in too.  --judge-only DIR
judges the results already in DIR (build/results, or a copy of it) without
booting; --write-manifest then rewrites scripts/test-manifest from them.
--list-kernels prints the kernels the run would boot, one a line, for
scripts/check.sh and the Makefile to build.  The last line printed is
"N passed, N failed, N skipped".
"""

import argparse
import fnmatch
import json
import os
import re
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, "build")
MANIFEST = os.path.join(TOP, "scripts/test-manifest")
GUEST_RUNS = os.path.join(TOP, "scripts/guest-runs")

# Runs first in every boot, whatever the boot's glob and T= select (kept in
# step with scripts/guest-init.sh).
FIRST = "gpool:gpool_env_test"

# Kept in step with the guest's per-test check in scripts/guest-init.sh.
SPLAT = re.compile(
    r"WARNING:|BUG:|Oops|Call Trace|new suspected memory leaks|"
    r"possible recursive locking|possible circular locking|"
    r"lockdep is turned off|UBSAN|general protection fault|Kernel panic|"
    r"blocked for more than")
PRINTK_TIME = re.compile(r"^\[\s*\d+\.\d+\]\s?")
TAP_RESULT = re.compile(r"^(not ok|ok) (\d+) (?:- )?([^#]*?)\s*(?:#\s*(.*))?$")
# A test program's own TAP, as the guest runner prefixes it with "# ".
NESTED_RESULT = re.compile(r"^# (not ok|ok) (\d+) (?:- )?([^#]*?)\s*(?:#\s*(.*))?$")
NESTED_PLAN = re.compile(r"^# 1\.\.(\d+)\s*$")
TOTALS = re.compile(r"^# Totals: pass:(\d+) fail:(\d+) xfail:(\d+) "
                    r"xpass:(\d+) skip:(\d+) error:(\d+)")
HOST_PART = re.compile(r"^# host-test: (\S+)")
# A JSON document in a case's output, for the judge to parse: the guest has
# only busybox.  The test prints "# json: begin KIND [KEY=VALUE...]", the
# document with "# " before each line, and "# json: end" before the case's
# result line; under the runner's "# " they read as below.
JSON_BEGIN = re.compile(r"^# # json: begin (\S+)((?: \S+=\S*)*)\s*$")
JSON_END = "# # json: end"
UNNAMED = "(unnamed)"
ADD_HINT = "add it: scripts/run-guest.py --write-manifest (docs/testing.md)"


class Row:
    """One result.  @kind says what it is to the judge:

    case      a KUnit or kselftest case (or a test without cases): compared
              with the manifest and the skip declarations
    test      a whole program or suite that failed while none of its cases did
    manifest  a case or boot the manifest expects that did not report
    skipdecl  a declared skip that did not happen
    run       the boot itself: guest completion, kernel log, kmemleak
    host      a host test part
    """

    def __init__(self, status, name, note="", test=None, case=None, kind="run"):
        self.status, self.name, self.note = status, name, note
        self.test, self.case, self.kind = test, case, kind
        self.reported = status  # what the test said, before the judge's rules


class Results:
    def __init__(self):
        self.rows = []

    def add(self, status, name, note="", **kw):
        row = Row(status, name, note, **kw)
        self.rows.append(row)
        return row

    def count(self, status):
        return sum(1 for r in self.rows if r.status == status)

    def tap(self):
        out = ["TAP version 13", "1..%d" % len(self.rows)]
        for i, r in enumerate(self.rows, 1):
            line = "%s %d %s" % ("not ok" if r.status == "fail" else "ok", i, r.name)
            if r.status == "skip":
                line += " # SKIP " + r.note
            elif r.note:
                line += " # " + r.note
            out.append(line)
        return "\n".join(out) + "\n"


def tap_status(word, directive):
    if word == "not ok":
        return "fail"
    if directive.upper().startswith("SKIP"):
        return "skip"
    return "pass"


def skip_reason(directive):
    return directive[4:].strip() if directive.upper().startswith("SKIP") else directive


def worse(a, b):
    """The worse of two results of one case reported twice."""
    order = {"pass": 0, "skip": 1, "fail": 2}
    return a if order[a[0]] >= order[b[0]] else b


class Boot:
    """A boot of scripts/guest-runs (or the one CMDLINE= boot)."""

    def __init__(self, name, cmdline, patterns, skips=(), matrix=True,
                 kernel="normal"):
        self.name, self.cmdline = name, cmdline
        self.patterns = list(patterns)  # GLOB: must match, !GLOB: must not
        self.skips = list(skips)        # globs over the boot's case names
        self.matrix = matrix
        self.kernel = kernel            # the kernel scripts/guest-runs names


KERNELS = ("normal", "debug")
# How much longer everything takes on each kernel: each test's timeout and
# the whole boot's limit are multiplied by it (kept in step with
# scripts/guest-init.sh, which gets it on the command line).
SCALE = {"normal": 1, "debug": 3}
# Printed once by every KASAN kernel, and by no other.
KASAN_BANNER = "KernelAddressSanitizer initialized"


def boot_kernel(args, boot):
    """The kernel @boot runs on: its own, or the debug one for every boot
    with --variant debug (make check DEBUG=1)."""
    return "debug" if args.variant == "debug" else boot.kernel


def boot_dir(root, kernel, boot):
    """Where a boot's logs are: build/results/<kernel>/<boot>."""
    return os.path.join(root, kernel, boot.name)


def selected(name, patterns):
    """Does test @name match every GLOB and no !GLOB of @patterns?

    The same rule as selected() in scripts/guest-init.sh.
    """
    for p in patterns:
        if p.startswith("!"):
            if fnmatch.fnmatchcase(name, p[1:]):
                return False
        elif not fnmatch.fnmatchcase(name, p):
            return False
    return True


def load_guest_runs(path=GUEST_RUNS):
    """The boots of scripts/guest-runs, with their expected skips."""
    boots = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if line[0] in " \t":
                key, _, value = text.partition(":")
                value = value.strip()
                if not boots or key not in ("skip", "kernel") or not value:
                    sys.exit("run-guest: %s:%d: an indented line is 'skip: NAME' "
                             "or 'kernel: VARIANT' under a boot" % (path, lineno))
                if key == "skip":
                    boots[-1].skips.append(value)
                elif value not in KERNELS:
                    sys.exit("run-guest: %s:%d: kernel %s is none of %s" %
                             (path, lineno, value, ", ".join(KERNELS)))
                else:
                    boots[-1].kernel = value
                continue
            fields = [x.strip() for x in line.split("|")]
            if len(fields) != 3:
                sys.exit("run-guest: %s:%d: not 'name | parameters | tests'" %
                         (path, lineno))
            name, cmdline, glob = fields
            # "GLOB !EXCLUDE": the tests matching GLOB but not EXCLUDE.
            glob, _, exclude = glob.partition(" !")
            patterns = [glob.strip() or "*"] + (["!" + exclude.strip()] if exclude else [])
            boots.append(Boot(name, cmdline, patterns))
    return boots


class Manifest:
    """scripts/test-manifest: the cases each boot must report.

        boots NAME...        the boots (those of scripts/guest-runs)
        host NAME MIN        a host test part and the fewest cases it reports
        test NAME BOOT...    a guest test expected in these boots; its cases
            CASE             follow, indented; a test with none is one case
    """

    def __init__(self):
        self.boots = []
        self.host = {}   # part -> floor, in file order
        self.tests = {}  # boot -> {test -> [case, ...]}, in file order

    @classmethod
    def load(cls, path):
        m = cls()
        if not os.path.exists(path):
            return m
        entry = None
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                where = "%s:%d" % (path, lineno)
                if line[0] in " \t":
                    if entry is None:
                        sys.exit("run-guest: %s: a case outside a test" % where)
                    entry.append(text)
                    continue
                words = text.split()
                if words[0] == "boots":
                    m.boots = words[1:]
                elif words[0] == "host" and len(words) == 3 and words[2].isdigit():
                    m.host[words[1]] = int(words[2])
                    entry = None
                elif words[0] == "test" and len(words) >= 3:
                    entry = []
                    for b in words[2:]:
                        if b not in m.boots:
                            sys.exit("run-guest: %s: boot %s is not in the boots line" %
                                     (where, b))
                        if words[1] in m.tests.setdefault(b, {}):
                            sys.exit("run-guest: %s: %s is given twice for %s" %
                                     (where, words[1], b))
                        m.tests[b][words[1]] = entry
                else:
                    sys.exit("run-guest: %s: not a 'boots', 'host' or 'test' line" % where)
        return m

    def union(self):
        """Every test with the cases any boot gives it (for a CMDLINE= boot)."""
        out = {}
        for b in self.boots:
            for test, cases in self.tests.get(b, {}).items():
                have = out.setdefault(test, [])
                have += [c for c in cases if c not in have]
        return out

    def keys(self, boot):
        return {(t, c) for t, cases in self.tests.get(boot, {}).items()
                for c in (cases or [None])}

    def text(self):
        out = [MANIFEST_HEADER, "boots " + " ".join(self.boots), ""]
        for part, floor in self.host.items():
            out.append("host %-32s %d" % (part, floor))
        # One entry per test and list of cases, in the boots that share it.
        order = []
        for b in self.boots:
            for t in self.tests.get(b, {}):
                if t not in order:
                    order.append(t)
        order.sort(key=lambda t: not t.startswith("kunit:"))
        for t in order:
            groups = []  # [cases, boots]
            for b in self.boots:
                cases = self.tests.get(b, {}).get(t)
                if cases is None:
                    continue
                for g in groups:
                    if g[0] == cases:
                        g[1].append(b)
                        break
                else:
                    groups.append([cases, [b]])
            for cases, boots in groups:
                # A blank line around each test that lists cases.
                if cases or out[-1].startswith("\t") or out[-1].startswith("host"):
                    out.append("")
                out.append("test %s  %s" % (t, " ".join(boots)))
                out += ["\t" + c for c in cases]
        return "\n".join(out) + "\n"


MANIFEST_HEADER = """\
# The cases a `make check` must report (scripts/run-guest.py).  A case
# missing from a boot, a case a boot reports that is not listed for it,
# a boot of this file missing from scripts/guest-runs, or a host part that
# is missing or reports fewer cases than its floor fails the run.
#
#   boots NAME...       the boots of scripts/guest-runs
#   host PART MIN       a host test part ("# host-test: PART" in
#                       build/results/host.log) and the fewest cases its
#                       "# Totals:" line may count
#   test NAME BOOT...   a guest test (a tests.list name, or kunit:SUITE)
#                       expected in these boots; its cases follow, one an
#                       indented line; a test without cases is one case
#
# Guest cases are listed by name, so the judge says which one is missing;
# host parts have a floor, since their case names carry measurements and
# file names.  After adding, renaming or removing a case on purpose, run
# `make check` and then `scripts/run-guest.py --judge-only build/results
# --host-log build/results/host.log --write-manifest`, and commit the
# difference it prints.  The file is rewritten then: keep
# comments out of it.
"""


def run_qemu(args, cmd, tap_path, timeout):
    """Run QEMU, echoing the TAP stream while it grows."""
    if args.mode == "shell":
        return subprocess.call(cmd)
    # QEMU warns about every CPUID feature TCG lacks; keep that out of sight.
    with open(os.path.join(os.path.dirname(tap_path), "qemu.log"), "w") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stderr=err)
    seen = 0
    partial = ""
    deadline = time.monotonic() + timeout
    rc = None
    while True:
        rc = proc.poll()
        try:
            with open(tap_path, "rb") as f:
                f.seek(seen)
                chunk = f.read()
        except FileNotFoundError:
            chunk = b""
        seen += len(chunk)
        partial += chunk.decode("utf-8", "replace").replace("\r", "")
        *lines, partial = partial.split("\n")
        for line in lines:
            echo_line(args, line)
        if rc is not None:
            break
        if time.monotonic() > deadline:
            print("run-guest: guest timed out after %d s; killing QEMU" % timeout)
            proc.kill()
            proc.wait()
            return -1
        time.sleep(0.2)
    if partial:
        echo_line(args, partial)
    return rc


def echo_line(args, line):
    if args.mode in ("demo", "bench", "soak") or args.verbose:
        print(line, flush=True)
    elif TAP_RESULT.match(line) or line.startswith("# selftest:"):
        print("  " + line, flush=True)


def qemu_cmd(args, boot, patterns, kernel, initrd, console, tap):
    append = ["console=ttyS0", "loglevel=7", "panic=-1", "printk.time=1"]
    if boot.cmdline:
        append.append(boot.cmdline)
    append += ["--", args.mode]
    if args.mode == "check":
        append.append(str(SCALE[boot_kernel(args, boot)]))
        append += [p for p in patterns if p != "*"]
    if args.mode == "demo" and args.demo_args:
        append.append(args.demo_args)
    if args.mode == "soak" and args.soak_args:
        append.append(args.soak_args)
    if args.mode == "bench" and args.bench_only:
        append.append(args.bench_only)
    node_mb = args.memory_mb // 2
    # GPOOL_QEMU (and GPOOL_QEMU_DATADIR, its -L) boot another QEMU build,
    # to compare (docs/testing.md, "The emulator").
    cmd = [
        os.environ.get("GPOOL_QEMU", "qemu-system-x86_64"),
        "-machine", "q35", "-cpu", "EPYC",
        "-smp", "2,sockets=2,cores=1,threads=1", "-m", "%dM" % args.memory_mb,
        "-object", "memory-backend-ram,id=m0,size=%dM" % node_mb,
        "-object", "memory-backend-ram,id=m1,size=%dM" % node_mb,
        "-numa", "node,nodeid=0,cpus=0,memdev=m0",
        "-numa", "node,nodeid=1,cpus=1,memdev=m1",
        "-kernel", kernel, "-initrd", initrd,
        "-append", " ".join(append),
        "-display", "none", "-vga", "none", "-nic", "none",
        "-no-reboot",
    ]
    if os.environ.get("GPOOL_QEMU_DATADIR"):
        cmd += ["-L", os.environ["GPOOL_QEMU_DATADIR"]]
    if args.mode == "shell":
        cmd += ["-serial", "mon:stdio", "-serial", "file:" + tap]
    else:
        cmd += ["-serial", "file:" + console, "-serial", "file:" + tap,
                "-monitor", "none"]
    return cmd


def read_lines(path):
    try:
        with open(path, "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return []
    return [line.rstrip("\r") for line in data.split("\n")]


def strip_console(lines):
    return [PRINTK_TIME.sub("", line) for line in lines]


def parse_kunit(console, res):
    """Count KUnit results from the KTAP on the console.

    Suites are at indent 0, cases at indent 4 and the parameters of a
    parameterised case at indent 8.  Each parameter counts as a case of its
    own (kunit:suite.case.param); a case counts itself only if it had no
    parameters, or if it failed while none of them did.
    """
    suite = None
    params = []  # results of the current case's parameters
    suite_failed = False
    for line in console:
        m = re.match(r"^( *)# Subtest: (\S+)", line)
        if m and len(m.group(1)) == 4:
            suite, params, suite_failed = m.group(2), [], False
            continue
        m = re.match(r"^( *)(not ok|ok) \d+ (.+?)(?:\s+#\s*(.*))?$", line)
        if not m or suite is None:
            continue
        indent = len(m.group(1))
        name, directive = m.group(3).strip(), (m.group(4) or "")
        status = tap_status(m.group(2), directive)
        note = skip_reason(directive) if status == "skip" else ""
        test = "kunit:" + suite
        if indent == 8:
            params.append((status, name.replace(" ", "_"), note))
        elif indent == 4:
            for pstatus, pname, pnote in params:
                case = "%s.%s" % (name, pname)
                res.add(pstatus, "%s.%s" % (test, case), pnote, test=test,
                        case=case, kind="case")
            if not params:
                res.add(status, "%s.%s" % (test, name), note, test=test,
                        case=name, kind="case")
            elif status == "fail" and not any(p[0] == "fail" for p in params):
                res.add(status, "%s.%s" % (test, name), "failed, no parameter did",
                        test=test, kind="test")
            suite_failed |= status == "fail"
            params = []
        elif indent == 0:
            if status == "fail" and not suite_failed:
                res.add("fail", test, "suite failed", test=test, kind="test")
            suite = None


def parse_tap(tap, res):
    """Count the selftests from the guest runner's TAP.

    Each test's own TAP ("# ok N case" under "# selftest: TEST") gives its
    cases, TEST/case.  A test without cases is one case by itself; a test
    with cases counts itself only if it failed while none of them did, or
    reported fewer than it planned.  Returns whether the runner finished.
    """
    done = False
    order, cases, plans, finals = [], {}, {}, {}
    current = None
    docs, pending, doc = {}, [], None  # JSON documents (check_json())
    for line in tap:
        if line.startswith("# gpool-runner: done"):
            done = True
        if line.startswith("# gpool-runner: kmemleak found leaks"):
            res.add("fail", "kernel:kmemleak", "kmemleak reported leaks")
        if line.startswith("# selftest: "):
            current = line[len("# selftest: "):].strip()
            if current not in order:
                order.append(current)
            cases.setdefault(current, {})
            pending, doc = [], None
            continue
        m = TAP_RESULT.match(line)
        if m:
            name, directive = m.group(3), (m.group(4) or "")
            status = tap_status(m.group(1), directive)
            finals[name] = (status, skip_reason(directive) if status == "skip"
                            else directive)
            if name not in order:
                order.append(name)
            current = None
            continue
        if current is None:
            continue
        if doc is not None:
            if line.rstrip() == JSON_END:
                pending.append(doc)
                doc = None
                continue
            if not NESTED_RESULT.match(line):
                doc["lines"].append(line[4:] if line.startswith("# # ") else line[3:])
                continue
            doc["unterminated"] = True  # the case ended inside it
            pending.append(doc)
            doc = None
        m = JSON_BEGIN.match(line)
        if m:
            doc = {"kind": m.group(1), "lines": [],
                   "args": dict(a.split("=", 1) for a in m.group(2).split())}
            continue
        m = NESTED_PLAN.match(line)
        if m:
            plans[current] = int(m.group(1))
            continue
        m = NESTED_RESULT.match(line)
        if m:
            directive = m.group(4) or ""
            status = tap_status(m.group(1), directive)
            got = (status, skip_reason(directive) if status == "skip" else "")
            have = cases[current].get(m.group(3))
            cases[current][m.group(3)] = worse(have, got) if have else got
            docs[(current, m.group(3))] = pending
            pending = []
    for test in order:
        final = finals.get(test)
        own = cases.get(test, {})
        if not own:
            status, note = final or ("fail", "started, but the guest reported no "
                                     "result: it died or hung while the test ran")
            res.add(status, test, note, test=test, kind="case")
            continue
        for case, (status, note) in own.items():
            problems = check_json(test, case, status, docs.get((test, case), []))
            if problems:
                status, note = "fail", "; ".join(problems)
            res.add(status, "%s/%s" % (test, case), note, test=test, case=case,
                    kind="case")
        if final is None:
            res.add("fail", test, "started, but the guest reported no result: "
                    "it died or hung while the test ran", test=test, kind="test")
        elif final[0] == "fail" and not any(s == "fail" for s, _ in own.values()):
            res.add("fail", test, final[1], test=test, kind="test")
        elif test in plans and len(own) != plans[test] and final[0] != "fail":
            res.add("fail", test, "planned %d cases, reported %d" %
                    (plans[test], len(own)), test=test, kind="test")
    return done


EMULATOR_RERUN = re.compile(r"^[# ]*emulator: (\S+): a vCPU triple-faulted "
                            r"\(KVM_EXIT_SHUTDOWN\); the case runs again")


def emulator_reruns(tap):
    """The (test, case) pairs that ran again after a triple fault of the
    emulator (gpool_run_case() in selftests/kvm/gpool_util.h).  They
    are not failures: a second one in the same case fails it, as does
    anything its first run's oracles found.  They are listed, so that a
    run shows how often it happens."""
    current, found = None, []
    for line in tap:
        if line.startswith("# selftest: "):
            current = line[len("# selftest: "):].strip()
            continue
        m = EMULATOR_RERUN.match(line)
        if m and current:
            found.append((current, m.group(1)))
    return found


# The cases that must print a JSON document of this kind for the judge.
JSON_CASES = {
    ("gpool:poolctl_cli_test.sh",
     "files lists the files a process holds open (the host parses the JSON)"):
        "poolctl-files",
}

# The fields of each file in `poolctl --json files` (tools/poolctl/poolctl.8).
POOLCTL_FILE_KEYS = {
    "id": int, "pid": int, "comm": str, "size": int, "folio": str,
    "folio_shift": int, "numa_mode": str, "numa_nodes": str,
    "default_backed": bool, "units": dict, "held_bytes": int,
    "node_bytes": dict, "other_node_bytes": int,
}
UNIT_SHIFT = {"4K": 12, "2M": 21, "1G": 30}


def check_poolctl_files(doc, args):
    """`poolctl --json files` with a process holding files open: every
    file has every documented field, of its type, and its numbers agree
    (units and nodes add up to held_bytes, no more than its size); the
    holder's pid= has files= of them, each holding memory."""
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), list):
        return ['not an object {"files": [...]}']
    problems = []
    for i, f in enumerate(doc["files"]):
        where = "files[%d]" % i
        if not isinstance(f, dict):
            problems.append(where + " is not an object")
            continue
        bad = [k for k, t in POOLCTL_FILE_KEYS.items() if type(f.get(k)) is not t]
        if bad:
            problems.append("%s: %s missing or not %s" % (where, ", ".join(bad), ", ".join(
                POOLCTL_FILE_KEYS[k].__name__ for k in bad)))
            continue
        units, nodes = f["units"], f["node_bytes"]
        if set(units) != set(UNIT_SHIFT) or any(type(v) is not int for v in units.values()):
            problems.append("%s: units is not {1G, 2M, 4K: count}" % where)
            continue
        if any(not k.isdigit() or type(v) is not int for k, v in nodes.items()):
            problems.append("%s: node_bytes is not {node: bytes}" % where)
            continue
        held = sum(n << UNIT_SHIFT[u] for u, n in units.items())
        if held != f["held_bytes"]:
            problems.append("%s: held_bytes %d, its units make %d" % (where, f["held_bytes"], held))
        if sum(nodes.values()) + f["other_node_bytes"] != f["held_bytes"]:
            problems.append("%s: node_bytes and other_node_bytes do not add up to "
                            "held_bytes" % where)
        if f["held_bytes"] > f["size"]:
            problems.append("%s: holds %d bytes, more than its size" % (where, f["held_bytes"]))
        if UNIT_SHIFT.get(f["folio"]) != f["folio_shift"]:
            problems.append("%s: folio %s but folio_shift %d" % (where, f["folio"],
                                                                f["folio_shift"]))
    if not doc["files"]:
        problems.append("lists no file, though files are open")
    if "pid" in args:
        mine = [f for f in doc["files"] if isinstance(f, dict) and
                str(f.get("pid")) == args["pid"]]
        if "files" in args and str(len(mine)) != args["files"]:
            problems.append("lists %d files of pid %s, which holds %s" %
                            (len(mine), args["pid"], args["files"]))
        if any(not f.get("held_bytes") for f in mine):
            problems.append("a file of pid %s holds no memory, though it "
                            "allocated some" % args["pid"])
    return problems


JSON_CHECKS = {"poolctl-files": check_poolctl_files}


def check_json(test, case, status, docs):
    """What is wrong with the JSON documents a case printed, and whether
    one the judge expects (JSON_CASES) is missing."""
    problems = []
    for d in docs:
        check = JSON_CHECKS.get(d["kind"])
        if d.get("unterminated"):
            problems.append("%s: no '# json: end' before the case's result" % d["kind"])
        elif check is None:
            problems.append("JSON of unknown kind %s" % d["kind"])
            continue
        try:
            doc = json.loads("\n".join(d["lines"]))
        except ValueError as e:
            problems.append("%s: not JSON (%s)" % (d["kind"], e))
            continue
        problems += ["%s: %s" % (d["kind"], p) for p in check(doc, d["args"])]
    want = JSON_CASES.get((test, case))
    if want and status == "pass" and not any(d["kind"] == want for d in docs):
        problems.append("printed no %s JSON ('# json: begin %s' ... '# json: end') "
                        "for the judge to check" % (want, want))
    return problems


def expected_tests(manifest, boot, only):
    """{test: [case, ...]} the manifest has for @boot, and those within T=."""
    tests = manifest.tests.get(boot.name, {}) if boot.matrix else manifest.union()
    return tests, {t: c for t, c in tests.items()
                   if t.startswith("kunit:") or t == FIRST or not only or
                   fnmatch.fnmatchcase(t, only)}


def check_skips(boot, rows, expected, only, local):
    """Skips are failures unless @boot declares them in scripts/guest-runs."""
    decls = boot.skips
    if not boot.matrix:
        # A CMDLINE= boot has no declarations of its own: any skip a matrix
        # boot declares is accepted, and none has to happen.
        decls = [d for b in load_guest_runs() for d in b.skips]
    cases = [r for r in rows if r.kind == "case"]
    hint = ("if it is meant, declare it under the boot in scripts/guest-runs: "
            "skip: %s" if boot.matrix else "a CMDLINE= boot accepts only the "
            "skips scripts/guest-runs declares for a boot (%s)")
    for r in cases:
        if r.status == "skip" and not any(fnmatch.fnmatchcase(r.name, d) for d in decls):
            r.status = "fail"
            r.note = "unexpected skip (%s); %s" % (r.note, hint % r.name)
    if not boot.matrix:
        return
    names = {("%s%s%s" % (t, "." if t.startswith("kunit:") else "/", c) if c else t)
             for t, cs in expected.items() for c in (cs or [None])}
    for d in decls:
        matched = [r for r in cases if fnmatch.fnmatchcase(r.name, d)]
        if any(r.reported == "skip" for r in matched):
            continue
        if matched:
            got = ", ".join("%s %s" % (r.name, r.reported) for r in matched[:3])
            why = "it did not skip (%s)" % got
        elif any(fnmatch.fnmatchcase(n, d) for n in names):
            why = "the case did not run"
        elif only:
            continue  # T= did not run the test the declaration is for
        else:
            why = "no case of this boot has that name"
        local.add("fail", "skip:" + d, "scripts/guest-runs declares this skip "
                  "for the boot, but %s; remove the declaration if the skip is "
                  "gone for good" % why, kind="skipdecl")


def check_manifest(boot, rows, listed, expected, local):
    """Compare the cases @boot reported with those the manifest lists, and
    those it expects (within T=) with those that reported."""
    keys = {(t, c) for t, cs in listed.items() for c in (cs or [None])}
    seen = set()
    for r in rows:
        if r.kind != "case":
            continue
        seen.add((r.test, r.case))
        if (r.test, r.case) not in keys:
            r.status = "fail"
            r.note = "not in scripts/test-manifest for this boot (it reported %s); %s" % (
                r.reported, ADD_HINT)
    ran = {t for t, _ in seen}
    for test, cases in expected.items():
        for case in cases or [None]:
            if (test, case) in seen:
                continue
            if boot.matrix and not test.startswith("kunit:") and test != FIRST \
                    and not selected(test, boot.patterns):
                note = ("did not run: scripts/test-manifest expects it in this "
                        "boot, but scripts/guest-runs does not select it")
            elif test in ran:
                note = "did not report, though %s ran" % test
            else:
                note = "did not run"
            name = test
            if case:
                name += ("." if test.startswith("kunit:") else "/") + case
            local.add("fail", name, note, test=test, case=case, kind="manifest")


def boot_limit(kernel, tests):
    """The whole boot's limit in seconds: 10 minutes for booting and KUnit
    plus each test's timeout, all scaled for the kernel."""
    return (600 + sum(limit for _, limit in tests)) * SCALE[kernel]


def judge_boot(boot, kernel, console, tap, manifest, only, rc):
    """The results of one check boot, named as in the boot."""
    local = Results()
    if boot.matrix and boot.name not in manifest.boots:
        local.add("fail", "boot:" + boot.name, "a boot of scripts/guest-runs "
                  "that scripts/test-manifest does not list: " + ADD_HINT,
                  kind="manifest")
    parse_kunit(console, local)
    done = parse_tap(tap, local)
    listed, expected = expected_tests(manifest, boot, only)
    rows = list(local.rows)
    check_skips(boot, rows, expected, only, local)
    check_manifest(boot, rows, listed, expected, local)
    if not done:
        local.add("fail", "guest:completed", "the guest did not finish the run" +
                  (" (rc %s)" % rc if rc is not None else ""))
    # The debug boot proves nothing if it ran the normal kernel.
    if console and (kernel == "debug") != any(KASAN_BANNER in line for line in console):
        local.add("fail", "kernel:variant", "the boot should run the %s kernel, but "
                  "console.log %s '%s'" % (kernel, "lacks" if kernel == "debug" else
                                          "has", KASAN_BANNER))
    splats = [line for line in console if SPLAT.search(line)]
    if splats:
        local.add("fail", "kernel:log", "%d splat line(s) in console.log" % len(splats))
        print("run-guest: [%s] the kernel log shows problems:" % boot.name)
        for line in splats[:40]:
            print("  " + line)
    return local


def parse_host_log(path, res, manifest, notes):
    """The host tests: one "# host-test: PART" block each, its "# Totals:"
    counted case by case (named from its TAP lines when they agree)."""
    parts = {}  # part -> {"totals": [p, f, s] or None, "cases": [(status, name)]}
    part = UNNAMED
    lines = read_lines(path)
    for line in lines:
        m = HOST_PART.match(line)
        if m:
            part = m.group(1)
            parts[part] = {"totals": None, "cases": []}
            continue
        blk = parts.setdefault(part, {"totals": None, "cases": []})
        m = TOTALS.match(line)
        if m:
            n = [int(x) for x in m.groups()]
            t = blk["totals"] or [0, 0, 0]
            blk["totals"] = [t[0] + n[0] + n[2], t[1] + n[1] + n[3] + n[5], t[2] + n[4]]
            continue
        m = TAP_RESULT.match(line)
        if m:
            blk["cases"].append((tap_status(m.group(1), m.group(4) or ""),
                                 m.group(3).strip()))
    for part, blk in parts.items():
        if part == UNNAMED and (blk["totals"] or blk["cases"]):
            res.add("fail", "host:" + part, "results before any '# host-test: PART' "
                    "line: every host test part must name itself", kind="manifest")
        if blk["totals"] is None:
            if part != UNNAMED or blk["cases"]:
                res.add("fail", "host:" + part, "no '# Totals:' line", kind="host")
            continue
        p, f, s = blk["totals"]
        cases = blk["cases"]
        counts = [sum(1 for st, _ in cases if st == x) for x in ("pass", "fail", "skip")]
        if counts != [p, f, s]:
            cases = ([("pass", "#%d" % i) for i in range(p)] +
                     [("fail", "#%d" % i) for i in range(f)] +
                     [("skip", "#%d" % i) for i in range(s)])
        for status, name in cases:
            row = res.add(status, "host:%s/%s" % (part, name),
                          "see host.log" if status == "fail" else "",
                          test=part, kind="host")
            if status == "skip":
                row.status = "fail"
                row.note = "unexpected skip (the host tests declare none; see host.log)"
    status = [line for line in lines if line.startswith("host-check: exit ")]
    if not status or status[-1] != "host-check: exit 0":
        if not any(r.status == "fail" for r in res.rows if r.kind == "host"):
            res.add("fail", "host:harness", "scripts/host-check.sh did not end "
                    "with 'host-check: exit 0' (see host.log)", kind="host")
    if not any(b["totals"] for b in parts.values()):
        res.add("fail", "host:harness", "no userspace test results", kind="host")
    for part, floor in manifest.host.items():
        blk = parts.get(part)
        if blk is None:
            res.add("fail", "host:" + part, "did not report: no '# host-test: %s' "
                    "in %s" % (part, os.path.basename(path)), kind="manifest")
            continue
        n = sum(blk["totals"] or [0])
        if n < floor:
            res.add("fail", "host:" + part, "reported %d cases, scripts/test-manifest "
                    "expects at least %d (lower the floor if a case went on purpose)" %
                    (n, floor), kind="manifest")
        elif n > floor:
            notes.append("host:%s reports %d cases, its floor is %d: raise it "
                         "(--write-manifest) so that losing them is caught" % (part, n, floor))
    for part, blk in parts.items():
        if part not in manifest.host and part != UNNAMED and blk["totals"]:
            res.add("fail", "host:" + part, "a host part scripts/test-manifest "
                    "does not list: " + ADD_HINT, kind="manifest")
    return {part: sum(b["totals"]) for part, b in parts.items()
            if b["totals"] and part != UNNAMED}


def load_tests_list():
    path = os.path.join(BUILD, "guest/tests.list")
    if not os.path.exists(path):
        sys.exit("run-guest: %s is missing (make guest)" % path)
    tests = []
    with open(path) as f:
        for line in f:
            if line.strip():
                tests.append((line.split()[0], int(line.split()[1])))
    return tests


def boot_guest(args, boot, outdir, patterns, timeout):
    """One guest boot; the QEMU exit code."""
    variant = boot_kernel(args, boot)
    kdir = os.path.join(BUILD, "kernel-debug" if variant == "debug" else "kernel")
    kernel = os.path.join(kdir, "arch/x86/boot/bzImage")
    initrd = os.path.join(BUILD, "guest/initramfs.cpio.gz")
    for f in (kernel, initrd):
        if not os.path.exists(f):
            sys.exit("run-guest: %s is missing (make kernel guest%s)" %
                     (f, " DEBUG=1" if variant == "debug" else ""))
    os.makedirs(outdir, exist_ok=True)
    console_path = os.path.join(outdir, "console.log")
    tap_path = os.path.join(outdir, "tap.log")
    for p in (console_path, tap_path):
        if os.path.exists(p):
            os.unlink(p)
    cmd = qemu_cmd(args, boot, patterns, kernel, initrd, console_path, tap_path)
    print("run-guest: [%s] booting %s kernel (%s)%s" % (
        boot.name, variant, args.mode,
        ", " + boot.cmdline if boot.cmdline else ""), flush=True)
    return run_qemu(args, cmd, tap_path, timeout)


def check_boots(args, manifest, boots, res, notes):
    """Boot (or, with --judge-only, read) each check boot and judge it."""
    judged = {}  # boot name -> its Results
    tests = None if args.judge_only else load_tests_list()
    outroot = args.judge_only or os.path.join(BUILD, "results")
    for boot in boots:
        kernel = boot_kernel(args, boot)
        outdir = boot_dir(outroot, kernel, boot)
        patterns = boot.patterns + ([args.only] if args.only else [])
        rc = None
        start = time.monotonic()
        if tests is not None:
            # The first test runs in every boot that boots at all.
            chosen = [(t, limit) for t, limit in tests
                      if t == FIRST or selected(t, patterns)]
            if args.only and not any(t != FIRST or fnmatch.fnmatchcase(t, args.only)
                                     for t, _ in chosen):
                notes.append("[%s] not booted: T=%s selects none of its tests" %
                             (boot.name, args.only))
                continue
            timeout = args.timeout or boot_limit(kernel, chosen)
            rc = boot_guest(args, boot, outdir, patterns, timeout)
        elif not os.path.isdir(outdir):
            if args.only:
                notes.append("[%s] no results in %s (T=%s may select none of "
                             "its tests)" % (boot.name, outdir, args.only))
            else:
                res.add("fail", "%s/boot:%s" % (boot.name, boot.name),
                        "no results in " + outdir, kind="manifest")
            continue
        elapsed = time.monotonic() - start
        console = strip_console(read_lines(os.path.join(outdir, "console.log")))
        tap = read_lines(os.path.join(outdir, "tap.log"))
        local = judge_boot(boot, kernel, console, tap, manifest, args.only, rc)
        judged[boot.name] = local
        for test, case in emulator_reruns(tap):
            notes.append("[%s] %s/%s ran again: a vCPU triple-faulted in it "
                         "(the emulator's KVM_EXIT_SHUTDOWN; docs/testing.md, "
                         "\"The emulator\")" % (boot.name, test, case))
        with open(os.path.join(outdir, "results.tap"), "w") as f:
            f.write(local.tap())
        print("run-guest: [%s, %s kernel] %d passed, %d failed, %d skipped%s; "
              "logs in %s" % (boot.name, kernel, local.count("pass"), local.count("fail"), local.count("skip"),
            "" if args.judge_only else " in %.0f s" % elapsed,
            os.path.relpath(outdir, TOP)), flush=True)
        for r in local.rows:
            r.name = "%s/%s" % (boot.name, r.name)
            res.rows.append(r)
    if args.only and not judged and not args.judge_only:
        res.add("fail", "T=" + args.only, "selects no test in any boot of "
                "scripts/guest-runs", kind="manifest")
    return judged


def write_manifest(args, manifest, boots, judged, host_parts, res):
    """Rewrite the manifest from the cases the judged boots reported."""
    real = [r for r in res.rows if r.status == "fail" and
            (r.kind in ("run", "test") or (r.kind in ("case", "host") and
                                            r.reported == "fail"))]
    if real:
        print("run-guest: not writing %s: the run has failures of its own "
              "(fix them first):" % os.path.relpath(args.manifest, TOP))
        for r in real[:20]:
            print("  %s (%s)" % (r.name, r.note))
        return 1
    if any(not b.matrix for b in boots):
        print("run-guest: not writing the manifest from a CMDLINE= boot")
        return 1
    new = Manifest()
    new.boots = [b.name for b in load_guest_runs()]
    new.host = dict(manifest.host) if host_parts is None else dict(host_parts)
    for b in new.boots:
        old = manifest.tests.get(b, {})
        local = judged.get(b)
        if local is None:
            new.tests[b] = dict(old)
            continue
        seen = {}
        for r in local.rows:
            if r.kind == "case":
                seen.setdefault(r.test, [])
                if r.case:
                    seen[r.test].append(r.case)
        # A run filtered by T= leaves the tests it did not run as they were.
        tests = dict(old) if args.only else {}
        tests.update(seen)
        new.tests[b] = tests
    gone = [(b, t, c) for b in manifest.boots for t, c in sorted(manifest.keys(b), key=str)
            if b not in new.boots or (t, c) not in new.keys(b)]
    added = [(b, t, c) for b in new.boots for t, c in sorted(new.keys(b), key=str)
             if (t, c) not in manifest.keys(b)]
    with open(args.manifest, "w") as f:
        f.write(new.text())
    print("run-guest: wrote %s: %d case(s) added, %d removed (the count below "
          "is still against the old one)" % (
              os.path.relpath(args.manifest, TOP), len(added), len(gone)))
    for sign, items in (("+", added), ("-", gone)):
        for b, t, c in items:
            print("  %s %s/%s%s" % (sign, b, t, ("/" + c) if c else ""))
    for part in sorted(set(manifest.host) | set(new.host)):
        if manifest.host.get(part) != new.host.get(part):
            print("  host %s: %s -> %s" % (part, manifest.host.get(part, "none"),
                                          new.host.get(part, "none")))
    return 0


def print_failures(res):
    """The failures; more than 3 cases of one test missing for one reason
    on one line."""
    def key(r):
        if r.kind == "manifest" and r.case:
            return r.name[:-len(r.case)], r.note
        return None
    groups = {}
    for r in res.rows:
        if key(r):
            groups.setdefault(key(r), []).append(r)
    for r in res.rows:
        if r.status != "fail":
            continue
        group = groups.get(key(r)) if key(r) else None
        if group and len(group) > 3:
            if r is group[0]:
                print("run-guest: FAIL %s* (%d cases: %s: %s, ...)" % (
                    key(r)[0], len(group), r.note,
                    ", ".join(g.case for g in group[:3])))
            continue
        print("run-guest: FAIL %s%s" % (r.name, " (" + r.note + ")" if r.note else ""))


def select_boots(args):
    """The check boots of this run: the one CMDLINE= boot, or those of
    scripts/guest-runs that --boot selects."""
    if args.cmdline:
        return [Boot("single", args.cmdline, ["*"], matrix=False, kernel=args.variant)]
    boots = [b for b in load_guest_runs()
             if not args.boot or fnmatch.fnmatchcase(b.name, args.boot)]
    if not boots:
        sys.exit("run-guest: --boot %s matches no boot of scripts/guest-runs" % args.boot)
    return boots


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["check", "demo", "bench", "soak", "shell"],
                    default="check")
    ap.add_argument("--variant", choices=KERNELS, default="normal",
                    help="debug: every boot on the debug kernel (make check DEBUG=1); "
                         "normal: each boot on the kernel scripts/guest-runs names")
    ap.add_argument("--cmdline", default="",
                    help="extra kernel parameters: one boot instead of scripts/guest-runs")
    ap.add_argument("--only", default="",
                    help="glob of guest tests to run, in each boot that selects one")
    ap.add_argument("--boot", default="",
                    help="glob of the boots of scripts/guest-runs to make")
    ap.add_argument("--demo-args", default="", help="arguments for gpool-demo")
    ap.add_argument("--soak-args", default="", help="arguments for gpool_soak")
    ap.add_argument("--bench-only", default="",
                    help="the benchmarks of stress/run-bench.sh to run (default: all)")
    # 6 GiB a node: enough that GPOOL_IOC_GROW finds whole free GiBs
    # that early boot allocations left alone (gpool_ctl_test needs them).
    ap.add_argument("--memory-mb", type=int, default=12288)
    ap.add_argument("--host-log", help="userspace test log to count in")
    ap.add_argument("--timeout", type=int, help="limit in seconds for each boot")
    ap.add_argument("--judge-only", metavar="DIR",
                    help="judge the results in DIR (build/results: "
                         "DIR/KERNEL/BOOT for each boot) without booting")
    ap.add_argument("--list-kernels", action="store_true",
                    help="print the kernels the run would boot, and exit")
    ap.add_argument("--manifest", default=MANIFEST,
                    help="the manifest to judge against (scripts/test-manifest)")
    ap.add_argument("--write-manifest", action="store_true",
                    help="rewrite the manifest from the cases the run reported")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.judge_only:
        args.mode = "check"
        args.judge_only = os.path.abspath(args.judge_only)

    if args.list_kernels:
        if args.mode != "check" or args.cmdline:
            kernels = {args.variant}
        else:
            kernels = {boot_kernel(args, b) for b in select_boots(args)}
        print("\n".join(k for k in KERNELS if k in kernels))
        return 0

    if args.mode != "check":
        boot = Boot(args.mode, args.cmdline, [], kernel=args.variant)
        outdir = os.path.join(BUILD, "results", args.variant, args.mode)
        timeout = args.timeout or boot_limit(args.variant, load_tests_list())
        rc = boot_guest(args, boot, outdir, [], timeout)
        if args.mode == "shell":
            return rc
        tap = read_lines(os.path.join(outdir, "tap.log"))
        marker = "# gpool-runner: %s exit " % args.mode
        status = [line for line in tap if line.startswith(marker)]
        ok = status and status[-1].endswith(" 0")
        res = Results()
        res.add("pass" if ok else "fail", args.mode,
                status[-1] if status else "did not finish")
        console = strip_console(read_lines(os.path.join(outdir, "console.log")))
        if any(SPLAT.search(line) for line in console):
            res.add("fail", "kernel:log", "splat in console.log")
        return finish(res, outdir)

    if not os.path.exists(args.manifest) and not args.write_manifest:
        print("run-guest: %s is missing; --write-manifest writes it from a run" %
              args.manifest)
        print("0 passed, 1 failed, 0 skipped")
        return 1
    manifest = Manifest.load(args.manifest)
    res = Results()
    notes = []
    host_parts = None
    if args.host_log:
        host_parts = parse_host_log(args.host_log, res, manifest, notes)
    if not args.cmdline:
        runs = [b.name for b in load_guest_runs()]
        for name in manifest.boots:
            if name not in runs:
                res.add("fail", "boot:" + name, "scripts/test-manifest expects "
                        "this boot, but scripts/guest-runs has none of that name",
                        kind="manifest")
    boots = select_boots(args)
    judged = check_boots(args, manifest, boots, res, notes)

    for n in notes:
        print("run-guest: note: " + n)
    wrote = 0
    if args.write_manifest:
        wrote = write_manifest(args, manifest, boots, judged, host_parts, res)
    outdir = args.judge_only or os.path.join(BUILD, "results")
    return finish(res, outdir) or wrote


def finish(res, outdir):
    """Save the results, list the failures, print the closing count."""
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "results.tap"), "w") as f:
        f.write(res.tap())
    print_failures(res)
    summary = "%d passed, %d failed, %d skipped" % (
        res.count("pass"), res.count("fail"), res.count("skip"))
    with open(os.path.join(outdir, "summary.txt"), "w") as f:
        f.write(summary + "\n")
    print(summary)
    return 1 if res.count("fail") else 0


if __name__ == "__main__":
    sys.exit(main())
