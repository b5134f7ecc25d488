"""`cnfiscal serve`: a real, temporary Prefect server on 127.0.0.1, the deployment served, a run
triggered through the API and a package published."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import SAMPLES
from flows.validate import validate_package

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_served_deployment_runs_when_triggered_through_the_api(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_API_URL": api,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "TMPDIR": str(tmp_path)}
    out = tmp_path / "cnfiscal"
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    served = None
    try:
        wait_for(lambda: healthy(f"{api}/health"), 240, "the Prefect server")
        served = subprocess.Popen([str(BIN / "cnfiscal"), "serve", "--cron", "0 6 * * *",
                                   str(SAMPLES), "--out", str(out)], env=env,
                                  start_new_session=True, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)

        def triggered() -> bool:
            result = subprocess.run([str(BIN / "prefect"), "deployment", "run", "cnfiscal-run/cnfiscal"],
                                    env=env, capture_output=True, text=True)
            return result.returncode == 0
        wait_for(triggered, 180, "the deployment to be served and triggered")
        wait_for(lambda: (out / "datapackage.json").exists(), 240, "the triggered run to publish")
        validate_package(out, None)
    finally:
        if served:
            stop(served)
        stop(server)
