"""Remote sources fetched from a real HTTP server on 127.0.0.1, through the real flow."""
from __future__ import annotations

import csv
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

REPORT = "2023年，全市一般公共预算收入完成88.8亿元，增长4.5%。".encode("utf-8")
PAGE = ("<html><head><meta charset='utf-8'><title>财政收支</title></head><body>"
        "<p>全市一般公共预算支出完成120.5亿元，增长6.2%，民生支出占比保持在八成左右，"
        "教育、社保和卫生健康支出均保持增长。</p></body></html>").encode("utf-8")
OTHER = "税收收入完成50亿元。".encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    hits: Counter = Counter()

    def do_GET(self):  # noqa: N802 (http.server's name)
        Handler.hits[self.path] += 1
        if self.path == "/flaky.txt" and Handler.hits[self.path] <= 2:
            self.send_error(503, "Service Unavailable")
        elif self.path in ("/flaky.txt", "/other.txt"):
            self._send(REPORT if self.path == "/flaky.txt" else OTHER, "text/plain; charset=utf-8")
        elif self.path == "/bulletin":
            self._send(PAGE, "text/html; charset=utf-8")
        elif self.path == "/stall.txt":
            time.sleep(3)
            self._send(REPORT, "text/plain")
        elif self.path == "/huge.txt":
            self._send(b"x" * 20_000, "text/plain")
        else:
            self.send_error(404, "Not Found")

    def _send(self, body: bytes, content_type: str):
        try:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on a stalled answer, as it should

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def read_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_remote_sources_are_fetched_retried_capped_and_cached(run_flow, server, tmp_path):
    import hashlib
    (tmp_path / "sources.csv").write_text(
        "url,sha256,region\n"
        f"{server}/flaky.txt,{hashlib.sha256(REPORT).hexdigest()},青岛\n"
        f"{server}/bulletin,,\n"
        f"{server}/other.txt,{'f' * 64},\n"
        f"{server}/missing.txt,,\n"
        f"{server}/stall.txt,,\n"
        f"{server}/huge.txt,,\n", encoding="utf-8")
    options = dict(raw_store=tmp_path / "raw", max_bytes=10_000, fetch_timeout=0.5,
                   fetch_retries=2, fetch_backoff=0.05)
    summary = run_flow([], tmp_path / "out", manifest=tmp_path / "sources.csv", **options)
    assert summary["documents"] == 2
    documents = {d["source_uri"]: d for d in read_rows(tmp_path / "out" / "data" / "documents.csv")}
    assert set(documents) == {f"{server}/flaky.txt", f"{server}/bulletin"}
    assert documents[f"{server}/flaky.txt"]["source_name"] == "flaky.txt"
    assert documents[f"{server}/bulletin"]["media_type"] == "text/html"
    rejected = {r["source_uri"]: r for r in read_rows(tmp_path / "out" / "data" / "rejections.csv")}
    assert {uri.rsplit("/", 1)[1]: r["error_code"] for uri, r in rejected.items()} == {
        "other.txt": "sha256_mismatch", "missing.txt": "fetch_failed",
        "stall.txt": "fetch_failed", "huge.txt": "fetch_failed"}
    assert "404" in rejected[f"{server}/missing.txt"]["reason"]
    assert "within 0.5 s" in rejected[f"{server}/stall.txt"]["reason"]
    assert "cap" in rejected[f"{server}/huge.txt"]["reason"]
    assert Handler.hits["/flaky.txt"] == 3 and Handler.hits["/stall.txt"] == 3

    # A rerun fetches nothing it already holds, and publishes the same bytes.
    before = dict(Handler.hits)
    first_package = (tmp_path / "out" / "data" / "documents.csv").read_bytes()
    run_flow([], tmp_path / "out", manifest=tmp_path / "sources.csv", **options)
    assert all(Handler.hits[p] == before[p] for p in ("/flaky.txt", "/bulletin", "/other.txt"))
    assert (tmp_path / "out" / "data" / "documents.csv").read_bytes() == first_package
    origins = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "raw" / "origins").iterdir())
    assert f'"origin": "{server}/flaky.txt"' in origins and '"seen": ' in origins
    published = "".join(p.read_text(encoding="utf-8", errors="replace")
                        for p in (tmp_path / "out").rglob("*.csv"))
    assert '"seen"' not in published and origins.count('"seen"') >= 3
