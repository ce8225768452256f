# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernel's global PCIe ASPM policy (/sys/module/pcie_aspm/parameters/policy).

The file lists every policy with the active one in brackets:
``[default] performance powersave powersupersave `` plus a newline.  Writing
one word selects it until the next boot; the boot value comes from the
``pcie_aspm.policy=`` kernel argument (verified in a Debian VM, see
shared/reference/interfaces.md).  ``performance`` keeps links in L0, which
is worth +10.8% dense decode on an R9700 (llama.cpp discussion #21043).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import re

from ansible_collections.inferops.amd.plugins.module_utils._kernel_cmdline.arguments import parse_argument, split_cmdline
from ansible_collections.inferops.amd.plugins.module_utils._host.sysroot import AttributeWriteError

POLICY_PATH = "/sys/module/pcie_aspm/parameters/policy"
POLICIES = ("default", "performance", "powersave", "powersupersave")
KERNEL_ARGUMENT_NAME = "pcie_aspm.policy"
_WORD = re.compile(r"^\[?([a-z]+)\]?$")


class AspmPolicyError(Exception):
    """The policy file is missing, unreadable or not in the kernel's format."""


class AspmPolicy:
    """What the policy file says: the active policy and the ones offered."""

    def __init__(self, active, available):
        self.active = active
        self.available = tuple(available)

    def __repr__(self):
        return "AspmPolicy(active=%r, available=%r)" % (self.active, self.available)


def parse_policy(text):
    """Parse the policy file; raise AspmPolicyError on anything else."""
    words = text.split() if text else []
    active = [w[1:-1] for w in words if w.startswith("[") and w.endswith("]")]
    if not words or len(active) != 1 or not all(_WORD.match(w) for w in words):
        raise AspmPolicyError(
            "unexpected content in %s: %r (expected words with the active one in brackets, "
            "like '[default] performance powersave powersupersave')" % (POLICY_PATH, text))
    return AspmPolicy(active[0], [w.strip("[]") for w in words])


def read_policy(root):
    """The current policy of the machine behind ``root`` (a SysRoot)."""
    text = root.read_text(POLICY_PATH)
    if text is None:
        raise AspmPolicyError(
            "%s does not exist: the kernel was built without CONFIG_PCIEASPM "
            "or pcie_aspm is not loaded" % POLICY_PATH)
    return parse_policy(text)


def kernel_argument(policy):
    """The kernel argument that selects ``policy`` at boot."""
    return "%s=%s" % (KERNEL_ARGUMENT_NAME, policy)


def is_forbidden(error):
    """True when a write failed because the kernel/firmware forbids ASPM changes.

    aspm.c returns EPERM from the policy setter when ASPM is disabled
    (``pcie_aspm=off`` or firmware that keeps ASPM control).
    """
    return getattr(error, "errno", None) == errno.EPERM


def disabled_on_cmdline(root):
    """Whether the running kernel took ``pcie_aspm=off`` from its command line (/proc/cmdline).

    pcie_aspm_disable() (drivers/pci/pcie/aspm.c, ``__setup("pcie_aspm=", ...)``) sets
    ``aspm_disabled`` for the exact value ``off`` (``force`` is another switch); parse_args()
    (kernel/params.c) stops at ``--``, after which the arguments are init's.
    """
    for raw in split_cmdline(root.read_text("/proc/cmdline", "") or ""):
        if raw == "--":
            return False
        if parse_argument(raw) == ("pcie_aspm", "off"):
            return True
    return False


def forbidden_detail(root, detail):
    """``detail`` (the EPERM of a policy write) plus the cause when /proc/cmdline shows it."""
    if not disabled_on_cmdline(root):
        return detail
    return ("%s; /proc/cmdline has pcie_aspm=off, which disabled ASPM at boot (pcie_aspm_disable() sets "
            "aspm_disabled, drivers/pci/pcie/aspm.c) and makes every write of %s answer EPERM: remove it from the "
            "kernel command line and reboot to let the OS change ASPM" % (detail, POLICY_PATH))


def probe_policy_lock(root, policy):
    """Why the kernel refuses ASPM policy changes on this host; None when nothing says so.

    ``policy`` is the :class:`AspmPolicy` just read.  Writing the bracketed
    word back is the decisive probe: pcie_aspm_set_policy() (aspm.c) answers
    EPERM first thing while ``aspm_disabled`` is set (``pcie_aspm=off``, or
    firmware that refused OS control through the FADT or _OSC), and otherwise
    returns 0 without touching any link when the word is the active policy.
    Absent ``link/`` files prove nothing either way: they are also absent on
    links that support no ASPM state, and an _OSC-refused host shows them
    because the refusal is acted on after the PCI scan created them.

    Only a root whose attribute writes get an answer is probed (``/``, or a
    tree with an attribute writer that may run: ``SysRoot.can_write_attributes``);
    a plain tree (an extracted capture, an image) is never written in place,
    so it gives no evidence and the change is predicted.
    """
    if not root.can_write_attributes:
        return None
    try:
        root.write_attribute(POLICY_PATH, policy.active)
    except AttributeWriteError as exc:
        if is_forbidden(exc):
            return forbidden_detail(root, str(exc))
        raise
    return None
