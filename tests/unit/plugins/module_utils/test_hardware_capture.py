"""hardware_capture's allowlist: what may enter a capture, and how."""

import json
import os
import re
import tarfile

import pytest

from ansible_collections.inferops.amd.plugins.module_utils._host import capture as hardware_capture
from ansible_collections.inferops.amd.plugins.module_utils._ollama import install as ollama_install
from ansible_collections.inferops.amd.plugins.module_utils._host.capture import kind_of, refusal
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import SysRoot

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


RYZENADJ_INFO = "CPU Family: Strix Halo\n| STAPM LIMIT |    71.000 | stapm-limit        |\n"


def recording_runner(calls):
    """A ``run_tool`` that records what it was asked to run and answers like the tool would."""
    def run_tool(path, argv):
        calls.append((path, list(argv)))
        if os.path.basename(path) == "ryzenadj":
            return 0, RYZENADJ_INFO, "detected compatible ryzen_smu kernel module\n"
        return 0, "ollama version is 0.12.3\n", ""
    return run_tool


def capture_archive(root, tmp_path, run_tool=None):
    capture, manifest = hardware_capture.build(root, run_tool or recording_runner([]))
    dest = str(tmp_path / "capture.tar.gz")
    hardware_capture.write_archive(capture, manifest, dest, 0)
    return dest, manifest


def test_no_member_is_executable_and_tools_are_recorded_as_empty_files(scratch_host, tmp_path):
    """A capture is data: nothing in it can be run, a tool is only its place (an empty 0644 file)."""
    root = scratch_host("strix_halo_laptop_64g")
    os.chmod(os.path.join(root, "etc/default/grub"), 0o755)  # an executable bit on a content file is dropped
    dest, manifest = capture_archive(root, tmp_path)
    with tarfile.open(dest) as handle:
        for member in handle.getmembers():
            assert member.isdir() or member.issym() or member.isfile(), member.name
            if member.isfile():
                assert member.mode & 0o7111 == 0, "%s has mode %o" % (member.name, member.mode)
                assert not handle.extractfile(member).read().startswith(b"#!"), member.name
        tools = dict((member.name, member) for member in handle.getmembers() if member.name.startswith("usr/"))
    assert manifest["format"] == hardware_capture.FORMAT == 2
    assert manifest["tool_paths"]["/usr/bin/ryzenadj"] == "ryzenadj"
    assert manifest["tool_paths"]["/usr/sbin/tuned-adm"] == "tuned-adm"
    for path in manifest["tool_paths"]:
        member = tools[path.lstrip("/")]
        assert member.isfile() and member.size == 0 and member.mode == 0o644
    assert "tool_stubs" not in manifest


def test_tool_output_is_recorded_as_data(scratch_host, tmp_path, monkeypatch):
    """The read-only command runs once on the captured host; argv, exit status and output land in JSON."""
    monkeypatch.setenv("INFEROPS_SIMULATION", "1")  # the captured host is a simulated tree
    root = scratch_host("strix_halo_laptop_64g")
    calls = []
    dest, manifest = capture_archive(root, tmp_path, recording_runner(calls))
    assert calls == [(os.path.join(root, "usr/bin/ryzenadj"), ["--info"])]
    members = members_of(dest)
    record = json.loads(members[".inferops-capture/tools/ryzenadj.json"].decode("utf-8"))
    assert record == {"argv": ["ryzenadj", "--info"], "rc": 0, "stdout": RYZENADJ_INFO,
                      "stderr": "detected compatible ryzen_smu kernel module\n"}
    assert manifest["tools"]["ryzenadj"] == {"argv": ["ryzenadj", "--info"], "rc": 0,
                                             "stderr": "detected compatible ryzen_smu kernel module\n"}
    assert not [name for name in members if name.startswith(".inferops-capture/tools/") and
                not name.endswith(".json") and name != ".inferops-capture/tools"]


def test_a_tree_is_captured_without_running_its_tools_unless_the_simulation_is_on(
        scratch_host, tmp_path, monkeypatch):
    """Capturing a tree (not /) reads it; its ryzenadj is a file of the tree and runs only with INFEROPS_SIMULATION=1."""
    root = scratch_host("strix_halo_laptop_64g")
    monkeypatch.delenv("INFEROPS_SIMULATION", raising=False)
    calls = []
    dest, manifest = capture_archive(root, tmp_path, recording_runner(calls))
    assert calls == [] and manifest["tools"] == {}
    assert "INFEROPS_SIMULATION=1" in manifest["reader_errors"]["tool ryzenadj"]
    assert manifest["tool_paths"]["/usr/bin/ryzenadj"] == "ryzenadj"  # its place is still recorded
    assert not [name for name in members_of(dest) if name.startswith(".inferops-capture/tools/")
                and name != ".inferops-capture/tools"]


def test_an_extracted_capture_has_no_runnable_tool_but_keeps_where_tools_are(scratch_host, tmp_path, monkeypatch):
    """Tool discovery (which needs X_OK) finds nothing to run; readers that only look at the place still work."""
    monkeypatch.setenv("INFEROPS_SIMULATION", "1")  # the scratch host's own tools may be found and run
    root = scratch_host("rx9070xt_chipset")
    dest, manifest = capture_archive(root, tmp_path)
    tree = str(tmp_path / "tree")
    os.mkdir(tree)
    with tarfile.open(dest) as handle:
        handle.extractall(tree, filter="tar")
    assert manifest["tool_paths"]["/usr/local/bin/ollama"] == "ollama"
    extracted, source = SysRoot(tree), SysRoot(root)
    for name in ("ollama", "systemctl", "udevadm", "update-grub"):
        assert source.find_tool(name) is not None and extracted.find_tool(name) is None
    assert ollama_install.find_install(extracted).binary == ollama_install.find_install(source).binary
