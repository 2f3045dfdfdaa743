"""A hostile payload for pages the instructor opens, and how the browser tests open such a page.

The attack, if it ran in a page of the Jupyter server, would write a file through the contents
API (the same origin, so the instructor's cookies go with it), change the title, add a marker
element and open a dialog: four things a test can see.
"""

from __future__ import annotations

MARKER = "PWNED1337"
FILE = f"{MARKER}.txt"  # what the payload would write, at the server root
TITLE = f"{MARKER} title"

# The attack, as JavaScript: a PUT through the contents API (the same origin as the Formgrader,
# so the instructor's cookies go with it), a new title, a marker element and a dialog.
ATTACK = (
    "var x=(document.cookie.match(/_xsrf=([^;]+)/)||[])[1]||'';"
    f"fetch('/api/contents/{FILE}',{{method:'PUT',credentials:'same-origin',"
    "headers:{'X-XSRFToken':decodeURIComponent(x),'Content-Type':'application/json'},"
    f"body:JSON.stringify({{type:'file',format:'text',content:'{MARKER}'}})}});"
    f"document.title='{TITLE}';"
    f"var m=document.createElement('div');m.id='{MARKER}';m.textContent='{MARKER}';"
    "document.body.appendChild(m);"
    f"alert('{MARKER}');"
)
ATTACK_ATTR = ATTACK.replace('"', "&quot;")


def open_page(browser, url: str):
    """A fresh page with every dialog recorded (and dismissed), loaded and settled."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    return context, page


def settle(page) -> None:
    """Give anything that would fire (onerror, onload, ontoggle, fetch) the time to do it."""
    try:
        page.wait_for_load_state("networkidle", timeout=10_000)
    except Exception:  # noqa: BLE001 - a page that keeps polling is still checked below
        pass
    page.wait_for_timeout(1_500)
