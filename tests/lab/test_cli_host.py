"""``descentlab lab --host``: an IP address, loopback unless asked, and a warning otherwise."""

from __future__ import annotations

import subprocess
import sys

import pytest
from labkit import free_port, stop

from descentlab.cli import UsageError
from descentlab.cli.lab import check_host


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", True)),
        ("localhost", ("127.0.0.1", True)),
        ("::1", ("::1", True)),
        ("0.0.0.0", ("0.0.0.0", False)),
        ("192.168.1.20", ("192.168.1.20", False)),
        ("::", ("::", False)),
    ],
)
def test_a_host_is_an_address_and_loopback_is_known(host, expected):
    assert check_host(host) == expected


@pytest.mark.parametrize("host", ["", " ", "example.org", "127.0.0.1:80", "999.1.1.1", "0.0.0.0\n"])
def test_anything_else_is_refused_in_one_sentence(host):
    with pytest.raises(UsageError) as info:
        check_host(host)
    assert str(info.value) == (
        f"Invalid host: {host!r} (expected an IP address such as 127.0.0.1, or 0.0.0.0 to "
        "listen on every interface)"
    )


def test_an_empty_host_exits_2_and_binds_nothing():
    bad = subprocess.run(
        [sys.executable, "-m", "descentlab", "lab", "--host", "", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip() == (
        "descentlab lab: error: Invalid host: '' (expected an IP address such as 127.0.0.1, "
        "or 0.0.0.0 to listen on every interface)"
    )


def test_every_interface_only_when_asked_and_with_a_warning():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "descentlab", "lab", "--host", "0.0.0.0", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        warning = proc.stderr.readline()
        assert warning.startswith("descentlab lab: warning: listening on 0.0.0.0, so the lab is")
        assert "reachable from the network" in warning
        assert proc.stdout.readline().strip() == f"descentlab lab: serving on http://0.0.0.0:{port}"
    finally:
        assert stop(proc) == 0
