"""Benchmark: site.yml over simulated fleets of N hosts, next to a one-task ping play over the same hosts.

For each fleet size (the seven recorded profiles repeated), in one run:
- first: site.yml on a fresh fleet (converge, reboots, verification);
- ping: a play with one ansible.builtin.ping task over the hosts (the fixed cost of
  reaching every host once), and
- again: site.yml once more (the idempotent re-run, changed=0), three times each, in
  turns (ping, re-run, ping, re-run, ...) so that a change of load on a shared machine
  falls on both; the medians are reported (one run moves by 20 % or more);
- remote module executions per host of each site.yml run, counted by an interpreter
  wrapper that logs every module process it starts (modules only: controller-side
  actions such as set_fact, assert, debug start none);
- task starts per host of the re-run (a task on a host, run or skipped), counted by the
  callback in tests/bench/callback_plugins; --tasks FILE writes the re-run's slowest tasks.

Prints a table and, with --write FILE, puts it in FILE's "Fleet" section (Markdown).
Not a test: the targets (re-run within 5x ping at 50 hosts, linear cost) are read
off the table, never asserted.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
PROFILES = [
    ("r9700", "r9700_desktop", {}), ("rx9070xt", "rx9070xt_chipset", {}), ("halo128", "strix_halo_128g", {}),
    ("zbook", "strix_halo_laptop_64g", {"strix_halo_ryzenadj_enabled": True}), ("haloarch", "strix_halo_arch_ollama", {}),
    ("locked", "aspm_locked", {}), ("intel", "no_amd_gpu", {}),
]
PING = """---
- name: One task on every host
  hosts: inference_nodes
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:
"""
WRAPPER = """#!/bin/sh
echo x >> "%s"
exec "%s" "$@"
"""
SECTION = "## Fleet: site.yml against a one-task play"
CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callback_plugins")
RUNS = 3


def write_inventory(folder, hosts, counter):
    """An inventory of `hosts` simulated hosts with the simulated fleet's settings, paths made absolute."""
    with open(os.path.join(REPO, "inventory", "simulated", "group_vars", "all.yml")) as handle:
        group_vars = handle.read().replace("{{ inventory_dir }}/../..", REPO).replace(
            "inventory_dir ~ '/../../", "'" + REPO + "/")
    wrapper = os.path.join(folder, "python-counting")
    with open(wrapper, "w") as handle:
        handle.write(WRAPPER % (counter, sys.executable))
    os.chmod(wrapper, 0o755)
    group_vars = group_vars.replace('ansible_python_interpreter: "{{ ansible_playbook_python }}"',
                                    "ansible_python_interpreter: %s" % wrapper)
    os.makedirs(os.path.join(folder, "group_vars"))
    with open(os.path.join(folder, "group_vars", "all.yml"), "w") as handle:
        handle.write(group_vars)
    members = {}
    for index in range(hosts):
        name, profile, extra = PROFILES[index % len(PROFILES)]
        members["%s-%02d" % (name, index)] = dict(extra, inferops_sim_profile=profile)
    with open(os.path.join(folder, "hosts.yml"), "w") as handle:
        yaml.safe_dump({"inference_nodes": {"hosts": members}}, handle)
    return os.path.join(folder, "hosts.yml")


def timed(command, env, counter):
    """(seconds, module executions, the task-starts record) of one ansible-playbook run."""
    open(counter, "w").close()
    starts_file = counter + ".starts"
    env = dict(env, INFEROPS_TASK_STARTS=starts_file)
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    with open(counter) as handle:
        executions = len(handle.readlines())
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-2000:])
        raise SystemExit("%s failed (exit %d)" % (" ".join(command[:2]), proc.returncode))
    with open(starts_file) as handle:
        starts = json.load(handle)
    return seconds, executions, starts


