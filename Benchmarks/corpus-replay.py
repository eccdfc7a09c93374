#!/usr/bin/env python3
"""Replays every capture of tcpdump's test corpus through a topology with a --map and --bind onto it,
one `vpcemu replay` process per file, and checks what README "Replaying a capture from elsewhere" promises:
no crash, peak RSS under the limit, and every packet accounted for (delivered + dropped by reason =
packets read, from each report.json). A file that cannot be read at all is a read failure, listed with
its message. Exit status 0 when every file passes, 1 otherwise.

    Benchmarks/corpus-replay.py [--corpus DIR] [--vpcemu PATH] [--limit-mb 200] [-- EXTRA REPLAY ARGS]

The map and bindings are CorpusReplayTests'; the default vpcemu is this checkout's debug build.
"""
import argparse, collections, json, os, shutil, subprocess, sys, tempfile

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAP = ["192.168.0.0/16=172.16.0.0/16", "10.0.0.0/16=192.168.0.0/16", "209.87.249.18=192.168.1.10", "2001:db8::/32=fd00::/32"]
BIND = ["172.16.0.0/16=ecs-a", "192.168.0.0/16=ecs-b", "::/0=ecs-b"]

parser = argparse.ArgumentParser()
parser.add_argument("--corpus", default=os.path.join(repo, "../shared/data/pcap-corpus/tcpdump"))
parser.add_argument("--vpcemu", default=os.path.join(repo, ".build/debug/vpcemu"))
parser.add_argument("--topology", default=os.path.join(repo, "captures/two-vpcs-same-account.yaml"))
parser.add_argument("--limit-mb", type=float, default=200)
parser.add_argument("extra", nargs="*", help="more replay arguments, after --")
args = parser.parse_args()

files = sorted(os.listdir(args.corpus))
totals = collections.Counter()
drops = collections.Counter()
failures, read_failures, max_rss = [], [], (0, "")
work = tempfile.mkdtemp(prefix="corpus-replay-")
try:
    for name in files:
        out = os.path.join(work, "out")
        shutil.rmtree(out, ignore_errors=True)
        command = [args.vpcemu, "replay", args.topology, os.path.join(args.corpus, name), "--out", out]
        command += [a for m in MAP for a in ("--map", m)] + [a for b in BIND for a in ("--bind", b)] + args.extra
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stderr = child.stderr.read().decode(errors="replace")
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        rss = usage.ru_maxrss * 1024
        max_rss = max(max_rss, (rss, name))
        if child.returncode < 0 or child.returncode > 2:
            failures.append(f"{name}: crashed (status {child.returncode}): {stderr.strip()[-300:]}")
            continue
        if rss > args.limit_mb * 1e6:
            failures.append(f"{name}: peak RSS {rss / 1e6:.1f} MB")
        report_path = os.path.join(out, "report.json")
        if child.returncode != 0:
            message = stderr.strip().splitlines()[-1] if stderr.strip() else ""
            if not message:
                failures.append(f"{name}: failed without a message")
            # "PATH: what went wrong[; detail] (outputs cover …)": grouped by what went wrong.
            read_failures.append(message.split(": ", 1)[-1].split(";")[0].split(" (outputs cover")[0])
        if not os.path.exists(report_path):
            continue
        with open(report_path) as f:
            report = json.load(f)
        packets, delivered = report["totals"]["packets"], report["totals"]["delivered_packets"]
        dropped = sum(report["drops_by_reason"].values())
        if delivered + dropped != packets:
            failures.append(f"{name}: {delivered} delivered + {dropped} dropped != {packets} read")
        totals["files"] += 1
        totals["packets"] += packets
        totals["delivered"] += delivered
        totals["dropped"] += dropped
        drops.update(report["drops_by_reason"])
finally:
    shutil.rmtree(work, ignore_errors=True)

print(f"{len(files)} files: {totals['files'] - len(read_failures)} replayed, {len(read_failures)} read failures, "
      f"{len(failures)} failing the checks")
print(f"packets read {totals['packets']}   delivered {totals['delivered']}   dropped {totals['dropped']}")
print(f"peak RSS {max_rss[0] / 1e6:.1f} MB ({max_rss[1]})")
print("drops by reason")
for code, count in sorted(drops.items(), key=lambda item: -item[1]):
    print(f"  {code:44} {count}")
print("read failures by message")
for message, count in collections.Counter(read_failures).most_common():
    print(f"  {count:4}  {message}")
for failure in failures:
    print("FAIL", failure)
sys.exit(1 if failures else 0)
