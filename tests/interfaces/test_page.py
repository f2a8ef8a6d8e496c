"""The search page in a real browser: Debian's Chromium, driven by Playwright, against a real
``vnsearch serve``. Each test saves screenshots in its temporary folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("uvicorn", reason="the server extra is not installed")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

import serving  # noqa: E402
from serving import start_server, stop_server  # noqa: E402

# The shared fixtures, where pytest looks for them.
served_index = serving.served_index

CHROMIUM = next((p for p in (shutil.which("chromium"), "/usr/bin/chromium", shutil.which("chromium-browser")) if p and Path(p).exists()), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def site(served_index):
    running = start_server(served_index)
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        # Chromium's sandbox refuses to start as root (CI runs as root).
        args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        launched = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, site, tmp_path):
    # The tests' own waits evaluate script text, which the page's policy rightly forbids.
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="vi-VN", bypass_csp=True)
    opened = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    opened.on("request", lambda r: requests.append(r.url))
    opened.on("pageerror", lambda e: errors.append(str(e)))
    opened.requested = requests  # type: ignore[attr-defined]
    opened.goto(site.url + "/")
    yield opened
    context.close()
    assert not errors, errors
    # Nothing from anywhere but the server itself: the page works offline.
    assert requests and all(url.startswith(site.url + "/") for url in requests), requests


def shot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5000
    return path


def type_query(page, text: str) -> None:
    box = page.locator("#q")
    box.fill("")
    box.press_sequentially(text, delay=40)  # as a person types: the page searches as it goes
    # The list of the whole query, not of a pause halfway through typing it.
    page.wait_for_selector(f'#hits[data-query="{text}"] li')


def test_type_unaccented_and_see_the_accented_words_highlighted(page, tmp_path):
    type_query(page, "hai phong")
    page.wait_for_function("document.querySelector('#hits mark') !== null")
    marks = page.locator("#hits mark").all_inner_texts()
    assert "Hải Phòng" in marks
    status = page.locator("#status").inner_text()
    assert "kết quả" in status
    assert page.locator("#suggestion").is_visible()
    assert page.locator("#suggested").inner_text() == "Hải Phòng"
    assert "q=hai+phong" in page.url  # the search can be shared and reloaded
    shot(page, tmp_path, "hai-phong")


def test_did_you_mean_searches_the_restored_spelling(page, tmp_path):
    type_query(page, "dang uy")
    page.wait_for_function("!document.querySelector('#suggestion').hidden")
    page.locator("#suggested").click()
    page.wait_for_function("document.querySelector('#q').value === 'Đảng ủy'")
    page.wait_for_selector('#hits[data-query="Đảng ủy"] li')
    assert page.locator("#suggestion").is_hidden()
    assert "Đảng ủy" in page.locator("#hits mark").all_inner_texts()


def test_click_a_facet_then_page_on(page, tmp_path):
    type_query(page, "hai phong")
    page.wait_for_selector("#facets button[data-filter='tags:thoi-su']")
    counts = dict(zip(page.locator("#facets .value").all_inner_texts(), page.locator("#facets .count").all_inner_texts()))
    assert counts["thoi-su"] == "2" and counts["ban-tin"] == "25"
    page.locator("#facets button[data-filter='tags:thoi-su']").click()
    page.wait_for_function("document.querySelectorAll('#hits li').length === 2")
    assert all("thoi-su" in meta for meta in page.locator("#hits .meta").all_inner_texts())
    assert page.locator("#facets button[data-filter='tags:thoi-su']").get_attribute("aria-pressed") == "true"
    shot(page, tmp_path, "facet")
    # The filter's chip takes it off again.
    page.locator("#filters button").click()
    page.wait_for_function("document.querySelectorAll('#hits li').length === 10")
    first_page = page.locator("#hits h3").all_inner_texts()
    assert page.locator("#pageinfo").inner_text() == "Trang 1 / 3"
    page.locator("#next").click()
    page.wait_for_function("document.querySelector('#pageinfo').textContent === 'Trang 2 / 3'")
    second_page = page.locator("#hits h3").all_inner_texts()
    assert not set(first_page) & set(second_page)
    assert page.locator("#hits").get_attribute("start") == "11"
    shot(page, tmp_path, "page-2")
    page.locator("#prev").click()
    page.wait_for_function("document.querySelector('#pageinfo').textContent === 'Trang 1 / 3'")


def test_completions_restore_accents(page):
    page.locator("#q").press_sequentially("ha n", delay=40)
    # The completions of what was typed last replace those of any earlier pause.
    page.wait_for_function("[...document.querySelectorAll('#completions option')].some(o => o.value === 'Hà Nội')")
    options = page.eval_on_selector_all("#completions option", "nodes => nodes.map(n => n.value)")
    assert options[:2] == ["Hà Nội", "Hà Nam"]


def test_readable_on_a_phone_in_the_dark(browser, site, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark",
                                  device_scale_factor=2, is_mobile=True, has_touch=True, bypass_csp=True)
    phone = context.new_page()
    phone.goto(site.url + "/?q=h%E1%BA%A3i+ph%C3%B2ng")  # a shared link: the search runs at once
    phone.wait_for_function("document.querySelectorAll('#hits li').length > 0")
    # Nothing wider than the screen, and the dark theme's colours.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 23, 26)"
    font = phone.evaluate("parseFloat(getComputedStyle(document.querySelector('.snippet')).fontSize)")
    assert font >= 14
    shot(phone, tmp_path, "phone-dark")
    context.close()


def test_the_page_works_under_its_own_content_security_policy(browser, site):
    context = browser.new_context()
    strict = context.new_page()
    errors: list[str] = []
    strict.on("pageerror", lambda e: errors.append(str(e)))
    strict.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    strict.goto(site.url + "/")
    strict.locator("#q").press_sequentially("hai phong", delay=40)
    strict.wait_for_selector('#hits[data-query="hai phong"] li mark')  # no script text evaluated: the policy holds
    assert "Hải Phòng" in strict.locator("#hits mark").all_inner_texts()
    context.close()
    assert not errors, errors
