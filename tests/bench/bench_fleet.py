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

--strategy mitogen_linear compares mitogen's strategy (docs/mitogen.md) with ansible-core's
linear one on the same fleet instead, and writes the "Fleet: mitogen_linear against linear"
section. mitogen is not a dependency: the benchmark installs the pinned release with pip into
$INFEROPS_MITOGEN_CACHE (default /var/cache/inferops-mitogen)/<version> when it is not there
(outside the repository and the venv) and points ANSIBLE_STRATEGY_PLUGINS at it. mitogen
takes over only the connections it knows by name (ansible_mitogen/strategy.py:
REDIRECTED_CONNECTION_PLUGINS, `local` and `ssh` among them), not the simulation's, so:
- first: site.yml on a fresh fleet with each strategy, on the simulation's connection (the
  reboot needs it): mitogen passes it through;
- ping and again: on the simulation's connection and on `local` (`-e ansible_connection=local`,
  which mitogen runs through its own local connection; the re-run reboots nothing), with each
  strategy, in turns;
- every run's results host by host and task by task (status of each task start, and the
  recap) against linear's on the same connection kind: any difference is printed and the
  benchmark fails without writing anything.
"""

import argparse
import itertools
import json
import os
import platform
import re
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
CONNECTION_PLUGINS = os.path.join(REPO, "tests", "simulation", "connection_plugins")
FLEET_PY = [sys.executable, os.path.join(REPO, "tests", "simulation", "fleet.py")]
RUNS = 3
# The simulated host's marker (tests/simulation/sysfs.py: MARKER) and the stand-in Ollama's lifetime there.
MARKER = ".inferops-simulation.json"
OLLAMA_LIFETIME = 6 * 3600
# The 1-minute load average at the end of each ansible-playbook run: what else shared the cores.
LOADS = []
# mitogen: a pinned release, installed outside the repository and the venv; never a dependency.
MITOGEN_VERSION = "0.3.54"
MITOGEN_CACHE = os.environ.get("INFEROPS_MITOGEN_CACHE") or "/var/cache/inferops-mitogen"
STRATEGIES = ("linear", "mitogen_linear")
# Connection kinds of the comparison: the inventory's (the simulation's), and the controller's own.
CONNECTIONS = (("inferops_simulation", []), ("local", ["-e", "ansible_connection=local"]))
MITOGEN_SECTION = "## Fleet: mitogen_linear against linear"
# ansible-core's deprecation of strategy plugins outside ansible.builtin (ansible/plugins/loader.py).
STRATEGY_DEPRECATION = re.compile(r"Use of strategy plugins not included in ansible\.builtin.*?release\.")


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


class ScratchFleet:
    """A scratch folder with `hosts` simulated hosts: their inventory and trees, the ping play, the runs' environment."""

    def __init__(self, hosts, prefix):
        self.folder = tempfile.mkdtemp(prefix=prefix)
        self.counter = os.path.join(self.folder, "module-runs")
        self.inventory = write_inventory(self.folder, hosts, self.counter)
        self.fleet = os.path.join(self.folder, "fleet")
        self.env = fleet_env(self.folder, self.fleet)
        self.ping = os.path.join(self.folder, "ping.yml")
        with open(self.ping, "w") as handle:
            handle.write(PING)
        self.playbook = [os.path.join(BIN, "ansible-playbook"), "-i", self.inventory]

    def reset(self):
        """A fresh fleet whose stand-in Ollama servers outlive the benchmark (remove() stops them).

        The stand-in exits after its marker's ollama.lifetime (default 900 s, tests/simulation/tools/ollama) so
        that a forgotten one never lingers; a benchmark runs longer than that, and a server gone mid-benchmark
        would make a re-run start it again (changed) where the run before found it running.
        """
        subprocess.run(FLEET_PY + ["reset", self.inventory], env=self.env, check=True, capture_output=True)
        for host in sorted(os.listdir(self.fleet)):
            path = os.path.join(self.fleet, host, MARKER)
            with open(path) as handle:
                marker = json.load(handle)
            if "ollama" in marker:
                marker["ollama"]["lifetime"] = OLLAMA_LIFETIME
                with open(path, "w") as handle:
                    json.dump(marker, handle, indent=2, sort_keys=True)

    def remove(self):
        """Power the fleet off (its services stop) and delete the folder."""
        subprocess.run(FLEET_PY + ["stop", self.fleet], env=self.env, check=False, capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def run_playbook(command, env, counter):
    """(seconds, interpreter starts, the callback's record, the output) of one ansible-playbook run."""
    open(counter, "w").close()
    starts_file = counter + ".starts"
    env = dict(env, INFEROPS_TASK_STARTS=starts_file)
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    LOADS.append(os.getloadavg()[0])
    with open(counter) as handle:
        executions = len(handle.readlines())
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-2000:])
        raise SystemExit("%s failed (exit %d)" % (" ".join(command[:2]), proc.returncode))
    with open(starts_file) as handle:
        starts = json.load(handle)
    return seconds, executions, starts, proc.stdout + proc.stderr


