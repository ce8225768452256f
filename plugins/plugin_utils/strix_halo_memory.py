# -*- coding: utf-8 -*-
# Copyright: (c) 2026, inferops.amd contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How much of a Strix Halo's memory the GPU may map (GTT), as kernel arguments.

The iGPU has only the BIOS UMA carve-out as VRAM (512 MB is the recommended
setting, the strix-halo-optimizations log); everything else it uses is GTT, capped
by ``ttm.pages_limit`` (4 KiB pages) and, on older kernels, ``amdgpu.gttsize``
(MiB).  GTT pages are system RAM the kernel manages, which is exactly what
MemTotal counts (the carve-out is already taken out of it), so the cap is
MemTotal less a reserve for the OS.  Adding the carve-out back would ask a
machine with a large carve-out for more GTT than it has RAM.

* reserve defaults to 4 GiB: the 128 GB machine (MemTotal 132556528 kB,
  129449 MiB) gets 125353 MiB = 32090368 pages; seed 001 used 126976 MiB,
  sized from the installed 128 GiB rather than from MemTotal;
* the 64 GB laptop (MemTotal 65221212 kB, 63692 MiB) gets 59596 MiB; seed
  002 used 60416 MiB.

The kernel's own default is half of MemTotal (ttm_global_init() in
drivers/gpu/drm/ttm/ttm_device.c, read by amdgpu_ttm_init()).

The reserve is the one rule for the strix_halo role's
``strix_halo_gtt_reserve_mib`` (its argument spec says only "int"): at least
``MIN_RESERVE_MIB`` and less than MemTotal.  GTT pages are RAM the GPU may pin,
so what the reserve leaves is all the OS is sure to keep for the kernel, the
page cache and the services while a model fills the rest; a reserve under
1 GiB (0 makes GTT all of MemTotal) lets the GPU starve the host, and one of
MemTotal or more leaves no GTT to size.  The role's kernel arguments are
computed on the controller by the strix_halo_gtt filter, which calls
plan_gtt(), when the role's first change task is templated: a bad reserve
stops the host before anything is written.

Since 6.5, ``amdgpu_ttm_init()`` sizes GTT from ``ttm_tt_pages_limit()`` alone
("drm/amdgpu: Set GTT size equal to TTM mem limit"), and since 6.15 a set
``amdgpu.gttsize`` logs "Configuring gttsize via module parameter is deprecated,
please use ttm.pages_limit" (commit 50e30e3a0ef3, "drm/amd: Mark amdgpu.gttsize
parameter as deprecated and show warnings on use", drm pull for 6.15-rc1), so
gttsize is only emitted for kernels older than ``GTTSIZE_DEPRECATED_SINCE``;
where both are set it still wins, so older kernels keep getting it as before.

On a host running AMD's out-of-tree amdgpu-dkms, amdgpu uses AMD's renamed TTM
module ``amdttm`` (ROCm/amdgpu ``dkms.conf``, the TTM Makefile's ``TTM_NAME``),
whose parameters are ``amdttm.pages_limit``; ``ttm.pages_limit`` then sets the
in-tree module nobody uses (ROCm issue #5562).  ``ttm_module`` names the one to set.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.inferops.amd.plugins.module_utils._host import system as host_system

MIB = 1024 * 1024
GIB = 1024 * MIB
PAGE_SIZE = 4096
INSTALLED_GRANULARITY = 4 * GIB
DEFAULT_RESERVE_MIB = 4096
MIN_RESERVE_MIB = 1024
GTTSIZE_DEPRECATED_SINCE = (6, 15)
TTM_MODULES = ("ttm", "amdttm")


class MemoryPlanError(ValueError):
    pass


def kernel_version(release):
    """(major, minor) of a kernel release string like ``6.17.7-300.fc43.x86_64``."""
    version = host_system.kernel_version(release)
    if version is None:
        raise MemoryPlanError("cannot read a kernel version from '%s'" % release)
    return version


def installed_bytes(mem_total_bytes, uma_bytes):
    """Estimate of the memory sold with the machine (MemTotal + carve-out, rounded up to 4 GiB); informational."""
    total = mem_total_bytes + (uma_bytes or 0)
    return -(-total // INSTALLED_GRANULARITY) * INSTALLED_GRANULARITY


def _emit_gttsize(choice):
    """True or False for a boolean (or its word: a value from ``-e`` is a string), None for ``auto``."""
    if choice == "auto":
        return None
    try:
        return boolean(choice, strict=True)
    except TypeError:
        raise MemoryPlanError("emit_gttsize must be auto, true or false, got '%s'" % (choice,))


def plan_gtt(mem_total_bytes, uma_bytes, kernel_release, reserve_mib=DEFAULT_RESERVE_MIB, emit_gttsize="auto",
             ttm_module="ttm"):
    """GTT size and the kernel arguments that set it.

    ``uma_bytes`` (the carve-out) only feeds the informational
    ``installed_mib``; the GTT is sized from MemTotal.  Returns a dict with
    ``mem_total_mib``, ``installed_mib``, ``gtt_mib``, ``pages_limit`` and
    ``kernel_args`` (a list of ``name=value``).
    """
    if not mem_total_bytes or mem_total_bytes <= 0:
        raise MemoryPlanError("MemTotal is unknown or zero; cannot size GTT")
    if reserve_mib < MIN_RESERVE_MIB:
        raise MemoryPlanError("a GTT reserve of %d MiB leaves the OS too little memory (the GPU may pin the rest); "
                              "at least %d MiB is allowed" % (reserve_mib, MIN_RESERVE_MIB))
    installed_mib = installed_bytes(mem_total_bytes, uma_bytes) // MIB
    mem_total_mib = mem_total_bytes // MIB
    gtt_mib = mem_total_mib - reserve_mib
    if gtt_mib <= 0:
        raise MemoryPlanError("a reserve of %d MiB is larger than the %d MiB of MemTotal" % (reserve_mib, mem_total_mib))
    pages_limit = gtt_mib * MIB // PAGE_SIZE
    emit = _emit_gttsize(emit_gttsize)
    if emit is None:
        emit = kernel_version(kernel_release) < GTTSIZE_DEPRECATED_SINCE
    args = ["amdgpu.gttsize=%d" % gtt_mib] if emit else []
    if ttm_module not in TTM_MODULES:
        raise MemoryPlanError("the TTM module must be one of %s, got '%s'" % (", ".join(TTM_MODULES), ttm_module))
    args.append("%s.pages_limit=%d" % (ttm_module, pages_limit))
    return {"mem_total_mib": mem_total_mib, "installed_mib": installed_mib, "gtt_mib": gtt_mib, "pages_limit": pages_limit, "kernel_args": args}
