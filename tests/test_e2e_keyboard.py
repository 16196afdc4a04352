"""The card works from the keyboard alone: the "+ Exchange" menu opens, is walked with the arrow
keys and followed with Enter, and every focused control shows where the focus is."""
from tests.card_support import card_url
from tests.conftest import browser_login
from tests.screens_support import save_screenshot


def _focus_ring(page) -> dict:
    return page.evaluate("""() => {
        const style = getComputedStyle(document.activeElement);
        return {outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
                shadow: style.boxShadow};
    }""")


def test_the_cards_exchange_menu_is_used_with_the_keyboard_and_focus_is_visible(
        live_server, browser, admin_user, make_company):
    company = make_company("Lumen Labs")
    page = browser_login(browser, live_server, admin_user.email)
    page.goto(f"{live_server}{card_url(company.id)}")
    toggle = page.locator("[data-action=add-exchange]")
    # Reach the menu button with Tab, as a keyboard user does (at most 60 stops).
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.dataset.action") == "add-exchange":
            break
    assert page.evaluate("() => document.activeElement.dataset.action") == "add-exchange"
    ring = _focus_ring(page)
    assert (ring["outline"] != "none" and ring["width"] >= 2) or ring["shadow"] != "none"
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    first = page.evaluate("() => document.activeElement.dataset.addKind")
    assert first == "call"
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/admin/company/card/exchange/" in url and "kind=call" in url)
    assert page.locator("input[name=title]").is_visible()
    save_screenshot(page, "keyboard-exchange-form")
