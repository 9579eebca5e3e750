"""The menu and the page width in real (Debian) Chromium: a few groups that open by keyboard, only the links
a role may follow, and at a phone's 390×844 the menu folds behind «Меню» and no main page scrolls
sideways (wide tables scroll inside their own box)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.test_browser import SCREENSHOT_DIR
from tests.web.world import PASSWORD

PHONE = {"width": 390, "height": 844}

#: the main pages every role opens (the lists, the school card, support, people, monitoring, the glossary)
COMMON = [
    "/",
    "/schools/",
    "/lists/low_results/",
    "/lists/social_risk/",
    "/lists/objectivity/",
    "/runs/",
    "/support/",
    "/diagnostics/",
    "/practices/",
    "/monitoring/",
    "/monitoring/methods/",
    "/glossary/",
]
ROLES = ["region", "municipality", "school", "teacher", "curator", "observer"]

WIDEST = """() => {
  const w = window.innerWidth;
  return [document.scrollingElement.scrollWidth, w];
}"""
#: the elements that stick out to the right (not inside a box that scrolls or clips), for the message
CULPRITS = """() => {
  const w = window.innerWidth, out = [];
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") { return true; }
    }
    return false;
  };
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 1 && !clipped(el)) {
      out.push(el.tagName.toLowerCase() + "." + el.className + " " + Math.round(r.right) + "px");
    }
  }
  return out.slice(0, 6);
}"""


def _login(browser, live_server, username: str, viewport: dict):
    context = browser.new_context(viewport=viewport, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    return context, page


def _menu_links(page) -> list[str]:
    return page.eval_on_selector_all("header nav a", "els => els.map(e => e.getAttribute('href'))")


@pytest.mark.parametrize("role", ROLES)
def test_no_sideways_scroll_at_390_px(browser, live_server, live_world, role) -> None:
    """Every main page a role can open, and the school card, fit a 390 px screen; the menu is folded and
    opens with its button; every link the menu offers this role opens (no 403 or 404 behind a link)."""
    context, page = _login(browser, live_server, live_world.users[role].username, PHONE)
    try:
        pages = [*COMMON, f"/schools/{live_world.school.school_id}/"]
        for link in _menu_links(page):
            if link not in pages:
                pages.append(link)
        wide = []
        for path in pages:
            answer = page.goto(f"{live_server.url}{path}")
            assert (answer.status if answer else None) == 200, (role, path)
            page.wait_for_load_state("load")
            scroll, inner = page.evaluate(WIDEST)
            if scroll > inner:
                wide.append(f"{path}: {scroll} > {inner} px: {page.evaluate(CULPRITS)}")
        assert not wide, f"{role}: страницы шире экрана: {wide}"
        page.goto(f"{live_server.url}/")
        nav = page.locator("header nav")
        toggle = page.locator("header .menu-toggle")
        assert not nav.is_visible()
        assert toggle.is_visible()
        assert toggle.get_attribute("aria-expanded") == "false"
        toggle.click()
        assert nav.is_visible()
        assert toggle.get_attribute("aria-expanded") == "true"
        page.locator("header nav summary", has_text="Списки").click()
        page.locator("header nav a", has_text="Школы").click()
        page.wait_for_url("**/schools/")
        scroll, inner = page.evaluate(WIDEST)
        assert scroll <= inner
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"narrow-{role}.png"), full_page=True)
    finally:
        context.close()


def test_menu_groups_open_by_keyboard_and_close(browser, live_server, live_world) -> None:
    """A wide screen: the groups are closed drop-downs; Tab reaches a group, Enter opens it, its links are
    then visible and focusable, opening another group closes the first, Escape closes and returns focus."""
    context, page = _login(
        browser, live_server, live_world.users["region"].username, {"width": 1280, "height": 900}
    )
    try:
        assert not page.locator("header .menu-toggle").is_visible()
        groups = page.locator("header nav details.menu-group")
        assert 4 <= groups.count() <= 7
        assert page.locator("header nav a", has_text="Пользователи").count() <= 1
        assert not page.locator("header nav a", has_text="Показатели").is_visible()
        summary = page.locator("header nav summary", has_text="Мониторинг")
        summary.focus()
        page.keyboard.press("Enter")
        assert page.locator("header nav a", has_text="Показатели").is_visible()
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent")
        assert focused == "Показатели"
        page.locator("header nav summary", has_text="Списки").click()
        expect(page.locator("header nav a", has_text="ШНСУ")).to_be_visible()
        # the other group closes on the «toggle» event, which arrives after the click
        expect(page.locator("header nav a", has_text="Показатели")).to_be_hidden()
        page.keyboard.press("Escape")
        expect(page.locator("header nav a", has_text="ШНСУ")).to_be_hidden()
        assert page.evaluate("document.activeElement.textContent") == "Списки"
        page.mouse.click(5, 600)
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.locator("header nav summary", has_text="Сопровождение").click()
        page.screenshot(path=str(SCREENSHOT_DIR / "menu-wide.png"))
    finally:
        context.close()


def test_menu_shows_only_what_a_role_may_open(world) -> None:
    """«Отчёты» for region-wide users and municipal coordinators only (the others have no territory to
    report on); the administration group only for region-wide users; every shown link answers 200."""
    from django.test import Client

    for role in ROLES:
        c = Client()
        c.force_login(world.users[role])
        html = c.get("/", follow=True).content.decode()
        nav = html[html.index("<nav") : html.index("</nav>")]
        has_reports = "/monitoring/reports/" in nav
        assert has_reports == (role in {"region", "observer", "municipality"}), role
        assert ("Администрирование" in nav) == (role in {"region", "observer"}), role
        for href in [part.split('"', 1)[0] for part in nav.split('href="')[1:]]:
            assert c.get(href, follow=True).status_code == 200, (role, href)


def test_error_pages_are_russian_with_the_menu(world) -> None:
    """403, 404 and 500 pages of a signed-in user show the menu and say in Russian what happened."""
    from django.test import Client, RequestFactory

    from shnor.web.errors import server_error

    c = Client()
    c.force_login(world.users["teacher"])
    missing = c.get("/нет-такой-страницы/")
    assert missing.status_code == 404
    html = missing.content.decode()
    assert 'id="main-menu"' in html
    assert "Страница не найдена" in html
    assert "Словарь терминов" in html
    denied = c.get("/cases/")  # the cases page is for the region and municipalities
    assert denied.status_code == 403
    html = denied.content.decode()
    assert 'id="main-menu"' in html
    assert "Нет доступа" in html
    request = RequestFactory().get("/")
    request.user = world.users["region"]
    request.session = {}
    html = server_error(request).content.decode()
    assert 'id="main-menu"' in html
    assert "Ошибка на сервере" in html
    assert "Номер запроса" in html
