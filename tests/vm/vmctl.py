"""Build, start and stop the Debian 12 test VM that the molecule scenarios (default, vm_*) run against.

Subcommands (see docs/vm-testing.md):
  build-image   debootstrap a Debian 12 tree, turn it into a bootable qcow2 image with its own
                GRUB, cache it under $INFEROPS_VM_CACHE (default /var/cache/inferops-vm);
                a cached image is reused until the recipe below changes.
  accel         print the accelerator qemu will use (kvm if a guest kernel really runs, else tcg).
  start         boot a throw-away qcow2 overlay of the image, SSH forwarded to 127.0.0.1:<free port>.
  wait-ssh      wait until the guest accepts SSH with the image's key.
  stop          power the VM off and delete its overlay.

Why the build goes the way it does (docs/vm-testing.md has the measurements):
  - no loop mounts: the filesystem is made from the tree with `mkfs.ext4 -d` and copied into a
    partitioned raw file with `dd`;
  - GRUB cannot be put on the disk from outside reliably (a hand-made core.img hangs after
    "GRUB loading.."), so the image boots once with qemu's direct kernel boot and a one-shot
    unit runs `grub-install /dev/vda && update-grub` inside the guest, then powers off;
  - KVM is used only when a guest kernel actually runs under it: on some hosts /dev/kvm exists
    but qemu aborts ("failed to set MSR") or the guest hangs, and then TCG is the only option.

Standard library only; runs as root (debootstrap, mkfs of a tree with root-owned files).
wait-ssh appends "boot:<name> <seconds>" to the file named by INFEROPS_VM_TIMINGS (tests/vm/run.sh).
"""

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DEFAULT_CACHE = "/var/cache/inferops-vm"
SSH_USER = "root"
FIRSTBOOT_MARKER = "INFEROPS-FIRSTBOOT-DONE"

# Everything that decides what ends up in the image. Its hash names the cached image, so any
# change here builds a new one. Bump "layout" when build_image() itself changes the result.
RECIPE = {
    "layout": 1,
    "suite": "bookworm",
    "mirror": "http://deb.debian.org/debian",
    "variant": "minbase",
    # dbus: not in minbase, but every real Debian host has it, and `shutdown -r` (what
    # ansible.builtin.reboot runs) fails with "Failed to connect to bus" without it.
    "packages": [
        "linux-image-amd64", "systemd-sysv", "openssh-server", "python3", "ifupdown",
        "isc-dhcp-client", "grub-pc", "udev", "kmod", "sudo", "dbus",
    ],
    "disk_mib": 4096,
    "hostname": "inferops-vm",
    # console= so boot logs reach the serial log file; net.ifnames=0 so the NIC is eth0
    # whatever slot q35 gives it. Both sit in GRUB_CMDLINE_LINUX, so the collection's edits
    # (GRUB_CMDLINE_LINUX_DEFAULT) must leave them alone: the verify step checks that.
    "kernel_args": "console=ttyS0,115200 net.ifnames=0",
    "files": {
        "etc/fstab": "LABEL=root / ext4 errors=remount-ro 0 1\n",
        "etc/network/interfaces": (
            "auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n"
        ),
        "etc/ssh/sshd_config.d/inferops-vm.conf": "PermitRootLogin prohibit-password\nUseDNS no\n",
        "etc/systemd/system/inferops-firstboot.service": (
            "[Unit]\n"
            "Description=inferops test image: install GRUB on the first boot, then power off\n"
            "ConditionPathExists=/etc/inferops-firstboot\n"
            "After=local-fs.target\n\n"
            "[Service]\n"
            "Type=oneshot\n"
            "StandardOutput=journal+console\n"
            "StandardError=journal+console\n"
            "ExecStart=/usr/sbin/grub-install /dev/vda\n"
            "ExecStart=/usr/sbin/update-grub\n"
            "ExecStart=/bin/rm -f /etc/inferops-firstboot\n"
            "ExecStart=/bin/systemctl disable inferops-firstboot.service\n"
            "ExecStart=/bin/echo " + FIRSTBOOT_MARKER + "\n"
            "ExecStartPost=/bin/systemctl --no-block poweroff\n\n"
            "[Install]\n"
            "WantedBy=multi-user.target\n"
        ),
        "etc/inferops-firstboot": "",
    },
    # Timers that would start apt or scrub jobs in the middle of a test run.
    "masked_units": ["apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer"],
    "grub_defaults": {
        "GRUB_TIMEOUT": "0",
        "GRUB_TERMINAL": "serial",
        "GRUB_SERIAL_COMMAND": '"serial --unit=0 --speed=115200"',
    },
}


