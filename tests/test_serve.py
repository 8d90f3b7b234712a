"""``ocrlite serve`` as a client meets it: a real server on 127.0.0.1, real HTTP, a real browser.

Every answer is checked against the library reading the same image (``ocrlite.load()``), so the
service is proved to read what the package reads, in order, under load and after hostile uploads.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import render_clean

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

import ocrlite  # noqa: E402
from ocrlite.recognition.asciify import PUNCTUATION  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "docs" / "receipt_page.jpg"
TYPOGRAPHIC = {c for c, plain in PUNCTUATION.items() if c != plain}  # what --ascii replaces
TEXTS = ["TOTAL RM 12.30", "Thank you, come again", "2 x 4.50", "Invoice No: 10423", "CASH"]


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


class Server:
    """``python -m ocrlite serve --port 0 ARGS`` in a child process; ``url`` once it answers /healthz."""

    def __init__(self, *args: str, env: dict | None = None) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "ocrlite", "serve", "--port", "0", "--threads", "1",
                                      "--no-access-log", *args], stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        self.url = ""
        self.log: list[str] = []
        deadline = time.monotonic() + 90
        for line in self.proc.stderr:  # the first line names the address
            self.log.append(line)
            if line.startswith("ocrlite serve: http://"):
                self.url = line.split()[2].rstrip("/")
                break
            if time.monotonic() > deadline:
                break
        assert self.url, f"the server did not start: {''.join(self.log)}"
        threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True).start()
        self.port = int(self.url.rsplit(":", 1)[1])
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"the server never answered /healthz: {''.join(self.log)}")

    def health(self) -> dict:
        return httpx.get(f"{self.url}/healthz", timeout=10).json()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def server():
    s = Server("--max-files", "8")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def tight_server():
    """One request at a time, a 3 s time limit, a 300 kB body limit and a small beam-work budget."""
    s = Server("--queue", "1", "--timeout", "3", "--max-bytes", "300000", "--max-beam-work", "100000")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def reader():
    return ocrlite.load(threads=1)


@pytest.fixture(scope="module")
def lines():
    images = [render_clean(t, size=28) for t in TEXTS]
    return images, [png_bytes(im) for im in images]


def post_lines(url: str, blobs: list[bytes], params: dict | None = None, timeout: float = 60) -> httpx.Response:
    files = [("file", (f"line{k}.png", b, "image/png")) for k, b in enumerate(blobs)]
    return httpx.post(f"{url}/v1/lines", files=files, params=params, timeout=timeout)


def raw_request(port: int, head: bytes, body: bytes = b"", read: bool = True, timeout: float = 20) -> bytes:
    """Send bytes as they are (no client library fixing them up); the server's answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head + body)
        if not read:
            return b""
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
        return b"".join(chunks)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


# --------------------------------------------------------------------------- reading
def test_lines_are_read_as_the_library_reads_them_in_input_order(server, reader, lines):
    images, blobs = lines
    order = [3, 0, 4, 1, 2]  # widths out of order: the server sorts by width and must give them back in order
    response = post_lines(server.url, [blobs[i] for i in order])
    assert response.status_code == 200, response.text
    got = response.json()["lines"]
    expected = reader.predict([images[i] for i in order])
    assert [g["text"] for g in got] == [p.text for p in expected]
    for g, p in zip(got, expected):
        assert abs(g["confidence"] - p.confidence) < 1e-3 and len(g["char_confidences"]) == len(g["text"])
    assert [g["text"] for g in got] == [TEXTS[i] for i in order]  # clean renderings read exactly


