"""Issue 16, test 3: every screen at 390 px (a phone) and 1280 px wide: it draws without a
console error and without anything wider than the window, and no request leaves the node's
origin. Also: the Content-Security-Policy stops a request to anywhere else, the screens can be
used by keyboard (every control has a label), and the banner says when the node is unreachable
and goes when it is back."""
import os
import time
import urllib.request

from selenium.webdriver.common.by import By

from harness import ARTIFACTS, BrowserTest

WIDTHS = [390, 1280]


class ScreensTest(BrowserTest):
    def test_every_screen_at_phone_and_desktop_widths(self):
        a, b = self.node("a"), self.node("b")
        page = self.driver(width=1280, height=900)

        # The signed-out screens first.
        page.get(a.origin + "/#/help")
        self.loaded(page)
        self.sign_up_founder(page, a)

        # Something on every screen: a team with a workflow and items, a peer paired by code, a notice.
        team = a.api("POST", "/api/v1/teams", {"name": "Field crew"})["id"]
        started = time.time()
        workflow = a.api("POST", f"/api/v1/teams/{team}/workflows", {"name": "Repairs", "stages": [
            {"name": "Triage", "roles": ["member", "admin", "super-admin"], "slaSeconds": 3600}, {"name": "Fix", "roles": ["admin"]}]})["id"]
        items = [a.api("POST", f"/api/v1/teams/{team}/items", {"workflow": workflow, "title": t, "priority": p})["id"]
                 for t, p in [("Well at the north gate is dry", 8), ("Replace the pump seal at the clinic tank, before the rains come", 5), ("Survey", 2)]]
        a.api("POST", f"/api/v1/teams/{team}/items/{items[2]}/claim")
        # A stage of two seconds: its item is overdue by the time the queue is drawn.
        urgent = a.api("POST", f"/api/v1/teams/{team}/workflows", {"name": "Urgent", "stages": [
            {"name": "Now", "roles": ["member", "admin", "super-admin"], "slaSeconds": 2}]})["id"]
        a.api("POST", f"/api/v1/teams/{team}/items", {"workflow": urgent, "title": "Generator at the clinic stopped", "priority": 9})
        code = a.api("POST", "/api/v1/p2p/invites", {"team": team, "role": "member"})["code"]
        b.api("POST", "/api/v1/p2p/join", {"code": code, "via": a.mesh})
        a.api("POST", "/api/v1/p2p/notices", {"text": "Convoy leaves at 06:00"})
        # Text from the mesh is text: markup in a team's name or a notice never becomes elements.
        hostile = '<img src=x onerror="window.__injected=1">'
        a.api("POST", "/api/v1/teams", {"name": hostile})
        a.api("POST", "/api/v1/p2p/notices", {"text": hostile})
        # A dataset of the signed-in account (datasets are per account), with a long text column.
        token = page.execute_script("return JSON.parse(localStorage.getItem('elohim.session')).token")
        rows = "".join(f"{i},Well {i} at the {'north' if i % 2 else 'south'} gate,{i * 1.5},2024-01-{1 + i % 28:02d}\n" for i in range(60))
        upload = urllib.request.Request(f"{a.origin}/api/v1/data/datasets?name=wells.csv", data=("id,site,depth,checked\n" + rows).encode(), method="POST",
                                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream", "Origin": a.origin})
        urllib.request.urlopen(upload, timeout=60).read()

        screens = [
            ("home", "/#/"), ("teams", "/#/teams"), ("team", f"/#/teams/{team}"), ("workflows", f"/#/teams/{team}/workflows"),
            ("queue", f"/#/teams/{team}/queue"), ("item", f"/#/teams/{team}/items/{items[0]}"), ("join", "/#/join"),
            ("vault", "/#/vault"), ("data", "/#/data"), ("mesh", "/#/mesh"), ("account", "/#/account"), ("audit", "/#/audit"),
            ("diagnostics", "/#/diagnostics"), ("help", "/#/help"), ("not-found", "/#/no-such-screen"),
        ]
        time.sleep(max(0, 2.5 - (time.time() - started)))
        for width in WIDTHS:
            page.set_window_size(width, 900)
            inner = page.execute_script("return window.innerWidth")
            for name, path in screens:
                page.get(a.origin + path)
                self.loaded(page)
                if name == "mesh":
                    self.css(page, f"#mesh-picture [data-peer='{b.id}']")
                if name == "data":
                    # A result in the grid: it scrolls inside itself, the page does not get wider.
                    self.css(page, "#datasets tr[data-name='wells.csv']")
                    self.type_into(page, "SQL", "SELECT *, site || ' / ' || site AS long_label FROM wells ORDER BY id")
                    self.button(page, "Run").click()
                    self.wait(lambda: "Rows 1 to 60" in page.find_element(By.ID, "result-summary").text, 60, "the result")
                    page.execute_script("document.getElementById('result').scrollIntoView()")
                if name == "queue":
                    # SLA states in words as well as colour.
                    self.assertIn("Overdue", page.find_element(By.ID, "main").text)
                    self.assertIn("On time", page.find_element(By.ID, "main").text)
                self.shot(page, f"screen-{name}-{width}")
                overflow = page.execute_script("return document.documentElement.scrollWidth")
                self.assertLessEqual(overflow, inner + 1, f"{name} at {width} px is {overflow} px wide")
                unlabelled = page.execute_script(UNLABELLED)
                self.assertEqual(unlabelled, [], f"controls without a label on {name}")
            # The vault opened, too (locked first: the keys of the last round are still in the page).
            page.get(a.origin + "/#/vault")
            self.loaded(page)
            if page.find_elements(By.XPATH, "//main//button[normalize-space(.)='Lock']"):
                self.button(page, "Lock").click()
            self.type_into(page, "Vault passphrase", "correct horse battery staple")
            self.button(page, "Open the vault").click()
            self.css(page, "#files-h", timeout=60)
            self.shot(page, f"screen-vault-open-{width}")
            self.assertLessEqual(page.execute_script("return document.documentElement.scrollWidth"), inner + 1)
            # Signed out: the sign-in screen.
            page.execute_script("localStorage.removeItem('elohim.session')")
            page.get(a.origin + "/#/signin")
            self.loaded(page)
            self.shot(page, f"screen-signin-{width}")
            self.assertLessEqual(page.execute_script("return document.documentElement.scrollWidth"), inner + 1)
            self.sign_in(page, a)

        for path in ["/#/teams", "/#/mesh", "/#/"]:
            page.get(a.origin + path)
            self.loaded(page)
            self.assertIn(hostile, page.find_element(By.ID, "main").text, f"{path} shows the markup as text")
            self.assertEqual(page.execute_script("return document.querySelectorAll('main img').length"), 0, path)
            self.assertIsNone(page.execute_script("return window.__injected"), path)

        # Keyboard: Tab from the top reaches the navigation and the screen's controls.
        page.get(a.origin + f"/#/teams/{team}/queue")
        self.loaded(page)
        reached = page.execute_script(TAB_WALK)
        self.assertIn("Teams", reached, "tabbing reaches the navigation")
        self.assertTrue(any("qrow" in r for r in reached), f"tabbing reaches the queue's items: {reached}")

        self.assert_clean(page, a)

        # The policy stops a request to any other origin (another port of loopback here; CSP stops it
        # before a packet is sent), and says so as a violation.
        blocked = page.execute_async_script(CSP_PROBE)
        self.assertTrue(blocked["violated"], blocked)
        self.assertTrue(blocked["refused"], blocked)

        # The node goes away: the banner says so; it comes back: the banner goes.
        page.get(a.origin + f"/#/teams/{team}/queue")
        self.loaded(page)
        a.stop()
        banner = self.wait(lambda: page.find_element(By.ID, "banner") if page.find_element(By.ID, "banner").is_displayed() else None, 30, "the banner")
        self.assertIn("unreachable", banner.text)
        self.shot(page, "screen-unreachable-390" if page.execute_script("return innerWidth") < 500 else "screen-unreachable-1280")
        a.start()
        self.wait(lambda: not page.find_element(By.ID, "banner").is_displayed(), 30, "the banner to go")
        self.loaded(page)
        self.assertTrue(page.find_elements(By.CSS_SELECTOR, "a.qrow"), "the queue is back")
        print(f"\n  screenshots in {ARTIFACTS}: {len([f for f in os.listdir(ARTIFACTS) if f.startswith('screen-')])}")


# Every visible form control has an accessible name: a <label for>, aria-label or aria-labelledby.
UNLABELLED = r"""
return [...document.querySelectorAll('main input, main select, main textarea')]
  .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map((el) => el.outerHTML.slice(0, 120));
"""

# Presses Tab (by focusing the next focusable in document order, as the browser does) from the top.
TAB_WALK = r"""
const focusable = [...document.querySelectorAll('a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea, [tabindex]:not([tabindex="-1"])')]
  .filter((el) => el.offsetParent !== null || el === document.activeElement);
return focusable.slice(0, 40).map((el) => { el.focus(); return document.activeElement === el ? (el.className ? el.className + ': ' : '') + (el.textContent || el.name || el.tagName).trim().slice(0, 40) : 'not focusable'; });
"""

CSP_PROBE = r"""
const done = arguments[arguments.length - 1];
let violated = false;
document.addEventListener('securitypolicyviolation', () => { violated = true; });
fetch('http://127.0.0.1:9/outside').then(() => done({ violated, refused: false }), () => setTimeout(() => done({ violated, refused: true }), 200));
"""
