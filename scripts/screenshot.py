"""Take docs/screenshot.png: a demo user's page (default: the dashboard) in headless Chromium, 1280x800.

.venv/bin/python scripts/screenshot.py http://127.0.0.1:5000 bj01-sales01 /board
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from app.demo.seed import DEMO_PASSWORD  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def main(base: str, username: str, path: str = "/", password: str = DEMO_PASSWORD) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page.goto(f"{base}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.press("input[name=password]", "Enter")
        page.wait_for_load_state()
        if page.url.endswith("/login/mfa"):  # demo users who export confirm with the demo key
            import pyotp

            from app.demo.seed import DEMO_TOTP_SECRET

            page.fill("input[name=code]", pyotp.TOTP(DEMO_TOTP_SECRET).now())
            page.press("input[name=code]", "Enter")
        page.wait_for_url(f"{base}/")
        if path != "/":
            page.goto(f"{base}{path}")
        page.screenshot(path=str(ROOT / "docs" / "screenshot.png"))
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
