"""What Chromium costs per page walked, by how it is launched and what the tests do on a page.

Run: ``python bench/browser_pages.py [VARIANT ...]``. Serves the demo on a live server in this
process (as tests/pages does), then for each variant walks the same pages in a fresh Playwright
and Chromium (each in a child process, so its CPU, Chromium's included, is measured on its own):
the fund admin's home, menu pages and one step further, as the CSP walk does. Prints per variant
the CPU seconds of the browser side (Python driver, Node, every Chromium process) and of the
live server (this process), in all and per page.

Variants: ``plain`` (tests/pages/conftest.py's launch), ``axe`` (axe-core on every page, as the
phone-and-access walk does), ``axe-violations`` (the same, asking axe for its violations only), ``shot`` (a full-page PNG per page, as the journeys' Camera takes),
``shot-jpeg``; ``shell`` and ``full`` walk plainly with Debian's chromium-headless-shell and with
the full chromium (the tests take the shell where it is installed); ``flags:A,B`` adds Chromium
flags to the plain launch.

Measured on this 2-core machine, shared (noisy; CPU is the figure): the full chromium about 0.27 CPU
seconds a page, the shell 0.15; axe-core adds about 0.2 a page (0.01 less asking for violations
only); the journey's 32 full-page PNGs cost about 4 s (0.14 each);
no flag tried (--single-process, --in-process-gpu, site isolation off, no software compositing)
saved anything measurable, --single-process cost more.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WALKER = r"""
import json, sys
from pathlib import Path
from urllib.parse import urlsplit
from playwright.sync_api import sync_playwright
sys.path.insert(0, sys.argv[4])
from tests.pages.conftest import CHROMIUM_ARGS

import os, resource

def tree_cpu():
    tick, me, kids, cpu = os.sysconf("SC_CLK_TCK"), os.getpid(), {}, {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(stat[1]), []).append(int(pid))
        cpu[int(pid)] = sum(int(x) for x in stat[11:15]) / tick
    own = resource.getrusage(resource.RUSAGE_SELF)
    total, stack = own.ru_utime + own.ru_stime, list(kids.get(me, []))
    while stack:
        pid = stack.pop()
        total += cpu.get(pid, 0)
        stack += kids.get(pid, [])
    return total

base, executable, variant = sys.argv[1], sys.argv[2], sys.argv[3]
extra = variant.split(":", 1)[1].split(",") if variant.startswith("flags:") else []
axe = (Path(sys.argv[4]) / "tests/pages/vendor/axe.min.js").read_text() if variant.startswith("axe") else None
options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}}
if variant == "axe-violations":
    options["resultTypes"] = ["violations"]
with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS + extra)
    page = browser.new_context(base_url=base).new_page()
    page.goto("/login")
    page.get_by_label("E-mail").fill("admin@fund.example")
    page.get_by_label("Password").fill("green-credit-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    queue, seen = ["/"], []
    while queue and len(seen) < 40:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.append(path)
        page.goto(path)
        if axe:
            page.evaluate(axe)
            page.evaluate("async (o) => (await axe.run(document, o)).violations.length", options)
        if variant.startswith("shot"):
            kind = "jpeg" if variant == "shot-jpeg" else "png"
            page.screenshot(path=f"/tmp/bench-shot.{kind}", full_page=True, type=kind)
        if path.count("/") <= 1:
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                parts = urlsplit(href)
                if parts.netloc == urlsplit(base).netloc and not any(
                        s in href for s in ("/api/", "/logout", "/static/", "download", "format=", "/files/")):
                    queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    cpu = tree_cpu()  # before closing: Chromium's zygote children are never reaped into our rusage
    browser.close()
print(json.dumps([len(seen), cpu]))
"""


def serve() -> str:
    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from werkzeug.serving import make_server

    from creditline.extensions import db
    from tests.conftest import make_app

    folder = Path(tempfile.mkdtemp())
    app = make_app(f"sqlite:///{folder / 'live.db'}", UPLOAD_DIR=str(folder / "uploads"))
    with app.app_context():
        db.create_all()
        from creditline.demo import seed_demo
        seed_demo()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def walk(base: str, variant: str) -> tuple[float, int, float]:
    from tests.pages.conftest import CHROMIUM, FULL, SHELL

    executable = {"shell": SHELL, "full": FULL}.get(variant, CHROMIUM)
    script = Path(tempfile.mkdtemp()) / "walk.py"
    script.write_text(WALKER)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(script), base, executable, variant, str(ROOT)],
                            stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate()
    pages, cpu = json.loads(out)
    return time.perf_counter() - t0, pages, cpu


def main() -> None:
    base = serve()
    for variant in sys.argv[1:] or ["plain", "axe", "shot", "shot-jpeg"]:
        before = resource.getrusage(resource.RUSAGE_SELF)
        wall, pages, browser = walk(base, variant)
        after = resource.getrusage(resource.RUSAGE_SELF)
        server = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(f"{variant:32s} pages {pages:3d}  browser CPU {browser:5.1f} s ({browser / max(pages, 1):.2f} a page)"
              f"  server CPU {server:5.1f} s ({server / max(pages, 1):.3f} a page)  wall {wall:5.1f} s", flush=True)


if __name__ == "__main__":
    main()
