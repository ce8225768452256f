"""A real Debian unstable system for the tests: systemd as PID 1 in a podman container.

The collection's roles install Debian's own packages and run their packaged services; this host
lets them do it for real on the newest Debian (llama.cpp, libggml0-backend-*, llama.cpp-services,
systemd 262 at the time of writing) without booting a VM under software emulation.

The image is a `debootstrap --variant=minbase sid` tree from this machine's Debian mirror
(tests/vm/apt_sources.py) with systemd, dbus, python3, python3-apt and ggml's HIP backend, the package lists kept (an
installed system has them), and `Acquire::Check-Valid-Until "false"` (this machine's unstable
mirror is a snapshot whose Release file is past its Valid-Until date). It is made by
tests/ee/ee_build.py's Base and cached the same way, keyed on the suite, the mirror and the Date of
its Release file:

  $INFEROPS_UNSTABLE_CACHE (default /var/cache/inferops-unstable)/
      base-sid-<key>/rootfs.tar, recipe.json       the tree, re-imported if podman lost the image
      apt-archives/                                 the .debs apt downloaded in the container
  podman image localhost/inferops-unstable:sid-<key>

The container runs /sbin/init (`podman run --systemd=always`) with runc. systemd 256 and later run
only on the unified cgroup hierarchy (cgroup v2). Where the machine has it at /sys/fs/cgroup
podman gives it to the container as usual; on a hybrid machine (cgroup v1 controllers, cgroup2 at
/sys/fs/cgroup/unified, PID 1 not systemd: this one) the container gets a cgroup2 folder of its
own, made under /sys/fs/cgroup/unified and bind-mounted at /sys/fs/cgroup (without it systemd
exits at once with status 255). A machine with cgroup v1 only cannot run it (Unavailable).
The ulimits are those tests/ee/ee_build.py explains (runc cannot raise them here).

Tasks reach the container through tests/debian_unstable/connection_plugins (podman exec/cp).

Subcommands (each prints what it cost):
  image            make or reuse the image; print its tag
  start NAME       start a container NAME from it (systemd running); print NAME
  stop NAME        remove the container and its cgroup folder
"""

import argparse
import contextlib
import importlib.util
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load(name, *parts):
    path = os.path.join(REPO, *parts)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ee_build = _load("inferops_ee_build", "tests", "ee", "ee_build.py")

SUITE = "sid"
REPOSITORY = "localhost/inferops-unstable"
DEFAULT_CACHE = "/var/cache/inferops-unstable"
# What an installed Debian system has besides minbase: systemd as init, D-Bus (systemctl talks to
# systemd through it), Python for Ansible's modules and python3-apt for ansible.builtin.apt. And
# ggml's HIP backend with the ROCm libraries it pulls in (about 100 s of dpkg at every run were it
# installed by the test): the host a user has set up for ROCm before choosing Vulkan. systemd-ukify and
# systemd-boot-efi (its systemd-stub): kernel-install with layout=uki builds unified kernel images with them
# (test_kernel_cmdline_uki.py).
INCLUDE = ("systemd", "systemd-sysv", "dbus", "python3", "python3-apt", "ca-certificates", "libggml0-backend-hip",
           "systemd-ukify", "systemd-boot-efi")
APT_SETTINGS = ('Acquire::Check-Valid-Until "false";',)
UNIFIED = "/sys/fs/cgroup"
HYBRID_UNIFIED = "/sys/fs/cgroup/unified"
CGROUP2_MAGIC = "cgroup2fs"
BOOT_TIMEOUT = 60


Unavailable = ee_build.Unavailable


def say(message):
    ee_build.say(message, "unstable")


def stage(label):
    return ee_build.stage(label, "unstable")


def cache_root():
    return os.environ.get("INFEROPS_UNSTABLE_CACHE", DEFAULT_CACHE)


def apt_archives():
    """The host's .deb cache, kept between runs (bind-mounted at /var/cache/apt/archives)."""
    path = os.path.join(cache_root(), "apt-archives")
    os.makedirs(os.path.join(path, "partial"), exist_ok=True)
    return path


