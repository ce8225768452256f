"""hardware_capture's allowlist: what may enter a capture, and how."""

import os
import re
import tarfile

import pytest

from ansible_collections.inferops.amd.plugins.module_utils import hardware_capture
from ansible_collections.inferops.amd.plugins.module_utils.hardware_capture import kind_of, refusal

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

SECRETS = [
    "/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/sshd_config",
    "/root/.bash_history", "/home/alice/.ssh/id_rsa", "/home/alice/notes.txt", "/etc/ssl/private/server.pem",
    "/etc/sudoers", "/var/lib/ollama/.ollama/id_ed25519", "/etc/NetworkManager/system-connections/home.nmconnection",
    "/sys/firmware/efi/efivars/SecureBoot-8be4df61", "/etc/default/grub.d/50-api-token.cfg",
    "/usr/lib/ollama/secret.txt", "/boot/efi/loader/random-seed-key", "/tmp/x", "/proc/self/environ",
    "/proc/1/cmdline", "/etc/passwd", "/etc/hostname", "/etc/machine-id",
]


@pytest.mark.parametrize("path", SECRETS)
def test_secrets_and_everything_off_the_list_are_refused(path):
    assert refusal(path) is not None


@pytest.mark.parametrize("path, kind", [
    ("/sys/module/pcie_aspm/parameters/policy", "content"),
    ("/proc/cmdline", "content"),
    ("/etc/default/grub", "content"),
    ("/etc/default/grub.d/50-cloudimg.cfg", "content"),
    ("/boot/grub/grub.cfg", "content"),
    ("/boot/loader/entries/abc-6.17.conf", "content"),
    ("/etc/udev/rules.d/90-inferops-pcie-aspm-links.rules", "content"),
    ("/boot/vmlinuz-6.12.57+deb13-amd64", "name"),
    ("/usr/lib/ollama/libggml-vulkan.so", "name"),
    ("/usr/bin/ryzenadj", "tool"),
])
def test_what_the_collection_reads_is_kept_the_right_way(path, kind):
    assert refusal(path) is None
    assert kind_of(path) == kind


def test_collection_version_matches_galaxy_yml():
    with open(os.path.join(REPO, "galaxy.yml")) as handle:
        version = re.search(r"^version:\s*(\S+)", handle.read(), re.M).group(1)
    assert hardware_capture.COLLECTION_VERSION == version


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)


def members_of(archive):
    with tarfile.open(archive) as handle:
        return dict((member.name, handle.extractfile(member).read() if member.isfile() else member)
                    for member in handle.getmembers())


def test_planted_secrets_never_enter_the_archive(scratch_host, tmp_path):
    """Secrets reachable by a read the collection makes (a symlink, a drop-in name) stay out."""
    root = scratch_host("r9700_desktop")
    write(os.path.join(root, "home/alice/.ssh/id_rsa"), "PRIVATE-KEY-MATERIAL\n")
    write(os.path.join(root, "etc/shadow"), "root:SHADOW-HASH:19000::::::\n")
    write(os.path.join(root, "etc/default/grub.d/60-token.cfg"), "TOKEN-IN-A-NAME\n")
    os.symlink("../../home/alice/.ssh/id_rsa", os.path.join(root, "etc/kernel-cmdline-link"))
    os.makedirs(os.path.join(root, "etc/kernel"), exist_ok=True)
    os.symlink("../shadow", os.path.join(root, "etc/kernel/cmdline"))
    with open(os.path.join(root, "boot/grub/grub.cfg"), "a") as handle:
        handle.write("set superusers=root\npassword_pbkdf2 root grub.pbkdf2.sha512.10000.GRUB-HASH\n")

    capture, manifest = hardware_capture.build(root, lambda path, argv: (0, "", ""))
    dest = str(tmp_path / "capture.tar.gz")
    hardware_capture.write_archive(capture, manifest, dest, 0)
    members = members_of(dest)
    everything = b"".join(data for data in members.values() if isinstance(data, bytes))
    for secret in (b"PRIVATE-KEY-MATERIAL", b"SHADOW-HASH", b"TOKEN-IN-A-NAME", b"GRUB-HASH"):
        assert secret not in everything
    assert not [name for name in members if name.startswith(("home", "etc/shadow")) or "token" in name]
    assert "etc/kernel/cmdline" not in members  # the link itself is kept out: it leads to /etc/shadow
    assert capture.refused["/etc/shadow"].startswith("denied")
    assert "/boot/grub/grub.cfg" in manifest["redacted"]
    assert b"password line removed" in members["boot/grub/grub.cfg"]


def test_absolute_links_are_made_relative_and_big_files_keep_their_name(scratch_host, tmp_path):
    root = scratch_host("no_amd_gpu")
    os.makedirs(os.path.join(root, "usr/lib"), exist_ok=True)
    write(os.path.join(root, "usr/lib/os-release"), 'ID=debian\n')
    os.unlink(os.path.join(root, "etc/os-release")) if os.path.lexists(os.path.join(root, "etc/os-release")) else None
    os.symlink("/usr/lib/os-release", os.path.join(root, "etc/os-release"))
    write(os.path.join(root, "boot/vmlinuz-6.12.57+deb13-amd64"), "x" * 300000)
    os.makedirs(os.path.join(root, "usr/lib/modules/6.12.57+deb13-amd64"))
    capture, manifest = hardware_capture.build(root, lambda path, argv: (0, "", ""))
    assert capture.links["/etc/os-release"] == "../usr/lib/os-release"
    assert manifest["rewritten_links"] == {"/etc/os-release": "../usr/lib/os-release"}
    assert "/boot/vmlinuz-6.12.57+deb13-amd64" in manifest["placeholders"]


def test_tool_stub_replays_the_recorded_command_only(tmp_path):
    stub = tmp_path / "ryzenadj"
    stub.write_text(hardware_capture.tool_stub("ryzenadj", ["--info"], "CPU Family: Strix Halo\n| STAPM LIMIT |", 0))
    os.chmod(str(stub), 0o755)
    import subprocess
    info = subprocess.run([str(stub), "--info"], capture_output=True, text=True, check=False)
    assert info.returncode == 0 and info.stdout == "CPU Family: Strix Halo\n| STAPM LIMIT |\n"
    other = subprocess.run([str(stub), "-a", "85000"], capture_output=True, text=True, check=False)
    assert other.returncode == 1 and "only 'ryzenadj --info' is replayed" in other.stderr
