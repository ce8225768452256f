# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  sysroot:
    description:
      - Root of the machine tree every C(/sys), C(/proc), C(/etc), C(/usr) and C(/boot) path is read from and written to.
      - Leave at C(/) on real hosts. Point it at a recorded hardware tree to run against a simulated host (tests, the demo fleet).
      - A tree without the simulation marker (an extracted M(inferops.amd.hardware_capture) archive, an image) is a plain
        tree, read like C(/) but never written to in place for kernel attributes (the module fails naming the file).
      - Set it for every module of the collection at once with C(module_defaults) and the action group C(group/inferops.amd.hardware);
        the roles of the collection then act on the same root (or set C(inferops_sysroot) for them).
    type: path
    default: /
"""
