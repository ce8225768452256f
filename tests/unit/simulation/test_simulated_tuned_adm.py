"""The simulated tuned-adm answers as tuned-adm does (tuned/admin/admin.py), on tuned's own files."""

import os
import subprocess

from tests.simulation.scratch_host import make_scratch_host


def tuned_adm(root, *args):
    return subprocess.run([os.path.join(root, "usr/sbin/tuned-adm")] + list(args), capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"]}, check=False)


def test_a_preset_without_a_daemon_then_profile_starts_the_daemon_on_it(tmp_path):
    root = make_scratch_host("strix_halo_128g", str(tmp_path / "host"))
    before = tuned_adm(root, "active")
    assert before.returncode == 0 and before.stdout == (
        "It seems that tuned daemon is not running, preset profile is not activated.\nPreset profile: balanced\n")
    switched = tuned_adm(root, "profile", "accelerator-performance")
    assert switched.returncode == 0
    assert os.path.isfile(os.path.join(root, "run/tuned/tuned.pid"))
    with open(os.path.join(root, "etc/tuned/profile_mode")) as handle:
        assert handle.read() == "manual\n"
    after = tuned_adm(root, "active")
    assert after.returncode == 0 and after.stdout == "Current active profile: accelerator-performance\n"


def test_an_unknown_profile_is_refused_and_nothing_changes(tmp_path):
    root = make_scratch_host("strix_halo_128g", str(tmp_path / "host"))
    refused = tuned_adm(root, "profile", "accelerator-performnce")
    assert refused.returncode == 1 and refused.stderr == "Requested profile 'accelerator-performnce' doesn't exist.\n"
    with open(os.path.join(root, "etc/tuned/active_profile")) as handle:
        assert handle.read() == "balanced\n"
    assert not os.path.exists(os.path.join(root, "run/tuned/tuned.pid"))


def test_a_running_daemon_without_a_profile_says_so_and_fails(tmp_path):
    root = make_scratch_host("strix_halo_128g", str(tmp_path / "host"))
    os.remove(os.path.join(root, "etc/tuned/active_profile"))
    os.makedirs(os.path.join(root, "run/tuned"))
    with open(os.path.join(root, "run/tuned/tuned.pid"), "w") as handle:
        handle.write("812")
    none = tuned_adm(root, "active")
    assert none.returncode == 1 and none.stdout == "No current active profile.\n"
