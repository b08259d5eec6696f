"""Figures of the web page (issue 16), not a test: run by scripts/measure-web.sh.

- First-load bytes: what the browser fetched (compressed, as sent) to show the first screen, and
  to show every screen once; the goal is at most 150 KB compressed for all screens.
- Time to interactive: from navigation to the first screen drawn and usable (a performance mark
  the page sets), median of several loads.
- The queue with 10,000 items: fetching and drawing it (a measure the page sets), and frames while
  scrolling through it (requestAnimationFrame intervals, as the page scrolls in steps).
- The data screen's result grid with DATA_ROWS (100,000) rows in one page: the query's answer
  fetched and parsed, the grid drawn (measures the page sets), and frames while scrolling it.
"""
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BrowserTest, browser_processes, process_kind, rss_kib  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402


class Figures(BrowserTest):
    def test_figures(self):
        items = int(os.environ.get("QUEUE_ITEMS", "10000"))
        # No rate limits: the figures measure the page, not the node's limits (a vault transfer of
        # 96 MiB is 192 chunk requests, past 30 writes a minute).
        a = self.node("a", extra=["--rate-limit", "0"])
        page = self.driver(width=1280, height=900)
        self.sign_up_founder(page, a)
        team = a.api("POST", "/api/v1/teams", {"name": "Figures"})["id"]
        workflow = a.api("POST", f"/api/v1/teams/{team}/workflows", {"name": "Load", "stages": [
            {"name": "Triage", "roles": ["member", "admin"], "slaSeconds": 3600}, {"name": "Fix", "roles": ["admin"]}]})["id"]

        # Bytes: a fresh browser profile (no cache), the first screen, then every screen.
        fresh = self.driver(width=1280, height=900)
        fresh.get(a.origin + "/#/signin")
        self.loaded(fresh)
        fresh.execute_script("localStorage.setItem('elohim.session', arguments[0])", page.execute_script("return localStorage.getItem('elohim.session')"))
        fresh.get(a.origin + "/#/")
        self.loaded(fresh)
        first = fresh.execute_script(BYTES)
        for path in ["/#/teams", f"/#/teams/{team}", f"/#/teams/{team}/workflows", f"/#/teams/{team}/queue", "/#/join", "/#/vault", "/#/data", "/#/mesh",
                     "/#/account", "/#/audit", "/#/diagnostics", "/#/help", "/#/nope"]:
            fresh.execute_script("location.hash = arguments[0]", path[1:])
            self.loaded(fresh)
            time.sleep(0.2)
        every = fresh.execute_script(BYTES)

        # Time to interactive: median of 7 loads of the home screen (cache warm, as a returning user).
        tti = []
        for _ in range(7):
            fresh.get("about:blank")
            fresh.get(a.origin + "/#/")
            self.loaded(fresh)
            tti.append(fresh.execute_script("return performance.getEntriesByName('first-screen')[0].startTime"))

        # The queue with many items.
        started = time.time()

        def make(lo, hi):
            for i in range(lo, hi):
                a.api("POST", f"/api/v1/teams/{team}/items", {"workflow": workflow, "title": f"Item {i:05d}: check the pump seal and the valve", "priority": i % 10})
        makers = [threading.Thread(target=make, args=(k * items // 4, (k + 1) * items // 4)) for k in range(4)]
        for m in makers:
            m.start()
        for m in makers:
            m.join()
        made = time.time() - started
        self.assertEqual(len(a.api("GET", f"/api/v1/teams/{team}/items")["items"]), items)
        renders = []
        for _ in range(3):
            page.get(a.origin + f"/#/teams/{team}/queue")
            self.loaded(page, timeout=120)
            page.execute_script("performance.clearMeasures()")
            page.refresh()
            self.loaded(page, timeout=120)
            self.wait(lambda: page.execute_script("return performance.getEntriesByName('queue-draw').length"), 60, "the queue's measures")
            renders.append(page.execute_script(
                "const f = performance.getEntriesByName('queue-fetch').at(-1), d = performance.getEntriesByName('queue-draw').at(-1);"
                "return {fetchMs: Math.round(f.duration), drawMs: Math.round(d.duration)}"))
        dom_rows = page.execute_script("return document.querySelectorAll('a.qrow').length")
        scroll = page.execute_async_script(SCROLL, ".queue", "a.qrow")
        grid = self.data_grid(page, a)
        memory = self.vault_memory(a, team)
        figures = {
            "firstScreenBytes": first, "allScreensBytes": every,
            "timeToInteractiveMs": {"median": statistics.median(tti), "all": [round(t) for t in tti]},
            "queue": {"items": items, "createSeconds": round(made, 1), "loads": renders,
                      "rowsInDocument": dom_rows, "scroll": scroll},
            "dataGrid": grid,
            "vaultMemory": memory,
        }
        print(json.dumps(figures, indent=2))
        with open(os.environ.get("FIGURES_OUT", os.path.join(tempfile.gettempdir(), "elohim-web-figures.json")), "w") as f:
            json.dump(figures, f, indent=2)


    def data_grid(self, page, node):
        """A result of DATA_ROWS rows (a number and a text) in one page of the data screen, three
        times: the answer fetched and parsed, the grid drawn; then frames while scrolling it."""
        rows = int(os.environ.get("DATA_ROWS", "100000"))
        from selenium.webdriver.support.ui import Select
        page.get(node.origin + "/#/data")
        self.loaded(page)
        Select(self.field(page, "Rows a page")).select_by_value("100000")
        loads = []
        for _ in range(3):
            page.execute_script("performance.clearMeasures()")
            self.type_into(page, "SQL", f"SELECT range AS n, 'reading ' || range AS label, range * 0.5 AS half FROM range({rows})")
            self.button(page, "Run").click()
            self.wait(lambda: page.execute_script("return performance.getEntriesByName('data-grid-draw').length"), 120, "the grid's measures")
            loads.append(page.execute_script(
                "const f = performance.getEntriesByName('data-query-fetch').at(-1), d = performance.getEntriesByName('data-grid-draw').at(-1);"
                "return {fetchMs: Math.round(f.duration), drawMs: Math.round(d.duration)}"))
        scroll = page.execute_async_script(SCROLL, "#result .dgrid", "#result .dgrid-body [role=row]")
        return {"rows": rows, "loads": loads, "scroll": scroll}

    def vault_memory(self, node, team):
        """Peak resident memory of the browser's processes while the page seals and sends, then
        fetches and opens, a file of 8 MiB and one of 96 MiB: bounded memory means the two peaks
        differ by far less than the files do."""
        downloads = os.path.join(self.work, "downloads")
        os.makedirs(downloads, exist_ok=True)
        out = {}
        for mib in [int(x) for x in os.environ.get("VAULT_MIB", "8 96").split()]:
            page = self.driver(downloads=downloads)
            page.get(node.origin + "/#/signin")
            self.loaded(page)
            self.sign_in(page, node)
            page.get(node.origin + "/#/vault")
            self.loaded(page)
            self.type_into(page, "Vault passphrase", f"memory figure {mib}")
            self.button(page, "Open the vault").click()
            self.css(page, "#files-h", timeout=60)
            # Through the browser's downloads (the save dialog of the streaming path cannot be driven headless).
            page.execute_script("localStorage.setItem('elohim.saveWith', 'downloads')")
            path = os.path.join(self.work, f"file-{mib}.bin")
            with open(path, "wb") as f:
                for _ in range(mib):
                    f.write(os.urandom(1 << 20))
            pids = browser_processes(page)
            base = {k: sum(rss_kib(p) for p in pids if process_kind(p) == k) for k in ("renderer", "browser", "utility")}
            peaks = dict(base)
            stop = threading.Event()

            def sample():
                while not stop.is_set():
                    for k in peaks:
                        peaks[k] = max(peaks[k], sum(rss_kib(p) for p in browser_processes(page) if process_kind(p) == k))
                    time.sleep(0.05)
            t0 = time.time()
            sampler = threading.Thread(target=sample)
            sampler.start()
            page.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(path)
            self.button(page, "Seal and upload").click()
            self.wait(lambda: f"file-{mib}.bin" in page.find_element(By.ID, "vault-files").text, 600, "the upload")
            up = time.time() - t0
            up_peaks = dict(peaks)
            t1 = time.time()
            page.find_element(By.XPATH, "//table[@id='vault-files']//button[normalize-space(.)='Download']").click()
            target = os.path.join(downloads, f"file-{mib}.bin")
            self.wait(lambda: os.path.exists(target) and os.path.getsize(target) == mib << 20, 600, "the download")
            down = time.time() - t1
            stop.set()
            sampler.join()
            os.remove(target)
            out[f"{mib}MiB"] = {"uploadSeconds": round(up, 1), "downloadSeconds": round(down, 1),
                                "rendererMiB": {"before": base["renderer"] >> 10, "peakUpload": up_peaks["renderer"] >> 10, "peakAll": peaks["renderer"] >> 10},
                                "browserMiB": {"before": base["browser"] >> 10, "peakUpload": up_peaks["browser"] >> 10, "peakAll": peaks["browser"] >> 10},
                                "utilityMiB": {"before": base["utility"] >> 10, "peakAll": peaks["utility"] >> 10}}
            page.quit()
            self.drivers.remove(page)
        return out


# Sums what the browser fetched from the node: compressed bytes as sent (transferSize includes
# headers; encodedBodySize is the body as sent), for the page's files and for API answers apart.
BYTES = r"""
const page = { files: 0, transfer: 0, encoded: 0, decoded: 0 }, api = { requests: 0, encoded: 0 };
const nav = performance.getEntriesByType('navigation')[0];
const entries = [nav, ...performance.getEntriesByType('resource')];
for (const e of entries) {
  const path = new URL(e.name).pathname;
  if (path.startsWith('/api/') || path === '/health' || path === '/diagnostics') { api.requests++; api.encoded += e.encodedBodySize; continue; }
  page.files++; page.transfer += e.transferSize; page.encoded += e.encodedBodySize; page.decoded += e.decodedBodySize;
}
return { page, api };
"""

# Scrolls a windowed list (the queue, the data grid: arguments[0]) from top to bottom in steps of
# three screens, recording frame intervals; counts the rows in the document (arguments[1]) at the end.
SCROLL = r"""
const done = arguments[arguments.length - 1];
const box = document.querySelector(arguments[0]), rowSelector = arguments[1];
const frames = [];
let last = performance.now(), steps = 0;
const step = () => {
  const now = performance.now();
  frames.push(now - last); last = now;
  if (box.scrollTop + box.clientHeight >= box.scrollHeight || steps > 400) {
    frames.sort((x, y) => x - y);
    const q = (p) => Math.round(frames[Math.min(frames.length - 1, Math.floor(p * frames.length))] * 10) / 10;
    return done({ frames: frames.length, p50Ms: q(0.5), p95Ms: q(0.95), maxMs: q(1), rowsInDocument: document.querySelectorAll(rowSelector).length });
  }
  box.scrollTop += box.clientHeight * 3; steps++;
  requestAnimationFrame(step);
};
requestAnimationFrame(step);
"""

if __name__ == "__main__":
    unittest.main()
