"""Notifications on the page: the bell in the header counts what is new for the person signed in
(messages that mention them, items near or past their stage's time), and the Notifications screen
lists them. Bo (a Member) has his page open when Ada mentions him through the API: his bell's
count rises without a reload. He opens Notifications: the mention shows who wrote what (markup as
text) with a link to its channel, which leads there; an item left queued in a 5 s stage is listed
as overdue, his to claim. The count is 0 then, and stays 0 after a reload (what was seen is kept
in the browser, per account). Gus, a Guest not mentioned and not able to claim, sees nothing."""
import re
import time

from selenium.webdriver.common.by import By

from harness import PASSWORD, BrowserTest

ENTRIES = """return [...document.querySelectorAll('#notifications .note')].map((li) => ({
  kind: li.dataset.kind, isNew: li.classList.contains('unread'),
  what: li.querySelector('.note-what')?.textContent, text: li.querySelector('.note-text')?.textContent,
  detail: li.querySelector('.note-detail')?.textContent,
  links: [...li.querySelectorAll('a.note-link')].map((a) => a.getAttribute('href'))}));"""
MENTION = "@Bo Chen <b>x</b> please bring the spare seal"


class NotificationsTest(BrowserTest):
    def unread(self, page):
        """The bell's count once the page has fetched it (None before), and its accessible name."""
        bell = page.find_element(By.ID, "bell")
        value = bell.get_attribute("data-unread")
        return (None if value is None else int(value)), bell.get_attribute("aria-label")

    def wait_unread(self, page, n, what, timeout=30):
        return self.wait(lambda: self.unread(page)[0] == n, timeout, what)

    def test_mentions_and_an_overdue_item_counted_listed_and_seen(self):
        started = time.time()
        a = self.node("a")
        secret = re.search(r"#setup=(\S+)", a.setup_link()).group(1)
        ada = a.api("POST", "/api/v1/auth/setup", {"setupToken": secret, "username": "ada", "name": "Ada Lovelace", "password": PASSWORD})
        token = ada["token"]

        # Ada's team: Bo a Member, Gus a Guest; a stage of 5 s that Members act in, with an item left queued in it.
        team = a.api("POST", "/api/v1/teams", {"name": "Field crew"}, token=token)["id"]
        people = {}
        for username, name, role in [("bob", "Bo Chen", "member"), ("gus", "Gus Guest", "guest")]:
            people[username] = a.api("POST", "/api/v1/auth/register", {"username": username, "password": PASSWORD, "name": name}, token=token)
            a.api("POST", f"/api/v1/teams/{team}/members", {"person": people[username]["person"], "role": role}, token=token)
        workflow = a.api("POST", f"/api/v1/teams/{team}/workflows", {"name": "Repairs", "stages": [
            {"name": "Triage", "roles": ["member", "admin", "super-admin"], "slaSeconds": 5}]})["id"]
        item = a.api("POST", f"/api/v1/teams/{team}/items", {"workflow": workflow, "title": "Pump at the clinic <i>leaks</i>", "priority": 5})["id"]
        overdue_at = time.time() + 5

        bo_page, gus_page = self.driver(), self.driver(width=390, height=844)
        self.sign_in(bo_page, a, "bob")
        self.sign_in(gus_page, a, "gus")
        # Every signed-in screen has the bell; its count is fetched once the page starts.
        self.wait(lambda: self.unread(bo_page)[0] is not None, what="Bo's bell to have a count")
        before, _ = self.unread(bo_page)
        self.assertIn(before, (0, 1), "at most the item (not yet overdue, or just) before the mention")

        # Ada mentions Bo in #field-ops (and writes in #general to nobody) while his page is open,
        # once the item is overdue: his count becomes 2 (the mention, the item) without a reload.
        time.sleep(max(0, overdue_at + 0.3 - time.time()))
        bo_page.execute_script("window.stillTheSamePage = true")
        a.api("POST", f"/api/v1/teams/{team}/messages", {"channel": "general", "text": "Morning all"}, token=token)
        a.api("POST", f"/api/v1/teams/{team}/messages", {"channel": "field-ops", "text": MENTION, "mentions": [people["bob"]["person"]]}, token=token)
        self.wait_unread(bo_page, 2, "Bo's count to rise to 2 by itself", timeout=15)
        self.assertEqual(self.unread(bo_page)[1], "Notifications, 2 unread")
        self.assertTrue(bo_page.execute_script("return window.stillTheSamePage === true"), "the page was not reloaded")
        self.shot(bo_page, "notifications-01-bell")

        # The bell opens Notifications: the mention (who, the text as text, a link to the channel)
        # and the overdue item (title as text, stage, state, claimable, a link to it), both new.
        bo_page.find_element(By.ID, "bell").click()
        self.wait(lambda: bo_page.execute_script("return location.hash") == "#/notifications", what="the Notifications screen")
        self.loaded(bo_page)
        entries = bo_page.execute_script(ENTRIES)
        self.assertEqual([e["kind"] for e in entries], ["mention", "overdue"], entries)
        mention, late = entries
        self.assertEqual(mention["what"], "Ada Lovelace mentioned you in #field-ops")
        self.assertEqual(mention["text"], MENTION)
        self.assertEqual(mention["links"], [f"#/teams/{team}/messages?channel=field-ops"])
        self.assertEqual(late["what"], "Pump at the clinic <i>leaks</i>")
        self.assertEqual(late["links"], [f"#/teams/{team}/items/{item}"])
        self.assertIn("Stage: Triage", late["detail"])
        self.assertIn("you may claim it", late["detail"])
        self.assertTrue(mention["isNew"] and late["isNew"])
        self.assertEqual(bo_page.execute_script("return document.querySelectorAll('#main b, #main i').length"), 0, "markup stays text")
        self.assertIn("Overdue", bo_page.find_element(By.CSS_SELECTOR, "#notifications .note-overdue .badge").text)
        # Seen: the count is 0, and the bell says so.
        self.wait_unread(bo_page, 0, "the count to drop to 0")
        self.assertEqual(self.unread(bo_page)[1], "Notifications, none unread")
        self.assertEqual(bo_page.find_element(By.ID, "bell").get_attribute("aria-current"), "page")
        self.shot(bo_page, "notifications-02-list")

        # The mention's link leads to its channel, where the message is.
        bo_page.find_element(By.CSS_SELECTOR, "#notifications .note-mention a.note-link").click()
        self.wait(lambda: bo_page.execute_script("return location.hash") == f"#/teams/{team}/messages?channel=field-ops", what="#field-ops")
        self.loaded(bo_page)
        self.assertEqual(self.css(bo_page, "#channel-h").text, "#field-ops")
        self.wait(lambda: MENTION in [e.text for e in bo_page.find_elements(By.CSS_SELECTOR, "#main .chat-log .msg-text")], what="the message in #field-ops")

        # A reload keeps what was seen: the count fetched again is 0, and stays 0.
        bo_page.refresh()
        self.loaded(bo_page)
        self.wait(lambda: self.unread(bo_page)[0] is not None, what="the count after the reload")
        self.assertEqual(self.unread(bo_page), (0, "Notifications, none unread"))
        time.sleep(1)
        self.assertEqual(self.unread(bo_page)[0], 0)

        # Gus, a Guest, not mentioned and not able to claim the item: nothing, on the bell or the screen.
        self.assertEqual(self.unread(gus_page)[0], 0)
        self.css(gus_page, "#bell").click()
        self.wait(lambda: gus_page.execute_script("return location.hash") == "#/notifications", what="Gus's Notifications")
        self.loaded(gus_page)
        self.assertEqual(gus_page.execute_script(ENTRIES), [])
        self.assertIn("Nothing to look at", self.css(gus_page, "#main .empty-notes").text)
        self.assertEqual(self.unread(gus_page)[0], 0)
        self.shot(gus_page, "notifications-03-nothing")

        self.assert_clean(bo_page, a)
        self.assert_clean(gus_page, a)
        calls = [u for u in bo_page.requests if "/api/v1/notifications" in u]
        print(f"\nnotifications test: {time.time() - started:.1f} s, Bo's page asked for notifications {len(calls)} times")
