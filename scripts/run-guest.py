#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the gpool test guest in QEMU and judge the run.

The guest (scripts/guest-init.sh) writes the kernel log, including KUnit's
KTAP, to ttyS0 and the selftest runner's TAP to ttyS1; both are saved under
build/results/<variant>/.  The run fails when

  - a KUnit case or a selftest fails,
  - a test that should have run did not (every suite in
    kernel/tests/kunit-suites, every test in build/guest/tests.list),
  - the guest did not finish (crash, hang, timeout), or
  - the kernel log shows a splat (WARNING:, BUG:, Oops, KASAN, lockdep,
    kmemleak, Call Trace, ...), wherever it happened.

With --host-log, the userspace test results (kselftest "# Totals:" lines)
are counted in too.  The last line printed is "N passed, N failed, N skipped".
"""

import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, "build")

# Kept in step with the guest's per-test check in scripts/guest-init.sh.
SPLAT = re.compile(
    r"WARNING:|BUG:|Oops|Call Trace|new suspected memory leaks|"
    r"possible recursive locking|possible circular locking|"
    r"lockdep is turned off|UBSAN|general protection fault|Kernel panic|"
    r"blocked for more than")
PRINTK_TIME = re.compile(r"^\[\s*\d+\.\d+\]\s?")
TAP_RESULT = re.compile(r"^(not ok|ok) (\d+) ([^#]*?)\s*(?:#\s*(.*))?$")
TOTALS = re.compile(r"^# Totals: pass:(\d+) fail:(\d+) xfail:(\d+) "
                    r"xpass:(\d+) skip:(\d+) error:(\d+)")


class Results:
    def __init__(self):
        self.rows = []  # (status, name, note); status in pass/fail/skip

    def add(self, status, name, note=""):
        self.rows.append((status, name, note))

    def count(self, status):
        return sum(1 for r in self.rows if r[0] == status)

    def tap(self):
        out = ["TAP version 13", "1..%d" % len(self.rows)]
        for i, (status, name, note) in enumerate(self.rows, 1):
            line = "%s %d %s" % ("not ok" if status == "fail" else "ok", i, name)
            if status == "skip":
                line += " # SKIP " + note
            elif note:
                line += " # " + note
            out.append(line)
        return "\n".join(out) + "\n"


def qemu_cmd(args, kernel, initrd, console, tap):
    append = ["console=ttyS0", "loglevel=7", "panic=-1", "printk.time=1"]
    if args.cmdline:
        append.append(args.cmdline)
    append += ["--", args.mode]
    if args.mode == "check":
        append.append(args.only or "*")
        append.append("3" if args.variant == "debug" else "1")
        if getattr(args, "exclude", ""):
            append.append(args.exclude)
    if args.mode == "demo" and args.demo_args:
        append.append(args.demo_args)
    if args.mode == "soak" and args.soak_args:
        append.append(args.soak_args)
    node_mb = args.memory_mb // 2
    cmd = [
        "qemu-system-x86_64", "-machine", "q35", "-cpu", "EPYC",
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


def strip_console(lines):
    return [PRINTK_TIME.sub("", line) for line in lines]


def parse_kunit(console, res, expected_suites):
    """Count KUnit results from the KTAP on the console.

    Suites are at indent 0, cases at indent 4 and the parameters of a
    parameterised case at indent 8.  Each parameter counts as a result of
    its own (kunit:suite.case.param); a case counts itself only if it had
    no parameters, or if it failed while none of them did.
    """
    seen_suites = set()
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
            if m and len(m.group(1)) == 0:
                seen_suites.add(m.group(3).strip())
            continue
        indent = len(m.group(1))
        ok = m.group(2) == "ok"
        name, directive = m.group(3).strip(), (m.group(4) or "")
        skip = directive.upper().startswith("SKIP")
        status = "skip" if skip else ("pass" if ok else "fail")
        if indent == 8:
            params.append((status, name, directive[4:].strip() if skip else ""))
        elif indent == 4:
            full = "kunit:%s.%s" % (suite, name)
            for pstatus, pname, note in params:
                res.add(pstatus, "%s.%s" % (full, pname.replace(" ", "_")), note)
            if not params or (status == "fail" and
                              not any(p[0] == "fail" for p in params)):
                res.add(status, full, directive[4:].strip() if skip else "")
            suite_failed |= status == "fail"
            params = []
        elif indent == 0:
            seen_suites.add(name)
            if not ok and not suite_failed:
                res.add("fail", "kunit:" + name, "suite failed")
            suite = None
    for s in expected_suites:
        if s not in seen_suites:
            res.add("fail", "kunit:" + s, "suite did not run")


def parse_tap(tap, res, expected):
    results = {}
    done = False
    for line in tap:
        if line.startswith("# gpool-runner: done"):
            done = True
        if line.startswith("# gpool-runner: kmemleak found leaks"):
            res.add("fail", "kernel:kmemleak", "kmemleak reported leaks")
        m = TAP_RESULT.match(line)
        if not m:
            continue
        name, directive = m.group(3), (m.group(4) or "")
        if m.group(1) == "not ok":
            results[name] = ("fail", directive)
        elif directive.upper().startswith("SKIP"):
            results[name] = ("skip", directive[4:].strip())
        else:
            results[name] = ("pass", directive)
    for name in expected:
        status, note = results.pop(name, ("fail", "did not run"))
        res.add(status, name, note)
    for name, (status, note) in results.items():
        res.add("fail", name, "not in the manifest: " + note)
    return done


def parse_host_log(path, res):
    lines = read_lines(path)
    totals = [TOTALS.match(line) for line in lines]
    totals = [m for m in totals if m]
    p = f = s = 0
    for m in totals:
        p += int(m.group(1)) + int(m.group(3))
        f += int(m.group(2)) + int(m.group(4)) + int(m.group(6))
        s += int(m.group(5))
    status = [line for line in lines if line.startswith("host-check: exit ")]
    for i in range(p):
        res.add("pass", "host:%d" % i)
    for i in range(s):
        res.add("skip", "host:skip%d" % i, "see host.log")
    for i in range(f):
        res.add("fail", "host:fail%d" % i, "see host.log")
    if not status or status[-1] != "host-check: exit 0":
        if f == 0:
            res.add("fail", "host:harness", "userspace tests did not complete")
    if not totals:
        res.add("fail", "host:harness", "no userspace test results")


def load_runs(args):
    """The boots to make: scripts/guest-runs, or one from --cmdline/--only."""
    if args.mode != "check" or args.cmdline or args.only or args.single:
        return [("single" if args.mode == "check" else args.mode,
                 args.cmdline, args.only or "*")]
    runs = []
    with open(os.path.join(TOP, "scripts/guest-runs")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, cmdline, glob = [x.strip() for x in line.split("|")]
                runs.append((name, cmdline, glob))
    return runs


def boot(args, name, cmdline, glob, res, manifest_all, suites):
    """One guest boot; adds its results to @res, named NAME/test."""
    kdir = os.path.join(BUILD, "kernel-debug" if args.variant == "debug" else "kernel")
    kernel = os.path.join(kdir, "arch/x86/boot/bzImage")
    initrd = os.path.join(BUILD, "guest/initramfs.cpio.gz")
    for f in (kernel, initrd):
        if not os.path.exists(f):
            sys.exit("run-guest: %s is missing (make kernel guest)" % f)

    sub = name if args.mode == "check" else args.mode
    outdir = os.path.join(BUILD, "results", args.variant, sub)
    os.makedirs(outdir, exist_ok=True)
    console_path = os.path.join(outdir, "console.log")
    tap_path = os.path.join(outdir, "tap.log")
    for p in (console_path, tap_path):
        if os.path.exists(p):
            os.unlink(p)

    # "GLOB !EXCLUDE": the tests matching GLOB but not EXCLUDE.
    glob, _, exclude = glob.partition(" !")
    manifest = [m for m in manifest_all if fnmatch.fnmatchcase(m[0], glob) and
                not (exclude and fnmatch.fnmatchcase(m[0], exclude))]
    args.exclude = exclude
    timeout = args.timeout or (600 + sum(t for _, t in manifest) *
                               (3 if args.variant == "debug" else 1))
    args.cmdline, args.only = cmdline, glob if glob != "*" else ""
    cmd = qemu_cmd(args, kernel, initrd, console_path, tap_path)
    print("run-guest: [%s] booting %s kernel (%s)%s" % (
        name, args.variant, args.mode,
        ", " + cmdline if cmdline else ""), flush=True)
    start = time.monotonic()
    rc = run_qemu(args, cmd, tap_path, timeout)
    elapsed = time.monotonic() - start
    if args.mode == "shell":
        return rc

    console = strip_console(read_lines(console_path))
    tap = read_lines(tap_path)
    local = Results()
    splats = [l for l in console if SPLAT.search(l)]
    if args.mode == "check":
        parse_kunit(console, local, suites)
        if not parse_tap(tap, local, [m[0] for m in manifest]):
            local.add("fail", "guest:completed",
                      "the guest did not finish the run (rc %s)" % rc)
    else:
        marker = "# gpool-runner: %s exit " % args.mode
        status = [l for l in tap if l.startswith(marker)]
        ok = status and status[-1].endswith(" 0")
        local.add("pass" if ok else "fail", args.mode,
                  status[-1] if status else "did not finish")
    if splats:
        local.add("fail", "kernel:log", "%d splat line(s) in console.log" % len(splats))
        print("run-guest: [%s] the kernel log shows problems:" % name)
        for l in splats[:40]:
            print("  " + l)
    with open(os.path.join(outdir, "results.tap"), "w") as f:
        f.write(local.tap())
    print("run-guest: [%s] %d passed, %d failed, %d skipped in %.0f s; logs in %s" % (
        name, local.count("pass"), local.count("fail"), local.count("skip"),
        elapsed, os.path.relpath(outdir, TOP)), flush=True)
    for status, tname, note in local.rows:
        res.add(status, "%s/%s" % (name, tname) if args.mode == "check" else tname, note)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["check", "demo", "bench", "soak", "shell"],
                    default="check")
    ap.add_argument("--variant", choices=["normal", "debug"], default="normal")
    ap.add_argument("--cmdline", default="", help="extra kernel parameters (one boot)")
    ap.add_argument("--only", default="", help="glob of guest tests to run (one boot)")
    ap.add_argument("--single", action="store_true",
                    help="one boot without extra parameters, not scripts/guest-runs")
    ap.add_argument("--demo-args", default="", help="arguments for gpool-demo")
    ap.add_argument("--soak-args", default="", help="arguments for gpool_soak")
    # 6 GiB a node: enough that GPOOL_IOC_GROW finds whole free GiBs
    # that early boot allocations left alone (gpool_ctl_test needs them).
    ap.add_argument("--memory-mb", type=int, default=12288)
    ap.add_argument("--host-log", help="userspace test log to count in")
    ap.add_argument("--timeout", type=int, help="limit in seconds for each boot")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    manifest = []
    with open(os.path.join(BUILD, "guest/tests.list")) as f:
        for line in f:
            if line.strip():
                manifest.append((line.split()[0], int(line.split()[1])))
    with open(os.path.join(TOP, "kernel/tests/kunit-suites")) as f:
        suites = [l.strip() for l in f if l.strip() and not l.startswith("#")]

    res = Results()
    if args.mode == "check" and args.host_log:
        parse_host_log(args.host_log, res)
    for name, cmdline, glob in load_runs(args):
        rc = boot(args, name, cmdline, glob, res, manifest, suites)
        if args.mode == "shell":
            return rc

    outdir = os.path.join(BUILD, "results", args.variant,
                          "" if args.mode == "check" else args.mode)
    with open(os.path.join(outdir, "results.tap"), "w") as f:
        f.write(res.tap())
    for status, name, note in res.rows:
        if status == "fail":
            print("run-guest: FAIL %s%s" % (name, " (" + note + ")" if note else ""))
    summary = "%d passed, %d failed, %d skipped" % (
        res.count("pass"), res.count("fail"), res.count("skip"))
    with open(os.path.join(outdir, "summary.txt"), "w") as f:
        f.write(summary + "\n")
    print(summary)
    return 1 if res.count("fail") else 0


if __name__ == "__main__":
    sys.exit(main())