def log(msg):
    print("vmctl: " + msg, file=sys.stderr, flush=True)


def fail(msg):
    log("ERROR: " + msg)
    sys.exit(1)


def record_timing(phase, seconds):
    log("%s took %.0f s" % (phase, seconds))
    path = os.environ.get("INFEROPS_VM_TIMINGS")
    if path:
        with open(path, "a") as handle:
            handle.write("%s %.1f\n" % (phase, seconds))


def run(argv, **kwargs):
    log("$ " + " ".join(argv))
    return subprocess.run(argv, check=True, **kwargs)


def recipe_hash():
    text = json.dumps(RECIPE, sort_keys=True).encode()
    return hashlib.sha256(text).hexdigest()[:16]


def cache_dir(args):
    return os.path.abspath(args.cache or os.environ.get("INFEROPS_VM_CACHE") or DEFAULT_CACHE)


def image_dir(cache):
    return os.path.join(cache, "%s-%s" % (RECIPE["suite"], recipe_hash()))


@contextlib.contextmanager
def locked(cache):
    """One builder per cache: a second `make vm` waits instead of racing the first."""
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


# ---------------------------------------------------------------- image build

def build_image(cache, force=False):
    target = image_dir(cache)
    with locked(cache):
        if os.path.exists(os.path.join(target, "base.qcow2")) and not force:
            log("image cached: " + target)
            return target
        started = time.monotonic()
        work = tempfile.mkdtemp(prefix="build-", dir=cache)
        try:
            tree = os.path.join(work, "rootfs")
            debootstrap(tree)
            key = os.path.join(work, "id_ed25519")
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "inferops-vm", "-f", key])
            configure_tree(tree, key + ".pub")
            kernel, initrd = copy_boot_files(tree, work)
            raw = os.path.join(work, "disk.raw")
            make_disk(tree, raw, work)
            shutil.rmtree(tree)
            qcow = os.path.join(work, "base.qcow2")
            run(["qemu-img", "convert", "-O", "qcow2", raw, qcow])
            os.unlink(raw)
            first_boot(qcow, kernel, initrd, os.path.join(work, "firstboot.log"))
            with open(os.path.join(work, "recipe.json"), "w") as handle:
                json.dump(RECIPE, handle, indent=2, sort_keys=True)
            if os.path.exists(target):
                shutil.rmtree(target)
            os.rename(work, target)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        prune_old_images(cache, target)
        log("image built in %.0f s: %s" % (time.monotonic() - started, target))
        return target


def debootstrap(tree):
    run([
        "debootstrap", "--variant=" + RECIPE["variant"],
        "--include=" + ",".join(RECIPE["packages"]),
        RECIPE["suite"], tree, RECIPE["mirror"],
    ], stdout=subprocess.DEVNULL)


