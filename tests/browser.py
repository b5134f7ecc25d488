"""Open a local page in headless Chromium over the DevTools protocol and report what happened.

Chromium runs with --remote-debugging-port=0 and writes the port it chose to DevToolsActivePort
in its profile; we talk to it with the websockets client Prefect already installs. The page's
console messages, uncaught exceptions, browser log entries (where Chromium reports CSP
violations) and network requests are collected until the load event; then the DOM, the platform
fonts that drew a node's text, and a full-page screenshot.
"""
from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from websockets.sync.client import connect

CHROMIUM = shutil.which("chromium")
STARTUP_SECONDS = 60
SETTLE_SECONDS = 1.0  # after the load event, for late console messages


@dataclass
class PageReport:
    errors: list[str] = field(default_factory=list)  # console errors, exceptions, error log entries
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    dom: str = ""
    fonts: dict[str, list[str]] = field(default_factory=dict)  # selector -> platform font families


class DevTools:
    """One websocket to the browser; commands to a page go through its flattened session."""

    def __init__(self, url: str):
        self.socket = connect(url, max_size=None, open_timeout=STARTUP_SECONDS)
        self.ids = itertools.count(1)
        self.events: list[dict] = []

    def send(self, method: str, session: str | None = None, timeout: float = 60, **params) -> dict:
        message_id = next(self.ids)
        message = {"id": message_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.socket.recv(timeout=max(deadline - time.monotonic(), 0.01)))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(json.loads(self.socket.recv(timeout=max(deadline - time.monotonic(), 0.01))))

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        try:
            while (left := deadline - time.monotonic()) > 0:
                self.events.append(json.loads(self.socket.recv(timeout=left)))
        except TimeoutError:
            pass


def _debugger_url(profile: Path, browser: subprocess.Popen) -> str:
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and browser.poll() is None:
        lines = port_file.read_text().split() if port_file.exists() else []
        if len(lines) == 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.1)
    raise RuntimeError(f"chromium did not start (exit status {browser.poll()})")


def _collect(report: PageReport, events: list[dict]) -> None:
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            report.errors.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                        for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            report.errors.append("exception: " + params["exceptionDetails"]["text"])
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            report.errors.append(f"{params['entry']['source']}: {params['entry']['text']}")
        elif method == "Network.requestWillBeSent":
            report.requests.append(params["request"]["url"])


def open_page(page: Path, screenshot: Path, font_selectors: tuple[str, ...] = ()) -> PageReport:
    """Load `page` in headless Chromium; write a full-page PNG to `screenshot`."""
    # Chromium's helper processes may still be writing the profile as it exits.
    with tempfile.TemporaryDirectory(prefix="cnfiscal-chromium-", ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            tools = DevTools(_debugger_url(Path(profile), browser))
            target = tools.send("Target.createTarget", url="about:blank")["targetId"]
            session = tools.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network", "DOM", "CSS"):
                tools.send(f"{domain}.enable", session)
            tools.events.clear()  # what about:blank did is not the page's
            tools.send("Page.navigate", session, url=page.resolve().as_uri())
            tools.wait_for("Page.loadEventFired", timeout=60)
            tools.drain(SETTLE_SECONDS)
            report = PageReport()
            _collect(report, tools.events)
            report.dom = tools.send("Runtime.evaluate", session, returnByValue=True,
                                    expression="document.documentElement.outerHTML")["result"]["value"]
            root = tools.send("DOM.getDocument", session)["root"]["nodeId"]
            for selector in font_selectors:
                node = tools.send("DOM.querySelector", session, nodeId=root, selector=selector)["nodeId"]
                fonts = tools.send("CSS.getPlatformFontsForNode", session, nodeId=node)["fonts"]
                report.fonts[selector] = [f["familyName"] for f in fonts if f["glyphCount"]]
            size = tools.send("Page.getLayoutMetrics", session)["cssContentSize"]
            shot = tools.send("Page.captureScreenshot", session, timeout=120, format="png",
                              captureBeyondViewport=True,
                              clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                                    "scale": 1})
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            tools.socket.close()
            return report
        finally:  # the browser and every helper process it started (its own session)
            os.killpg(browser.pid, signal.SIGTERM)
            try:
                browser.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            with contextlib.suppress(ProcessLookupError):
                os.killpg(browser.pid, signal.SIGKILL)
            browser.wait()