def timed(command, env, counter):
    """(seconds, module executions, the task-starts record) of one ansible-playbook run."""
    return run_playbook(command, env, counter)[:3]


def fleet_env(folder, fleet):
    """The environment of every run: this checkout's ansible.cfg, the fleet's folders, the callback."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), INFEROPS_FLEET_DIR=fleet,
               INFEROPS_REPORT_DIR=os.path.join(folder, "report"), PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
               ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED="inferops_task_starts")
    # `make bench-fleet` sets it; run by hand the benchmark still finds the simulated hosts' connection
    env.setdefault("ANSIBLE_CONNECTION_PLUGINS", CONNECTION_PLUGINS)
    return env


def measure(hosts, runs=RUNS):
    scratch = ScratchFleet(hosts, "inferops-bench-fleet-")
    scratch.reset()
    site = scratch.playbook + ["playbooks/site.yml"]
    try:
        first_s, first_runs, dummy = timed(site, scratch.env, scratch.counter)
        pings, agains = [], []
        for dummy in range(runs):
            pings.append(timed(scratch.playbook + [scratch.ping], scratch.env, scratch.counter)[0])
            agains.append(timed(site, scratch.env, scratch.counter))
    finally:
        scratch.remove()
    again_s, again_runs, again_starts = median_run(agains)
    return {"hosts": hosts, "ping": sorted(pings)[len(pings) // 2], "first": first_s, "again": again_s,
            "pings": pings, "agains": [run[0] for run in agains],
            "first_runs": first_runs / float(hosts), "again_runs": again_runs / float(hosts),
            "again_starts": again_starts["starts"] / float(hosts), "again_tasks": again_starts["tasks"]}


def mitogen_strategy_plugins(version=MITOGEN_VERSION, cache=MITOGEN_CACHE):
    """mitogen's strategy folder of the pinned release, installed with pip into the cache when missing."""
    target = os.path.join(cache, version)
    plugins = os.path.join(target, "ansible_mitogen", "plugins", "strategy")
    installed = os.path.join(target, "mitogen-%s.dist-info" % version)
    if os.path.isfile(os.path.join(plugins, "mitogen_linear.py")) and os.path.isdir(installed):
        print("mitogen %s: cached in %s" % (version, target), flush=True)
        return plugins
    os.makedirs(cache, exist_ok=True)
    start = time.perf_counter()
    # into a folder of its own first, then renamed: an interrupted install never looks cached
    partial = tempfile.mkdtemp(prefix=".%s-" % version, dir=cache)
    try:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                        "--target", partial, "mitogen==%s" % version], check=True)
        shutil.rmtree(target, ignore_errors=True)
        os.rename(partial, target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    if not os.path.isdir(installed):
        raise SystemExit("pip installed no mitogen %s into %s" % (version, target))
    print("mitogen %s: installed in %s (%.1f s)" % (version, target, time.perf_counter() - start), flush=True)
    return plugins


def strategy_env(env, strategy, plugins):
    """`env` with the strategy named: linear (ansible-core's) or mitogen_linear from `plugins`."""
    env = dict(env, ANSIBLE_STRATEGY=strategy)
    if strategy == "linear":
        env.pop("ANSIBLE_STRATEGY_PLUGINS", None)
    else:
        env["ANSIBLE_STRATEGY_PLUGINS"] = plugins
    return env


def result_differences(reference, other):
    """Lines naming each host whose recap or task results differ between two runs' records (empty: the same)."""
    lines = []
    for host in sorted(set(reference["hosts"]) | set(other["hosts"])):
        ours, theirs = reference["hosts"].get(host), other["hosts"].get(host)
        if ours is None or theirs is None:
            lines.append("%s: in one run only" % host)
            continue
        if ours["summary"] != theirs["summary"]:
            recaps = (json.dumps(ours["summary"], sort_keys=True), json.dumps(theirs["summary"], sort_keys=True))
            lines.append("%s: recap %s against %s" % ((host,) + recaps))
        pairs = itertools.zip_longest(ours["results"], theirs["results"])
        for index, (mine, yours) in enumerate(pairs, 1):
            if mine != yours:
                lines.append("%s: task start %d: %s against %s" % (
                    host, index, " | ".join(mine) if mine else "nothing", " | ".join(yours) if yours else "nothing"))
                break
    return lines


def median_run(runs):
    return sorted(runs, key=lambda run: run[0])[len(runs) // 2]


def compare_strategies(hosts, runs=1):
    """site.yml and the ping play with linear and mitogen_linear on one fleet of `hosts` hosts (see the docstring)."""
    plugins = mitogen_strategy_plugins()
    scratch = ScratchFleet(hosts, "inferops-bench-mitogen-")
    env, counter = scratch.env, scratch.counter
    site = scratch.playbook + ["playbooks/site.yml"]
    variants = [(connection, strategy) for connection, dummy in CONNECTIONS for strategy in STRATEGIES]
    extra = dict(CONNECTIONS)
    first, pings, agains = {}, dict((v, []) for v in variants), dict((v, []) for v in variants)
    deprecation = None
    try:
        # the first run on a fresh fleet with each strategy, on the simulation's connection (it reboots)
        for strategy in STRATEGIES:
            scratch.reset()
            first[strategy] = run_playbook(site, strategy_env(env, strategy, plugins), counter)
            print("  %d hosts, first run, %s: %.1f s" % (hosts, strategy, first[strategy][0]), flush=True)
        # the re-runs on the fleet as the last first run left it, every variant in turns (reversed every other time)
        for turn in range(runs):
            for variant in (variants if turn % 2 == 0 else variants[::-1]):
                connection, strategy = variant
                strategy_vars = strategy_env(env, strategy, plugins)
                pings[variant].append(run_playbook(scratch.playbook + extra[connection] + [scratch.ping], strategy_vars,
                                                   counter))
                agains[variant].append(run_playbook(site + extra[connection], strategy_vars, counter))
                print("  %d hosts, %s, %s: ping %.1f s, re-run %.1f s" % (
                    hosts, connection, strategy, pings[variant][-1][0], agains[variant][-1][0]), flush=True)
    finally:
        scratch.remove()
    # the first runs against each other; every ping play and re-run against linear's first one on the
    # simulation's connection
    problems = ["first run: " + line for line in result_differences(first["linear"][2], first["mitogen_linear"][2])]
    for kind, record in (("ping play", pings), ("re-run", agains)):
        reference = record[("inferops_simulation", "linear")][0][2]
        for variant in variants:
            for index, run in enumerate(record[variant], 1):
                problems += ["%s %d, %s, %s: %s" % (kind, index, variant[0], variant[1], line)
                             for line in result_differences(reference, run[2])]
    mitogen_runs = [run for variant in variants if variant[1] != "linear" for run in pings[variant] + agains[variant]]
    for run in [first["mitogen_linear"]] + mitogen_runs:
        found = STRATEGY_DEPRECATION.search(" ".join(run[3].split()))
        deprecation = deprecation or (found.group(0) if found else None)
    rows = []
    for variant in variants:
        connection, strategy = variant
        again = median_run(agains[variant])
        rows.append({"hosts": hosts, "connection": connection, "strategy": strategy,
                     "ping": median_run(pings[variant])[0], "again": again[0],
                     "pings": [run[0] for run in pings[variant]], "agains": [run[0] for run in agains[variant]],
                     "first": first[strategy][0] if connection == "inferops_simulation" else None,
                     "first_runs": first[strategy][1] / float(hosts) if connection == "inferops_simulation" else None,
                     "again_runs": again[1] / float(hosts), "again_starts": again[2]["starts"] / float(hosts),
                     "again_changed": sum(host["summary"]["changed"] for host in again[2]["hosts"].values()),
                     "again_tasks": again[2]["tasks"]})
    return rows, problems, deprecation


def mitogen_table(rows):
    lines = ["| hosts | connection | strategy | ping play (s) | site.yml first (s) | site.yml re-run (s) | "
             "re-run: linear / this | interpreter starts per host (first / re-run) | task starts per host (re-run) | "
             "changed in the re-run |",
             "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    linear = dict(((row["hosts"], row["connection"]), row) for row in rows if row["strategy"] == "linear")
    for row in rows:
        reference = linear[(row["hosts"], row["connection"])]
        lines.append("| %d | %s | %s | %.1f | %s | %.1f | %.2fx | %s / %.1f | %.1f | %d |" % (
            row["hosts"], row["connection"], row["strategy"], row["ping"],
            "%.1f" % row["first"] if row["first"] is not None else "-", row["again"],
            reference["again"] / row["again"],
            "%.1f" % row["first_runs"] if row["first_runs"] is not None else "-", row["again_runs"],
            row["again_starts"], row["again_changed"]))
    return "\n".join(lines)


def write_mitogen_tasks(path, rows):
    """The local re-run's tasks of the largest fleet, linear's seconds next to mitogen_linear's, slowest first."""
    hosts = max(row["hosts"] for row in rows)
    tasks = dict((row["strategy"], row["again_tasks"]) for row in rows
                 if row["hosts"] == hosts and row["connection"] == "local")
    with open(path, "w") as handle:
        handle.write("linear s  mitogen s  starts  play | task (%d hosts, connection local)\n" % hosts)
        for mine, theirs in sorted(zip(tasks["linear"], tasks["mitogen_linear"]), key=lambda pair: -pair[0][2]):
            order = "" if mine[:2] == theirs[:2] else "  (order differs)"
            handle.write("%8.2f  %9.2f  %6d  %s | %s%s\n" % (mine[2], theirs[2], mine[3], mine[0], mine[1], order))


def main_mitogen(args):
    rows, problems = [], []
    deprecation = None
    load_before = os.getloadavg()[0]
    for hosts in args.hosts:
        found, differences, message = compare_strategies(hosts, args.runs)
        rows += found
        problems += ["%d hosts, %s" % (hosts, line) for line in differences]
        deprecation = deprecation or message
    result = mitogen_table(rows)
    print(result)
    print("ansible-core said: %s" % (deprecation or "(no deprecation of the strategy plugin printed)"))
    if problems:
        print("mitogen_linear and linear disagree (%d):" % len(problems))
        print("\n".join(problems[:60]))
        raise SystemExit("the strategies' results differ host by host or task by task: not written")
    print("results: the same host by host and task by task in every run")
    if args.tasks:
        write_mitogen_tasks(args.tasks, rows)
    if args.write:
        text = "\n".join([
            MITOGEN_SECTION, "",
            "`tests/bench/bench_fleet.py --strategy mitogen_linear` (docs/mitogen.md): mitogen %s, ansible-core %s, the" % (
                MITOGEN_VERSION, ansible_core_version()),
            "seven recorded profiles repeated to N hosts. The first run is on the simulation's connection (it reboots),",
            "one fresh fleet per strategy; the ping play and the idempotent re-run on the simulation's connection and on",
            "`local` (`-e ansible_connection=local`), each strategy, %s. mitogen" % (
                "once each" if args.runs == 1 else "%d times each, in turns, medians shown" % args.runs),
            "takes over `local` (its own connection plugin: modules run in an interpreter it keeps, no interpreter start",
            "each) and passes the simulation's connection, a name it does not know, through to ansible-core: it runs",
            "none of those modules itself, but its strategy is still the one that drives the run.",
            "*Interpreter starts* are the module interpreter's starts, counted by a wrapper: one per module run without",
            "mitogen. Every run's results matched linear's host by host and task by task (status of every task start,",
            "and the recap). ansible-core printed: \"%s\"" % (deprecation or "no deprecation"),
            "Machine: %s, %s cores, 1-minute load average %.1f when it started, %.1f to %.1f at the ends of its runs"
            " (other work shares" % (platform.machine(), os.cpu_count(), load_before, min(LOADS), max(LOADS)),
            "the cores: single runs move by 20 %% or more), Python %s, %s." % (
                platform.python_version(), time.strftime("%Y-%m-%d")),
            "", result, ""])
        write_section(args.write, text, MITOGEN_SECTION)


def ansible_core_version():
    proc = subprocess.run([sys.executable, "-c", "import ansible.release; print(ansible.release.__version__)"],
                          capture_output=True, text=True, check=True)
    return proc.stdout.strip()


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


def write_section(path, text, section=SECTION):
    with open(path) as handle:
        content = handle.read()
    if section in content:
        head, dummy, rest = content.partition(section)
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
    parser.add_argument("--strategy", choices=STRATEGIES, default="linear",
                        help="mitogen_linear: compare mitogen %s's strategy with linear (docs/mitogen.md)" % MITOGEN_VERSION)
    args = parser.parse_args()
    if args.strategy == "mitogen_linear":
        return main_mitogen(args)
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
            "simulation's connection (the local one under another name, tests/simulation/connection_plugins); one ping",
            "task over the same hosts in the same run as the yardstick; ping and re-run %d" % args.runs,
            "times each, taking turns, medians shown, and each re-run against the ping run before it (each pair);",
            "module runs counted by an interpreter wrapper, task starts by tests/bench/callback_plugins.",
            "Machine: %s, %s cores, Python %s (figures move by 10-20 %% between runs)." % (
                platform.machine(), cores, platform.python_version()),
            "", result, ""])
        write_section(args.write, text)


if __name__ == "__main__":
    main()