def test_a_page_is_read_as_the_library_reads_it(server, reader):
    response = httpx.post(f"{server.url}/v1/page", files={"file": ("page.jpg", PAGE.read_bytes(), "image/jpeg")},
                          timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = reader.read_page(str(PAGE))
    assert body["text"] == expected.text and len(body["lines"]) == len(expected.lines) > 20
    assert body["rotated_180"] is False and body["no_text"] is False
    first = body["lines"][0]
    assert np.allclose(first["box"], expected.lines[0].box.corners, atol=0.1) and len(first["box"]) == 4
    assert (body["width"], body["height"]) == Image.open(PAGE).size


def test_an_upside_down_page_says_so_and_a_raw_image_body_is_read(server, reader):
    turned = Image.open(PAGE).convert("L").rotate(180)
    buf = io.BytesIO()
    turned.save(buf, "PNG")  # lossless: the server reads exactly the pixels the reader below reads
    response = httpx.post(f"{server.url}/v1/page", content=buf.getvalue(), headers={"Content-Type": "image/png"},
                          timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rotated_180"] is True
    assert body["text"] == reader.read_page(turned).text


def test_a_pdf_on_the_page_route_is_read_page_by_page(server, reader, tmp_path):
    page = Image.open(PAGE).convert("L")
    pdf = tmp_path / "doc.pdf"
    page.save(pdf, save_all=True, append_images=[page.rotate(180)], resolution=200)
    data = pdf.read_bytes()
    response = httpx.post(f"{server.url}/v1/page", files={"file": ("doc.pdf", data, "application/pdf")}, timeout=120)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = reader.read_document(str(pdf), dpi=300)
    assert [p["page"] for p in body["pages"]] == [1, 2]
    assert [p["text"] for p in body["pages"]] == [r.text for r in expected]
    assert body["pages"][1]["rotation"] == 180 and body["pages"][0]["lines"][0]["words"]
    one = httpx.post(f"{server.url}/v1/page", params={"pages": "2"}, content=data,
                     headers={"Content-Type": "application/pdf"}, timeout=120)
    assert one.status_code == 200 and [p["page"] for p in one.json()["pages"]] == [2]
    bad_range = httpx.post(f"{server.url}/v1/page", params={"pages": "3"}, content=data,
                           headers={"Content-Type": "application/pdf"}, timeout=60)
    assert bad_range.status_code == 400 and "pages=" in bad_range.json()["detail"]
    broken = httpx.post(f"{server.url}/v1/page", content=b"%PDF-1.4 broken", headers={"Content-Type": "application/pdf"},
                        timeout=60)
    assert broken.status_code == 400 and "not a readable PDF" in broken.json()["detail"]
    many = io.BytesIO()
    blank = Image.new("L", (20, 20), 255)
    blank.save(many, "PDF", save_all=True, append_images=[blank] * 20)  # 21 pages, over the default 20
    over = httpx.post(f"{server.url}/v1/page", content=many.getvalue(), headers={"Content-Type": "application/pdf"},
                      timeout=60)
    assert over.status_code == 413 and "pages=1-20" in over.json()["detail"]
    as_line = post_lines(server.url, [data])
    assert as_line.status_code in (400, 415)


def test_decoder_options_are_query_parameters(server, lines, reader):
    _, blobs = lines
    digits = post_lines(server.url, [blobs[0]], {"allow": "0123456789. "}).json()["lines"][0]["text"]
    assert set(digits) <= set("0123456789. ") and "12.30" in digits
    beam = post_lines(server.url, [blobs[1]], {"decoder": "beam", "beam_width": "4"}).json()["lines"][0]["text"]
    assert beam == TEXTS[1]
    quoted = render_clean("“Oui” – dit-il…", size=28)
    for params in ({"ascii": "true"}, {"ascii": "true", "strip_accents": "true"}):
        strip = "strip_accents" in params
        plain = reader.set_decoder(ascii=True, strip_accents=strip).predict(quoted)[0].text
        reader.set_decoder()
        got = post_lines(server.url, [png_bytes(quoted)], params).json()["lines"][0]["text"]
        assert got == plain and not set(got) & TYPOGRAPHIC, (params, got)
        assert got.isascii() or not strip, got  # letters keep their accents unless strip_accents
    for params, needle in (({"decoder": "viterbi"}, "decoder"), ({"beam_width": "1000"}, "beam_width"),
                           ({"allow": "漢"}, "allow"), ({"allow": "a", "block": "a"}, "no character")):
        bad = post_lines(server.url, [blobs[0]], params)
        assert bad.status_code == 422 and needle in bad.json()["detail"], (params, bad.text)


def test_models_health_docs_and_the_page_need_nothing_from_outside(server, reader):
    info = httpx.get(f"{server.url}/v1/models").json()
    model = info["models"][0]
    assert model["charset"] == "".join(reader.charset.chars) and model["backbone"]
    assert model["preprocess"]["height"] == reader.preprocess.height and info["limits"]["max_files"] == 8
    health = server.health()
    assert health["status"] == "ok" and health["queue_limit"] == 32
    assert "/v1/lines" in httpx.get(f"{server.url}/openapi.json").json()["paths"]
    docs = httpx.get(f"{server.url}/docs").text
    index = httpx.get(f"{server.url}/")
    assert "content-security-policy" in index.headers
    for text in (docs, index.text, httpx.get(f"{server.url}/static/app.js").text,
                 httpx.get(f"{server.url}/static/style.css").text):
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


# --------------------------------------------------------------------------- hostile input
def _bomb_png(width: int = 40_000, height: int = 40_000) -> bytes:
    """A tiny PNG whose header claims ``width × height`` pixels."""
    real = png_bytes(Image.new("L", (1, 1), 255))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return real[:8] + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)) + real[33:]


