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
      - Leave at C(/) on real hosts. Point it at a machine tree (an image, an extracted M(inferops.amd.hardware_capture) archive)
        to read that machine; the tests and the demo fleet point it at simulated hosts.
      - A tree is data. Nothing of it is run or sourced unless the controller sets C(INFEROPS_SIMULATION=1).
      - A kernel attribute write on a tree goes to the tree's own attribute writer C(/usr/libexec/inferops/sysfs-write)
        (argv C(PATH VALUE), exit status the errno the kernel would return), and only with that switch. A tree without
        a writer that may run is a plain tree. It is read like C(/) but kernel attributes are never written to in place
        (the module fails naming the file).
      - Set it for every module of the collection at once with C(module_defaults) and the action group C(group/inferops.amd.hardware);
        the roles of the collection then act on the same root (or set C(inferops_sysroot) for them).
    type: path
    default: /
"""
