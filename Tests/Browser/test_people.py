"""Accounts are persons (PROTOCOL.md section 13) on the page: the founder adds an account of the
node to a team by username on the team's page (a refusal shows the API's own words), the member
is listed by name as a person; that person signs in in another browser, claims an item and the
item page says "you" to them and their name to the founder; their Account page shows the person
ID and public key another node's Admin adds them with."""
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness import PASSWORD, BrowserTest


class PeopleTest(BrowserTest):
    def member_row(self, page, person):
        return self.css(page, f"#members tbody tr[data-member='{person}']")

    def test_a_person_added_by_username_claims_as_themself(self):
        a = self.node("a")
        ada_page, bo_page = self.driver(), self.driver()
        self.sign_up_founder(ada_page, a, "ada")
        ada = ada_page.execute_script("return JSON.parse(localStorage.getItem('elohim.session'))")

        # Ada makes the team through the page: she is in it as an Admin person, the node as its Super Admin.
        ada_page.get(a.origin + "/#/teams")
        self.loaded(ada_page)
        self.type_into(ada_page, "Name", "Field crew")
        self.button(ada_page, "Create the team").click()
        self.wait(lambda: "/teams/" in ada_page.current_url, what="the team's page")
        team = ada_page.current_url.split("/teams/")[1].split("/")[0]

        # Bo gets an account (a person, with a name) from the founder; a workflow and an item to claim.
        bo = a.api("POST", "/api/v1/auth/register", {"username": "bob", "password": PASSWORD, "name": "Bo Chen"}, token=ada["token"])
        self.assertRegex(bo["publicKey"], r"^[0-9a-f]{64}$")
        workflow = a.api("POST", f"/api/v1/teams/{team}/workflows", {"name": "Repairs", "stages": [
            {"name": "Triage", "roles": ["member", "admin", "super-admin"], "slaSeconds": 3600}]})["id"]
        item = a.api("POST", f"/api/v1/teams/{team}/items", {"workflow": workflow, "title": "Well at the north gate is dry", "priority": 5})["id"]

        # The page is still on the team (a get of the same address would not draw it again): reload it for Bo's account.
        ada_page.refresh()
        self.loaded(ada_page)
        self.assertIn("(you)", self.member_row(ada_page, ada["account"]["person"]).text)
        self.assertIn("(this node)", self.member_row(ada_page, a.id).text)

        # A person the node does not know, without a key: the API's message says what to give.
        self.css(ada_page, "form[aria-labelledby=add-h] details summary").click()
        self.type_into(ada_page, "Person ID", a.id)
        self.button(ada_page, "Add to the team").click()
        error = self.css(ada_page, "form[aria-labelledby=add-h] p.status.error")
        self.assertIn("publicKey", error.text)
        self.field(ada_page, "Person ID").clear()
        self.css(ada_page, "form[aria-labelledby=add-h] details summary").click()

        # Bo by username, as a Member.
        Select(self.field(ada_page, "Username on this node")).select_by_visible_text("Bo Chen (bob)")
        Select(self.field(ada_page, "Role in the team")).select_by_value("member")
        self.button(ada_page, "Add to the team").click()
        self.wait(lambda: "Bo Chen was added as Member." in self.css(ada_page, "form[aria-labelledby=add-h] p.status.ok").text,
                  what="the confirmation")
        row = self.member_row(ada_page, bo["person"])
        self.assertIn("Bo Chen", row.text)
        self.assertEqual(row.find_element(By.CSS_SELECTOR, ".badge").text, "person")
        self.assertEqual(Select(row.find_element(By.CSS_SELECTOR, "select")).first_selected_option.get_attribute("value"), "member")
        member = next(m for m in a.api("GET", f"/api/v1/teams/{team}")["members"] if m["person"] == bo["person"])
        self.assertEqual((member["kind"], member["name"], member["role"]), ("person", "Bo Chen", "member"))
        # The confirmation outlives the redraw the addition's own replica event makes (400 ms after it).
        time.sleep(1.5)
        self.assertIn("Bo Chen was added", self.css(ada_page, "form[aria-labelledby=add-h] p.status").text)
        self.shot(ada_page, "people-01-bo-added")

        # Bo signs in in his own browser: his row says "you", and a Member sees no manage controls.
        self.sign_in(bo_page, a, "bob")
        bo_page.get(a.origin + f"/#/teams/{team}")
        self.loaded(bo_page)
        self.assertIn("(you)", self.member_row(bo_page, bo["person"]).text)
        self.assertEqual(bo_page.find_elements(By.ID, "add-h"), [], "a Member is not offered the form")

        # He claims the item: "you" on his page, his name on Ada's.
        bo_page.get(a.origin + f"/#/teams/{team}/items/{item}")
        self.loaded(bo_page)
        self.button(bo_page, "Claim").click()
        self.wait(lambda: self.css(bo_page, "#item-status").get_attribute("data-status") == "claimed", what="the claim")
        self.assertEqual(self.css(bo_page, "#item-assignee").text, "you")
        self.shot(bo_page, "people-02-bo-claimed")
        claimed = a.api("GET", f"/api/v1/teams/{team}/items/{item}")
        self.assertEqual((claimed["assignee"], claimed["assigneeName"]), (bo["person"], "Bo Chen"))
        ada_page.get(a.origin + f"/#/teams/{team}/items/{item}")
        self.loaded(ada_page)
        self.assertEqual(self.css(ada_page, "#item-assignee").text, "Bo Chen")
        self.shot(ada_page, "people-03-ada-sees-bo")

        # Bo's Account page: his name, person ID and public key.
        bo_page.get(a.origin + "/#/account")
        self.loaded(bo_page)
        self.assertEqual(self.css(bo_page, "#my-person").text, bo["person"])
        self.assertEqual(self.css(bo_page, "#my-key").text, bo["publicKey"])
        self.assertIn("Bo Chen", bo_page.find_element(By.ID, "main").text)
        self.shot(bo_page, "people-04-bo-account")

        # Provoked on purpose: the addition without a key (400) is the only console error.
        self.assert_clean(ada_page, a, refused=[(f"/api/v1/teams/{team}/members", 400)])
        self.assert_clean(bo_page, a)