HOSTILE = {
    "decompression bomb": (("bomb.png", _bomb_png(), "image/png"), 413, "limit"),
    "EPS content under a .png name": (("x.png", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
                                       "image/png"), 415, "not a readable image"),
    "truncated PNG": (("cut.png", png_bytes(render_clean("TOTAL 12.30"))[:300], "image/png"), 400, "cut.png"),
    "empty file": (("empty.png", b"", "image/png"), 400, "empty"),
    "10 MB of noise": (("noise.png", np.random.default_rng(0).bytes(10 << 20), "image/png"), 415, "noise.png"),
    "a text part": (("notes.txt", b"hello", "text/plain"), 415, "text/plain"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_uploads_get_their_status_and_the_server_goes_on(server, lines, case):
    part, status, needle = HOSTILE[case]
    response = httpx.post(f"{server.url}/v1/lines", files=[("file", part)], timeout=60)
    assert response.status_code == status, (case, response.text)
    assert needle in response.json()["detail"]
    if case in ("decompression bomb", "EPS content under a .png name", "truncated PNG"):  # pages too
        page = httpx.post(f"{server.url}/v1/page", files=[("file", part)], timeout=60)
        assert page.status_code == status, (case, page.text)
    good = post_lines(server.url, [lines[1][0]])
    assert good.status_code == 200 and good.json()["lines"][0]["text"] == TEXTS[0]


def test_malformed_requests_are_named(server, lines):
    _, blobs = lines
    url = server.url
    wrong_field = httpx.post(f"{url}/v1/lines", files={"image": ("a.png", blobs[0], "image/png")})
    assert wrong_field.status_code == 422 and "'file'" in wrong_field.json()["detail"]
    text_field = httpx.post(f"{url}/v1/lines", data={"file": "not a file"}, files={"x": ("a", b"b")})
    assert text_field.status_code == 422 and "text, not a file" in text_field.json()["detail"]
    as_json = httpx.post(f"{url}/v1/lines", json={"file": "a.png"})
    assert as_json.status_code == 415 and "multipart/form-data" in as_json.json()["detail"]
    too_many = post_lines(url, [blobs[0]] * 9)
    assert too_many.status_code == 413 and "8" in too_many.json()["detail"]
    two_pages = httpx.post(f"{url}/v1/page", files=[("file", ("a.jpg", PAGE.read_bytes())),
                                                    ("file", ("b.jpg", PAGE.read_bytes()))])
    assert two_pages.status_code == 413
    claimed = raw_request(server.port, b"POST /v1/lines HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
                          b"boundary=b\r\nContent-Length: 900000000\r\n\r\n")
    assert status_of(claimed) == 413 and b"limit" in claimed
    bad_multipart = raw_request(server.port, b"POST /v1/lines HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data"
                                b"\r\nContent-Length: 5\r\nConnection: close\r\n\r\n", b"hello")
    assert status_of(bad_multipart) in (400, 422)
    assert httpx.get(f"{url}/nowhere").status_code == 404
    assert post_lines(url, [blobs[2]]).json()["lines"][0]["text"] == TEXTS[2]


def test_a_body_streamed_past_the_limit_is_cut_off_with_413(tight_server):
    head = (b"POST /v1/lines HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    part = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n'
    chunks = [part] + [b"x" * 100_000] * 4
    answer = raw_request(tight_server.port, head + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
                         + b"0\r\n\r\n")
    assert status_of(answer) == 413 and b"--max-bytes" in answer
    assert tight_server.health()["in_flight"] == 0


# --------------------------------------------------------------------------- load
def test_200_concurrent_requests_from_16_threads_are_all_answered_and_batched(server, reader, lines):
    images, blobs = lines
    expected = [p.text for p in reader.predict(images)]
    before = server.health()["batches"]

    def one(k: int) -> list[str]:
        picks = [(k + j) % len(blobs) for j in range(1 + k % 3)]
        response = post_lines(server.url, [blobs[i] for i in picks], timeout=120)
        assert response.status_code == 200, response.text
        assert [line["text"] for line in response.json()["lines"]] == [expected[i] for i in picks]
        return picks

    with ThreadPoolExecutor(16) as pool:
        done = list(pool.map(one, range(200)))
    assert len(done) == 200
    after = server.health()["batches"]
    assert after["jobs"] - before["jobs"] == 200
    assert after["batches"] - before["batches"] < 200, "requests that arrived together were never read together"
    assert after["largest_batch_jobs"] >= 2


def test_a_full_queue_answers_503_and_a_stalled_upload_times_out(tight_server, lines):
    """--queue 1: a client that stalls mid-upload holds the only place; the next gets 503 at once,
    the stalled one gets 503 when its 3 s are up, then the server answers again."""
    _, blobs = lines
    url = tight_server.url
    stalled: dict = {}

    def stall() -> None:
        stalled["answer"] = raw_request(tight_server.port, b"POST /v1/lines HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                                        b"multipart/form-data; boundary=b\r\nContent-Length: 1000\r\n\r\n", b"--b\r\n")

    thread = threading.Thread(target=stall)
    started = time.monotonic()
    thread.start()
    while tight_server.health()["in_flight"] < 1:
        assert time.monotonic() - started < 10, "the stalled upload never arrived"
        time.sleep(0.02)
    busy = post_lines(url, [blobs[0]])
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1" and "--queue" in busy.json()["detail"]
    thread.join(30)
    assert status_of(stalled["answer"]) == 503 and b"--timeout" in stalled["answer"]
    assert 2.5 < time.monotonic() - started < 20
    assert post_lines(url, [blobs[0]]).json()["lines"][0]["text"] == TEXTS[0]
    assert tight_server.health()["refused_busy"] >= 1


# --------------------------------------------------------------------------- the command
def test_serve_without_the_extra_names_it(tmp_path):
    code = ("import sys; sys.modules['fastapi'] = None; from ocrlite.cli import main; sys.exit(main(['serve']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "ocrlite[serve]" in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_busy_port_or_a_bad_model_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        for args, needle in ((["--port", port], "cannot listen"), (["--weights", str(tmp_path / "no.onnx")], "no.onnx"),
                             (["--weights", str(REPO / "ocrlite" / "models" / "default.pt")], "ONNX"),
                             (["--timeout", "nan"], "--timeout")):
            result = subprocess.run([sys.executable, "-m", "ocrlite", "serve", *args], capture_output=True, text=True,
                                    timeout=60)
            assert result.returncode == 2 and needle in result.stderr, (args, result.stderr)
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr


# --------------------------------------------------------------------------- a real browser
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium and chromium-driver (.ci/run)")
        pytest.skip("needs Debian's chromium and chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never download a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
                 "--disable-extensions", "--disable-sync", "--no-first-run", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _wait_until_read(driver, timeout: float = 60) -> str:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: d.find_element("tag name", "body").get_attribute("data-state")
                                         in ("done", "error"))
    return driver.find_element("tag name", "body").get_attribute("data-state")


def test_the_web_page_reads_an_uploaded_page_and_a_line_in_a_real_browser(server, browser, reader, tmp_path):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server.url}/")
    assert browser.title == "ocrlite"
    browser.find_element("id", "file").send_keys(str(PAGE))
    assert _wait_until_read(browser) == "done", browser.find_element("id", "status").text
    text = browser.find_element("id", "text").get_attribute("value")
    assert text == reader.read_page(str(PAGE)).text
    shown = browser.find_elements("css selector", "#lines li")
    assert len(shown) == len(text.splitlines())
    assert browser.execute_script("return document.getElementById('canvas').width") == Image.open(PAGE).width
    assert "lines read" in browser.find_element("id", "status").text
    line = tmp_path / "line.png"
    render_clean(TEXTS[3], size=28).save(line)
    browser.find_element("css selector", "input[name=mode][value=line]").click()  # re-reads the page as a line
    browser.find_element("id", "file").send_keys(str(line))  # ... and this newer read is the one shown
    wait = WebDriverWait(browser, 60)
    wait.until(lambda d: d.find_element("id", "text").get_attribute("value") == TEXTS[3])
    wait.until(lambda d: d.find_element("tag name", "body").get_attribute("data-state") == "done")
    assert browser.find_element("id", "text").get_attribute("value") == TEXTS[3]
    noise = tmp_path / "noise.png"
    noise.write_bytes(b"not an image at all")
    browser.find_element("id", "file").send_keys(str(noise))
    wait.until(lambda d: "Could not read it" in d.find_element("id", "status").text)
    assert "not a readable image" in browser.find_element("id", "status").text
    assert browser.find_element("tag name", "body").get_attribute("data-state") == "error"


def _answering_pids(server: Server, want: int, tries: int = 200) -> set[int]:
    pids: set[int] = set()
    for _ in range(tries):  # the kernel spreads new connections over the processes
        try:
            pids.add(server.health()["pid"])
        except httpx.TransportError:
            time.sleep(0.05)
        if len(pids) >= want:
            break
    return pids


def test_two_workers_both_answer_and_a_dead_one_is_replaced(lines):
    _, blobs = lines
    s = Server("--workers", "2")
    try:
        pids = _answering_pids(s, 2)
        assert len(pids) == 2, "only one worker ever answered"
        assert post_lines(s.url, [blobs[4]]).json()["lines"][0]["text"] == TEXTS[4]
        killed = min(pids)
        os.kill(killed, 9)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("starting another" in line for line in s.log):
            time.sleep(0.1)
        assert any(f"worker {killed} died (exit status -9) while reading no request" in line for line in s.log), \
            "".join(s.log)
        new = set()
        while time.monotonic() < deadline and len(new) < 2:
            new = _answering_pids(s, 2, tries=20) - {killed}
        assert len(new) == 2, "the dead worker was not replaced"
        assert post_lines(s.url, [blobs[4]]).json()["lines"][0]["text"] == TEXTS[4]
    finally:
        s.stop()
    assert s.proc.returncode == 0


def test_a_beam_search_over_the_work_budget_is_answered_413_and_others_go_on(tight_server, lines):
    """The budget is beam width × columns; the default (2 M) refuses beam 128 over 64 wide lines, which would
    hold the one recognition thread for about 100 s. Here a server with a small budget shows the answer."""
    wide = Image.new("L", (1600, 32), 255)
    response = post_lines(tight_server.url, [png_bytes(wide)] * 4, {"decoder": "beam", "beam_width": "128"})
    assert response.status_code == 413 and "--max-beam-work" in response.json()["detail"], response.text
    assert post_lines(tight_server.url, [png_bytes(lines[0][0])], {"decoder": "beam"}).status_code == 200


def test_a_local_server_answers_only_to_its_own_names_and_origins(server, lines):
    """DNS rebinding: a web page whose name now points at 127.0.0.1 sends its own Host; a cross-origin form
    post sends its Origin. Both are refused; the server's own names, same-origin pages and plain clients pass."""
    blob = png_bytes(lines[0][0])
    files = [("file", ("l.png", blob, "image/png"))]
    rebound = httpx.post(f"{server.url}/v1/lines", files=files, headers={"Host": "evil.example"}, timeout=30)
    assert rebound.status_code == 421 and "--allow-host" in rebound.json()["detail"]
    assert httpx.get(f"{server.url}/healthz", headers={"Host": "evil.example:80"}, timeout=30).status_code == 421
    foreign = httpx.post(f"{server.url}/v1/lines", files=files, headers={"Origin": "https://evil.example"}, timeout=30)
    assert foreign.status_code == 403 and "--allow-origin" in foreign.json()["detail"]
    same = httpx.post(f"{server.url}/v1/lines", files=files, headers={"Origin": server.url}, timeout=30)
    assert same.status_code == 200
    named = httpx.post(f"{server.url.replace('127.0.0.1', 'localhost')}/v1/lines", files=files, timeout=30)
    assert named.status_code == 200


def test_an_api_key_is_asked_of_every_post_when_set(lines):
    s = Server(env={"OCRLITE_API_KEY": "s3cret"})
    try:
        files = [("file", ("l.png", png_bytes(lines[0][0]), "image/png"))]
        assert httpx.post(f"{s.url}/v1/lines", files=files, timeout=30).status_code == 401
        assert httpx.post(f"{s.url}/v1/lines", files=files, headers={"X-API-Key": "wrong"}, timeout=30).status_code == 401
        assert httpx.post(f"{s.url}/v1/lines", files=files, headers={"X-API-Key": "s3cret"}, timeout=30).status_code == 200
        assert httpx.post(f"{s.url}/v1/lines", files=files, headers={"Authorization": "Bearer s3cret"},
                          timeout=30).status_code == 200
        assert httpx.get(f"{s.url}/healthz", timeout=30).status_code == 200
    finally:
        s.stop()


def _open_idle(count: int, source: str, port: int) -> list[socket.socket]:
    """``count`` connections from ``source`` (another loopback address: another client) that send nothing."""
    out = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        out.append(s)
    return out


def test_idle_and_dripping_connections_neither_block_requests_nor_stay_open():
    s = Server("--header-timeout", "2", "--max-client-connections", "20")
    attackers: list[socket.socket] = []
    try:
        attackers = _open_idle(150, "127.0.0.2", s.port)  # 150 idle sockets from one other address
        drip = _open_idle(1, "127.0.0.3", s.port)[0]
        drip.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # a head that never ends
        start = time.monotonic()
        assert httpx.get(f"{s.url}/healthz", timeout=5).status_code == 200  # a real client is served at once
        assert time.monotonic() - start < 2
        refused = [a for a in attackers[20:] if a.recv(4096).startswith(b"HTTP/1.1 503")]
        assert len(refused) == 130  # past the per-client cap: 503 in JSON, closed
        time.sleep(3)  # past the header deadline: the idle ones and the dripping one are closed
        for sock in attackers[:20] + [drip]:
            assert sock.recv(4096) == b""  # closed by the server
        assert httpx.get(f"{s.url}/healthz", timeout=5).status_code == 200
    finally:
        for sock in attackers:
            sock.close()
        s.stop()


def test_a_refused_connection_gets_json_and_retry_after():
    from ocrlite.serve.connections import refusal

    head, body = refusal("too many connections").split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 503") and b"retry-after: 5" in head and b"connection: close" in head
    assert json.loads(body) == {"detail": "too many connections"} and f"content-length: {len(body)}".encode() in head


def test_a_dead_workers_request_is_logged_and_the_worker_replaced(lines, tmp_path):
    s = Server("--workers", "2", "--max-beam-work", "100000000", env={"TMPDIR": str(tmp_path)})
    try:
        _, blobs = lines
        wide = png_bytes(render_clean("A long line of text to keep the beam busy " * 3, size=28))
        result: dict = {}

        def slow() -> None:
            try:
                result["response"] = httpx.post(f"{s.url}/v1/lines", files=[("file", ("killer.png", wide, "image/png"))] * 32,
                                                params={"decoder": "beam", "beam_width": 128}, timeout=60)
            except httpx.HTTPError as err:
                result["error"] = err

        thread = threading.Thread(target=slow)
        thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("killer.png" in f.read_text()
                                                      for f in tmp_path.glob("ocrlite-serve-*/worker-*.json")):
            time.sleep(0.05)  # until a worker has read the uploads (the beam search then takes seconds)
        children = subprocess.run(["ps", "-ww", "-o", "pid=,args=", "--ppid", str(s.proc.pid)], capture_output=True,
                                  text=True).stdout.splitlines()
        workers = [line.split()[0] for line in children if "multiprocessing.spawn" in line]
        assert len(workers) == 2, children
        for pid in workers:
            os.kill(int(pid), 9)
        thread.join(60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "".join(s.log).count("starting another worker") < 2:
            time.sleep(0.2)  # both deaths logged (in either order)
        log = "".join(s.log)
        assert "died (exit status -9) while reading 1 request(s):" in log, log[-2000:]
        assert "POST /v1/lines from 127.0.0.1: 'killer.png'" in log and "sha256" in log
        while time.monotonic() < deadline:  # replaced: the service answers again
            try:
                if httpx.get(f"{s.url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        assert post_lines(s.url, blobs[:1]).status_code == 200
    finally:
        s.stop()


def test_sigterm_during_a_long_request_answers_it_in_json_and_exits_promptly():
    s = Server("--max-beam-work", "100000000")
    wide = png_bytes(render_clean("A long line of text to keep the beam busy " * 3, size=28))
    result: dict = {}

    def slow() -> None:
        result["response"] = httpx.post(f"{s.url}/v1/lines", files=[("file", ("l.png", wide, "image/png"))] * 64,
                                        params={"decoder": "beam", "beam_width": 128}, timeout=120)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(2)  # the request is being read (64 wide lines at beam 128: far longer than the 5 s grace)
    start = time.monotonic()
    s.proc.terminate()
    thread.join(60)
    s.proc.wait(30)
    assert time.monotonic() - start < 10  # the 5 s graceful window and a prompt exit
    response = result["response"]
    assert response.status_code == 503 and response.headers["retry-after"]
    assert "shutting down" in response.json()["detail"]


def _big_16bit_png(width: int, height: int) -> bytes:
    """A ``width × height`` 16-bit RGBA PNG of one colour: a few hundred kB that decode to 8 bytes a pixel."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * (width * 8)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def _rss_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_memory_goes_back_after_a_huge_page():
    s = Server()
    try:
        data = _big_16bit_png(6000, 6500)  # 39 MP, under the 40 MP limit; 312 MB decoded
        assert len(data) < 1_000_000
        before = _rss_mb(s.proc.pid)
        for _ in range(2):
            response = httpx.post(f"{s.url}/v1/page", files={"file": ("big.png", data, "image/png")}, timeout=120)
            assert response.status_code == 200, response.text
        time.sleep(1)
        assert _rss_mb(s.proc.pid) - before < 250  # measured +1 MB; +730 MB before the arenas were given back
    finally:
        s.stop()
