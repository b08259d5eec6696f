"""Issue 22's screens, in a real browser against a real node: start a terminal from the page, type
into xterm.js and read what the shell computed (not the echo of what was typed), see `stty size`
follow the window, interrupt a program with the page's button, reload and find the scrollback
replayed, write a file from the shell, open it in the editor with its colouring, change and save
it and read it back from the shell and the API, and the refusals: a path out of the workspace, an
account without terminal.use. No console error but those refusals; no request leaves the node."""
import json
import os
import time
import urllib.parse

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from harness import BrowserTest, PASSWORD


class TerminalScreenTest(BrowserTest):
    def screen_text(self, page):
        """The terminal's rows as text (xterm.js's screen-reader rows, one element a row)."""
        return page.execute_script("""
            const rows = document.querySelectorAll('#terminal .xterm-accessibility-tree > div');
            return [...rows].map((r) => r.textContent.replace(/\\u00a0/g, ' ').trimEnd()).join('\\n');""")

    def type_line(self, page, text):
        box = page.find_element(By.CSS_SELECTOR, "#terminal .xterm-helper-textarea")
        box.send_keys(text + Keys.ENTER)

    def wait_screen(self, page, needle, timeout=30):
        return self.wait(lambda: needle in self.screen_text(page), timeout,
                         f"'{needle}' on the terminal (it shows: {self.screen_text(page)[-400:]!r})")

    def connected(self, page):
        self.wait(lambda: page.find_element(By.CSS_SELECTOR, "main [role=status]").text == "Connected", 30, "the terminal attached")

    def test_shell_resize_interrupt_reload_editor_and_refusals(self):
        a = self.node("a")
        page = self.driver(width=1200, height=900)
        self.sign_up_founder(page, a)
        token = page.execute_script("return JSON.parse(localStorage.getItem('elohim.session') || 'null')?.token")

        # A new terminal from the page: a shell in the workspace.
        page.get(a.origin + "/#/terminal")
        self.loaded(page)
        self.assertIn("None.", page.find_element(By.TAG_NAME, "main").text)
        self.button(page, "Start a terminal").click()
        self.wait(lambda: "/terminal/" in page.execute_script("return location.hash"), 30, "the session's screen")
        self.loaded(page)
        self.connected(page)
        session_id = page.execute_script("return location.hash").split("/")[-1]
        self.type_line(page, "echo computed-$((6*7))")
        self.wait_screen(page, "computed-42")

        # The terminal's size follows the window: stty inside says what the page drew.
        def stty(tag):
            self.type_line(page, f"echo {tag}-$(stty size | tr ' ' x)-end")
            # The typed command holds "{tag}-" too: wait for the output line itself.
            def lines():
                return [l for l in self.screen_text(page).split("\n") if l.startswith(f"{tag}-") and l.endswith("-end")]
            self.wait(lambda: lines(), 30, f"the output of stty ({tag})")
            line = lines()[-1]
            rows, cols = line[len(tag) + 1:-4].split("x")
            return int(rows), int(cols)
        rows_before, cols_before = stty("size1")
        drawn_rows = page.execute_script("return document.querySelectorAll('#terminal .xterm-accessibility-tree > div').length")
        self.assertEqual(rows_before, drawn_rows, "stty's rows are the rows the page draws")
        page.set_window_size(800, 700)
        self.wait(lambda: stty("size2")[1] < cols_before, 30, "stty size after the window narrowed")
        self.shot(page, "terminal-session")

        # The page's Interrupt button ends a program that holds the terminal.
        self.type_line(page, "sleep 300; echo not-interrupted")
        time.sleep(0.5)
        self.button(page, "Interrupt").click()
        self.type_line(page, "echo back-$((40+2))")
        self.wait_screen(page, "back-42")
        self.assertNotIn("not-interrupted", self.screen_text(page).split("\n"), "the line after sleep never ran")

        # A reload detaches; the session goes on and its scrollback comes back.
        page.refresh()
        self.loaded(page)
        self.connected(page)
        self.wait_screen(page, "computed-42")
        self.wait_screen(page, "back-42")

        # A file written by the shell, opened in the editor, changed, saved, read back by the shell.
        self.type_line(page, "mkdir -p tools && printf 'def greet():\\n    return 1\\n' > tools/greet.py && echo wrote-file")
        self.wait_screen(page, "wrote-file")
        page.get(a.origin + "/#/editor")
        self.loaded(page)
        link = self.wait(lambda: page.find_element(By.LINK_TEXT, "tools/greet.py"), 30, "the file in the editor's list")
        link.click()
        self.loaded(page)
        self.wait(lambda: page.find_element(By.CSS_SELECTOR, ".CodeMirror[data-path='tools/greet.py']"), 30, "the editor on the file")
        # Python's colouring: `def` is a keyword, drawn as one.
        self.wait(lambda: "def" in [e.text for e in page.find_elements(By.CSS_SELECTOR, ".CodeMirror .cm-keyword")], 30, "def coloured as a keyword")
        self.assertIn("Python", page.find_element(By.TAG_NAME, "main").text)
        page.find_element(By.CSS_SELECTOR, ".CodeMirror").click()
        area = page.find_element(By.CSS_SELECTOR, ".CodeMirror textarea")
        area.send_keys(Keys.CONTROL, Keys.END)
        area.send_keys("print(greet())")
        self.wait(lambda: "Unsaved changes" in page.find_element(By.TAG_NAME, "main").text, 10, "the unsaved marker")
        area.send_keys(Keys.CONTROL, "s")
        self.wait(lambda: "Saved tools/greet.py" in page.find_element(By.TAG_NAME, "main").text, 30, "the save")
        saved = a.api("GET", "/api/v1/workspace/files/" + urllib.parse.quote("tools/greet.py", safe=""), token=token, raw=True)
        self.assertEqual(saved, b"def greet():\n    return 1\nprint(greet())", "the node holds what the editor saved")
        self.shot(page, "editor")

        # A path that leaves the workspace is refused, in words.
        self.type_into(page, "New file", "../outside.txt")
        self.button(page, "New file").click()
        self.wait(lambda: "leaves the workspace" in page.find_element(By.TAG_NAME, "main").text
                  or "outside" in page.find_element(By.CSS_SELECTOR, "main .status.error").text, 30, "the refusal of ../outside.txt")
        self.assertFalse(os.path.exists(os.path.join(a.data, "outside.txt")), "nothing was written next to the workspace")

        # Back to the session: the shell sees the saved file.
        page.get(a.origin + f"/#/terminal/{session_id}")
        self.loaded(page)
        self.connected(page)
        self.type_line(page, "python3 tools/greet.py | sed 's/^/ran-/'")
        self.wait_screen(page, "ran-1")

        # Ending the session from the page: the list is empty again.
        self.button(page, "End session").click()
        self.wait(lambda: page.execute_script("return location.hash") == "#/terminal", 30, "the list after ending")
        self.loaded(page)
        self.wait(lambda: "None." in page.find_element(By.TAG_NAME, "main").text, 30, "no session left")
        self.assert_clean(page, a, refused=[("/api/v1/workspace/files/..%2Foutside.txt", 400)])

    def test_an_account_without_terminal_use_is_told_why(self):
        a = self.node("a")
        page = self.driver()
        self.sign_up_founder(page, a)
        token = page.execute_script("return JSON.parse(localStorage.getItem('elohim.session') || 'null')?.token")
        a.api("POST", "/api/v1/auth/register", {"username": "bea", "password": PASSWORD}, token=token)
        other = self.driver()
        self.sign_in(other, a, "bea")
        other.get(a.origin + "/#/terminal")
        self.loaded(other)
        self.wait(lambda: "does not hold terminal.use" in other.find_element(By.TAG_NAME, "main").text, 30, "the refusal")
        other.get(a.origin + "/#/editor")
        self.loaded(other)
        self.wait(lambda: "does not hold terminal.use" in other.find_element(By.TAG_NAME, "main").text, 30, "the editor's refusal")
        self.assert_clean(other, a, refused=[("/api/v1/terminal/sessions", 403), ("/api/v1/workspace/files", 403)])


if __name__ == "__main__":
    import unittest
    unittest.main()
