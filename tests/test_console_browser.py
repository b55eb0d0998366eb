"""The web console in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

One uvicorn server (a subprocess, its own data dir) and one browser serve every test in
this module.  Each view's main path is exercised the way a user would: log in with a key,
paste/upload, click, read what is on screen.  Screenshots go to docs/screenshots/.

Skipped (with the reason) only when /usr/bin/chromium or playwright is missing and the
environment variable CI is unset; in CI a missing browser is a failure.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("SCREENING_CHROMIUM", "/usr/bin/chromium"))
SHOTS = ROOT / "docs" / "screenshots"
CHROME_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1360, "height": 900}


def _stream_fixture() -> Path | None:
    """The ~60 s live-stream fixture (4 banned phrases), wherever this checkout keeps it."""
    for p in (ROOT / "tests" / "data" / "audio" / "stream_01.wav", ROOT / "tests" / "audio" / "stream_01.wav",
              ROOT.parent / "shared" / "audio" / "stream_01.wav"):
        if p.is_file():
            return p
    return None


STREAM_WAV = _stream_fixture()
if STREAM_WAV is not None:  # Chromium's fake microphone plays the fixture (looped) to getUserMedia
    CHROME_ARGS += ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-audio-capture={STREAM_WAV}"]

pytestmark = pytest.mark.timeout(600)  # pytest-timeout (dev dependency)


def _need_browser():
    problems = []
    if not CHROMIUM.exists():
        problems.append(f"{CHROMIUM} is missing (apt-get install -y chromium fonts-noto-cjk)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("playwright is not installed (pip install playwright)")
    if problems:
        if os.environ.get("CI"):
            pytest.fail("browser tests must run in CI: " + "; ".join(problems))
        pytest.skip("; ".join(problems))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "server.log"
        env = {**os.environ, "SCREENING_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT),
               "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        env.pop("SCREENING_DB_URL", None)
        self._log = open(self.log, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}):\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        else:
            self.stop()
            raise RuntimeError("server did not answer /healthz within 180 s")
        self.keys = self._make_keys()

    def _make_keys(self) -> dict[str, str]:
        from screening import auth
        from screening.settings import Settings

        engine, db = Settings(data_dir=self.data_dir).open_db()
        try:
            return {role: auth.create_key(db, role, f"console-test-{role}")[1] for role in auth.ROLES}
        finally:
            engine.dispose()

    def call(self, method: str, path: str, body=None, role: str = "admin"):
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"X-API-Key": self.keys[role], "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read() or b"null")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _need_browser()
    srv = Server(tmp_path_factory.mktemp("console-var"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROME_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(15_000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def login(page, server, role="admin", view=""):
    page.goto(server.base + "/" + (f"#{view}" if view else ""))
    page.get_by_text("请输入访问密钥").wait_for()
    page.fill("#login-key", server.keys[role])
    page.click("#login-submit")
    page.wait_for_selector("#app:not([hidden])")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


# ---------------------------------------------------------------- login

def test_login_rejects_bad_key_and_roles_pick_tabs(page, server):
    page.goto(server.base + "/")
    page.get_by_text("请输入访问密钥").wait_for()
    shot(page, "login")
    page.fill("#login-key", "sk_not_a_real_key")
    page.click("#login-submit")
    page.wait_for_selector("#login-error:has-text('密钥无效')")
    page.fill("#login-key", server.keys["reviewer"])
    page.click("#login-submit")
    page.wait_for_selector("#view-script:not([hidden])")
    assert page.is_visible("#tab-script") and not page.is_visible("#tab-comments") and not page.is_visible("#tab-live")
    assert page.evaluate("sessionStorage.getItem('screening.apiKey')") == server.keys["reviewer"]
    # a key that stops working mid-session sends the user back to the login screen with a Chinese message
    page.evaluate("sessionStorage.setItem('screening.apiKey', 'sk_revoked')")
    page.fill("#script-text", "这款面霜全网最好。")
    page.click("#script-review")
    page.wait_for_selector("#login:not([hidden])")
    assert "密钥无效" in page.inner_text("#login-error")


# ---------------------------------------------------------------- 脚本审核

SCRIPT = ("家人们晚上好！这是我们第一次来到这个直播间。\n"
          "这款精华全网最好，用完皱纹全部消失，销量第一！\n"
          "今天只要 99 元，库存有限，喜欢的抓紧下单。")


def test_script_review_highlight_accept_all_download(page, server, tmp_path):
    login(page, server, view="script")
    page.select_option("#script-category", "cosmetics")
    assert page.inner_text("#script-category option[value=cosmetics]") == "化妆品"
    page.fill("#script-text", SCRIPT)
    page.click("#script-review")
    page.wait_for_selector("#script-result:not([hidden])")
    marks = page.locator("#script-annotated mark.hl")
    texts = marks.all_inner_texts()
    assert "全网最好" in texts
    assert not any("第一次" in t for t in texts), texts  # lawful look-alike is not flagged
    assert len(texts) >= 2 and page.locator("#script-annotated mark.hl.violation").count() >= 1
    # hover shows rule, law, message and suggestions
    page.hover("#script-annotated mark:has-text('全网最好')")
    pop = page.locator("#finding-pop")
    pop.wait_for(state="visible")
    assert "广告法" in pop.inner_text() and "absolute" in pop.inner_text()
    shot(page, "script-review")
    # accept a single suggestion from the pinned popover
    page.click("#script-annotated mark:has-text('全网最好')")
    first = pop.locator("button.sugg").first
    chosen = first.inner_text()
    first.click()
    page.wait_for_selector("#script-annotated mark.accepted")
    assert chosen in page.inner_text("#script-annotated")
    # accept all, then download the rewritten script
    page.click("#script-accept-all")
    assert page.locator("#script-annotated mark.hl:not(.accepted)").count() == \
        page.locator("#script-findings li.finding .suggestions:not(:has(button.sugg))").count()
    with page.expect_download() as dl:
        page.click("#script-download-txt")
    path = tmp_path / "rewritten.txt"
    dl.value.save_as(path)
    assert dl.value.suggested_filename.endswith(".txt")
    rewritten = path.read_text(encoding="utf-8")
    assert "全网最好" not in rewritten and "销量第一" not in rewritten
    assert "第一次来到这个直播间" in rewritten and chosen in rewritten
    shot(page, "script-review-accepted")
    # the HTML report
    with page.expect_download() as dl:
        page.click("#script-download-html")
    report = tmp_path / "report.html"
    dl.value.save_as(report)
    html = report.read_text(encoding="utf-8")
    assert "<mark" in html and "全网最好" in html and "审核报告" in html


def test_script_upload_docx(page, server, tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("这款洗发水是国家级配方，效果最好。")
    src = tmp_path / "口播脚本.docx"
    d.save(src)
    login(page, server, view="script")
    # a file that is not a script gets a Chinese message, not a crash
    page.set_input_files("#script-file", files=[{"name": "坏文件.txt", "mimeType": "text/plain", "buffer": b"\x00\x01" * 200}])
    page.wait_for_selector("#toast.error:has-text('二进制')")
    page.set_input_files("#script-file", str(src))
    page.wait_for_function("document.querySelector('#script-text').value.includes('国家级配方')")
    assert "口播脚本.docx" in page.inner_text("#script-file-name")
    page.click("#script-review")
    page.wait_for_selector("#script-annotated mark.hl")
    assert any("最好" in t for t in page.locator("#script-annotated mark.hl").all_inner_texts())
    with page.expect_download() as dl:
        page.click("#script-download-txt")
    assert dl.value.suggested_filename == "口播脚本-改写.txt"


# ---------------------------------------------------------------- 评论处理

CALM = ["主播今天的衣服好好看", "这个颜色很显白，喜欢", "已经下单了，期待", "买了三件了，很好穿，推荐", "主播声音好听",
        "这个防水吗？下雨天能穿吗", "尺码怎么选，165穿什么码", "有没有黑色的？", "多少钱一件？", "支持", "好看好看",
        "这个面料透气吗", "第二次回购了，质量不错", "主播辛苦了", "家人们冲", "蹲一个福利", "链接在哪里", "喜欢这个款式",
        "这个会起球吗", "能机洗吗"]
NEGATIVE = ["收到的衣服质量太差了，线头到处都是", "质量差，洗一次就掉色", "和图片完全不一样，骗人的", "衣服破了个洞，怎么退货",
            "做工太粗糙了，退货", "穿一次就开线了，什么质量", "味道很大，质量有问题", "尺码严重不准，差评", "掉色染了别的衣服，太差了",
            "拉链坏了，质量太差"]


def _ingest(server, items, stream_id="console-test"):
    return server.call("POST", "/v1/comments", {"comments": items, "stream_id": stream_id})["items"]


def test_comments_queue_actions_and_live_updates(page, server):
    now = time.time()
    items = _ingest(server, [
        {"id": "q-quality", "text": "收到的衣服质量太差了，线头到处都是", "ts": now},
        {"id": "q-spam", "text": "加我薇信 abc12345 领优惠券", "ts": now},
        {"id": "q-question", "text": "这个防水吗？下雨天能穿吗", "ts": now},
        {"id": "q-logistics", "text": "物流太慢了，一周还没到", "ts": now},
    ])
    intents = {i["id"]: i["intent"] for i in items}
    assert intents["q-quality"] == "quality" and intents["q-spam"] == "spam"

    login(page, server, role="moderator", view="comments")
    assert not page.is_visible("#tab-script")
    card = page.locator('.comment[data-id="q-quality"]')
    card.wait_for()
    assert "质量投诉" in card.inner_text() and "负面" in card.inner_text()
    assert "订单号" in card.locator(".reply").inner_text()       # the reply template is shown
    assert card.locator(".act-hide").count() == 0                # a complaint can never be hidden
    assert page.locator('.comment[data-id="q-spam"] .act-hide').count() == 1
    assert "广告/引流" in page.inner_text('.comment[data-id="q-spam"]')

    # filter by intent
    page.select_option("#c-intent", "quality")
    page.wait_for_function("document.querySelectorAll('#c-list .comment').length === 1")
    page.select_option("#c-intent", "")
    page.wait_for_selector('.comment[data-id="q-spam"]')

    # route the complaint to after-sales; the queue records it
    page.fill("#c-actor", "客服小王")
    page.click('.comment[data-id="q-quality"] .act-route-as')
    page.wait_for_selector('.comment[data-id="q-quality"] .status:has-text("已转交")')
    rec = server.call("GET", "/v1/comments/q-quality")
    assert rec["status"] == "routed" and rec["actions"][-1]["actor"] == "客服小王"
    # hide the spam
    page.click('.comment[data-id="q-spam"] .act-hide')
    page.wait_for_selector('.comment[data-id="q-spam"] .status:has-text("已隐藏")')
    # copy the reply
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click('.comment[data-id="q-logistics"] .act-copy')
    page.wait_for_selector("#toast:has-text('已复制')")

    # a comment ingested elsewhere appears live (SSE), at the top
    page.wait_for_selector("#c-live:has-text('实时')")
    _ingest(server, [{"id": "q-live", "text": "发错货了，我要换货", "ts": time.time()}])
    page.wait_for_selector('.comment[data-id="q-live"]')
    assert page.locator("#c-list .comment").first.get_attribute("data-id") == "q-live"

    # the hotspot report
    page.click("#h-load")
    page.wait_for_selector("#h-report .topics .chart-row")
    assert "防水" in page.inner_text("#h-report .topics")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "comments")


def test_comments_spike_banner(page, server):
    login(page, server, view="comments")
    page.wait_for_selector("#c-live:has-text('实时')")
    now = time.time()
    # a calm stretch (older than the detector's 60 s window), then a wave of complaints within seconds
    calm = [{"id": f"calm-{i}", "text": CALM[i % len(CALM)] + ("～" * (i // len(CALM))), "ts": now - 200 + i * 3}
            for i in range(40)]
    _ingest(server, calm, stream_id="spike-test")
    wave = [{"id": f"wave-{i}", "text": NEGATIVE[i % len(NEGATIVE)] + ("！" * (i // len(NEGATIVE))), "ts": now - 10 + i * 0.3}
            for i in range(30)]
    _ingest(server, wave, stream_id="spike-test")
    banner = page.locator("#spike-alert")
    banner.wait_for(state="visible", timeout=20_000)
    text = banner.inner_text()
    assert "负面" in text and page.locator("#spike-steps li").count() >= 2
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(1700)  # let the attention flash finish before the screenshot
    shot(page, "comments-spike")
    # the weekly hotspot report over everything ingested so far, and its HTML download
    page.click("#h-load")
    page.wait_for_function("document.querySelectorAll('#h-report .topics .chart-row').length >= 3")
    page.locator("#h-report").scroll_into_view_if_needed()
    shot(page, "comments-hotspots")
    with page.expect_download() as dl:
        page.click("#h-download")
    assert dl.value.suggested_filename.endswith(".html")


# ---------------------------------------------------------------- 直播监控

def _need_stream():
    if STREAM_WAV is None:
        msg = "stream fixture stream_01.wav not found (tests/data/audio or ../shared/audio)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="module")
def file_server():
    """Serves the audio fixtures over http, as a stand-in for a stream URL (PyAV reads it like any http source)."""
    _need_stream()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(STREAM_WAV.parent))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _wait_alert(page, timeout_s=150):
    banner = page.locator("#live-alert")
    banner.wait_for(state="visible", timeout=timeout_s * 1000)
    cue = page.inner_text("#live-alert-cue")
    assert cue.startswith("提醒主播"), cue
    return cue


def test_live_from_stream_url_alert_stop_and_record(page, server, file_server):
    login(page, server, role="live", view="live")
    assert not page.is_visible("#tab-comments")
    page.fill("#live-url", f"{file_server}/{STREAM_WAV.name}")
    page.select_option("#live-category", "health_food")
    page.click("#live-start-btn")
    page.wait_for_selector("#live-session:not([hidden])")
    cue = _wait_alert(page)
    assert any(t in cue for t in ("国家级", "最好", "全网最低价", "根治", "百分百")), cue
    page.wait_for_selector("#live-transcript mark.hl")
    assert page.locator("#live-findings li").count() >= 1
    page.wait_for_timeout(1700)  # the attention flash is over
    shot(page, "live")
    # the fixture's lawful look-alikes (第一次, 最近) are never alerted
    for text in page.locator("#live-findings li q").all_inner_texts():
        assert text not in ("第一", "最"), text
    page.click("#live-stop")
    page.wait_for_selector("#live-record-btn:not([hidden])", timeout=60_000)
    page.click("#live-record-btn")
    page.wait_for_selector("#live-record:not([hidden])")
    rows = page.locator("#live-record-findings tr")
    assert rows.count() >= 1 and "本场未发现" not in page.inner_text("#live-record-findings")
    assert page.locator("#live-record-transcript mark.hl").count() >= 1
    sid = page.inner_text("#live-session-id")
    rec = server.call("GET", f"/v1/live/sessions/{sid}", role="live")
    assert rec["status"] in ("stopped", "finished") and rec["findings"]
    page.locator("#live-record").scroll_into_view_if_needed()
    shot(page, "live-record")


def test_live_from_browser_microphone(page, server):
    _need_stream()
    page.context.grant_permissions(["microphone"])
    login(page, server, view="live")
    page.check("input[name=live-source][value=mic]")
    page.click("#live-start-btn")
    page.wait_for_selector("#live-session:not([hidden])")
    # PCM is flowing: the level meter moves
    page.wait_for_function("parseFloat(document.querySelector('#live-level span').style.width) > 0", timeout=20_000)
    cue = _wait_alert(page)
    assert page.evaluate("C.soundsPlayed") >= 1  # the alert sound was generated
    assert page.locator("#live-findings li").count() >= 1, cue
    page.click("#live-stop")
    page.wait_for_selector("#live-record-btn:not([hidden])", timeout=60_000)
    sid = page.inner_text("#live-session-id")
    rec = server.call("GET", f"/v1/live/sessions/{sid}", role="live")
    assert rec["kind"] == "push" and rec["audio_seconds"] > 3 and rec["findings"]
