"""The account screens on the node's account API: the founder's list of accounts (by username)
and deleting one, a team's access list by username, changing the passphrase (every other session
ends; this page goes on with its new token; the old token and the old passphrase stop working),
and signing out everywhere (the other browser returns to its sign-in screen by itself, from the
event stream's session-ended, and the old tokens are refused)."""
import json
import urllib.error
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness import PASSWORD, BrowserTest

NEW_PASSWORD = "another long field passphrase"


class AccountScreensTest(BrowserTest):
    def token(self, page):
        return page.execute_script("return JSON.parse(localStorage.getItem('elohim.session') || 'null')?.token || null")

    def me_status(self, node, token):
        """What GET /api/v1/auth/me answers with this token: 200, or the error's status and code."""
        request = urllib.request.Request(node.origin + "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, json.loads(r.read())["username"]
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())["error"]["code"]

    def login_status(self, node, username, password):
        request = urllib.request.Request(node.origin + "/api/v1/auth/login", data=json.dumps({"username": username, "password": password}).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def sent_to_sign_in(self, page, what):
        """The page shows the sign-in screen and says the session ended, with nobody touching it."""
        self.wait(lambda: page.execute_script("return location.hash").startswith("#/signin"), 20, what)
        self.loaded(page)
        self.assertIn("Your session ended", page.find_element(By.ID, "main").text)
        self.assertIsNone(self.token(page))

    def sign_in_again(self, page, password, back_to):
        """Signs in as ada on the sign-in screen shown; the page returns to where the session ended."""
        self.type_into(page, "Username", "ada")
        self.type_into(page, "Passphrase", password)
        self.button(page, "Sign in").click()
        self.wait(lambda: not page.execute_script("return location.hash").startswith("#/signin"), what="signed in again")
        self.loaded(page)
        self.assertEqual(page.execute_script("return location.hash"), back_to)

    def test_accounts_access_change_password_and_sign_out_everywhere(self):
        a = self.node("a")
        p1, p2 = self.driver(), self.driver()
        self.sign_up_founder(p1, a, "ada")

        # The founder makes an account on the Account screen; the list shows it by name.
        p1.get(a.origin + "/#/account")
        self.loaded(p1)
        self.type_into(p1, "Username", "bea")
        self.type_into(p1, "First passphrase", PASSWORD)
        self.button(p1, "Create the account").click()
        self.wait(lambda: "bea" in [r.find_element(By.CSS_SELECTOR, "td").text for r in p1.find_elements(By.CSS_SELECTOR, "#accounts tbody tr")],
                  what="bea in the list of accounts")
        listed = {r.find_element(By.CSS_SELECTOR, "td").text: r.get_attribute("data-account") for r in p1.find_elements(By.CSS_SELECTOR, "#accounts tbody tr")}
        self.assertEqual(sorted(listed), ["ada (you)", "bea"])
        bea = int(listed["bea"])
        self.shot(p1, "account-01-accounts")

        # A team's access list names accounts by username; the founder gives bea a role there.
        team = a.api("POST", "/api/v1/teams", {"name": "Field crew"})["id"]
        p1.get(a.origin + f"/#/teams/{team}")
        self.loaded(p1)
        names = [td.text for td in p1.find_elements(By.CSS_SELECTOR, "#access tbody td[data-label=Account]")]
        self.assertEqual(sorted(names), ["ada", "bea"])
        self.assertNotIn("account ", " ".join(names))
        Select(p1.find_element(By.CSS_SELECTOR, "select[aria-label='Role of bea']")).select_by_value("member")
        self.wait(lambda: "bea is Member" in p1.find_element(By.CSS_SELECTOR, "#access ~ p.status").text, what="the role saved")
        assigned = {x["account"]: x.get("role") for x in a.api("GET", f"/api/v1/teams/{team}/access")["access"]}
        self.assertEqual(assigned.get(bea), "member")

        # Bea signs in in the second browser; the founder deletes her account: her page returns to
        # its sign-in screen by itself, and her token is refused.
        self.sign_in(p2, a, "bea")
        p2.get(a.origin + "/#/account")
        self.loaded(p2)
        self.assertEqual(p2.find_elements(By.ID, "accounts"), [], "only the founder sees the list of accounts")
        bea_token = self.token(p2)
        p1.get(a.origin + "/#/account")
        self.loaded(p1)
        self.button(p1, "Delete").click()
        p1.switch_to.alert.accept()
        self.wait(lambda: [r.find_element(By.CSS_SELECTOR, "td").text for r in p1.find_elements(By.CSS_SELECTOR, "#accounts tbody tr")] == ["ada (you)"],
                  what="bea gone from the list")
        self.sent_to_sign_in(p2, "bea's page to show the sign-in screen after her account was deleted")
        self.assertEqual(self.me_status(a, bea_token)[0], 401)

        # Ada in the second browser too (it returns to the screen bea was on); then a new passphrase in the first.
        self.sign_in_again(p2, PASSWORD, "#/account")
        old_p1, old_p2 = self.token(p1), self.token(p2)
        p1.get(a.origin + "/#/account")
        self.loaded(p1)
        # A wrong current passphrase is refused and changes nothing.
        self.type_into(p1, "Current passphrase", "not the passphrase")
        self.type_into(p1, "New passphrase", NEW_PASSWORD)
        self.type_into(p1, "New passphrase again", NEW_PASSWORD)
        self.button(p1, "Change the passphrase").click()
        error = self.css(p1, "form[aria-labelledby=pw-h] p.status.error")
        self.assertTrue(error.text, "the refusal is shown")
        self.assertEqual(self.token(p1), old_p1)
        self.assertEqual(self.me_status(a, old_p1), (200, "ada"))
        # The two new ones must match.
        self.type_into(p1, "Current passphrase", PASSWORD)
        self.type_into(p1, "New passphrase again", NEW_PASSWORD + "x")
        self.button(p1, "Change the passphrase").click()
        self.wait(lambda: "differ" in self.css(p1, "form[aria-labelledby=pw-h] p.status").text, what="the mismatch")
        self.type_into(p1, "Current passphrase", PASSWORD)
        self.type_into(p1, "New passphrase again", NEW_PASSWORD)
        self.button(p1, "Change the passphrase").click()
        self.wait(lambda: "Changed" in self.css(p1, "form[aria-labelledby=pw-h] p.status").text, what="the passphrase changed")
        self.shot(p1, "account-02-password-changed")
        new_p1 = self.token(p1)
        self.assertNotEqual(new_p1, old_p1)
        # Every other session ended: the second browser shows its sign-in screen by itself.
        self.sent_to_sign_in(p2, "the other browser to show the sign-in screen after the passphrase changed")
        self.shot(p2, "account-03-other-session-ended")
        self.assertEqual(self.me_status(a, old_p1), (401, "token_revoked"))
        self.assertEqual(self.me_status(a, old_p2), (401, "token_revoked"))
        self.assertEqual(self.me_status(a, new_p1), (200, "ada"))
        self.assertEqual(self.login_status(a, "ada", PASSWORD), 401)
        self.assertEqual(self.login_status(a, "ada", NEW_PASSWORD), 200)
        # The first page carries on with its new token, live updates included (its event stream
        # started again on the new token): a team made elsewhere appears without a reload.
        p1.get(a.origin + "/#/teams")
        self.loaded(p1)
        self.assertEqual(self.token(p1), new_p1)
        a.api("POST", "/api/v1/teams", {"name": "Second crew"})
        self.wait(lambda: "Second crew" in p1.find_element(By.ID, "main").text, 20, "the new team shown live on the first page")

        # Sign out everywhere from the first browser: both pages end on the sign-in screen.
        self.sign_in_again(p2, NEW_PASSWORD, "#/account")
        p2_token = self.token(p2)
        p1.get(a.origin + "/#/account")
        self.loaded(p1)
        self.button(p1, "Sign out everywhere").click()
        p1.switch_to.alert.accept()
        self.wait(lambda: p1.execute_script("return location.hash").startswith("#/signin"), 20, "the first page at sign-in")
        self.assertIsNone(self.token(p1))
        self.sent_to_sign_in(p2, "the second page to show the sign-in screen after sign out everywhere")
        self.assertEqual(self.me_status(a, new_p1), (401, "token_revoked"))
        self.assertEqual(self.me_status(a, p2_token), (401, "token_revoked"))
        self.shot(p2, "account-04-signed-out-everywhere")

        # Provoked on purpose: the wrong current passphrase (401) is the only console error.
        self.assert_clean(p1, a, refused=[("/api/v1/auth/password", 401)])
        self.assert_clean(p2, a)
