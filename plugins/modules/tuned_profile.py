#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tuned_profile
short_description: Select the tuned profile of the machine under sysroot
version_added: 0.2.0
description:
  - Makes tuned run the profile O(profile) on the machine that O(sysroot) names, as C(tuned-adm profile NAME) does.
  - Reads first what C(tuned-adm active) reads without asking the daemon, from the files tuned keeps. The selected
    profile is in C(/etc/tuned/active_profile). The daemon runs while its PID file C(/run/tuned/tuned.pid) names a
    live process. A tree records no processes, so there the PID file's presence counts as a running daemon.
  - Runs C(tuned-adm profile NAME) only when another profile is selected, or when the daemon does not run (the
    profile is then only a preset, not in effect, and C(tuned-adm profile) starts the daemon on it). Otherwise it
    changes nothing.
  - C(tuned-adm) is the machine's own, found below O(sysroot) in C(/usr/local/sbin), C(/usr/local/bin), C(/usr/sbin),
    C(/usr/bin), C(/sbin) or C(/bin), and runs in the C locale with an argument list, never through a shell.
  - On a tree (any O(sysroot) but C(/)) the tree's own C(tuned-adm) runs only when the controller set the environment
    variable E(INFEROPS_SIMULATION=1) (the tests and the demo do, for the simulated hosts). Elsewhere a tree is
    data. A switch the tree needs then fails, naming the tree and the variable, before anything runs or is written.
author:
  - inferops.amd contributors (@inferops)
extends_documentation_fragment:
  - inferops.amd.sysroot
options:
  profile:
    description:
      - The tuned profile to run, for example V(accelerator-performance), V(throughput-performance) or V(balanced).
      - One name of letters, digits, C(_), C(.) and C(-), not starting with C(-) or C(.), at most 255 characters.
        Anything else is refused before anything runs.
      - C(tuned-adm) itself refuses a profile the machine does not have; the module fails with its message.
    type: str
    required: true
attributes:
  check_mode:
    description: Reads the selected profile and whether the daemon runs, and says whether it would switch; runs nothing.
    support: full
  diff_mode:
    description: Shows the profile before and after.
    support: full
notes:
  - The module needs tuned. Where the machine has no C(tuned-adm) it fails saying so; the strix_halo role selects a
    profile only where M(inferops.amd.hardware_facts) found C(tuned-adm) and warns otherwise.
  - It does not ask the daemon over D-Bus, so a profile switched by hand a moment ago counts once tuned has written
    C(/etc/tuned/active_profile), as it does on every switch.
seealso:
  - name: tuned-adm(8)
    description: The C(profile) and C(active) commands, and the profiles tuned ships.
    link: https://github.com/redhat-performance/tuned/blob/master/man/tuned-adm.8
  - module: inferops.amd.hardware_facts
"""

EXAMPLES = r"""
- name: Run tuned's accelerator-performance profile
  inferops.amd.tuned_profile:
    profile: accelerator-performance

- name: Check, without changing anything, that tuned runs throughput-performance
  inferops.amd.tuned_profile:
    profile: throughput-performance
  check_mode: true
  register: tuned
  failed_when: tuned.changed

- name: Select the profile of a simulated host's tree (with INFEROPS_SIMULATION=1 set on the controller)
  inferops.amd.tuned_profile:
    profile: accelerator-performance
    sysroot: /srv/fleet/node-03
"""

RETURN = r"""
profile:
  description: The profile asked for, which tuned runs after this run (in check mode, would run).
  type: str
  returned: success
  sample: accelerator-performance
before:
  description: The profile selected before this run, or V(null) when none was.
  type: str
  returned: success
  sample: balanced
running_before:
  description:
    - Whether the tuned daemon ran before this run. When it did not, RV(before) was only a preset, not in effect.
  type: bool
  returned: success
  sample: false
msg:
  description: What the run did, or why it did nothing.
  type: str
  returned: always
  sample: "tuned profile accelerator-performance selected (was balanced (preset, tuned not running))"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils._host import tuned as tuned_state
from ansible_collections.inferops.amd.plugins.module_utils._host.command_runner import CommandError, CommandRunner
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import TOOL_FOLDERS, module_sysroot, with_sysroot_option


def main():
    module = AnsibleModule(
        argument_spec=with_sysroot_option(dict(
            profile=dict(type="str", required=True),
        )),
        supports_check_mode=True,
    )
    try:
        profile = tuned_state.check_profile(module.params["profile"])
    except tuned_state.TunedError as exc:
        module.fail_json(msg="%s; nothing was run" % exc)
    root = module_sysroot(module)
    runner = CommandRunner(root, module.run_command)
    if runner.find(tuned_state.TUNED_ADM) is None:
        module.fail_json(msg="tuned is not installed on sysroot %s: no tuned-adm in %s; install tuned to select "
                             "profile %s" % (root.root, ", ".join(TOOL_FOLDERS), profile))

    state = tuned_state.read(root)
    was = tuned_state.describe(state)
    changed = tuned_state.needs_switch(state, profile)
    result = dict(changed=changed, profile=profile, before=state["profile"], running_before=state["running"])
    if module._diff:
        result["diff"] = dict(before_header="tuned profile", after_header="tuned profile",
                              before="%s\n" % was, after="%s\n" % (profile if changed else was))
    if not changed:
        module.exit_json(msg="tuned runs profile %s already" % profile, **result)
    if not module.check_mode:
        try:
            tuned_state.switch(runner, profile)
        except CommandError as exc:
            module.fail_json(msg="tuned profile %s not selected: %s" % (profile, exc), changed=False)
    module.exit_json(msg="tuned profile %s %s (was %s)" % (
        profile, "would be selected (check mode)" if module.check_mode else "selected", was), **result)


if __name__ == "__main__":
    main()
