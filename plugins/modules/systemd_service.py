#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: systemd_service
short_description: Start, stop, restart, reload, enable or disable a systemd service of the machine under sysroot
version_added: 0.2.0
description:
  - Brings one systemd unit to the state asked for, like M(ansible.builtin.systemd_service), on the machine that
    O(sysroot) names, so that the roles of the collection run the same tasks on a real host and on a simulated one.
  - On C(/) it runs the host's C(systemctl). On a tree (any other O(sysroot)) it runs the tree's own C(systemctl),
    and only when the controller set the environment variable E(INFEROPS_SIMULATION=1) (the tests and the demo do,
    for the simulated hosts that carry a stand-in C(systemctl)).
  - On any other tree (the variable is not set, or the tree has no C(systemctl)) it changes nothing and says so in
    RV(msg), reporting no change, because a tree (an extracted capture, an image) has no running services.
  - One C(systemctl show) reads the unit's state; then, in this order, C(systemctl daemon-reload) (with
    O(daemon_reload)), C(systemctl enable) or C(systemctl disable) (with O(enabled), only when the unit file state
    differs) and C(systemctl start), C(stop), C(restart) or C(reload) (with O(state), only when the unit is not
    already so; V(restarted) always restarts). After a change a second C(systemctl show) reads the state returned.
  - All C(systemctl) calls run in the C locale with an argument list, never through a shell.
author:
  - inferops.amd contributors (@inferops)
extends_documentation_fragment:
  - inferops.amd.sysroot
options:
  name:
    description:
      - The unit, for example V(ollama) or V(llama-server.service). A name without a type suffix gets
        V(.service), as C(systemctl) does.
      - Letters, digits and C(:-_.\@), at most 255 characters, not starting with C(-); anything else is refused before
        anything runs.
    type: str
    required: true
    aliases: [unit]
  state:
    description:
      - V(started) starts the unit when it is not running; V(stopped) stops it when it is running.
      - V(restarted) always restarts it (and so always reports a change); V(reloaded) reloads a running unit (its
        C(ExecReload=)) and starts one that is not running.
      - Omit to leave whether it runs as it is.
    type: str
    choices: [started, stopped, restarted, reloaded]
  enabled:
    description:
      - V(true) enables the unit (C(systemctl enable)) when its unit file state is V(disabled), V(linked) or
        V(linked-runtime); a V(static), V(indirect), V(alias) or V(generated) unit counts as enabled, as
        C(systemctl is-enabled) says.
      - V(false) disables it when its unit file state is V(enabled) or V(enabled-runtime).
      - Omit to leave it as it is.
    type: bool
  daemon_reload:
    description:
      - Run C(systemctl daemon-reload) first, so that systemd reads unit files and drop-ins written before this
        task. Set it to whether such a file changed, as in the examples.
      - The reload itself does not count as a change (a unit file written before it did), so a second run stays
        unchanged; RV(daemon_reloaded) says whether it ran.
    type: bool
    default: false
attributes:
  check_mode:
    description: Reads the unit's state with the read-only C(systemctl show) and predicts the verbs; runs none of them.
    support: full
  diff_mode:
    description: Nothing to show beyond RV(actions).
    support: none
notes:
  - A unit that is not installed or is masked cannot be started or enabled; the module fails naming the unit and
    what to do. Stopping or disabling such a unit is nothing to do.
  - In check mode a unit that is not installed is planned as a disabled, stopped unit (RV(actions) says what would
    run, RV(msg) that it is not installed yet), since the task that writes its file ran in check mode too.
  - The module needs the C(systemctl) of the machine; on a host without systemd it fails.
seealso:
  - module: ansible.builtin.systemd_service
  - name: systemctl(1)
    description: The verbs the module runs and the unit file states it reads.
    link: https://www.freedesktop.org/software/systemd/man/latest/systemctl.html
"""

EXAMPLES = r"""
- name: Write the llama-server unit
  inferops.amd.config_file:
    path: /etc/systemd/system/llama-server.service
    content: "{{ lookup('ansible.builtin.template', 'llama-server.service.j2') }}"
  register: unit_file

- name: Run llama-server now and at boot
  inferops.amd.systemd_service:
    name: llama-server.service
    state: started
    enabled: true
    daemon_reload: "{{ unit_file.changed }}"

- name: Restart Ollama (a handler)
  inferops.amd.systemd_service:
    name: ollama
    state: restarted
    daemon_reload: true

