"""Messages on the page: a team's channels and an item's thread. Ada posts in #general (Enter
sends, Shift+Enter is a new line), mentions Bo by picking him after "@", sends markup that must
show as text, opens a new channel by name (a bad name is refused with a suggestion) and posts in
it; the channel list counts follow. Bo posts through the API while her page is open and it
arrives by itself. A channel longer than a page shows "Load older". The item's thread takes a
message; a search finds messages in a channel and in the thread and links to both. A guest is
told the team only lets them read, and the node's refusal is shown when they try. The screen fits
a phone's width."""
import time

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from harness import PASSWORD, BrowserTest

MESSAGES = """return [...document.querySelectorAll('#main .chat-log .msg')].map((li) => ({
  id: li.dataset.id, author: li.querySelector('.author').textContent, text: li.querySelector('.msg-text').textContent,
  mentions: [...li.querySelectorAll('mark.mention')].map((m) => m.textContent)}));"""
COUNTS = """return Object.fromEntries([...document.querySelectorAll('#channels li')].map((li) =>
  [li.dataset.channel, Number(li.querySelector('.count').textContent)]));"""
HOSTILE = "<img src=x onerror=alert(1)>"


class MessagesTest(BrowserTest):
    def messages(self, page):
        return page.execute_script(MESSAGES)

    def counts(self, page):
        return page.execute_script(COUNTS)

    def compose(self, page):
        return self.css(page, "#main .compose textarea")

    def send(self, page, text):
        """Types `text` in the compose box and presses Enter; waits until the box is empty again (stored)."""
        box = self.compose(page)
        box.send_keys(text)
        box.send_keys(Keys.ENTER)
        self.wait(lambda: self.compose(page).get_attribute("value") == "", what=f"'{text[:30]}' to be sent")

    def wait_for_text(self, page, text, what):
        return self.wait(lambda: next((m for m in self.messages(page) if m["text"] == text), None), what=what)

    def test_channels_thread_search_live_and_a_guest(self):
        started = time.time()
        a = self.node("a")
        page = self.driver()
        self.sign_up_founder(page, a, "ada")
        ada = page.execute_script("return JSON.parse(localStorage.getItem('elohim.session'))")
        token = ada["token"]

        # The team is Ada's (an Admin person in it); Bo a Member, Gus a Guest; an item for a thread.
        team = a.api("POST", "/api/v1/teams", {"name": "Field crew"}, token=token)["id"]
        people = {}
        for username, name, role in [("bob", "Bo Chen", "member"), ("gus", "Gus Guest", "guest")]:
            people[username] = a.api("POST", "/api/v1/auth/register", {"username": username, "password": PASSWORD, "name": name}, token=token)
            a.api("POST", f"/api/v1/teams/{team}/members", {"person": people[username]["person"], "role": role}, token=token)
        bo = people["bob"]
        bo_token = a.api("POST", "/api/v1/auth/login", {"username": "bob", "password": PASSWORD})["token"]
        workflow = a.api("POST", f"/api/v1/teams/{team}/workflows", {"name": "Repairs", "stages": [
            {"name": "Triage", "roles": ["member", "admin", "super-admin"], "slaSeconds": 3600}]})["id"]
        item = a.api("POST", f"/api/v1/teams/{team}/items", {"workflow": workflow, "title": "Well at the north gate is dry", "priority": 5})["id"]
        # A channel longer than one page (50), posted through the API by the node's operator (not
        # held to the rate limits, which count the page's requests: all come from 127.0.0.1).
        for n in range(1, 56):
            a.api("POST", f"/api/v1/teams/{team}/messages", {"channel": "log", "text": f"entry {n}"})

        # From the team's page, "Messages" opens #general: empty, with a compose box.
        page.get(a.origin + f"/#/teams/{team}")
        self.loaded(page)
        self.button(page, "Messages").click()
        self.wait(lambda: page.execute_script("return location.hash") == f"#/teams/{team}/messages", what="the Messages screen")
        self.loaded(page)
        self.assertEqual(self.css(page, "#channel-h").text, "#general")
        self.assertIn("No message in this channel yet.", self.css(page, ".chat-log .empty").text)
        self.assertEqual(self.counts(page), {"general": 0, "log": 55})

        # Shift+Enter is a new line, Enter sends; the counter counts UTF-8 bytes.
        box = self.compose(page)
        box.send_keys("Morning all, pump check at 10")
        ActionChains(page).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
        box.send_keys("Café at the clinic")
        self.assertEqual(self.css(page, ".compose .counter").text, "49 / 8192 bytes")
        box.send_keys(Keys.ENTER)
        first = self.wait_for_text(page, "Morning all, pump check at 10\nCafé at the clinic", "the first message")
        self.assertEqual(first["author"], "ada")
        self.wait(lambda: self.counts(page).get("general") == 1, what="#general counted 1")

        # "@Bo" offers Bo Chen; Enter picks him (it does not send) and the message mentions his person.
        box = self.compose(page)
        box.send_keys("@Bo")
        option = self.css(page, ".mention-list li[aria-selected=true]")
        self.assertEqual(option.get_attribute("data-member"), bo["person"])
        self.assertIn("Bo Chen", option.text)
        box.send_keys(Keys.ENTER)
        self.assertEqual(box.get_attribute("value"), "@Bo Chen ")
        self.send(page, "please bring the spare seal")
        mention = self.wait_for_text(page, "@Bo Chen please bring the spare seal", "the mention")
        self.assertEqual(mention["mentions"], ["@Bo Chen"])
        stored = a.api("GET", f"/api/v1/teams/{team}/messages?channel=general", token=token)["messages"]
        self.assertEqual(stored[-1]["mentions"], [{"id": bo["person"], "name": "Bo Chen"}])

        # Markup is text: shown literally, no element made, nothing run.
        self.send(page, HOSTILE)
        self.wait_for_text(page, HOSTILE, "the markup as text")
        self.assertEqual(page.execute_script("return document.querySelectorAll('main img').length"), 0)
        with self.assertRaises(NoAlertPresentException):
            page.switch_to.alert.text
        self.wait(lambda: self.counts(page).get("general") == 3, what="#general counted 3")
        self.shot(page, "messages-01-general")

        # A new channel by name: a bad one is refused with what would do; a good one opens, empty.
        self.css(page, ".new-channel-box summary").click()
        self.type_into(page, "Channel name", "Field Ops")
        self.button(page, "Open").click()
        refusal = self.css(page, ".new-channel p.status.error")
        self.assertIn("cannot be a channel name", refusal.text)
        self.assertIn("“field-ops”", refusal.text)
        self.type_into(page, "Channel name", "field-ops")
        self.button(page, "Open").click()
        self.wait(lambda: page.execute_script("return location.hash").endswith("?channel=field-ops"), what="#field-ops")
        self.loaded(page)
        self.assertEqual(self.css(page, "#channel-h").text, "#field-ops")
        self.assertEqual(self.counts(page).get("field-ops"), 0)
        # Opened by name, its compose box has the focus: typing goes straight in.
        self.assertEqual(page.execute_script("return document.activeElement.name"), "message")
        self.send(page, "Convoy leaves at 06:00")
        self.wait_for_text(page, "Convoy leaves at 06:00", "the first message of #field-ops")
        self.wait(lambda: self.counts(page).get("field-ops") == 1, what="#field-ops counted 1")

        # Bo posts through the API while the page is open: it arrives, under his name, by itself.
        a.api("POST", f"/api/v1/teams/{team}/messages", {"channel": "field-ops", "text": "Generator fuel at 40%"}, token=bo_token)
        live = self.wait_for_text(page, "Generator fuel at 40%", "Bo's message to arrive live")
        self.assertEqual(live["author"], "Bo Chen")
        a.api("POST", f"/api/v1/teams/{team}/messages", {"channel": "general", "text": "On my way"}, token=bo_token)
        self.wait(lambda: self.counts(page) == {"general": 4, "field-ops": 2, "log": 55}, what="the counts after Bo's messages")
        self.assertEqual([m["text"] for m in self.messages(page)], ["Convoy leaves at 06:00", "Generator fuel at 40%"])
        self.shot(page, "messages-02-live")

        # A channel longer than a page: the newest 50, then "Load older" brings the first five.
        self.css(page, "#channels li[data-channel=log] a").click()
        self.wait(lambda: page.execute_script("return location.hash").endswith("?channel=log"), what="#log")
        self.loaded(page)
        shown = self.messages(page)
        self.assertEqual((len(shown), shown[0]["text"], shown[-1]["text"]), (50, "entry 6", "entry 55"))
        self.button(page, "Load older").click()
        self.wait(lambda: len(self.messages(page)) == 55, what="the older messages")
        self.assertEqual([m["text"] for m in self.messages(page)], [f"entry {n}" for n in range(1, 56)])
        self.assertEqual(page.find_elements(By.XPATH, "//main//button[normalize-space(.)='Load older']")[0].is_displayed(), False)

        # The item's thread: a message posted there, and Bo's arriving live.
        page.get(a.origin + f"/#/teams/{team}/items/{item}")
        self.loaded(page)
        self.assertEqual(self.css(page, "#thread-h").text, "Thread")
        self.send(page, "Seal ordered from the depot")
        self.wait_for_text(page, "Seal ordered from the depot", "the thread's message")
        a.api("POST", f"/api/v1/teams/{team}/messages", {"item": item, "text": "Thanks, I will fit the seal"}, token=bo_token)
        self.wait_for_text(page, "Thanks, I will fit the seal", "Bo's thread message to arrive live")
        thread = a.api("GET", f"/api/v1/teams/{team}/messages?item={item}", token=token)["messages"]
        self.assertEqual([m["text"] for m in thread], ["Seal ordered from the depot", "Thanks, I will fit the seal"])
        self.shot(page, "messages-03-thread")

        # Search the team: the channel's and the thread's messages, newest first, each linked to its place.
        page.get(a.origin + f"/#/teams/{team}/messages")
        self.loaded(page)
        self.type_into(page, "Search messages", "SEAL")
        self.button(page, "Search").click()
        self.wait(lambda: "?q=SEAL" in page.current_url, what="the search")
        self.loaded(page)
        places = [e.text for e in page.find_elements(By.CSS_SELECTOR, "#search-results .msg .place")]
        texts = [e.text for e in page.find_elements(By.CSS_SELECTOR, "#search-results .msg .msg-text")]
        self.assertEqual(places, ["Item: Well at the north gate is dry", "Item: Well at the north gate is dry", "#general"])
        self.assertEqual(texts, ["Thanks, I will fit the seal", "Seal ordered from the depot", "@Bo Chen please bring the spare seal"])
        self.assertIn("3 messages with “SEAL”", self.css(page, "#results-summary").text)
        self.shot(page, "messages-04-search")
        page.find_elements(By.CSS_SELECTOR, "#search-results .msg .place")[0].click()
        self.wait(lambda: page.execute_script("return location.hash") == f"#/teams/{team}/items/{item}", what="the item from the result")
        self.loaded(page)

        # A phone's width: the channels above the conversation, nothing wider than the window.
        page.set_window_size(390, 844)
        page.get(a.origin + f"/#/teams/{team}/messages")
        self.loaded(page)
        self.wait_for_text(page, HOSTILE, "#general at a phone's width")
        self.assertLessEqual(page.execute_script("return document.documentElement.scrollWidth"), page.execute_script("return window.innerWidth") + 1)
        self.shot(page, "messages-05-phone")

        # Gus, a Guest, reads; the compose box says guests only read, and the node's refusal shows.
        guest = self.driver(width=390, height=844)
        self.sign_in(guest, a, "gus")
        guest.get(a.origin + f"/#/teams/{team}/messages")
        self.loaded(guest)
        self.wait_for_text(guest, "On my way", "#general for the guest")
        self.assertIn("guests only read", self.css(guest, ".compose .read-only").text)
        self.send_refused(guest)
        self.shot(guest, "messages-06-guest")

        self.assert_clean(page, a)
        self.assert_clean(guest, a, refused=[(f"/api/v1/teams/{team}/messages", 403)])
        api_calls = [u for u in page.requests + guest.requests if "/api/v1/" in u and not u.startswith("ws:")]
        print(f"\nmessages test: {time.time() - started:.1f} s, {len(api_calls)} API requests from the pages")

    def send_refused(self, guest):
        box = self.compose(guest)
        box.send_keys("Can I help?")
        box.send_keys(Keys.ENTER)
        error = self.css(guest, ".compose p.status.error")
        self.assertIn("messages.post", error.text)
        self.assertEqual(box.get_attribute("value"), "Can I help?", "a refused message stays in the box")
