"""nnfx-pedal as a live JACK client, against a private jackd with the dummy driver.

The dummy driver needs no sound card: it runs the JACK graph on a timer, so the pedal's
process callback really runs here as it would on a Pi. Each test starts its own named
server so that nothing on the machine is touched, and stops it afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from boards_util import RPI, make, need, zoo_model

TOOLS_NEEDED = ("jackd", "jack_lsp", "jack_connect")


def _env(server: str) -> dict[str, str]:
    return {**os.environ, "JACK_DEFAULT_SERVER": server, "JACK_NO_AUDIO_RESERVATION": "1"}


def _ports(env: dict[str, str]) -> list[str]:
    proc = subprocess.run(["jack_lsp"], capture_output=True, text=True, env=env, timeout=10)
    return proc.stdout.split() if proc.returncode == 0 else []


def _wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


@pytest.fixture(scope="module")
def pedal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for tool in TOOLS_NEEDED:
        need(tool)  # jackd2 (CI installs it)
    build = tmp_path_factory.mktemp("jack-build")
    make(RPI, f"BUILD={build}", "JACK=1", f"{build}/nnfx-pedal")
    return build / "nnfx-pedal"


@pytest.fixture()
def jack_server(tmp_path: Path):
    server = f"nnfx-test-{os.getpid()}-{time.monotonic_ns()}"
    env = _env(server)
    log = open(tmp_path / "jackd.log", "w")  # closed in the finally below
    jackd = subprocess.Popen(
        ["jackd", "--no-realtime", "-n", server, "-d", "dummy", "-r", "48000", "-p", "64"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(lambda: "system:playback_1" in _ports(env), 15, "jackd (dummy driver)")
        yield env
    finally:
        jackd.terminate()
        try:
            jackd.wait(timeout=10)
        except subprocess.TimeoutExpired:
            jackd.kill()
        log.close()


def test_pedal_plays_as_jack_client(pedal: Path, jack_server: dict[str, str], tmp_path: Path):
    model = zoo_model("overdrive", tmp_path / "overdrive.onnx", 48000, block=64)
    proc = subprocess.Popen(
        [str(pedal), "--model", str(model), "--name", "pedal"],
        env=jack_server, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        want = {"pedal:in_1", "pedal:out_1", "pedal:midi_in"}
        _wait_for(lambda: want <= set(_ports(jack_server)), 15, "the pedal's JACK ports")
        for src, dst in (("system:capture_1", "pedal:in_1"), ("pedal:out_1", "system:playback_1")):
            subprocess.run(["jack_connect", src, dst], env=jack_server, check=True, timeout=10)
        time.sleep(1.0)  # the graph runs the pedal's callback ~750 times per second
        assert proc.poll() is None, f"nnfx-pedal exited early: {proc.communicate()}"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "running as JACK client 'pedal' (1 in, 1 out)" in out
    assert "loaded" in out and "receptive field 127 frames" in out, out


def test_no_jack_server_is_one_clear_line(pedal: Path, tmp_path: Path):
    model = zoo_model("overdrive", tmp_path / "overdrive.onnx", 48000, block=64)
    env = _env(f"nnfx-no-such-server-{os.getpid()}")
    proc = subprocess.run([str(pedal), "--model", str(model)], env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("nnfx-pedal")]
    assert len(lines) == 1 and "cannot connect to the JACK server" in lines[0], proc.stderr
