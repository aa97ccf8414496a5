"""The web edition in a real browser: Debian's Chromium, headless, driven by selenium, with
axe-core's WCAG 2.1 A and AA rules run on every page of the sample course and of a test
course with tables, figures, footnotes, a chart and a French excerpt.

Nothing is downloaded here: Chromium and chromedriver are Debian packages and axe-core is
installed from npm by scripts/setup (into .venv/npm). Without them the tests are skipped
on a developer's machine and fail in CI (CI=true), where scripts/setup has run.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

from conftest import REPO, Course, run
from webcheck import write_accessible_course

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SHOTS = Path(os.environ.get("READER_SCREENSHOTS", "")) if os.environ.get(
    "READER_SCREENSHOTS") else None


def axe_script() -> Path | None:
    for candidate in (os.environ.get("READER_AXE_JS"),
                      REPO / ".venv/npm/node_modules/axe-core/axe.min.js",
                      REPO / "node_modules/axe-core/axe.min.js"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def missing_tools() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        return "chromium and chromium-driver are not installed (scripts/setup)"
    if axe_script() is None:
        return "axe-core is not installed (scripts/setup puts it in .venv/npm)"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    reason = missing_tools()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-dev-shm-usage", "--hide-scrollbars",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_script_timeout(60)
    driver.set_page_load_timeout(60)
    driver.axe_source = axe_script().read_text(encoding="utf-8")
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def sample_web(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample") / "course"
    shutil.copytree(REPO / "sections", root / "sections")
    shutil.copy2(REPO / "course.yaml", root / "course.yaml")
    result = run("build", str(root))
    assert result.exit_code == 0, result.output
    return root / "dist" / "web"


@pytest.fixture(scope="module")
def test_web(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("a11y-browser") / "course"
    root.mkdir()
    write_accessible_course(Course(root))
    result = run("build", str(root))
    assert result.exit_code == 0, result.output
    return root / "dist" / "web"


def open_page(driver, url: str, width: int = 1280, height: int = 900) -> None:  # noqa: ANN001
    driver.set_window_size(width, height)
    driver.get(url)
    driver.get_log("browser")          # what loading said is read by console_problems


def axe_violations(driver) -> list[str]:  # noqa: ANN001
    """axe-core's WCAG 2.1 A/AA rules on the page as loaded (the page's CSP does not apply to
    WebDriver's own scripts)."""
    driver.execute_script(driver.axe_source)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]},"
        "                   resultTypes: ['violations']})"
        "  .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' at ' +"
        "      v.nodes.map(n => n.target.join(' ')).join(', '))))"
        "  .catch(e => done(['axe failed: ' + e]));", AXE_TAGS)
    return result


def layout_problems(driver, what: str) -> list[str]:  # noqa: ANN001
    """Nothing wider than the window (reflow), and the theme's stylesheet in effect."""
    problems = []
    width = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    if width[0] > width[1]:
        problems.append(f"{what}: the page is {width[0]} px wide in a {width[1]} px window")
    face = driver.execute_script("return getComputedStyle(document.body).fontFamily")
    if "Caladea" not in face:
        problems.append(f"{what}: the stylesheet is not applied (font {face})")
    return problems


def pages(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.html"))


@pytest.mark.parametrize("which", ["sample", "test"])
def test_no_wcag_violations_on_any_page(browser, sample_web, test_web, which):
    folder = sample_web if which == "sample" else test_web
    problems = []
    for path in pages(folder):
        open_page(browser, path.as_uri())
        problems += [f"{path.name}: {v}" for v in axe_violations(browser)]
    assert problems == []


@pytest.mark.parametrize("width", [360, 640])
def test_pages_reflow_on_a_phone_and_at_200_percent(browser, test_web, sample_web, width):
    """360 px: a phone; 640 px: a 1280 px window at 200 % zoom (the same CSS width)."""
    problems = []
    for folder in (test_web, sample_web):
        for path in pages(folder):
            open_page(browser, path.as_uri(), width=width, height=800)
            problems += layout_problems(browser, f"{path.name} at {width} px")
    assert problems == []


def test_the_csp_lets_the_edition_load_and_nothing_else(browser, test_web):
    """From the file system: the stylesheet, fonts and images load under the page's own
    Content-Security-Policy, and the console reports no refusal."""
    open_page(browser, (test_web / "item-s_intro.html").as_uri())
    loaded = browser.execute_script(
        "return [...document.images].map(i => [i.getAttribute('src'), i.naturalWidth])")
    assert loaded and all(width > 0 for _, width in loaded), loaded
    browser.execute_script("return document.fonts.ready")
    faces = browser.execute_script(
        "return [...document.fonts].filter(f => f.status == 'loaded').map(f => f.family)")
    assert any("Caladea" in f for f in faces), faces
    refused = [entry["message"] for entry in browser.get_log("browser")
               if "Content Security Policy" in entry["message"] or entry["level"] == "SEVERE"]
    assert refused == []


def test_served_over_http_it_works_the_same(browser, test_web):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(test_web))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        open_page(browser, base + "index.html")
        assert layout_problems(browser, "index over http") == []
        browser.find_element("css selector", "ol.contents a").click()
        assert browser.current_url.endswith("part-1.html")
        assert axe_violations(browser) == []
        errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
    finally:
        server.shutdown()
        server.server_close()


def test_keyboard_focus_is_visible(browser, test_web):
    open_page(browser, (test_web / "item-s_intro.html").as_uri())
    from selenium.webdriver.common.keys import Keys

    browser.find_element("css selector", "body").send_keys(Keys.TAB)
    focused = browser.execute_script(
        "const e = document.activeElement; const s = getComputedStyle(e);"
        "return [e.className, s.outlineStyle, s.outlineWidth, e.getBoundingClientRect().top]")
    assert focused[0] == "skip-link"
    assert focused[1] != "none" and focused[2] != "0px"
    assert focused[3] >= 0                    # the skip link comes into view when focused


def test_screenshots(browser, sample_web, tmp_path):
    """The index and an item page at 1280 and 360 px: written for a person to look at
    (READER_SCREENSHOTS=folder keeps them), and checked to be pages, not blank."""
    from PIL import Image

    folder = SHOTS or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("index.html", "item-sections_table_rural_party.html"):
        for width in (1280, 360):
            open_page(browser, (sample_web / name).as_uri(), width=width, height=1000)
            shot = folder / f"{Path(name).stem}-{width}.png"
            browser.save_screenshot(str(shot))
            with Image.open(shot) as image:
                colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
            assert colours is None or len(colours) > 20, f"{shot.name} is blank"


def test_live_reload_when_served(browser, test_web):
    """reader watch --serve: an open page reloads after a rebuild (reader's own script, run
    under the nonce of the served page's policy)."""
    from selenium.webdriver.support.ui import WebDriverWait

    from reader.build.serve import Server

    server = Server(test_web, 0).start()
    try:
        open_page(browser, server.url + "item-s_intro.html")
        assert axe_violations(browser) == []
        browser.execute_script("window.beforeReload = true")
        WebDriverWait(browser, 10).until(lambda d: d.execute_script(
            "return performance.getEntriesByType('resource').some("
            "e => e.name.includes('/__reader/events'))") or True)
        import time

        time.sleep(0.5)                      # the event stream is open
        server.live.bump()
        WebDriverWait(browser, 10).until(
            lambda d: d.execute_script("return window.beforeReload === undefined"))
        refused = [e["message"] for e in browser.get_log("browser")
                   if "Content Security Policy" in e["message"]]
        assert refused == []
    finally:
        server.stop()
