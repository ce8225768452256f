"""Build, start and stop the Debian 12 test VMs that the molecule scenarios (default, vm_*) run against.

Two images (--image, see docs/vm-testing.md):
  grub          BIOS (SeaBIOS), one MBR partition, Debian's GRUB (grub-pc);
  systemd-boot  UEFI (Debian's OVMF), GPT with an ESP at /boot/efi, Debian's systemd-boot
                package with kernel-install, set up the way its postinst does it.

Subcommands:
  build-image   debootstrap a Debian 12 tree, turn it into a bootable qcow2 image with its own
                boot loader, cache it under $INFEROPS_VM_CACHE (default /var/cache/inferops-vm);
                a cached image is reused until its recipe below changes. The Debian mirror is
                the one this machine's apt uses (apt_sources.py), or $INFEROPS_VM_MIRROR.
  accel         print the accelerator qemu will use (kvm if a guest kernel really runs, else tcg).
  start         boot a throw-away qcow2 overlay of the image, SSH forwarded to 127.0.0.1:<free port>.
  wait-ssh      wait until the guest accepts SSH with the image's key.
  stop          power the VM off and delete its overlay.

Why the build goes the way it does (docs/vm-testing.md has the measurements):
  - no loop mounts: the filesystem is made from the tree with `mkfs.ext4 -d` and copied into a
    partitioned raw file with `dd`;
  - GRUB cannot be put on the disk from outside reliably (a hand-made core.img hangs after
    "GRUB loading.."), so the image boots once with qemu's direct kernel boot and a one-shot
    unit runs `grub-install /dev/vda && update-grub` inside the guest, then powers off; the
    systemd-boot image does the same with `bootctl install` and `kernel-install add`, under
    OVMF so that bootctl also writes the firmware's boot entry into the image's NVRAM file;
  - KVM is used only when a guest kernel actually runs under it: on some hosts /dev/kvm exists
    but qemu aborts ("failed to set MSR") or the guest hangs, and then TCG is the only option.

Standard library only; runs as root (debootstrap, mkfs of a tree with root-owned files).
wait-ssh appends "boot:<name> <seconds>" to the file named by INFEROPS_VM_TIMINGS (tests/vm/run.sh).
"""

import argparse
import contextlib
import copy
import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import apt_sources

DEFAULT_CACHE = "/var/cache/inferops-vm"
SSH_USER = "root"
FIRSTBOOT_MARKER = "INFEROPS-FIRSTBOOT-DONE"
# Debian's ovmf package: the 4 MiB firmware without Secure Boot, and its empty variable store
# (each VM writes its own copy: boot entries live there).
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
EFIVARS = "efivars.fd"


def firstboot_unit(what, commands):
    """The one-shot unit that finishes the image inside the guest on its first boot."""
    return (
        "[Unit]\n"
        "Description=inferops test image: %s on the first boot, then power off\n"
        "ConditionPathExists=/etc/inferops-firstboot\n"
        "After=local-fs.target\n\n"
        "[Service]\n"
        "Type=oneshot\n"
        "StandardOutput=journal+console\n"
        "StandardError=journal+console\n"
        % what
        + "".join("ExecStart=%s\n" % command for command in commands)
        + "ExecStart=/bin/rm -f /etc/inferops-firstboot\n"
        "ExecStart=/bin/systemctl disable inferops-firstboot.service\n"
        "ExecStart=/bin/echo " + FIRSTBOOT_MARKER + "\n"
        "ExecStartPost=/bin/systemctl --no-block poweroff\n\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n"
    )


