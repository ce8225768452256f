#!/usr/bin/env bash
# `make vm`: the collection against real Debian 12 VMs under qemu, molecule's scenarios in the
# collection layout (extensions/molecule/, shared settings in extensions/molecule/config.yml):
#   default          GRUB (BIOS): converge, reboot, idempotence, /proc/cmdline, ASPM policy
#   vm_grub_failure  update-grub fails: the play fails clearly, the VM boots as before
#   vm_systemd_boot  systemd-boot (UEFI, OVMF): converge, reboot, idempotence, loader
#                    entry; then kernel-install fails: entries as before, the VM boots
# Installs what it needs from Debian's packages, prints the cost of every phase, exits non-zero
# on any failure. INFEROPS_SKIP_VM=1 skips it (loudly). docs/vm-testing.md has the details.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD

read -r -a SCENARIOS <<<"${INFEROPS_VM_SCENARIOS:-default vm_grub_failure vm_systemd_boot}"
STEP_TIMEOUT=${INFEROPS_VM_STEP_TIMEOUT:-1200}
REQUIRED=(qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils debootstrap:debootstrap
          sfdisk:fdisk mkfs.ext4:e2fsprogs ssh:openssh-client ssh-keygen:openssh-client
          mkfs.vfat:dosfstools)
# Files, not commands: UEFI firmware for the systemd-boot image (tests/vm/vmctl.py OVMF_*).
REQUIRED_FILES=(/usr/share/OVMF/OVMF_CODE_4M.fd:ovmf /usr/share/OVMF/OVMF_VARS_4M.fd:ovmf)

banner() { printf '\n%s\n%s\n%s\n' "========================================================" "$*" \
                  "========================================================"; }

skip() {
    banner "make vm: SKIPPED - $*"
    echo "The real-VM tests did NOT run: nothing about real GRUB or reboots was checked."
    exit 0
}

if [[ "${INFEROPS_SKIP_VM:-0}" == 1 ]]; then
    skip "INFEROPS_SKIP_VM=1 is set"
fi
[[ $(uname -m) == x86_64 ]] || skip "host is $(uname -m), the image and qemu setup are x86_64 only"
[[ $EUID -eq 0 ]] || skip "not root (debootstrap and apt-get need root)"

missing=()
for pair in "${REQUIRED[@]}"; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
for pair in "${REQUIRED_FILES[@]}"; do
    [[ -e "${pair%%:*}" ]] || missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
    command -v apt-get >/dev/null || skip "no apt-get to install ${missing[*]}"
    banner "installing ${missing[*]} from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
    apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi
qemu-system-x86_64 --version >/dev/null || skip "qemu-system-x86_64 does not run here"

export ANSIBLE_CONFIG=$REPO/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH=$REPO/.build/collections
export ANSIBLE_CALLBACK_PLUGINS=$REPO/tests/vm/callback_plugins
export ANSIBLE_CALLBACKS_ENABLED=inferops_vm_timings
export PATH=$REPO/.venv/bin:$PATH
export INFEROPS_VM_TIMINGS
INFEROPS_VM_TIMINGS=$(mktemp /tmp/inferops-vm-timings.XXXXXX)
MOLECULE_LOG=$(mktemp /tmp/inferops-vm-molecule.XXXXXX)
# molecule from the collection root with .venv/bin on PATH (tests/vm/molecule.sh says why)
MOLECULE=(bash "$REPO/tests/vm/molecule.sh")
SCENARIO_ROOT=extensions/molecule
STARTED=$SECONDS
current_scenario=""

timed() {  # timed PHASE COMMAND...: run it, append "PHASE seconds" to the timings file
    local phase=$1 start=$SECONDS
    shift
    "$@"
    echo "$phase $((SECONDS - start))" >>"$INFEROPS_VM_TIMINGS"
}

