"""A role's values work the same in each of the four forms a user gives them.

The forms: the inventory (host vars), the play's ``vars:``, the role's own ``vars:`` (``roles:`` and
``import_role``) and ``-e``. For each, a bad value stops the role before it changes anything (the
scratch host's files stay byte-identical) with a message naming the value, and a good value is
applied. Role validation is on: the argument spec of the entry point checks every form, and the one
value an argument spec cannot bound (strix_halo_gtt_reserve_mib) is checked by the filter that
computes the kernel arguments, before the first change.
"""

import json
import os

import pytest

from tests.integration.conftest import run_playbook
from tests.simulation.scratch_host import make_scratch_host
from tests.unit.host_files import tool_log, tree_files

FORMS = ("inventory", "play_vars", "roles_vars", "import_role_vars", "extra_vars")

# role -> (profile of the scratch host, [(bad values, text the failure names)])
BAD = {
    "rdna4": ("r9700_desktop", [
        ({"rdna4_aspm_policy": "turbo"}, "turbo"),
    ]),
    "strix_halo": ("strix_halo_laptop_64g", [
        ({"strix_halo_ryzenadj_enabled": True, "strix_halo_ryzenadj_limits": {"stapm_limt": 80}}, "stapm_limt"),
        ({"strix_halo_gtt_reserve_mib": 512},
         "a GTT reserve of 512 MiB leaves the OS too little memory (the GPU may pin the rest); at least 1024 MiB is allowed"),
    ]),
    "ollama": ("r9700_desktop", [
        ({"ollama_backend": "turbo"}, "turbo"),
    ]),
    "llama_cpp": ("r9700_desktop", [
        ({"llama_cpp_backend": "turbo"}, "turbo"),
    ]),
}
BAD_CASES = [pytest.param(role, values, named, id="%s-%s" % (role, "-".join(sorted(values))))
             for role, (_profile, cases) in BAD.items() for values, named in cases]


def write_yaml(path, data):
    """JSON is YAML: the files below are written as JSON so that every value keeps its type."""
    path.write_text(json.dumps(data, indent=2) + "\n")
    return str(path)


def run_role(tmp_path, role, root, form, values):
    """Run the role's main entry point on ``root`` with ``values`` given in ``form``."""
    host = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "inferops_sysroot": root}
    play = {"name": "A user's play", "hosts": "box", "gather_facts": False}
    extra = []
    if form == "inventory":
        host.update(values)
    elif form == "extra_vars":
        # what a user types: name=value for a scalar (it arrives as a string), JSON for a dict
        for name, value in sorted(values.items()):
            if isinstance(value, dict):
                extra += ["-e", json.dumps({name: value})]
            else:
                extra += ["-e", "%s=%s" % (name, str(value).lower() if isinstance(value, bool) else value)]
    if form == "play_vars":
        play["vars"] = values
    if form == "roles_vars":
        play["roles"] = [{"role": "inferops.amd.%s" % role, "vars": values}]
    elif form == "import_role_vars":
        play["tasks"] = [{"name": "Run the role", "ansible.builtin.import_role": {"name": "inferops.amd.%s" % role},
                          "vars": values}]
    else:
        play["roles"] = [{"role": "inferops.amd.%s" % role}]
    inventory = write_yaml(tmp_path / ("hosts-%s.yml" % form), {"all": {"hosts": {"box": host}}})
    playbook = write_yaml(tmp_path / ("play-%s.yml" % form), [play])
    return run_playbook(playbook, inventory, extra)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("role, values, named", BAD_CASES)
def test_a_bad_value_stops_the_role_before_any_change(tmp_path, role, values, named, form):
    root = make_scratch_host(BAD[role][0], str(tmp_path / "host"))
    before = tree_files(root)
    run = run_role(tmp_path, role, root, form, values)
    assert run.returncode != 0, run.output[-4000:]
    assert named in run.flat_output, run.output[-4000:]
    assert run.recap["box"]["changed"] == 0
    after = tree_files(root)
    assert sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path)) == []
    assert tool_log(root) == []  # not even a read-only tool call


def grub_words(root):
    with open(os.path.join(root, "etc/default/grub"), "rb") as handle:
        return handle.read().decode().replace('"', " ").split()


@pytest.mark.parametrize("form", FORMS)
def test_good_rdna4_values_are_applied(tmp_path, form):
    root = make_scratch_host("r9700_desktop", str(tmp_path / "host"))
    run = run_role(tmp_path, "rdna4", root, form, {"rdna4_aspm_policy": "powersave"})
    assert run.returncode == 0, run.output[-4000:]
    with open(os.path.join(root, "sys/module/pcie_aspm/parameters/policy")) as handle:
        assert "[powersave]" in handle.read()
    assert "pcie_aspm.policy=powersave" in grub_words(root)


@pytest.mark.parametrize("form", FORMS)
def test_good_strix_halo_values_are_applied(tmp_path, form):
    root = make_scratch_host("strix_halo_laptop_64g", str(tmp_path / "host"))
    values = {"strix_halo_ryzenadj_enabled": True, "strix_halo_ryzenadj_limits": {"stapm_limit": 60},
              "strix_halo_iommu": "leave", "strix_halo_gtt_reserve_mib": 8192}
    run = run_role(tmp_path, "strix_halo", root, form, values)
    assert run.returncode == 0, run.output[-4000:]
    ryzenadj = [call["argv"] for call in tool_log(root) if call["tool"] == "ryzenadj"]
    assert ["--stapm-limit=60000"] in ryzenadj, ryzenadj  # watts given, milliwatts set
    entries = os.path.join(root, "boot/loader/entries")
    (entry,) = os.listdir(entries)
    with open(os.path.join(entries, entry)) as handle:
        options = next(line for line in handle if line.startswith("options ")).split()
    # MemTotal 63692 MiB less the 8192 MiB reserve, in 4 KiB pages; iommu=pt only when asked for
    assert "ttm.pages_limit=%d" % ((63692 - 8192) * 256) in options
    assert "iommu=pt" not in options
