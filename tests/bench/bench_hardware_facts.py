"""Benchmark: what hardware_facts costs, per recorded host, next to ansible.builtin.setup.

Two figures per profile:
- module time: the module's own work (gather() over a scratch copy of the
  recorded host), median of many in-process runs;
- task time: one ad-hoc `ansible localhost -m ...` run of hardware_facts, of
  ansible.builtin.setup and of ansible.builtin.ping (the fixed cost of running
  any module), median of a few runs each, all in the same process tree and run.

Prints a table and, with --write FILE, writes it as Markdown.  Not a test:
the target (module time under 50 ms) is read off the table, never asserted.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, ".build", "collections"))
sys.path.insert(0, REPO)

from ansible_collections.inferops.amd.plugins.module_utils._host.facts import gather  # noqa: E402
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot  # noqa: E402
from tests.simulation.scratch_host import make_scratch_host, profiles  # noqa: E402

ANSIBLE = os.path.join(os.path.dirname(sys.executable), "ansible")


def module_time_ms(root, runs):
    times = []
    for _run in range(runs):
        start = time.perf_counter()
        gather(SysRoot(root), probe_aspm=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def task_time_ms(module, args, runs):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_LOAD_CALLBACK_PLUGINS="0")
    command = [ANSIBLE, "localhost", "-c", "local", "-i", "localhost,", "-m", module,
               "-e", "ansible_python_interpreter=%s" % sys.executable]
    if args:
        command += ["-a", args]
    times = []
    for _run in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module-runs", type=int, default=50)
    parser.add_argument("--task-runs", type=int, default=5)
    parser.add_argument("--write", help="also write the table as Markdown to this file")
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="inferops-bench-")
    rows = []
    ping = task_time_ms("ansible.builtin.ping", None, args.task_runs)
    setup = task_time_ms("ansible.builtin.setup", None, args.task_runs)
    for profile in profiles():
        root = make_scratch_host(profile, os.path.join(scratch, profile))
        rows.append((profile, module_time_ms(root, args.module_runs),
                     task_time_ms("inferops.amd.hardware_facts", "sysroot=%s" % root, args.task_runs)))
    header = ["profile", "hardware_facts module time (ms)", "hardware_facts task (ms)",
              "ansible.builtin.setup task (ms)", "ansible.builtin.ping task (ms)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for profile, module_ms, task_ms in rows:
        lines.append("| %s | %.2f | %.0f | %.0f | %.0f |" % (profile, module_ms, task_ms, setup, ping))
    table = "\n".join(lines)
    print(table)
    if args.write:
        with open(os.path.join(REPO, args.write), "w") as handle:
            handle.write("# Benchmarks\n\n## hardware_facts\n\n")
            handle.write("Measured with `make bench` (tests/bench/bench_hardware_facts.py) on %s, Python %s, %d cores, %s.\n\n"
                         % (platform.machine(), platform.python_version(), os.cpu_count(), time.strftime("%Y-%m-%d")))
            handle.write("*Module time* is the module's own work on a scratch copy of each recorded host (median of %d runs, "
                         "including the ASPM probe write). *Task* columns are one ad-hoc `ansible localhost -m MODULE` run each "
                         "(median of %d), where ping is the fixed cost of running any module. setup ran against this "
                         "build machine itself, the same host for all rows. The target is a module time under 50 ms.\n\n"
                         % (args.module_runs, args.task_runs))
            handle.write(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
