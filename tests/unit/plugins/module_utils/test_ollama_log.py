"""Reading which backend Ollama chose from its log."""

from ansible_collections.inferops.amd.plugins.module_utils._ollama import log as ollama_log

# Field layout of discover/types.go LogDetails (0.12.x and later); values as
# public journals show them (ollama/ollama issues, 2025-2026).
NEW_ROCM = ('time=2026-01-12T10:00:01.100+01:00 level=INFO source=types.go:42 msg="inference compute" id=0 '
            'filter_id="" library=ROCm compute=gfx1201 name=ROCm0 description="AMD Radeon RX 9070 XT" '
            'libdirs=ollama,rocm driver=60342.13 pci_id=0000:08:00.0 type=discrete total="15.9 GiB" '
            'available="15.8 GiB"')
NEW_VULKAN = ('time=2026-05-09T11:30:25.199Z level=INFO source=types.go:42 msg="inference compute" '
              'id=00000000-0700-0000-0000-000000000000 filter_id="" library=Vulkan compute=0.0 name=Vulkan0 '
              'description="AMD Radeon Graphics (RADV RENOIR)" libdirs=ollama,vulkan driver=0.0 '
              'pci_id=0000:07:00.0 type=iGPU total="16.3 GiB" available="15.1 GiB"')
OLD_ROCM = ('time=2024-08-03T10:42:38.775-07:00 level=INFO source=types.go:105 msg="inference compute" id=0 '
            'library=rocm compute=gfx1010 driver=6.8 name=1002:731f total="8.0 GiB" available="8.0 GiB"')
CPU = ('time=2025-11-17T18:59:19.949-05:00 level=INFO source=types.go:60 msg="inference compute" id=cpu '
       'library=cpu compute="" name=cpu description=cpu libdirs=ollama driver="" pci_id="" type="" '
       'total="31.7 GiB" available="22.1 GiB"')


def listening(version, port=11434):
    return ('time=2026-01-12T10:00:00.000+01:00 level=INFO source=routes.go:1597 '
            'msg="Listening on 127.0.0.1:%d (version %s)"' % (port, version))


def test_parse_slog_line_unquotes_values():
    fields = ollama_log.parse_slog_line(NEW_ROCM)
    assert fields["description"] == "AMD Radeon RX 9070 XT"
    assert fields["filter_id"] == "" and fields["compute"] == "gfx1201" and fields["total"] == "15.9 GiB"


def test_journal_prefix_is_ignored():
    line = "Jan 12 10:00:01 host ollama[254]: " + OLD_ROCM
    assert ollama_log.parse_slog_line(line)["library"] == "rocm"


def test_escaped_quotes_in_values():
    fields = ollama_log.parse_slog_line('level=INFO msg="inference compute" description="say \\"hi\\"" library=cpu')
    assert fields["description"] == 'say "hi"'


def test_last_start_wins_after_a_restart():
    text = "\n".join([listening("0.15.5", 40001), NEW_ROCM, "Stopped ollama.service.",
                      listening("0.15.5", 40002), NEW_VULKAN])
    start = ollama_log.last_server_start(text)
    assert (start.version, start.address, start.libraries) == ("0.15.5", "127.0.0.1:40002", ["vulkan"])
    assert "time" not in start.devices[0]
    assert len(ollama_log.server_starts(text)) == 2


def test_start_without_devices_yet():
    start = ollama_log.last_server_start(listening("0.15.5"))
    assert start.devices == [] and not ollama_log.backend_matches(start, "vulkan")


def test_backend_matches():
    def start_of(*lines):
        return ollama_log.last_server_start("\n".join((listening("0.15.5"),) + lines))
    assert ollama_log.backend_matches(start_of(NEW_VULKAN), "vulkan")
    assert not ollama_log.backend_matches(start_of(NEW_ROCM), "vulkan")
    assert ollama_log.backend_matches(start_of(OLD_ROCM), "rocm")
    assert ollama_log.backend_matches(start_of(CPU), "cpu")
    assert not ollama_log.backend_matches(start_of(NEW_ROCM, NEW_VULKAN), "vulkan")


def test_log_without_listening_line_still_yields_devices():
    assert ollama_log.last_server_start(CPU).libraries == ["cpu"]
    assert ollama_log.last_server_start("nothing here") is None


def test_current_start_is_the_process_systemd_started_last():
    old = "\n".join(["Started ollama.service - Ollama Service.", listening("0.15.5", 40001), NEW_ROCM])
    assert ollama_log.current_server_start(old).libraries == ["rocm"]
    # Restarted: until the new process logs, there is no current start.
    restarted = old + "\nStopping ollama.service - Ollama Service...\nStopped ollama.service.\nStarted ollama.service.\n"
    assert ollama_log.current_server_start(restarted) is None
    done = restarted + listening("0.15.5", 40002) + "\n" + NEW_VULKAN
    start = ollama_log.current_server_start(done)
    assert start.address == "127.0.0.1:40002" and start.libraries == ["vulkan"]


def test_current_start_with_journal_prefixes():
    text = ("Jan 12 10:00:00 host systemd[1]: Started ollama.service - Ollama Service.\n"
            "Jan 12 10:00:01 host ollama[254]: " + listening("0.15.5") + "\n"
            "Jan 12 10:00:02 host ollama[254]: " + NEW_ROCM + "\n")
    assert ollama_log.current_server_start(text).libraries == ["rocm"]
