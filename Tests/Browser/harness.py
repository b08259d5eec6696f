"""What the browser tests share: real `elohim` nodes on loopback started by the test, headless
Chromium from Debian driven by Selenium (chromium-driver), the CLI, and the checks every test
makes of the page: no console errors, no request leaving the node's origin, screenshots kept as
artifacts (.build/browser-artifacts by default, $BROWSER_ARTIFACTS to change).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ELOHIM = os.environ.get("ELOHIM", os.path.join(ROOT, ".build", "debug", "elohim"))
ARTIFACTS = os.environ.get("BROWSER_ARTIFACTS", os.path.join(ROOT, ".build", "browser-artifacts"))
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", shutil.which("chromedriver") or "/usr/bin/chromedriver")
PASSWORD = "a long field passphrase"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """One `elohim node run` on loopback, mesh and HTTP on free ports, discovery off."""

    def __init__(self, name, work, extra=()):
        self.name = name
        self.extra = list(extra)
        self.data = os.path.join(work, name)
        self.mesh_port = free_port()
        self.http_port = free_port()
        self.process = None
        self.banner = ""

    @property
    def origin(self):
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def mesh(self):
        return f"127.0.0.1:{self.mesh_port}"

    def start(self):
        self.log = open(os.path.join(os.path.dirname(self.data), f"{self.name}.log"), "a")
        self.out = open(os.path.join(os.path.dirname(self.data), f"{self.name}.out"), "a+")
        self.process = subprocess.Popen(
            [ELOHIM, "node", "run", "--data-dir", self.data, "--listen", self.mesh, "--http", f"127.0.0.1:{self.http_port}",
             "--no-discovery", "--web-root", os.path.join(ROOT, "Web"), *self.extra],
            stdout=self.out, stderr=self.log, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            self.out.seek(0)
            self.banner = self.out.read()
            if "node running" in self.banner and "http:" in self.banner:
                break
            if self.process.poll() is not None:
                raise RuntimeError(f"node {self.name} exited: {open(self.log.name).read()[-2000:]}")
            time.sleep(0.1)
        else:
            raise RuntimeError(f"node {self.name} printed no banner in 60 s")
        self.id = re.search(r"node ID:\s+(\S+)", self.banner).group(1)
        return self

    def setup_link(self):
        """The one-time setup link the banner prints when the node has no founder (None once it has one)."""
        m = re.search(r"(http://\S+#setup=\S+)", self.banner)
        return m.group(1) if m else None

    def stop(self, sig=signal.SIGTERM):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for f in (getattr(self, "log", None), getattr(self, "out", None)):
            if f and not f.closed:
                f.close()

    @property
    def operator_token(self):
        with open(os.path.join(self.data, "api-token")) as f:
            return f.read().strip()

    def api(self, method, path, body=None, token=None, raw=False):
        """A call to this node's API with the operator token (or `token`); JSON in and out."""
        headers = {"Authorization": f"Bearer {token or self.operator_token}", "Origin": self.origin}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.origin + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as r:
            payload = r.read()
            return payload if raw else (json.loads(payload) if payload else None)

    def status(self, path):
        try:
            with urllib.request.urlopen(self.origin + path, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def cli(self, *args, passphrase=None, check=True):
        env = dict(os.environ)
        if passphrase is not None:
            env["ELOHIM_VAULT_PASSPHRASE"] = passphrase
        r = subprocess.run([ELOHIM, *args, "--api", self.origin, "--data-dir", self.data], capture_output=True, text=True, env=env, timeout=120)
        if check and r.returncode != 0:
            raise AssertionError(f"elohim {' '.join(args)} failed ({r.returncode}): {r.stderr}{r.stdout}")
        return r


def chromium_missing():
    if not os.path.exists(CHROMIUM) or not os.path.exists(CHROMEDRIVER):
        return f"chromium ({CHROMIUM}) or chromedriver ({CHROMEDRIVER}) is missing: `make deps` installs Debian's chromium and chromium-driver"
    return None


def browser(width=1280, height=900, downloads=None):
    """Headless Chromium (Debian's) with console and network logs kept for the checks."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={width},{height}",
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-features=Translate,OptimizationHints,MediaRouter", "--metrics-recording-only",
                "--password-store=basic", "--lang=en-GB"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    if downloads:
        options.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_script_timeout(120)
    if downloads:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    driver.console = []
    driver.requests = []
    return driver


def browser_processes(driver):
    """The pids of the Chromium processes this driver started (descendants of its chromedriver)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    out, todo = [], [driver.service.process.pid]
    while todo:
        pid = todo.pop()
        for c in children.get(pid, []):
            out.append(c)
            todo.append(c)
    return out


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_kind(pid):
    """renderer, gpu-process, utility, zygote... or browser (the main process, which has no --type).
    Child processes rewrite their command line with spaces, so it is searched, not split."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            text = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "gone"
    m = re.search(r"--type=(\S+)", text)
    return m.group(1) if m else ("browser" if text else "gone")


def drain_logs(driver):
    """Moves the browser's console messages and network requests seen so far onto driver.console / driver.requests."""
    for entry in driver.get_log("browser"):
        driver.console.append(entry)
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            driver.requests.append(params["request"]["url"])
        elif method == "Network.webSocketCreated":
            driver.requests.append(params["url"])


class BrowserTest(unittest.TestCase):
    """Starts nothing itself: each test starts the nodes and browsers it needs through these helpers."""

    def setUp(self):
        missing = chromium_missing()
        if missing:
            # make test installs chromium, so a missing one is a failure there, not a skip.
            self.fail(missing)
        self.work = tempfile.mkdtemp(prefix="elohim-browser-")
        self.nodes, self.drivers = [], []
        os.makedirs(ARTIFACTS, exist_ok=True)

    def tearDown(self):
        # A failing test leaves a picture of every browser where it stopped.
        outcome = getattr(self, "_outcome", None)
        failed = outcome is not None and any(error for _, error in getattr(outcome.result, "failures", []) + getattr(outcome.result, "errors", []))
        for i, d in enumerate(self.drivers if failed else []):
            try:
                d.save_screenshot(os.path.join(ARTIFACTS, f"failed-{self.id().split('.')[-1]}-{i}.png"))
            except Exception:
                pass
        for d in self.drivers:
            try:
                d.quit()
            except Exception:
                pass
        for n in self.nodes:
            n.stop()
        if os.environ.get("KEEP_BROWSER_WORK") is None:
            shutil.rmtree(self.work, ignore_errors=True)

    def node(self, name, extra=()):
        n = Node(name, self.work, extra).start()
        self.nodes.append(n)
        return n

    def driver(self, **kw):
        d = browser(**kw)
        self.drivers.append(d)
        return d

    # Waiting and finding

    def wait(self, condition, timeout=30, what="condition"):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                value = condition()
                if value:
                    return value
            except Exception as e:  # the page is mid-render
                last = e
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f" (last error: {last})" if last else ""))

    def css(self, driver, selector, timeout=30):
        from selenium.webdriver.common.by import By
        return self.wait(lambda: next((e for e in driver.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()), None),
                         timeout, f"'{selector}' on {driver.current_url}")

    def button(self, driver, text, timeout=30, within="main"):
        from selenium.webdriver.common.by import By
        xpath = f'//{within}//button[normalize-space(.)="{text}"] | //{within}//a[normalize-space(.)="{text}"]'
        return self.wait(lambda: next((e for e in driver.find_elements(By.XPATH, xpath) if e.is_displayed() and e.is_enabled()), None),
                         timeout, f"button '{text}' on {driver.current_url}")

    def field(self, driver, label, timeout=30):
        from selenium.webdriver.common.by import By
        xpath = f'//main//label[normalize-space(.)="{label}"]'
        lab = self.wait(lambda: next((e for e in driver.find_elements(By.XPATH, xpath) if e.is_displayed()), None), timeout, f"field '{label}'")
        return driver.find_element(By.ID, lab.get_attribute("for"))

    def type_into(self, driver, label, text):
        f = self.field(driver, label)
        f.clear()
        f.send_keys(text)
        return f

    def loaded(self, driver, timeout=30):
        """The screen of the address bar finished drawing (the page marks main with the fragment it drew)."""
        self.wait(lambda: driver.execute_script(
            "const m = document.getElementById('main'); return m && m.dataset.ready !== undefined && m.dataset.ready === location.hash"),
            timeout, f"the screen {driver.current_url} to be drawn")

    def shot(self, driver, name):
        path = os.path.join(ARTIFACTS, f"{name}.png")
        driver.save_screenshot(path)
        return path

    # The page's own checks

    def sign_up_founder(self, driver, node, username="ada"):
        """First run through the page, with the one-time setup link the node printed."""
        link = node.setup_link()
        self.assertIsNotNone(link, f"node {node.name} printed no setup link: {node.banner}")
        driver.get(link)
        self.loaded(driver)
        self.type_into(driver, "Username", username)
        self.type_into(driver, "Passphrase", PASSWORD)
        self.type_into(driver, "Passphrase again", PASSWORD)
        self.button(driver, "Create the founder").click()
        self.wait(lambda: driver.execute_script("return location.hash") in ("#/", ""), what="the home screen after first run")
        self.loaded(driver)
        self.assertIn(username, driver.find_element("id", "who").text)

    def sign_in(self, driver, node, username="ada"):
        driver.get(node.origin + "/#/signin")
        self.loaded(driver)
        self.type_into(driver, "Username", username)
        self.type_into(driver, "Passphrase", PASSWORD)
        self.button(driver, "Sign in").click()
        self.wait(lambda: driver.execute_script("return location.hash") in ("#/", ""), what="signed in")
        self.loaded(driver)

    def assert_clean(self, driver, node, refused=()):
        """No console error, and every request went to the node's own origin. `refused` lists the
        (path, status) answers a test provoked on purpose: Chromium logs every 4xx a page fetches
        as a console error, and only those are allowed."""
        drain_logs(driver)

        def provoked(entry):
            text = entry.get("message", "")
            return any(f"{node.origin}{path}" in text and f"status of {code}" in text for path, code in refused)
        errors = [e for e in driver.console if e.get("level") == "SEVERE" and not provoked(e)]
        self.assertEqual(errors, [], "console errors on the page")
        host = f"127.0.0.1:{node.http_port}"
        foreign = [u for u in driver.requests if not (u.startswith(f"http://{host}/") or u.startswith(f"ws://{host}/")
                                                         or u.startswith("data:") or u.startswith("blob:"))]
        self.assertEqual(foreign, [], "requests that left the node's origin")
        self.assertTrue(any(u.startswith(f"http://{host}/") for u in driver.requests), "the network log saw the page's own requests")
