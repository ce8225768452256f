"""tests/vm/vmctl.py: the two images share one recipe and differ only where the boot loader does."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "vm"))
import vmctl  # noqa: E402


def image(name, mirror="http://mirror.example.invalid/debian", cache="/cache"):
    return vmctl.Image(cache, name, mirror)


def test_the_mirror_is_not_in_the_code_but_names_the_image():
    assert "mirror" not in vmctl.GRUB_RECIPE
    assert image("grub").path != image("grub", mirror="http://local.lan/debian").path
    assert image("grub").recipe["mirror"] == "http://mirror.example.invalid/debian"


def test_the_grub_image_keeps_the_cache_key_it_had_before_the_second_image():
    # The folder name the GRUB image had, from this placeholder mirror, before systemd-boot was
    # added: the recipe hashes as it did, so the image CI cached from its own mirror is still found.
    assert os.path.basename(image("grub").path) == "bookworm-3c6c88fdf2ecf9b9"


def test_the_systemd_boot_image_swaps_only_the_boot_loader():
    grub, sdboot = vmctl.GRUB_RECIPE, vmctl.IMAGES["systemd-boot"]["recipe"]
    assert "grub-pc" not in sdboot["packages"] and "systemd-boot" in sdboot["packages"]
    assert [p for p in grub["packages"] if p != "grub-pc"] == sdboot["packages"][:len(grub["packages"]) - 1]
    assert "grub_defaults" not in sdboot and sdboot["esp_mib"] > 0
    assert "/boot/efi vfat" in sdboot["files"]["etc/fstab"]
    for key in ("suite", "variant", "kernel_args", "masked_units", "disk_mib"):
        assert sdboot[key] == grub[key]


def test_pruning_touches_only_older_builds_of_the_same_image():
    grub, sdboot = image("grub"), image("systemd-boot")
    assert grub.is_older_build("bookworm-0123456789abcdef")
    assert not grub.is_older_build(os.path.basename(grub.path))
    assert not grub.is_older_build(os.path.basename(sdboot.path))
    assert not sdboot.is_older_build(os.path.basename(grub.path))
    assert sdboot.is_older_build("systemd-boot-bookworm-0123456789abcdef")
    assert not grub.is_older_build("bookworm-build-tmp")


def test_uefi_qemu_gets_the_firmware_and_its_own_variable_store():
    argv = vmctl.qemu_base_argv("tcg", "/tmp/serial.log", "/vm/efivars.fd")
    assert "if=pflash,format=raw,unit=0,readonly=on,file=" + vmctl.OVMF_CODE in argv
    assert "if=pflash,format=raw,unit=1,file=/vm/efivars.fd" in argv
    assert not any("pflash" in word for word in vmctl.qemu_base_argv("tcg", "/tmp/serial.log"))