# Everything that decides what ends up in the GRUB image. Its hash (with the mirror the image
# is built from) names the cached image, so any change here builds a new one. Bump "layout"
# when build_image() itself changes the result.
GRUB_RECIPE = {
    "layout": 1,
    "suite": "bookworm",
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
        "etc/systemd/system/inferops-firstboot.service": firstboot_unit(
            "install GRUB", ["/usr/sbin/grub-install /dev/vda", "/usr/sbin/update-grub"]),
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

# What Debian's systemd-boot package does when it is installed on a machine whose ESP is
# mounted (its postinst, `configure` with no previous version): `bootctl install
# --make-machine-id-directory=auto`, then `kernel-install add` for each /boot/vmlinuz-*.
# The rest prints the resulting layout into firstboot.log (docs/vm-testing.md quotes it).
INSTALL_SYSTEMD_BOOT = """#!/bin/sh
set -e
bootctl install --make-machine-id-directory=auto
for k in /boot/vmlinuz-*; do
    [ -f "$k" ] || continue
    ver=$(basename "$k" | sed s/^vmlinuz-//)
    kernel-install --verbose add "$ver" "$k"
done
echo "== layout"
bootctl --no-pager list || true
find /boot/efi | sort
for f in /boot/efi/loader/loader.conf /boot/efi/loader/entries/*.conf /etc/kernel/*; do
    [ -f "$f" ] && { echo "== $f"; cat "$f"; }
done
ls -la /etc/kernel /etc/kernel/install.d
kernel-install inspect
"""


def systemd_boot_recipe():
    """The GRUB image's recipe with the boot loader swapped: UEFI, an ESP, systemd-boot."""
    recipe = copy.deepcopy(GRUB_RECIPE)
    del recipe["grub_defaults"]
    # systemd-boot pulls in systemd-boot-efi (the EFI binaries); dosfstools: fsck of the ESP
    # at boot, as on every Debian EFI install.
    recipe["packages"] = [name for name in recipe["packages"] if name != "grub-pc"]
    recipe["packages"] += ["systemd-boot", "dosfstools"]
    recipe["hostname"] = "inferops-vm-sdboot"
    recipe["esp_mib"] = 300
    files = recipe["files"]
    # /boot/efi: where Debian mounts the ESP (the installer, grub-efi); bootctl and
    # kernel-install both look there.
    files["etc/fstab"] += "LABEL=ESP /boot/efi vfat umask=0077 0 1\n"
    files["usr/local/sbin/inferops-install-systemd-boot"] = INSTALL_SYSTEMD_BOOT
    files["etc/systemd/system/inferops-firstboot.service"] = firstboot_unit(
        "install systemd-boot", ["/bin/sh /usr/local/sbin/inferops-install-systemd-boot"])
    return recipe


# --image NAME: folder prefix in the cache, firmware, recipe.
IMAGES = {
    "grub": {"prefix": "bookworm", "firmware": "bios", "recipe": GRUB_RECIPE},
    "systemd-boot": {"prefix": "systemd-boot-bookworm", "firmware": "uefi",
                     "recipe": systemd_boot_recipe()},
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


class Image:
    """One of IMAGES built from one mirror: its recipe, hash and folder in the cache."""

    def __init__(self, cache, name, mirror):
        spec = IMAGES[name]
        self.name = name
        self.cache = cache
        self.firmware = spec["firmware"]
        self.prefix = spec["prefix"]
        # The mirror is part of the recipe: debootstrap writes it into the image's apt sources.
        self.recipe = dict(spec["recipe"], mirror=mirror)
        text = json.dumps(self.recipe, sort_keys=True).encode()
        self.hash = hashlib.sha256(text).hexdigest()[:16]
        self.path = os.path.join(cache, "%s-%s" % (self.prefix, self.hash))

    def is_older_build(self, folder_name):
        """A folder of this image built from another recipe (same prefix, another hash)."""
        return (re.fullmatch(re.escape(self.prefix) + "-[0-9a-f]{16}", folder_name) is not None
                and folder_name != os.path.basename(self.path))


def cache_dir(args):
    return os.path.abspath(args.cache or os.environ.get("INFEROPS_VM_CACHE") or DEFAULT_CACHE)


def mirror_for(args, suite):
    """--mirror, else $INFEROPS_VM_MIRROR, else the Debian archive this machine's apt uses."""
    mirror = args.mirror or os.environ.get("INFEROPS_VM_MIRROR")
    if mirror:
        return mirror.rstrip("/")
    try:
        return apt_sources.debian_mirror(suite)
    except apt_sources.NoMirror as err:
        fail(str(err))


@contextlib.contextmanager
def locked(cache):
    """One builder per cache: a second `make vm` waits instead of racing the first."""
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


# ---------------------------------------------------------------- image build

def build_image(image, force=False):
    target = image.path
    recipe = image.recipe
    with locked(image.cache):
        if os.path.exists(os.path.join(target, "base.qcow2")) and not force:
            log("image cached: " + target)
            return target
        started = time.monotonic()
        work = tempfile.mkdtemp(prefix="build-", dir=image.cache)
        try:
            tree = os.path.join(work, "rootfs")
            debootstrap(recipe, tree)
            key = os.path.join(work, "id_ed25519")
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "inferops-vm", "-f", key])
            configure_tree(recipe, tree, key + ".pub")
            kernel, initrd = copy_boot_files(tree, work)
            raw = os.path.join(work, "disk.raw")
            make_disk(recipe, tree, raw, work)
            shutil.rmtree(tree)
            qcow = os.path.join(work, "base.qcow2")
            run(["qemu-img", "convert", "-O", "qcow2", raw, qcow])
            os.unlink(raw)
            efivars = None
            if image.firmware == "uefi":
                # bootctl install adds its boot entry to this NVRAM file; each VM boots a copy.
                efivars = os.path.join(work, EFIVARS)
                shutil.copy(OVMF_VARS, efivars)
            first_boot(recipe, qcow, kernel, initrd, os.path.join(work, "firstboot.log"),
                       efivars)
            with open(os.path.join(work, "recipe.json"), "w") as handle:
                json.dump(recipe, handle, indent=2, sort_keys=True)
            if os.path.exists(target):
                shutil.rmtree(target)
            os.rename(work, target)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        prune_old_images(image)
        log("image built in %.0f s: %s" % (time.monotonic() - started, target))
        return target