def missing():
    """Why this machine cannot run the host, or None."""
    reason = ee_build.missing_tools()
    if reason:
        return reason
    if cgroup_layout() is None:
        return "no cgroup v2 hierarchy (Debian unstable's systemd runs only on one)"
    return None


def _fs_type(path):
    proc = subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def cgroup_layout():
    """"unified" (cgroup2 at /sys/fs/cgroup), "hybrid" (cgroup2 at /sys/fs/cgroup/unified) or None."""
    if _fs_type(UNIFIED) == CGROUP2_MAGIC:
        return "unified"
    if _fs_type(HYBRID_UNIFIED) == CGROUP2_MAGIC:
        return "hybrid"
    return None


def base():
    return ee_build.Base(SUITE, cache=cache_root(), include=INCLUDE, apt_settings=APT_SETTINGS, keep_lists=True,
                         repository=REPOSITORY)


def image():
    reason = missing()
    if reason:
        raise Unavailable(reason)
    with stage("image"):
        return base().ensure()


def _cgroup_folder(name):
    return os.path.join(HYBRID_UNIFIED, "inferops-" + name)


def podman(*args, **kwargs):
    """A podman command with the runtime this machine needs; its exit status is the caller's to read."""
    return subprocess.run(ee_build.podman(*args), check=False, **kwargs)


def start(name, tag=None):
    """Start container ``name`` with systemd as PID 1; returns when systemd has finished starting up."""
    tag = tag or image()
    stop(name, quiet=True)
    argv = ["run", "-d", "--name", name, "--hostname", name, "--systemd=always", "--network", "host",
            "-v", apt_archives() + ":/var/cache/apt/archives:rw"] + ee_build.run_limits()
    if cgroup_layout() == "hybrid":
        folder = _cgroup_folder(name)
        os.makedirs(folder, exist_ok=True)
        argv += ["-v", folder + ":/sys/fs/cgroup:rw"]
    with stage("start %s (systemd as PID 1)" % name):
        proc = podman(*(argv + [tag, "/sbin/init"]), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError("podman run failed (exit %d): %s" % (proc.returncode, proc.stderr.strip()))
        wait_for_systemd(name)
    return name


def wait_for_systemd(name, timeout=BOOT_TIMEOUT):
    """`systemctl is-system-running --wait` in the container: running or degraded is up."""
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        proc = podman("exec", name, "systemctl", "is-system-running", "--wait", capture_output=True, text=True,
                      timeout=timeout)
        state = proc.stdout.strip()
        if state in ("running", "degraded"):
            return state
        running = podman("inspect", "--format", "{{.State.Running}}", name, capture_output=True, text=True)
        if running.stdout.strip() != "true":
            logs = podman("logs", name, capture_output=True, text=True)
            raise RuntimeError("container %s stopped while systemd started: %s" % (name, (logs.stdout + logs.stderr)[-2000:]))
        time.sleep(0.5)
    raise RuntimeError("systemd in %s did not finish starting in %d s (state %r)" % (name, timeout, state))


def stop(name, quiet=False):
    proc = podman("rm", "--force", "--time", "5", name, capture_output=True, text=True)
    folder = _cgroup_folder(name)
    if os.path.isdir(folder):
        # cgroup folders go bottom-up (rmdir; their files are the kernel's)
        for top, folders, _files in os.walk(folder, topdown=False):
            for child in folders:
                with contextlib.suppress(OSError):
                    os.rmdir(os.path.join(top, child))
        with contextlib.suppress(OSError):
            os.rmdir(folder)
    if not quiet and proc.returncode != 0:
        say("podman rm %s: %s" % (name, proc.stderr.strip()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("image", "start", "stop"))
    parser.add_argument("name", nargs="?", default="inferops-unstable")
    args = parser.parse_args(argv)
    try:
        if args.command == "image":
            print(image())
        elif args.command == "start":
            print(start(args.name))
        else:
            stop(args.name)
    except Unavailable as err:
        say("cannot run here: %s" % err)
        return 2
    except RuntimeError as err:
        say(str(err))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
