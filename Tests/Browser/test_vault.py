"""Issue 16, test 2: the vault, both ways between the page and the CLI. A file put in the page
is fetched by `elohim vault get`, byte for byte; a file put by `elohim vault put` is fetched in
the page, byte for byte. Also: the page's format code (v2 and v1, whose zstd the page decodes
itself) against Protocol/vectors/vault.json, an empty file, and the decoy passphrase (each
passphrase sees only its own files, in both tools)."""
import base64
import hashlib
import json
import os
import subprocess
import sys
import urllib.request

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from harness import ROOT, BrowserTest

sys.path.insert(0, os.path.join(ROOT, "Tests", "Interop"))
import vault_vectors as v1  # noqa: E402  (the third implementation of the formats)

PASS = "correct horse battery staple"
DECOY = "a different, decoy passphrase"


class VaultTest(BrowserTest):
    def open_vault(self, page, node, passphrase):
        page.get(node.origin + "/#/vault")
        self.loaded(page)
        if page.find_elements(By.XPATH, "//main//button[normalize-space(.)='Lock']"):
            self.button(page, "Lock").click()
            self.loaded(page)
        self.type_into(page, "Vault passphrase", passphrase)
        self.button(page, "Open the vault").click()
        self.css(page, "#files-h", timeout=60)

    def listed(self, page):
        return [r.find_element(By.CSS_SELECTOR, "td").text for r in page.find_elements(By.CSS_SELECTOR, "#vault-files tbody tr")]

    def upload(self, page, path):
        # The page's own last upload comes back as a live event that redraws the screen: when the
        # redraw lands between finding the input and clicking, choose the file again on the new one.
        for attempt in range(3):
            try:
                page.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(path)
                self.button(page, "Seal and upload").click()
                break
            except StaleElementReferenceException:
                if attempt == 2:
                    raise
        self.wait(lambda: os.path.basename(path) in self.listed(page), 120, f"{os.path.basename(path)} in the list")

    def download(self, page, name, downloads):
        # Through the browser's downloads: a save dialog (the streaming path) cannot be driven headless.
        pick = page.find_elements(By.CSS_SELECTOR, "input[name=pick]")
        if pick and pick[0].is_selected():
            pick[0].click()
        row = next(r for r in page.find_elements(By.CSS_SELECTOR, "#vault-files tbody tr") if r.find_element(By.CSS_SELECTOR, "td").text == name)
        row.find_element(By.XPATH, ".//button[normalize-space(.)='Download']").click()
        target = os.path.join(downloads, name)
        self.wait(lambda: os.path.exists(target) and not any(f.endswith(".crdownload") for f in os.listdir(downloads)), 120, f"{name} downloaded")
        with open(target, "rb") as f:
            return f.read()

    def put_v1_file(self, node, team, name, data, passphrase):
        """Stores `data` in format v1 through the API: zstd (the reference tool), then AES-GCM."""
        chunk_key, entry_key = v1.keys(passphrase, bytes.fromhex(team))
        file_id = os.urandom(16)
        size = 524288
        pieces = [data[i:i + size] for i in range(0, len(data), size)]
        ids = []
        for i, piece in enumerate(pieces):
            frame = subprocess.run(["zstd", "-3", "-c", "--no-check", f"--stream-size={len(piece)}"], input=piece, capture_output=True, check=True).stdout
            sealed = v1.seal(chunk_key, os.urandom(12), frame, v1.chunk_aad(1, file_id, i, i == len(pieces) - 1))
            address = hashlib.sha256(sealed).hexdigest()
            request = urllib.request.Request(
                f"{node.origin}/api/v1/teams/{team}/vault/chunks/{address}", data=sealed, method="PUT",
                headers={"Authorization": f"Bearer {node.operator_token}", "Content-Type": "application/octet-stream", "Origin": node.origin})
            urllib.request.urlopen(request, timeout=30).read()
            ids.append(address)
        entry = json.dumps({"chunks": len(pieces), "file": file_id.hex(), "name": name, "size": len(data)}, sort_keys=True, separators=(",", ":"))
        sealed_entry = base64.b64encode(v1.seal(entry_key, os.urandom(12), entry.encode(), b"elohim/vault/v1/entry")).decode()
        node.api("POST", f"/api/v1/teams/{team}/vault/files", {"name": sealed_entry, "size": len(pieces) * size, "chunks": ids, "chunkSize": size})

    def test_page_and_cli_open_each_others_files_byte_for_byte(self):
        a = self.node("a")
        downloads = os.path.join(self.work, "downloads")
        os.makedirs(downloads)
        page = self.driver(downloads=downloads)
        self.sign_up_founder(page, a)
        team = a.api("POST", "/api/v1/teams", {"name": "Vault crew"})["id"]

        # The page's format code against the shared vectors.
        with open(os.path.join(ROOT, "Protocol", "vectors", "vault.json")) as f:
            vectors = json.load(f)
        result = page.execute_async_script(VECTOR_CHECK, vectors)
        self.assertEqual(result.get("error"), None, result)
        self.assertEqual(result["failures"], [], result)
        self.assertGreaterEqual(result["checked"], 10, result)

        # Files: 1.3 chunks of random bytes (the last chunk short), text that deflates, and an empty file.
        made = os.path.join(self.work, "made")
        os.makedirs(made)
        files = {
            "survey-photo.bin": os.urandom(524288 + 300_001),
            "relevé de terrain.txt": ("Secteur 7: le puits de la porte nord est à sec.\n" * 20000).encode(),
            "empty.txt": b"",
        }
        for name, data in files.items():
            with open(os.path.join(made, name), "wb") as f:
                f.write(data)

        # CLI → page.
        for name in ["survey-photo.bin", "relevé de terrain.txt"]:
            a.cli("vault", "put", os.path.join(made, name), "--team", team, passphrase=PASS)
        self.open_vault(page, a, PASS)
        self.assertEqual(sorted(self.listed(page)), ["relevé de terrain.txt", "survey-photo.bin"])
        self.shot(page, "vault-01-cli-files-in-page")
        for name in ["survey-photo.bin", "relevé de terrain.txt"]:
            got = self.download(page, name, downloads)
            self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(files[name]).hexdigest(), f"{name} fetched in the page")
            os.remove(os.path.join(downloads, name))

        # A file in format v1 (zstd inside), as clients wrote before v2, sealed here by the
        # third implementation with the zstd tool: the page and the CLI both still open it.
        old = (b"An old field report, stored before format v2. " * 4000) + os.urandom(70_000)
        self.put_v1_file(a, team, "old-report.txt", old, PASS)
        page.refresh()
        self.open_vault(page, a, PASS)
        self.assertIn("old-report.txt", self.listed(page))
        got = self.download(page, "old-report.txt", downloads)
        self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(old).hexdigest(), "the v1 file fetched in the page")
        out = os.path.join(self.work, "cli-old-report.txt")
        a.cli("vault", "get", "old-report.txt", "--team", team, "-o", out, passphrase=PASS)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), old, "the v1 file fetched by the CLI")

        # Page → CLI: each file under a new name, so the CLI has one of each.
        page_dir = os.path.join(self.work, "from-page")
        os.makedirs(page_dir)
        for name, data in files.items():
            path = os.path.join(page_dir, "page-" + name)
            with open(path, "wb") as f:
                f.write(data)
            self.upload(page, path)
        self.assertIn("100%", page.find_element(By.CSS_SELECTOR, "main").text, "the progress reached the end")
        self.shot(page, "vault-02-page-uploads")
        for name, data in files.items():
            out = os.path.join(self.work, "cli-" + name)
            a.cli("vault", "get", "page-" + name, "--team", team, "-o", out, passphrase=PASS)
            with open(out, "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), hashlib.sha256(data).hexdigest(), f"page-{name} fetched by the CLI")

        # The decoy: another passphrase opens another vault, in the page and in the CLI.
        self.open_vault(page, a, DECOY)
        self.assertEqual(self.listed(page), [])
        decoy_file = os.path.join(page_dir, "decoy-notes.txt")
        with open(decoy_file, "wb") as f:
            f.write(b"nothing to see here\n")
        self.upload(page, decoy_file)
        self.assertEqual(self.listed(page), ["decoy-notes.txt"])
        self.shot(page, "vault-03-decoy")
        decoy_ls = a.cli("vault", "ls", "--team", team, passphrase=DECOY).stdout
        real_ls = a.cli("vault", "ls", "--team", team, passphrase=PASS).stdout
        self.assertIn("decoy-notes.txt", decoy_ls)
        self.assertNotIn("survey-photo.bin", decoy_ls)
        self.assertNotIn("decoy-notes.txt", real_ls)
        self.assertIn("page-survey-photo.bin", real_ls)

        # A wrong passphrase shows nothing and breaks nothing; the node never saw a name.
        index = json.dumps(a.api("GET", f"/api/v1/teams/{team}/vault/files"))
        for name in files:
            self.assertNotIn(name.split(".")[0], index)
        self.assert_clean(page, a)


# Runs in the page: imports the page's own vault-format module and checks it against the vectors.
VECTOR_CHECK = r"""
const [v, done] = arguments;
(async () => {
  const vf = await import('/js/vault-format.js');
  const keys = await vf.deriveKeys(v.passphrase, v.team, v.rounds);
  const failures = []; let checked = 0;
  const hex = vf.hexToBytes;
  for (const c of v.chunks) {
    checked++;
    if (c.format === 1) {
      // v1: zstd inside, opened by the page's own zstd decoder (Web/js/zstd.js).
      const plain = await vf.openChunk(hex(c.sealed), hex(c.file), c.index, c.last, keys, 1);
      if (vf.bytesToHex(plain) !== c.plain) failures.push(`v1 chunk ${c.index} opened to other bytes`);
      continue;
    }
    const plain = await vf.openChunk(hex(c.sealed), hex(c.file), c.index, c.last, keys, 2);
    if (vf.bytesToHex(plain) !== c.plain) failures.push(`chunk ${c.index} (method ${c.method}) opened to other bytes`);
    if (await vf.sha256Hex(hex(c.sealed)) !== c.address) failures.push(`chunk ${c.index}: address`);
    const resealed = await vf.sealChunk(hex(c.plain), hex(c.file), c.index, c.last, keys, { nonce: hex(c.nonce), method: c.method });
    if (c.method === 0 && vf.bytesToHex(resealed) !== c.sealed) failures.push(`chunk ${c.index}: stored seal differs`);
    const again = await vf.openChunk(resealed, hex(c.file), c.index, c.last, keys, 2);
    if (vf.bytesToHex(again) !== c.plain) failures.push(`chunk ${c.index}: the page's own seal does not open`);
  }
  for (const e of v.entries) {
    checked++;
    const entry = await vf.openEntry(e.sealed, keys);
    const want = JSON.parse(e.json);
    if (!entry || entry.format !== e.format || entry.name !== want.name || entry.size !== want.size || entry.file !== want.file || entry.chunks !== want.chunks) {
      failures.push(`entry of format ${e.format} opened wrong: ${JSON.stringify(entry)}`);
    } else if (e.format === 2 && await vf.sealEntry(entry, keys, hex(e.nonce)) !== e.sealed) failures.push('the v2 entry seals to other bytes');
  }
  for (const r of v.refusals) {
    checked++;
    const c = v.chunks[r.of];
    const k = r.passphrase ? await vf.deriveKeys(r.passphrase, v.team, v.rounds) : keys;
    try {
      await vf.openChunk(hex(r.sealed || c.sealed), hex(c.file), r.index ?? c.index, r.last ?? c.last, k, r.format ?? c.format);
      failures.push(`${r.why}: opened`);
    } catch (e) { /* refused, as it must be */ }
  }
  // A deflate bomb inside a good seal: refused, not unpacked.
  checked++;
  const zeros = new Uint8Array(524289);
  const bomb = await vf.deflateRaw(zeros);
  try { await vf.inflateRaw(bomb, 524288); failures.push('a stream past the limit was unpacked'); } catch (e) { /* refused */ }
  return { checked, failures };
})().then(done, (e) => done({ error: String(e && e.stack || e) }));
"""