def configure_tree(tree, public_key):
    def write(rel, text, mode=0o644):
        path = os.path.join(tree, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(text)
        os.chmod(path, mode)

    for rel, text in RECIPE["files"].items():
        write(rel, text)
    write("etc/hostname", RECIPE["hostname"] + "\n")
    write("etc/hosts", "127.0.0.1 localhost\n127.0.1.1 %s\n" % RECIPE["hostname"])
    with open(public_key) as handle:
        write("root/.ssh/authorized_keys", handle.read(), 0o600)
    os.chmod(os.path.join(tree, "root/.ssh"), 0o700)
    systemd = os.path.join(tree, "etc/systemd/system")
    wants = os.path.join(systemd, "multi-user.target.wants")
    os.makedirs(wants, exist_ok=True)
    os.symlink("/etc/systemd/system/inferops-firstboot.service",
               os.path.join(wants, "inferops-firstboot.service"))
    for unit in RECIPE["masked_units"]:
        os.symlink("/dev/null", os.path.join(systemd, unit))
    edit_grub_defaults(os.path.join(tree, "etc/default/grub"))
    # An empty machine-id makes every clone generate its own on first boot.
    write("etc/machine-id", "")
    run(["chroot", tree, "apt-get", "clean"])


def edit_grub_defaults(path):
    """Set the recipe's GRUB_* keys, replacing Debian's lines in place (others stay untouched)."""
    wanted = dict(RECIPE["grub_defaults"])
    wanted["GRUB_CMDLINE_LINUX"] = '"%s"' % RECIPE["kernel_args"]
    out = []
    with open(path) as handle:
        for line in handle:
            key = line.lstrip("#").split("=", 1)[0].strip()
            if key in wanted and "=" in line:
                out.append("%s=%s\n" % (key, wanted.pop(key)))
            else:
                out.append(line)
    out.extend("%s=%s\n" % item for item in sorted(wanted.items()))
    with open(path, "w") as handle:
        handle.writelines(out)


def copy_boot_files(tree, work):
    """The kernel and initrd for the one direct-kernel boot that installs GRUB."""
    boot = os.path.join(tree, "boot")
    names = sorted(os.listdir(boot))
    kernels = [n for n in names if n.startswith("vmlinuz-")]
    initrds = [n for n in names if n.startswith("initrd.img-")]
    if len(kernels) != 1 or len(initrds) != 1:
        fail("expected one kernel and one initrd in %s, found %s" % (boot, names))
    shutil.copy(os.path.join(boot, kernels[0]), os.path.join(work, "vmlinuz"))
    shutil.copy(os.path.join(boot, initrds[0]), os.path.join(work, "initrd.img"))
    return os.path.join(work, "vmlinuz"), os.path.join(work, "initrd.img")


def make_disk(tree, raw, work):
    """One MBR partition at 1 MiB holding an ext4 made from the tree: no loop device needed."""
    part = os.path.join(work, "part.img")
    size = RECIPE["disk_mib"]
    run(["mkfs.ext4", "-q", "-L", "root", "-d", tree, part, "%dM" % (size - 1)])
    with open(raw, "wb") as handle:
        handle.truncate(size * 1024 * 1024)
    run(["sfdisk", "--quiet", raw], input=b"label: dos\nstart=2048, type=83, bootable\n")
    run(["dd", "if=" + part, "of=" + raw, "bs=1M", "seek=1", "conv=notrunc,sparse",
         "status=none"])
    os.unlink(part)


def first_boot(disk, kernel, initrd, serial_log):
    """Boot the disk once straight into the kernel; the firstboot unit installs GRUB and powers off."""
    argv = qemu_base_argv("tcg", serial_log) + [
        "-drive", "file=%s,if=virtio,format=qcow2" % disk,
        "-kernel", kernel, "-initrd", initrd,
        "-append", "root=LABEL=root ro " + RECIPE["kernel_args"],
        "-no-reboot",
    ]
    log("first boot (installs GRUB inside the guest, under TCG: a few minutes)")
    try:
        subprocess.run(argv, check=True, timeout=900, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        fail("first boot did not power off within 900 s\n" + tail(serial_log))
    except subprocess.CalledProcessError as err:
        fail("qemu failed during first boot (%s)\n%s" % (err, tail(serial_log)))
    with open(serial_log, errors="replace") as handle:
        if FIRSTBOOT_MARKER not in handle.read():
            fail("first boot ended without installing GRUB\n" + tail(serial_log))


def prune_old_images(cache, keep):
    """Images of older recipes are never used again: drop them so the cache stays one image."""
    prefix = RECIPE["suite"] + "-"
    for name in os.listdir(cache):
        path = os.path.join(cache, name)
        if name.startswith(prefix) and path != keep and os.path.isdir(path):
            log("removing image of an older recipe: " + path)
            shutil.rmtree(path, ignore_errors=True)


def tail(path, lines=40):
    try:
        with open(path, errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return "(no serial log at %s)" % path


# ---------------------------------------------------------------- accelerator

def qemu_base_argv(accel, serial_log):
    argv = ["qemu-system-x86_64", "-machine", "q35", "-m", "1024", "-smp", "2",
            "-display", "none", "-serial", "file:" + serial_log,
            "-device", "virtio-rng-pci"]
    if accel == "kvm":
        return argv + ["-accel", "kvm", "-cpu", "host"]
    return argv + ["-accel", "tcg"]


def host_fingerprint():
    qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True,
                          check=True)
    model = ""
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return "|".join([platform.release(), qemu.stdout.splitlines()[0], model])


def choose_accel(image):
    """kvm when a guest kernel really starts under it here, else tcg.

    /dev/kvm existing proves little: on some hosts qemu aborts at once ("failed to set MSR
    0x10a") or the guest hangs in early boot. So boot the image's kernel with its initrd under
    KVM and wait for the kernel to hand over to /init. The answer is cached per host, qemu
    and CPU. INFEROPS_VM_ACCEL=kvm|tcg overrides the probe.
    """
    forced = os.environ.get("INFEROPS_VM_ACCEL")
    if forced:
        if forced not in ("kvm", "tcg"):
            fail("INFEROPS_VM_ACCEL=%s: expected kvm or tcg" % forced)
        return forced
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        log("no usable /dev/kvm: using TCG (software emulation)")
        return "tcg"
    if not os.path.exists(os.path.join(image, "vmlinuz")):
        fail("no image at %s to probe KVM with: run `vmctl.py build-image` first" % image)
    probe_file = os.path.join(os.path.dirname(image), "accel-probe.json")
    fingerprint = host_fingerprint()
    try:
        with open(probe_file) as handle:
            cached = json.load(handle)
        if cached.get("host") == fingerprint:
            return cached["accel"]
    except (OSError, ValueError):
        pass
    ok, detail = probe_kvm(image)
    accel = "kvm" if ok else "tcg"
    log("KVM probe: %s -> %s" % (detail, accel))
    with open(probe_file, "w") as handle:
        json.dump({"host": fingerprint, "accel": accel, "detail": detail}, handle)
    return accel


def probe_kvm(image, timeout=30):
    serial_log = os.path.join(tempfile.mkdtemp(prefix="kvm-probe-"), "serial.log")
    argv = qemu_base_argv("kvm", serial_log) + [
        "-kernel", os.path.join(image, "vmlinuz"), "-initrd", os.path.join(image, "initrd.img"),
        "-append", "console=ttyS0,115200 panic=-1", "-no-reboot",
    ]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = proc.stderr.read().strip().splitlines()
                return False, "qemu exited: " + (err[-1] if err else "rc=%d" % proc.returncode)
            if os.path.exists(serial_log):
                with open(serial_log, errors="replace") as handle:
                    if "Run /init as init process" in handle.read():
                        return True, "guest kernel reached /init"
            time.sleep(0.5)
        return False, "guest kernel did not reach /init within %d s" % timeout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(os.path.dirname(serial_log), ignore_errors=True)


# ---------------------------------------------------------------- run a VM

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def state_path(instance_dir):
    return os.path.join(instance_dir, "vm.json")


def load_state(instance_dir):
    try:
        with open(state_path(instance_dir)) as handle:
            return json.load(handle)
    except OSError:
        return None


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def start(image, instance_dir):
    if not os.path.exists(os.path.join(image, "base.qcow2")):
        fail("no image at %s: run `vmctl.py build-image` first" % image)
    os.makedirs(instance_dir, exist_ok=True)
    state = load_state(instance_dir)
    if state and pid_alive(state["pid"]):
        log("VM already running (pid %d, port %d)" % (state["pid"], state["port"]))
        return state
    accel = choose_accel(image)
    overlay = os.path.join(instance_dir, "disk.qcow2")
    if os.path.exists(overlay):
        os.unlink(overlay)
    # A fresh copy-on-write layer per run: every run starts from the pristine image.
    run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
         "-b", os.path.join(image, "base.qcow2"), overlay])
    serial_log = os.path.join(instance_dir, "serial.log")
    pidfile = os.path.join(instance_dir, "qemu.pid")
    for _attempt in range(3):
        port = free_port()
        argv = qemu_base_argv(accel, serial_log) + [
            "-drive", "file=%s,if=virtio,format=qcow2" % overlay,
            "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:22" % port,
            "-device", "virtio-net-pci,netdev=n0",
            "-daemonize", "-pidfile", pidfile,
        ]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode == 0:
            break
        log("qemu did not start (port %d): %s" % (port, result.stderr.strip()))
    else:
        fail("qemu failed to start three times; see the messages above")
    with open(pidfile) as handle:
        pid = int(handle.read().strip())
    state = {
        "pid": pid, "port": port, "address": "127.0.0.1", "user": SSH_USER,
        "identity_file": os.path.join(image, "id_ed25519"), "accel": accel,
        "serial_log": serial_log, "overlay": overlay, "started": time.time(),
    }
    with open(state_path(instance_dir), "w") as handle:
        json.dump(state, handle, indent=2)
    log("VM started under %s: pid %d, ssh %s@127.0.0.1 -p %d" % (accel, pid, SSH_USER, port))
    return state