def debootstrap(recipe, tree):
    env = dict(os.environ)
    proxy = apt_sources.apt_http_proxy()
    if proxy and not env.get("http_proxy"):
        log("using apt's proxy " + proxy)
        env["http_proxy"] = proxy
    log("Debian mirror: " + recipe["mirror"])
    run([
        "debootstrap", "--variant=" + recipe["variant"],
        "--include=" + ",".join(recipe["packages"]),
        recipe["suite"], tree, recipe["mirror"],
    ], stdout=subprocess.DEVNULL, env=env)


def configure_tree(recipe, tree, public_key):
    def write(rel, text, mode=0o644):
        path = os.path.join(tree, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(text)
        os.chmod(path, mode)

    for rel, text in recipe["files"].items():
        write(rel, text)
    write("etc/hostname", recipe["hostname"] + "\n")
    write("etc/hosts", "127.0.0.1 localhost\n127.0.1.1 %s\n" % recipe["hostname"])
    with open(public_key) as handle:
        write("root/.ssh/authorized_keys", handle.read(), 0o600)
    os.chmod(os.path.join(tree, "root/.ssh"), 0o700)
    systemd = os.path.join(tree, "etc/systemd/system")
    wants = os.path.join(systemd, "multi-user.target.wants")
    os.makedirs(wants, exist_ok=True)
    os.symlink("/etc/systemd/system/inferops-firstboot.service",
               os.path.join(wants, "inferops-firstboot.service"))
    for unit in recipe["masked_units"]:
        os.symlink("/dev/null", os.path.join(systemd, unit))
    if "grub_defaults" in recipe:
        edit_grub_defaults(recipe, os.path.join(tree, "etc/default/grub"))
    if "esp_mib" in recipe:
        os.makedirs(os.path.join(tree, "boot/efi"), exist_ok=True)
    # An empty machine-id makes every clone generate its own on first boot.
    write("etc/machine-id", "")
    run(["chroot", tree, "apt-get", "clean"])


def edit_grub_defaults(recipe, path):
    """Set the recipe's GRUB_* keys, replacing Debian's lines in place (others stay untouched)."""
    wanted = dict(recipe["grub_defaults"])
    wanted["GRUB_CMDLINE_LINUX"] = '"%s"' % recipe["kernel_args"]
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
    """The kernel and initrd for the one direct-kernel boot that installs the boot loader."""
    boot = os.path.join(tree, "boot")
    names = sorted(os.listdir(boot))
    kernels = [n for n in names if n.startswith("vmlinuz-")]
    initrds = [n for n in names if n.startswith("initrd.img-")]
    if len(kernels) != 1 or len(initrds) != 1:
        fail("expected one kernel and one initrd in %s, found %s" % (boot, names))
    shutil.copy(os.path.join(boot, kernels[0]), os.path.join(work, "vmlinuz"))
    shutil.copy(os.path.join(boot, initrds[0]), os.path.join(work, "initrd.img"))
    return os.path.join(work, "vmlinuz"), os.path.join(work, "initrd.img")


# GPT partition types (UEFI spec, table "Defined GPT Partition Entry - Partition Type GUIDs";
# util-linux's sfdisk knows the same): EFI System Partition, Linux filesystem data.
ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
LINUX_TYPE = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"


def make_disk(recipe, tree, raw, work):
    """Partition a raw file and copy filesystems made from files into it: no loop device needed.

    GRUB image: one MBR partition at 1 MiB holding an ext4 made from the tree.
    systemd-boot image: GPT, an empty FAT32 ESP (label ESP) at 1 MiB, then the ext4; the
    first boot fills the ESP (bootctl install, kernel-install add).
    """
    size = recipe["disk_mib"]
    esp_mib = recipe.get("esp_mib")
    with open(raw, "wb") as handle:
        handle.truncate(size * 1024 * 1024)
    if esp_mib is None:
        root_start, root_mib = 1, size - 1
        table = "label: dos\nstart=2048, type=83, bootable\n"
    else:
        # the last MiB stays free for GPT's backup header
        root_start, root_mib = 1 + esp_mib, size - 2 - esp_mib
        table = ("label: gpt\n"
                 "start=2048, size=%d, type=%s, name=ESP\n"
                 "start=%d, size=%d, type=%s, name=root\n"
                 % (esp_mib * 2048, ESP_TYPE, root_start * 2048, root_mib * 2048, LINUX_TYPE))
    run(["sfdisk", "--quiet", raw], input=table.encode())
    if esp_mib is not None:
        esp = os.path.join(work, "esp.img")
        run(["mkfs.vfat", "-C", "-F", "32", "-n", "ESP", esp, str(esp_mib * 1024)],
            stdout=subprocess.DEVNULL)
        copy_partition(esp, raw, 1)
    part = os.path.join(work, "part.img")
    run(["mkfs.ext4", "-q", "-L", "root", "-d", tree, part, "%dM" % root_mib])
    copy_partition(part, raw, root_start)


def copy_partition(image, raw, start_mib):
    run(["dd", "if=" + image, "of=" + raw, "bs=1M", "seek=%d" % start_mib,
         "conv=notrunc,sparse", "status=none"])
    os.unlink(image)


def first_boot(recipe, disk, kernel, initrd, serial_log, efivars=None):
    """Boot the disk once straight into the kernel; the firstboot unit installs the boot loader
    and powers off. With efivars (the systemd-boot image) the boot runs under OVMF."""
    argv = qemu_base_argv("tcg", serial_log, efivars) + [
        "-drive", "file=%s,if=virtio,format=qcow2" % disk,
        "-kernel", kernel, "-initrd", initrd,
        "-append", "root=LABEL=root ro " + recipe["kernel_args"],
        "-no-reboot",
    ]
    log("first boot (installs the boot loader inside the guest, under TCG: a few minutes)")
    try:
        subprocess.run(argv, check=True, timeout=900, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        fail("first boot did not power off within 900 s\n" + tail(serial_log))
    except subprocess.CalledProcessError as err:
        fail("qemu failed during first boot (%s)\n%s" % (err, tail(serial_log)))
    with open(serial_log, errors="replace") as handle:
        if FIRSTBOOT_MARKER not in handle.read():
            fail("first boot ended without installing the boot loader\n" + tail(serial_log))


def prune_old_images(image):
    """Images of older recipes are never used again: drop them so the cache keeps one per image."""
    for name in os.listdir(image.cache):
        path = os.path.join(image.cache, name)
        if image.is_older_build(name) and os.path.isdir(path):
            log("removing image of an older recipe: " + path)
            shutil.rmtree(path, ignore_errors=True)


def tail(path, lines=40):
    try:
        with open(path, errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return "(no serial log at %s)" % path


# ---------------------------------------------------------------- accelerator

def qemu_base_argv(accel, serial_log, efivars=None):
    """qemu for one VM; with efivars (a copy of OVMF's variable store) it boots UEFI firmware."""
    argv = ["qemu-system-x86_64", "-machine", "q35", "-m", "1024", "-smp", "2",
            "-display", "none", "-serial", "file:" + serial_log,
            "-device", "virtio-rng-pci"]
    if efivars:
        argv += ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + OVMF_CODE,
                 "-drive", "if=pflash,format=raw,unit=1,file=" + efivars]
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
    efivars = None
    if os.path.exists(os.path.join(image, EFIVARS)):
        # UEFI image: the firmware's variables (boot entries) start as the image left them.
        efivars = os.path.join(instance_dir, EFIVARS)
        shutil.copy(os.path.join(image, EFIVARS), efivars)
    serial_log = os.path.join(instance_dir, "serial.log")
    pidfile = os.path.join(instance_dir, "qemu.pid")
    for _attempt in range(3):
        port = free_port()
        argv = qemu_base_argv(accel, serial_log, efivars) + [
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
        "serial_log": serial_log, "overlay": overlay, "efivars": efivars,
        "started": time.time(),
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
    if not keep_disk:
        for disk in (state["overlay"], state.get("efivars")):
            if disk and os.path.exists(disk):
                os.unlink(disk)
    os.unlink(state_path(instance_dir))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--cache", help="image cache (default $INFEROPS_VM_CACHE or %s)"
                        % DEFAULT_CACHE)
    parser.add_argument("--image", choices=sorted(IMAGES), default="grub",
                        help="which image (default grub)")
    parser.add_argument("--mirror", help="Debian mirror for debootstrap (default "
                        "$INFEROPS_VM_MIRROR, else the one this machine's apt sources use)")
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
    if args.command in ("wait-ssh", "stop"):
        image = None  # vm.json in the instance folder has all they need
    else:
        image = Image(cache_dir(args), args.image,
                      mirror_for(args, IMAGES[args.image]["recipe"]["suite"]))

    if args.command == "build-image":
        print(build_image(image, force=args.force))
    elif args.command == "image-path":
        print(image.path)
    elif args.command == "accel":
        print(choose_accel(image.path))
    elif args.command == "start":
        print(json.dumps(start(image.path, args.instance_dir)))
    elif args.command == "wait-ssh":
        print(json.dumps(wait_ssh(args.instance_dir, args.timeout, args.name)))
    elif args.command == "stop":
        stop(args.instance_dir, keep_disk=args.keep_disk)


if __name__ == "__main__":
    main()
