"""Issue 20's assistant screen, in a real browser against a real node: add a PDF and a Word file
through the file input and see them listed with their chunks, search them and read the passage
with its document and page, start a chat, ask, and watch the answer grow while it streams (server-
sent events over the POST's response) before it ends with its numbered sources; reload and find
the chat's messages again; remove a document. And the refusals: a file the assistant cannot read
shows the node's message; with no model server, asking shows how to start one while documents and
search still work.

The model server is Tests/Interop/ollama_standin.py, a STAND-IN for Ollama: it is NOT a language
model. Its answers are deterministic sentences that report what it was sent (the question, the
[n] markers it saw), streamed in pieces 150 ms apart, so this test checks the page's streaming,
citations and errors, never the quality of an answer. The embedding model is the real one in
.venv (the node finds it); pdftotext reads the PDF. No console error but the refusals provoked;
no request leaves the node."""
import json
import os
import subprocess
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from harness import BrowserTest, ROOT

FIXTURES = os.path.join(ROOT, "Tests", "AssistantTests", "Fixtures", "extraction")
STANDIN = os.path.join(ROOT, "Tests", "Interop", "ollama_standin.py")
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
QUESTION = "Where is the spare impeller?"


class AssistantScreenTest(BrowserTest):
    def start_standin(self):
        """The stand-in model server on a free port; it exits when its stdin closes."""
        proc = subprocess.Popen([PYTHON, STANDIN, "--port", "0", "--chunk-delay-ms", "150", "--exit-with-stdin"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(self.stop_standin, proc)
        port = json.loads(proc.stdout.readline())["port"]
        return proc, port

    @staticmethod
    def stop_standin(proc):
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        for f in (proc.stdin, proc.stdout):
            try:
                f.close()
            except Exception:
                pass

    def document_row(self, page, name):
        return self.css(page, f"#documents tr[data-name='{name}']", timeout=120)

    def search(self, page, text):
        self.type_into(page, "Search your documents", text)
        self.button(page, "Search").click()
        self.wait(lambda: "found" in page.find_element(By.ID, "search-status").text, 60, "the search's answer")
        return page.execute_script("""
            return [...document.querySelectorAll('#search-results li')].map((li) => ({
              name: li.querySelector('.doc-name').textContent, place: li.querySelector('.place').textContent,
              text: li.querySelector('.passage').textContent }));""")

    def messages(self, page):
        return page.execute_script("""
            return [...document.querySelectorAll('#messages > li')].map((li) => ({
              role: li.classList.contains('user') ? 'user' : 'assistant', content: li.querySelector('.content').textContent,
              sources: [...li.querySelectorAll('.source-list li')].map((s) => s.textContent) }));""")

    def test_documents_search_streamed_chat_reload_and_refusals(self):
        standin, port = self.start_standin()
        a = self.node("a", extra=["--ollama", f"http://127.0.0.1:{port}"])
        page = self.driver(width=1280, height=1000)
        self.sign_up_founder(page, a)

        # The screen is in the navigation.
        page.find_element(By.CSS_SELECTOR, "#nav a[href='#/assistant']").click()
        self.loaded(page)
        self.assertEqual(page.execute_script("return location.hash"), "#/assistant")
        self.css(page, "#documents-empty")
        models = [o.get_attribute("value") for o in self.field(page, "Model").find_elements(By.TAG_NAME, "option")]
        self.assertIn("standin-chat:latest", models)

        # Two documents through the file input at once, each with its own line, listed with their chunks.
        files = page.find_element(By.CSS_SELECTOR, "input[type=file][name=documents]")
        files.send_keys(os.path.join(FIXTURES, "manual.pdf") + "\n" + os.path.join(FIXTURES, "report.docx"))
        self.button(page, "Add").click()
        for name in ("manual.pdf", "report.docx"):
            # The list is drawn again as each upload ends: find the row afresh until it shows its chunks.
            chunks = self.wait(lambda: (lambda t: t if t.isdigit() else None)(
                self.document_row(page, name).find_element(By.CSS_SELECTOR, "td.chunks").text), 60, f"{name}'s chunk count")
            self.assertTrue(int(chunks) >= 1, f"{name} lists its chunks: {chunks!r}")
            line = self.css(page, f"#uploads li[data-name='{name}'] .status.ok", timeout=60)
            self.assertIn("Added", line.text)
        self.assertEqual(page.find_element(By.CSS_SELECTOR, "#documents tr[data-name='manual.pdf'] td[data-label=Kind]").text, "PDF")
        self.shot(page, "assistant-01-documents")

        # Search: a passage of manual.pdf, its place naming page 2, its text the answer.
        results = self.search(page, "which bin holds the spare impeller")
        manual = [r for r in results if r["name"] == "manual.pdf"]
        self.assertTrue(manual, f"a result from manual.pdf: {results}")
        self.assertRegex(manual[0]["place"], r"page.*\b2\b")
        self.assertIn("bin C-14", manual[0]["text"])
        self.shot(page, "assistant-02-search")

        # A chat: Shift+Enter is a new line, Enter sends; the answer grows while it streams.
        self.button(page, "Start a chat").click()
        box = self.field(page, "Your question")
        box.send_keys("first line", Keys.SHIFT, Keys.ENTER, Keys.NULL, "second line")
        self.assertEqual(box.get_attribute("value"), "first line\nsecond line")
        self.assertEqual(self.messages(page), [], "Shift+Enter sent nothing")
        box.clear()
        box.send_keys(QUESTION + Keys.ENTER)
        seen = []
        deadline = time.time() + 60
        while time.time() < deadline:
            state = page.execute_script("""
                const a = document.getElementById('streaming-answer');
                return a ? [a.textContent, a.closest('li').dataset.streaming === 'true', a.getAttribute('aria-live')] : null;""")
            if state:
                text, streaming, live = state
                self.assertEqual(live, "polite", "the streaming answer is in an aria-live region")
                if not streaming:
                    break
                if text and (not seen or seen[-1] != text):
                    seen.append(text)
            time.sleep(0.03)
        else:
            self.fail(f"the answer did not finish streaming; seen {seen}")
        self.assertGreaterEqual(len(seen), 2, f"the answer was read at least twice while streaming: {seen}")
        for shorter, longer in zip(seen, seen[1:]):
            self.assertTrue(longer.startswith(shorter) and len(longer) > len(shorter), f"the answer grows: {seen}")
        final = self.messages(page)
        self.assertEqual([m["role"] for m in final], ["user", "assistant"])
        self.assertEqual(final[0]["content"], QUESTION)
        answer = final[1]["content"]
        self.assertTrue(answer.startswith("Stand-in answer (not a language model)"), answer)
        self.assertIn(f'Last question: "{QUESTION}"', answer)
        self.assertIn("[1]", answer)
        self.assertTrue(seen[-1] and answer.startswith(seen[-1]), "the streamed text is the stored answer's beginning")
        self.assertTrue(any(s.startswith("[") and "manual.pdf" in s for s in final[1]["sources"]), final[1]["sources"])
        self.assertTrue(all(s.startswith(f"[{i + 1}] ") for i, s in enumerate(final[1]["sources"])), final[1]["sources"])
        self.shot(page, "assistant-03-answer")

        # Reload: the chat is listed; opened, it shows both messages and the sources again.
        page.refresh()
        self.loaded(page)
        self.css(page, "#chat-list li")
        self.button(page, "Open").click()
        self.wait(lambda: len(self.messages(page)) == 2, 30, "the chat's messages after a reload")
        again = self.messages(page)
        self.assertEqual(again[0]["content"], QUESTION)
        self.assertEqual(again[1]["content"], answer)
        self.assertEqual(again[1]["sources"], final[1]["sources"])

        # Refused: a file the assistant cannot read, with the node's own message.
        tool = os.path.join(self.work, "tool.exe")
        with open(tool, "wb") as f:
            f.write(b"MZ\x90\x00 not a document")
        page.find_element(By.CSS_SELECTOR, "input[type=file][name=documents]").send_keys(tool)
        self.button(page, "Add").click()
        refusal = self.css(page, "#uploads li[data-name='tool.exe'] .status.error", timeout=60)
        self.assertIn("tool.exe: the assistant reads .txt", refusal.text)
        self.assertFalse(page.find_elements(By.CSS_SELECTOR, "#documents tr[data-name='tool.exe']"))

        # No model server: asking says how to start one; documents and search still work.
        self.stop_standin(standin)
        box = self.field(page, "Your question")
        box.send_keys("Is anyone there?" + Keys.ENTER)
        status = self.wait(lambda: "error" in page.find_element(By.ID, "ask-status").get_attribute("class")
                           and page.find_element(By.ID, "ask-status").text, 60, "the refusal to ask")
        self.assertIn("no model server answers", status)
        self.assertIn("ollama serve", status)
        self.shot(page, "assistant-04-no-model-server")
        page.refresh()
        self.loaded(page)
        note = self.css(page, "#model-status.error")
        self.assertIn("no model server answers", note.text)
        self.assertIn("Documents and search still work", note.text)
        self.document_row(page, "manual.pdf")
        self.assertTrue(any(r["name"] == "manual.pdf" and "bin C-14" in r["text"] for r in self.search(page, "spare impeller bin")))

        # Remove a document, after a confirm.
        page.find_element(By.CSS_SELECTOR, "button[aria-label='Remove report.docx']").click()
        page.switch_to.alert.accept()
        self.wait(lambda: not page.find_elements(By.CSS_SELECTOR, "#documents tr[data-name='report.docx']"), 30, "report.docx removed")
        self.document_row(page, "manual.pdf")

        self.assert_clean(page, a, refused=[("/api/v1/assistant/documents", 400), ("/api/v1/assistant/chats/", 503),
                                            ("/api/v1/assistant/models", 503)])