def measure(hosts, runs=RUNS):
    folder = tempfile.mkdtemp(prefix="inferops-bench-fleet-")
    counter = os.path.join(folder, "module-runs")
    inventory = write_inventory(folder, hosts, counter)
    fleet = os.path.join(folder, "fleet")
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), INFEROPS_FLEET_DIR=fleet,
               INFEROPS_REPORT_DIR=os.path.join(folder, "report"), PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
               ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED="inferops_task_starts")
    fleet_py = [sys.executable, os.path.join(REPO, "tests", "simulation", "fleet.py")]
    subprocess.run(fleet_py + ["reset", inventory], env=env, check=True, capture_output=True)
    ping = os.path.join(folder, "ping.yml")
    with open(ping, "w") as handle:
        handle.write(PING)
    playbook = [os.path.join(BIN, "ansible-playbook"), "-i", inventory]
    try:
        first_s, first_runs, dummy = timed(playbook + ["playbooks/site.yml"], env, counter)
        pings, agains = [], []
        for dummy in range(runs):
            pings.append(timed(playbook + [ping], env, counter)[0])
            agains.append(timed(playbook + ["playbooks/site.yml"], env, counter))
    finally:
        subprocess.run(fleet_py + ["stop", fleet], env=env, check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
    again_s, again_runs, again_starts = sorted(agains, key=lambda run: run[0])[len(agains) // 2]
    return {"hosts": hosts, "ping": sorted(pings)[len(pings) // 2], "first": first_s, "again": again_s,
            "pings": pings, "agains": [run[0] for run in agains],
            "first_runs": first_runs / float(hosts), "again_runs": again_runs / float(hosts),
            "again_starts": again_starts["starts"] / float(hosts), "again_tasks": again_starts["tasks"]}


def table(rows):
    lines = ["| hosts | ping play (s) | site.yml first (s) | site.yml re-run (s) | re-run / ping | each pair | "
             "re-run s per host | module runs per host (first / re-run) | task starts per host (re-run) |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        # Each re-run against the ping run just before it: the spread shows how far load moved the ratio.
        pairs = ", ".join("%.1f" % (again / ping) for ping, again in zip(row["pings"], row["agains"]))
        lines.append("| %d | %.1f | %.1f | %.1f | %.1fx | %s | %.2f | %.1f / %.1f | %.1f |" % (
            row["hosts"], row["ping"], row["first"], row["again"], row["again"] / row["ping"], pairs,
            row["again"] / row["hosts"], row["first_runs"], row["again_runs"], row["again_starts"]))
    return "\n".join(lines)


def write_section(path, text):
    with open(path) as handle:
        content = handle.read()
    if SECTION in content:
        head, dummy, rest = content.partition(SECTION)
        # the table ends at the next heading; the section's own subsections (### ...) stay
        ends = [index for index in (rest.find("\n## "), rest.find("\n### ")) if index >= 0]
        tail = rest[min(ends):] if ends else ""
        content = head + text + tail
    else:
        content = content.rstrip("\n") + "\n\n" + text
    with open(path, "w") as handle:
        handle.write(content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[7, 25, 50])
    parser.add_argument("--write", metavar="FILE")
    parser.add_argument("--tasks", metavar="FILE", help="write the re-run's tasks, slowest first, of the largest fleet")
    parser.add_argument("--runs", type=int, default=RUNS, help="ping plays and re-runs per fleet size (%d)" % RUNS)
    args = parser.parse_args()
    rows = []
    for hosts in args.hosts:
        rows.append(measure(hosts, args.runs))
        print("%d hosts: ping %.1f s (%s), first %.1f s, re-run %.1f s (%s), module runs per host %.1f / %.1f, "
              "task starts per host %.1f" % (
                  hosts, rows[-1]["ping"], ", ".join("%.1f" % t for t in rows[-1]["pings"]), rows[-1]["first"],
                  rows[-1]["again"], ", ".join("%.1f" % t for t in rows[-1]["agains"]), rows[-1]["first_runs"],
                  rows[-1]["again_runs"], rows[-1]["again_starts"]), flush=True)
    if args.tasks:
        with open(args.tasks, "w") as handle:
            for play, task, seconds, starts in sorted(rows[-1]["again_tasks"], key=lambda t: -t[2]):
                handle.write("%7.2f s %4d starts  %s | %s\n" % (seconds, starts, play, task))
    result = table(rows)
    print(result)
    if args.write:
        cores = os.cpu_count()
        text = "\n".join([
            SECTION, "",
            "`make bench-fleet` (tests/bench/bench_fleet.py): the seven recorded profiles repeated to N hosts on the",
            "local connection; one ping task over the same hosts in the same run as the yardstick; ping and re-run %d" % args.runs,
            "times each, taking turns, medians shown, and each re-run against the ping run before it (each pair);",
            "module runs counted by an interpreter wrapper, task starts by tests/bench/callback_plugins.",
            "Machine: %s, %s cores, Python %s (figures move by 10-20 %% between runs)." % (
                platform.machine(), cores, platform.python_version()),
            "", result, ""])
        write_section(args.write, text)


if __name__ == "__main__":
    main()
