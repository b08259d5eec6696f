"""Issue 16, test 1: a newcomer's path through the page. First run → team → workflow → item on
node A; node B joins the team by code through its own page; A's page changes B's role; the item
is claimed on B's page, and A's page, left open on the item, shows the claim without a reload."""
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness import BrowserTest


class NewcomerPathTest(BrowserTest):
    def test_first_run_team_workflow_item_join_and_a_claim_seen_live(self):
        a, b = self.node("a"), self.node("b")
        pa, pb = self.driver(), self.driver()

        # First run on A, through the page.
        self.sign_up_founder(pa, a, "ada")
        self.shot(pa, "newcomer-01-home")

        # A team.
        pa.get(a.origin + "/#/teams")
        self.loaded(pa)
        self.type_into(pa, "Name", "Field crew")
        self.button(pa, "Create the team").click()
        self.wait(lambda: "/teams/" in pa.current_url, what="the team's page")
        self.loaded(pa)
        team = pa.current_url.split("/teams/")[1].split("/")[0]
        self.assertEqual(len(team), 64)

        # A workflow of two stages, through the designer.
        pa.get(a.origin + f"/#/teams/{team}/workflows")
        self.loaded(pa)
        self.type_into(pa, "Workflow name", "Water point repairs")
        self.button(pa, "Add a stage").click()
        names = pa.find_elements(By.CSS_SELECTOR, "fieldset.stage input[name$='-name']")
        self.assertEqual(len(names), 2)
        names[1].send_keys("Repair")
        pa.find_element(By.CSS_SELECTOR, "input[name='stage-2-role'][value='admin']").click()
        self.shot(pa, "newcomer-02-designer")
        self.button(pa, "Save the workflow").click()
        self.wait(lambda: pa.current_url.endswith("/queue"), what="the queue after saving")
        self.loaded(pa)
        workflows = a.api("GET", f"/api/v1/teams/{team}/workflows")["workflows"]
        self.assertEqual([s["name"] for s in workflows[0]["stages"]], ["Triage", "Repair"])
        self.assertEqual(workflows[0]["stages"][0]["slaSeconds"], 4 * 3600)
        self.assertEqual(workflows[0]["stages"][1]["roles"], ["member", "admin"])

        # An item.
        self.type_into(pa, "Title", "Well at the north gate is dry")
        self.button(pa, "Add to the queue").click()
        self.wait(lambda: "/items/" in pa.current_url, what="the item's page")
        self.loaded(pa)
        item = pa.current_url.split("/items/")[1]
        self.assertEqual(self.css(pa, "#item-status").get_attribute("data-status"), "queued")
        self.shot(pa, "newcomer-03-item")

        # An invite code, shown large on A's team page.
        pa.get(a.origin + f"/#/teams/{team}")
        self.loaded(pa)
        self.button(pa, "Make a code").click()
        code = self.css(pa, ".code[data-code]").get_attribute("data-code")
        self.assertRegex(code, r"^OMNI-[0-9A-Z]{4}-[0-9A-Z]{4}$")
        self.assertIn("Expires", pa.find_element(By.CSS_SELECTOR, "main").text)
        self.shot(pa, "newcomer-04-invite")

        # B: its own first run, then joins by the code through its own page.
        self.sign_up_founder(pb, b, "bea")
        pb.get(b.origin + "/#/join")
        self.loaded(pb)
        self.type_into(pb, "Code", code)
        pb.find_element(By.CSS_SELECTOR, "details summary").click()
        self.type_into(pb, "Inviter's mesh address (optional)", a.mesh)
        self.shot(pb, "newcomer-05-join")
        self.button(pb, "Join").click()
        self.button(pb, "Open the team", timeout=60).click()
        self.wait(lambda: b.id in [m["nodeId"] for m in a.api("GET", f"/api/v1/teams/{team}")["members"]], 30, "B to be a member on A")

        # A's page shows B among the members; an Admin makes B an admin there.
        pa.get(a.origin + f"/#/teams/{team}")
        self.loaded(pa)
        select = self.wait(lambda: next((s for s in pa.find_elements(By.CSS_SELECTOR, "main select")
                                         if b.id[:8] in s.get_attribute("aria-label")), None), 30, "B's row on A's team page")
        Select(select).select_by_value("admin")
        self.wait(lambda: {m["nodeId"]: m["role"] for m in a.api("GET", f"/api/v1/teams/{team}")["members"]}.get(b.id) == "admin",
                  30, "B's role to be admin")

        # A's page waits on the item; a marker shows it is never reloaded.
        pa.get(a.origin + f"/#/teams/{team}/items/{item}")
        self.loaded(pa)
        pa.execute_script("window.__notReloaded = true")

        # B's page: the item arrives by replication; B claims it.
        pb.get(b.origin + f"/#/teams/{team}/queue")
        self.loaded(pb)
        row = self.css(pb, f"a.qrow[data-item='{item}']", timeout=60)
        self.shot(pb, "newcomer-06-queue-on-b")
        row.click()
        self.loaded(pb)
        self.button(pb, "Claim").click()
        self.wait(lambda: self.css(pb, "#item-status").get_attribute("data-status") == "claimed", 30, "the claim on B")
        self.shot(pb, "newcomer-07-claimed-on-b")

        # A's page shows it, live.
        started = time.time()
        self.wait(lambda: self.css(pa, "#item-status").get_attribute("data-status") == "claimed", 60, "A's page to show B's claim")
        self.assertIn(b.id[:8], self.css(pa, "#item-assignee").text)
        self.assertTrue(pa.execute_script("return window.__notReloaded === true"), "A's page was not reloaded")
        print(f"\n  A's page showed B's claim {time.time() - started:.1f} s after B's page did")
        self.shot(pa, "newcomer-08-claim-seen-on-a")

        self.assert_clean(pa, a)
        self.assert_clean(pb, b)