report() {
    local rc=$?
    if [[ -n "$current_scenario" ]]; then
        # destroy deletes the VMs' folders: show how each console ended first (a boot that hangs
        # shows up here only; the reboot task just says it timed out).
        while IFS= read -r serial_log; do
            banner "make vm: last 60 lines of $serial_log"
            tail -n 60 "$serial_log" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' || true
        done < <(find "$HOME/.ansible/tmp" -path "*.$current_scenario/vms/*/serial.log" \
                      -newer "$INFEROPS_VM_TIMINGS" 2>/dev/null)
        echo "make vm: cleaning up scenario $current_scenario after a failure"
        "${MOLECULE[@]}" destroy -s "$current_scenario" >/dev/null 2>&1 || true
    fi
    echo "total $((SECONDS - STARTED))" >>"$INFEROPS_VM_TIMINGS"
    banner "make vm: cost per phase in seconds (image-build ~0 = cached; boot = qemu start to SSH)"
    awk '{ printf "  %-36s %7.0f\n", $1, $2 }' "$INFEROPS_VM_TIMINGS"
    ((rc != 0)) || echo "  accelerator: $(python3 tests/vm/vmctl.py --image "${IMAGES[0]:-grub}" accel)"
    rm -f "$INFEROPS_VM_TIMINGS" "$MOLECULE_LOG"
    if ((rc == 0)); then
        banner "make vm: PASSED (${SCENARIOS[*]})"
    else
        banner "make vm: FAILED (exit $rc)"
    fi
    exit "$rc"
}
trap report EXIT

sequence() {  # the scenario's test_sequence: its molecule.yml's, else the shared config.yml's
    "$REPO/.venv/bin/python" -c 'import sys, yaml
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        steps = (yaml.safe_load(handle) or {}).get("scenario", {}).get("test_sequence")
    if steps:
        print(" ".join(steps))
        sys.exit(0)
sys.exit("no scenario.test_sequence in " + " or ".join(sys.argv[1:]))' \
        "$SCENARIO_ROOT/$1/molecule.yml" "$SCENARIO_ROOT/config.yml"
}

images() {  # the vmctl.py --image names the scenarios' platforms boot (default grub)
    "$REPO/.venv/bin/python" -c 'import sys, yaml
names = [platform.get("image", "grub") for path in sys.argv[1:]
         for platform in yaml.safe_load(open(path))["platforms"]]
print(" ".join(sorted(set(names))))' "${@/%//molecule.yml}"
}

for scenario in "${SCENARIOS[@]}"; do  # a name that is no scenario stops here, before any image build
    [[ -f "$SCENARIO_ROOT/$scenario/molecule.yml" ]] || {
        echo "make vm: no scenario $scenario ($SCENARIO_ROOT/$scenario/molecule.yml); INFEROPS_VM_SCENARIOS takes" \
             "names among: $(cd "$SCENARIO_ROOT" && ls -d -- */molecule.yml | sed 's#/molecule.yml##' | tr '\n' ' ')" >&2
        exit 2
    }
done
read -r -a IMAGES <<<"$(images "${SCENARIOS[@]/#/$SCENARIO_ROOT/}")"
for image in "${IMAGES[@]}"; do
    banner "image $image: build or reuse ($(python3 tests/vm/vmctl.py --image "$image" image-path))"
    timed "image-build:$image" python3 tests/vm/vmctl.py --image "$image" build-image
done

for scenario in "${SCENARIOS[@]}"; do
    banner "scenario $scenario: $(sequence "$scenario")"
    current_scenario=$scenario
    for step in $(sequence "$scenario"); do
        # molecule names the step side_effect in test_sequence, side-effect on the command line
        timed "$scenario:$step" timeout "$STEP_TIMEOUT" "${MOLECULE[@]}" "${step//_/-}" -s "$scenario" 2>&1 \
            | tee -a "$MOLECULE_LOG"
    done
    current_scenario=""
done

# A passing run must not log CRITICAL or ERROR anywhere (molecule's levels, ansible's [ERROR]/ERROR!):
# such a line is a real problem the exit codes did not catch (as the missing default scenario once was).
if sed 's/\x1b\[[0-9;]*m//g' "$MOLECULE_LOG" | grep -nE '^\s*(CRITICAL|ERROR)\b|\[ERROR\]|^ERROR!' >&2; then
    echo "make vm: the lines above are CRITICAL/ERROR messages in an otherwise passing run" >&2
    exit 1
fi
# Nor a WARNING of molecule's own (ansible's are `[WARNING]:`): "Molecule scenarios should migrate to
# 'extensions/molecule'", "Skipping, no tests found" and the like. One is expected after a molecule.yml
# was edited: state from an earlier run still records the file's old date, and the scenario's first
# step, destroy, resets it (molecule/config.py: Config.state).
if sed 's/\x1b\[[0-9;]*m//g' "$MOLECULE_LOG" | grep -nE '^\s*WARNING\b' \
        | grep -v 'has been modified since the scenario was created' >&2; then
    echo "make vm: the lines above are molecule WARNING messages in an otherwise passing run" >&2
    exit 1
fi