- name: Check, without changing anything, that llama-server runs and starts at boot
  inferops.amd.systemd_service:
    name: llama-server
    state: started
    enabled: true
  check_mode: true
  register: service
  failed_when: service.changed

- name: Act on a simulated host's tree (with INFEROPS_SIMULATION=1 set on the controller)
  inferops.amd.systemd_service:
    name: ollama
    state: started
    sysroot: /srv/fleet/node-03
"""

RETURN = r"""
name:
  description: The unit, with the V(.service) suffix added when O(name) had none.
  type: str
  returned: always
  sample: llama-server.service
status:
  description:
    - What C(systemctl show) said of the unit after this run (in check mode, before it), its
      C(LoadState), C(ActiveState) and C(UnitFileState).
    - Empty on a tree without running services.
  type: dict
  returned: always
  sample: {LoadState: loaded, ActiveState: active, UnitFileState: enabled}
active:
  description:
    - Whether the unit runs (C(ActiveState) V(active), V(activating), V(reloading) or V(refreshing)) after this run;
      in check mode, whether it would.
    - V(null) on a tree without running services.
  type: bool
  returned: always
  sample: true
enabled:
  description:
    - Whether the unit starts at boot (its unit file state is one that C(systemctl is-enabled) answers with exit 0)
      after this run; in check mode, whether it would.
    - V(null) on a tree without running services.
  type: bool
  returned: always
  sample: true
actions:
  description:
    - The C(systemctl) commands this run ran (in check mode, would run) to change the unit, in order, without
      C(daemon-reload).
  type: list
  elements: str
  returned: always
  sample: ["enable llama-server.service", "start llama-server.service"]
daemon_reloaded:
  description: Whether C(systemctl daemon-reload) ran (in check mode, would run).
  type: bool
  returned: always
  sample: false
msg:
  description: What the run did, or why it did nothing (a tree without running services).
  type: str
  returned: always
  sample: "llama-server.service: enable, start"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.inferops.amd.plugins.module_utils._systemd import service as systemd_service
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import module_sysroot, with_sysroot_option


def describe(unit, actions, check_mode, missing):
    if not actions:
        return "%s: already as asked, nothing to do" % unit
    verbs = ", ".join(action.split(" ", 1)[0] for action in actions)
    if check_mode and missing:
        return "%s: %s (check mode: would run; the unit is not installed yet, which an earlier task may change)" % (
            unit, verbs)
    return "%s: %s%s" % (unit, verbs, " (check mode: would run)" if check_mode else "")


def main():
    module = AnsibleModule(
        argument_spec=with_sysroot_option(dict(
            name=dict(type="str", required=True, aliases=["unit"]),
            state=dict(type="str", choices=list(systemd_service.STATES)),
            enabled=dict(type="bool"),
            daemon_reload=dict(type="bool", default=False),
        )),
        supports_check_mode=True,
    )
    params = module.params
    try:
        unit = systemd_service.check_name(params["name"])
    except systemd_service.ServiceError as exc:
        module.fail_json(msg="%s; nothing was run" % exc)
    root = module_sysroot(module)
    result = dict(changed=False, name=unit, status={}, active=None, enabled=None, actions=[], daemon_reloaded=False)
    systemctl = systemd_service.Systemctl(root, module.run_command)
    try:
        why_not = systemctl.available()
        if why_not:
            module.exit_json(msg=systemd_service.NO_SERVICES % (root.root, why_not), **result)
        if params["daemon_reload"]:
            result["daemon_reloaded"] = True
            if not module.check_mode:
                systemctl.run(["daemon-reload"])
        properties = result["status"] = systemctl.show(unit)
        actions = systemd_service.plan(unit, properties, params["state"], params["enabled"], module.check_mode)
        if module.check_mode or not actions:
            result.update(changed=bool(actions), actions=[" ".join(action) for action in actions])
            result["active"], result["enabled"] = systemd_service.predicted(properties, actions)
        else:
            for action in actions:
                systemctl.run(action)
                # what ran is a change, also when a later verb fails
                result.update(changed=True, actions=result["actions"] + [" ".join(action)])
            result["status"] = systemctl.show(unit)
            result["active"] = systemd_service.is_running(result["status"])
            result["enabled"] = systemd_service.is_enabled(result["status"])
    except systemd_service.ServiceError as exc:
        module.fail_json(msg=str(exc), **result)
    module.exit_json(msg=describe(unit, result["actions"], module.check_mode,
                                  systemd_service.is_missing(result["status"])), **result)


if __name__ == "__main__":
    main()