def ssh_argv(state, command):
    return ["ssh", "-i", state["identity_file"], "-p", str(state["port"]),
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
            "-o", "LogLevel=ERROR", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
            "%s@%s" % (state["user"], state["address"])] + command


def wait_ssh(instance_dir, timeout, name):
    """Block until SSH answers; return the entry molecule's instance_config.yml wants."""
    state = load_state(instance_dir)
    if not state:
        fail("no VM state in %s: run `vmctl.py start` first" % instance_dir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(state["pid"]):
            fail("qemu (pid %d) exited before SSH came up\n%s"
                 % (state["pid"], tail(state["serial_log"])))
        probe = subprocess.run(ssh_argv(state, ["true"]), stdin=subprocess.DEVNULL,
                               capture_output=True, check=False)
        if probe.returncode == 0:
            record_timing("boot:" + name, time.time() - state["started"])
            return {"instance": name, "address": state["address"], "user": state["user"],
                    "port": state["port"], "identity_file": state["identity_file"]}
        time.sleep(2)
    fail("no SSH on port %d within %d s\n%s"
         % (state["port"], timeout, tail(state["serial_log"])))


def stop(instance_dir, keep_disk=False):
    state = load_state(instance_dir)
    if not state:
        log("no VM state in %s: nothing to stop" % instance_dir)
        return
    pid = state["pid"]
    if pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        for _tick in range(50):
            if not pid_alive(pid):
                break
            time.sleep(0.2)
        else:
            os.kill(pid, signal.SIGKILL)
        log("VM stopped (pid %d)" % pid)
    if not keep_disk and os.path.exists(state["overlay"]):
        os.unlink(state["overlay"])
    os.unlink(state_path(instance_dir))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--cache", help="image cache (default $INFEROPS_VM_CACHE or %s)"
                        % DEFAULT_CACHE)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build-image", help="build the image unless the cached one is current")
    build.add_argument("--force", action="store_true", help="rebuild even when cached")
    sub.add_parser("image-path", help="print where the current recipe's image lives")
    sub.add_parser("accel", help="print kvm or tcg")
    for name in ("start", "wait-ssh", "stop"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--instance-dir", required=True,
                         help="per-VM folder: overlay disk, serial log, vm.json")
        if name == "wait-ssh":
            cmd.add_argument("--timeout", type=int, default=600)
            cmd.add_argument("--name", default="instance", help="molecule instance name")
        if name == "stop":
            cmd.add_argument("--keep-disk", action="store_true")
    args = parser.parse_args(argv)
    cache = cache_dir(args)

    if args.command == "build-image":
        print(build_image(cache, force=args.force))
    elif args.command == "image-path":
        print(image_dir(cache))
    elif args.command == "accel":
        print(choose_accel(image_dir(cache)))
    elif args.command == "start":
        print(json.dumps(start(image_dir(cache), args.instance_dir)))
    elif args.command == "wait-ssh":
        print(json.dumps(wait_ssh(args.instance_dir, args.timeout, args.name)))
    elif args.command == "stop":
        stop(args.instance_dir, keep_disk=args.keep_disk)


if __name__ == "__main__":
    main()
