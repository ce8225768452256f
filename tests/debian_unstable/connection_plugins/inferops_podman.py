# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test machinery only: tasks in a running podman container, through `podman exec` and `podman cp`."""

from __future__ import annotations

DOCUMENTATION = r"""
name: inferops_podman
short_description: Run tasks in a running podman container (the collection's tests only)
description:
  - Runs each task's command line with C(podman exec -i CONTAINER /bin/sh -c ...) and copies files with
    C(podman cp). Used by tests/debian_unstable for the Debian unstable test host (systemd as PID 1).
  - Not part of the collection; containers.podman's podman connection does the same for users.
author: inferops.amd contributors
options:
  remote_addr:
    description: The container's name (the last of these set).
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: inferops_podman_container
  remote_user:
    description: The user the command runs as inside the container (podman exec --user); empty is the container's user.
    default: ""
    vars:
      - name: ansible_user
  podman_executable:
    description: The podman command.
    default: podman
    vars:
      - name: inferops_podman_executable
"""

import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleFileNotFound
from ansible.plugins.connection import ConnectionBase


class Connection(ConnectionBase):
    transport = "inferops_podman"
    has_pipelining = True
    default_user = ""

    def _podman(self, *args):
        return [self.get_option("podman_executable")] + list(args)

    def _connect(self):
        if not self._connected:
            container = self.get_option("remote_addr")
            proc = subprocess.run(self._podman("inspect", "--format", "{{.State.Running}}", container),
                                  capture_output=True, text=True, check=False)
            if proc.stdout.strip() != "true":
                raise AnsibleConnectionFailure("container %s is not running (%s)" % (container, proc.stderr.strip()))
            self._connected = True
        return self

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        argv = self._podman("exec", "-i")
        if self.get_option("remote_user"):
            argv += ["--user", self.get_option("remote_user")]
        argv += [self.get_option("remote_addr"), "/bin/sh", "-c", cmd]
        proc = subprocess.run(argv, input=in_data, capture_output=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        self._copy(in_path, "%s:%s" % (self.get_option("remote_addr"), out_path), in_path)

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        self._copy("%s:%s" % (self.get_option("remote_addr"), in_path), out_path, in_path)

    def _copy(self, source, target, named):
        proc = subprocess.run(self._podman("cp", source, target), capture_output=True, check=False)
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip()
            if "no such file" in message.lower():
                raise AnsibleFileNotFound("%s: %s" % (named, message))
            raise AnsibleConnectionFailure("podman cp %s %s failed: %s" % (source, target, message))

    def close(self):
        self._connected = False
        super().close()
