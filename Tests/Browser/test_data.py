"""Issue 19's page screen, in a real browser against a real node (DuckDB from the virtualenv):
upload a CSV made here and see the schema DuckDB inferred, run a query and read the grid's cells,
page through a result, keep 100,000 rows responsive (only the rows in view are in the document),
move through the grid by keyboard, export CSV (compared byte for byte), JSON and Excel (read back
by openpyxl), reuse a query from the history, and the refusals: a broken file with its line, a
query that reaches outside its datasets, a JSON-to-Excel expansion past its row limit with the
count. No console error but those refusals; no request leaves the node."""
import json
import os

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from harness import BrowserTest

# Types, a quoted delimiter, an empty value (NULL), UTF-8 and dates.
SURVEY = 'id,name,amount,when\n1,Ada,3.5,2024-01-02\n2,"Bob, Jr",,2024-02-03\n3,Zoë,7,2024-03-04\n'
# The node's CSV export of the same rows (RFC 4180: CRLF line ends; DuckDB writes a DOUBLE 7 as 7.0).
SURVEY_EXPORT = 'id,name,amount,when\r\n1,Ada,3.5,2024-01-02\r\n2,"Bob, Jr",,2024-02-03\r\n3,Zoë,7.0,2024-03-04\r\n'.encode()
# Three arrays of three: expanded, 3 × 3 = 9 rows.
NESTED = '[{"site": {"name": "North gate"}, "tags": ["well", "pump", "dry"], "readings": [{"ph": 7.1}, {"ph": 6.8}, {"ph": 6.9}]}]'


class DataScreenTest(BrowserTest):
    def grid_rows(self, page):
        """The grid's drawn rows, as the text of their cells (the row number first)."""
        return page.execute_script("""
            return [...document.querySelectorAll('#result .dgrid-body [role=row]')]
              .sort((a, b) => Number(a.getAttribute('aria-rowindex')) - Number(b.getAttribute('aria-rowindex')))
              .map((r) => [...r.children].map((c) => c.textContent));""")

    def run_query(self, page, sql, expect_summary):
        editor = self.field(page, "SQL")
        editor.clear()
        editor.send_keys(sql)
        self.button(page, "Run").click()
        return self.wait(lambda: expect_summary in page.find_element(By.ID, "result-summary").text and page.find_element(By.ID, "result-summary"),
                         60, f"the result of {sql!r}")

    def downloaded(self, downloads, name):
        path = os.path.join(downloads, name)
        self.wait(lambda: os.path.exists(path) and not any(f.endswith(".crdownload") for f in os.listdir(downloads)), 60, f"{name} downloaded")
        with open(path, "rb") as f:
            data = f.read()
        os.remove(path)
        return data

    def test_upload_schema_query_grid_export_history_and_json_to_excel(self):
        a = self.node("a")
        downloads = os.path.join(self.work, "downloads")
        os.makedirs(downloads)
        page = self.driver(downloads=downloads)
        self.sign_up_founder(page, a)
        made = os.path.join(self.work, "made")
        os.makedirs(made)
        survey = os.path.join(made, "relevé 2024.csv")
        with open(survey, "w", encoding="utf-8") as f:
            f.write(SURVEY)
        broken = os.path.join(made, "broken.csv")
        with open(broken, "w") as f:
            f.write("a,b\n1,2\n3,4,5,6\n")

        page.get(a.origin + "/#/data")
        self.loaded(page)
        self.css(page, "#datasets-empty")

        # Upload: the file's name becomes a name the node takes (ASCII, no space), its table the name without .csv.
        page.find_element(By.CSS_SELECTOR, "input[name=dataset]").send_keys(survey)
        self.assertEqual(self.field(page, "Dataset name").get_attribute("value"), "releve_2024.csv")
        self.button(page, "Upload").click()
        self.css(page, "#datasets tr[data-name='releve_2024.csv']", timeout=60)
        self.assertIn("Stored releve_2024.csv: 3 rows, 4 columns", page.find_element(By.CSS_SELECTOR, "#dataset-upload p.status.ok").text)
        self.assertEqual(page.find_element(By.CSS_SELECTOR, "#datasets tr[data-name='releve_2024.csv'] td[data-label=Table]").text, "releve_2024")
        # The progress bar went to its end: every byte of the file was reported sent.
        size = len(SURVEY.encode())
        self.assertEqual(page.execute_script("const p = document.querySelector('#dataset-upload progress'); return [p.value, p.max]"), [size, size])
        self.assertIn(f"Sent {size} B", page.find_element(By.CSS_SELECTOR, "#dataset-upload p.small").text)
        # The schema DuckDB inferred, as the schema card shows it.
        schema = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in page.find_elements(By.CSS_SELECTOR, "#schema tbody tr")]
        self.assertEqual(schema, [["id", "BIGINT"], ["name", "VARCHAR"], ["amount", "DOUBLE"], ["when", "DATE"]])
        self.assertIn("3 rows", page.find_element(By.ID, "schema").text)
        # ...and the same schema fetched again by the Schema button, after a reload.
        page.refresh()
        self.loaded(page)
        self.button(page, "Schema").click()
        self.wait(lambda: page.find_element(By.ID, "schema").get_attribute("data-dataset") == "releve_2024.csv", what="the schema card")
        self.assertEqual(len(page.find_elements(By.CSS_SELECTOR, "#schema tbody tr")), 4)
        self.shot(page, "data-01-uploaded")

        # A broken file is refused with its line; nothing is listed for it.
        page.find_element(By.CSS_SELECTOR, "input[name=dataset]").send_keys(broken)
        self.button(page, "Upload").click()
        error = self.css(page, "#dataset-upload p.status.error", timeout=60)
        self.assertIn("line 3", error.text)
        self.assertEqual([r.get_attribute("data-name") for r in page.find_elements(By.CSS_SELECTOR, "#datasets tbody tr")], ["releve_2024.csv"])

        # A query; the grid's cells hold what the node answered (NULL shown as such).
        self.button(page, "Query").click()
        self.assertEqual(self.field(page, "SQL").get_attribute("value"), "SELECT * FROM releve_2024 LIMIT 100")
        sql = 'SELECT id, name, amount, "when" FROM releve_2024 ORDER BY id'
        self.run_query(page, sql, "Rows 1 to 3")
        heads = page.execute_script("return [...document.querySelectorAll('#result .dgrid-head [role=columnheader]')].map((c) => c.textContent)")
        self.assertEqual(heads, ["Row#", "idBIGINT", "nameVARCHAR", "amountDOUBLE", "whenDATE"])
        self.assertEqual(self.grid_rows(page), [["1", "1", "Ada", "3.5", "2024-01-02"], ["2", "2", "Bob, Jr", "NULL", "2024-02-03"],
                                                ["3", "3", "Zoë", "7", "2024-03-04"]])
        self.assertEqual(page.execute_script("return document.querySelectorAll('#result .dgrid-cell.null').length"), 1)
        self.assertFalse(page.find_element(By.XPATH, "//main//button[normalize-space(.)='Previous page']").is_enabled())
        self.assertFalse(page.find_element(By.XPATH, "//main//button[normalize-space(.)='Next page']").is_enabled())

        # Keyboard: Tab reaches the grid; the arrows move the active cell screen readers follow.
        grid = page.find_element(By.CSS_SELECTOR, "#result [role=grid]")
        grid.click()
        grid.send_keys(Keys.CONTROL, Keys.HOME)
        grid.send_keys(Keys.ARROW_DOWN, Keys.ARROW_RIGHT)
        active = page.execute_script("const g = document.querySelector('#result [role=grid]'); return document.getElementById(g.getAttribute('aria-activedescendant')).textContent")
        self.assertEqual(active, "Bob, Jr")
        grid.send_keys(Keys.CONTROL, Keys.END)
        active = page.execute_script("const g = document.querySelector('#result [role=grid]'); return document.getElementById(g.getAttribute('aria-activedescendant')).textContent")
        self.assertEqual(active, "2024-03-04")

        # Export: CSV byte for byte, JSON as rows, Excel read back by an independent reader.
        page.find_element(By.CSS_SELECTOR, "#result button[data-format=csv]").click()
        self.assertEqual(self.downloaded(downloads, "result.csv"), SURVEY_EXPORT)
        page.find_element(By.CSS_SELECTOR, "#result button[data-format=json]").click()
        self.assertEqual(json.loads(self.downloaded(downloads, "result.json")), [
            {"id": 1, "name": "Ada", "amount": 3.5, "when": "2024-01-02"}, {"id": 2, "name": "Bob, Jr", "amount": None, "when": "2024-02-03"},
            {"id": 3, "name": "Zoë", "amount": 7.0, "when": "2024-03-04"}])
        page.find_element(By.CSS_SELECTOR, "#result button[data-format=xlsx]").click()
        workbook = os.path.join(self.work, "result.xlsx")
        with open(workbook, "wb") as f:
            f.write(self.downloaded(downloads, "result.xlsx"))
        import openpyxl
        sheet = openpyxl.load_workbook(workbook, read_only=True).worksheets[0]
        cells = [list(r) for r in sheet.iter_rows(values_only=True)]
        self.assertEqual(cells[0], ["id", "name", "amount", "when"])
        self.assertEqual([r[:3] for r in cells[1:]], [[1, "Ada", 3.5], [2, "Bob, Jr", None], [3, "Zoë", 7]])
        self.shot(page, "data-02-result")

        # Paging: 250 rows, 100 a page.
        Select(self.field(page, "Rows a page")).select_by_value("100")
        self.run_query(page, "SELECT range AS n FROM range(250)", "Rows 1 to 100, more follow")
        self.assertEqual(self.grid_rows(page)[0], ["1", "0"])
        self.button(page, "Next page").click()
        self.wait(lambda: "Rows 101 to 200, more follow" in page.find_element(By.ID, "result-summary").text, 60, "the second page")
        self.assertEqual(self.grid_rows(page)[0], ["101", "100"])
        self.button(page, "Next page").click()
        self.wait(lambda: "Rows 201 to 250 ·" in page.find_element(By.ID, "result-summary").text, 60, "the last page")
        self.assertEqual(self.grid_rows(page)[0], ["201", "200"])
        self.assertFalse(page.find_element(By.XPATH, "//main//button[normalize-space(.)='Next page']").is_enabled())
        self.button(page, "Previous page").click()
        self.wait(lambda: "Rows 101 to 200" in page.find_element(By.ID, "result-summary").text, 60, "the second page again")

        # 100,000 rows in one page: only the rows in view are in the document, and the last row is
        # reached by scrolling (the figure: fetch and draw, from the page's own measures).
        Select(self.field(page, "Rows a page")).select_by_value("100000")
        self.run_query(page, "SELECT range AS n, 'row ' || range AS label FROM range(100000)", "Rows 1 to 100,000 ·")
        drawn = len(self.grid_rows(page))
        self.assertLess(drawn, 100, "only the rows in view are drawn")
        page.execute_script("const g = document.querySelector('#result [role=grid]'); g.scrollTop = g.scrollHeight")
        self.wait(lambda: self.grid_rows(page)[-1] == ["100000", "99999", "row 99999"], 10, "the last of 100,000 rows")
        timing = page.execute_script("""
            const last = (name) => performance.getEntriesByName(name).filter((e) => e.detail?.rows === 100000).pop()?.duration;
            return { fetch: last('data-query-fetch'), draw: last('data-grid-draw') };""")
        print(f"\n  100,000 rows: fetched and parsed in {timing['fetch']:.0f} ms, drawn in {timing['draw']:.0f} ms; {drawn} rows in the document")
        self.shot(page, "data-03-100k-rows")

        # Refusals in the node's words: a table that is not there, a file outside the datasets.
        self.run_query_error(page, "SELECT * FROM nowhere", "nowhere does not exist")
        self.run_query_error(page, "SELECT * FROM read_csv('/etc/passwd')", "Permission Error")

        # History, newest first, failures marked; "Use" puts a query back in the editor.
        self.field(page, "SQL").clear()
        self.wait(lambda: "read_csv('/etc/passwd')" in page.find_element(By.CSS_SELECTOR, "#history li").text, 10, "the history to show the last query")
        history = page.find_elements(By.CSS_SELECTOR, "#history li")
        self.assertIn("failed (query_failed)", history[0].text)
        used = next(li for li in history if li.find_element(By.TAG_NAME, "code").text == sql)
        used.find_element(By.XPATH, ".//button[normalize-space(.)='Use']").click()
        self.assertEqual(self.field(page, "SQL").get_attribute("value"), sql)
        self.assertIn("3 rows", used.text)

        # Stop waiting: the page lets go of a slow query at once (the node has no way to cancel
        # one over HTTP: it finishes it, and the history then shows it done).
        slow = "SELECT sum(a.range * b.range) AS total FROM range(12000) a, range(12000) b"
        self.type_into(page, "SQL", slow)
        self.button(page, "Run").click()
        self.button(page, "Stop waiting", timeout=10).click()
        stopped = self.wait(lambda: "Stopped waiting" in page.find_element(By.ID, "query-status").text and page.find_element(By.ID, "query-status"), 10, "the page to let go")
        self.assertIn("error", stopped.get_attribute("class"))
        self.assertTrue(self.button(page, "Run", timeout=2).is_enabled())

        def finished():
            # The screen fetches the history when it is drawn: draw it again until the query is there.
            page.refresh()
            self.loaded(page)
            return next((li.text for li in page.find_elements(By.CSS_SELECTOR, "#history li") if li.find_element(By.TAG_NAME, "code").text == slow), None)
        self.assertIn("1 row", self.wait(finished, 60, "the node to finish the query the page stopped waiting for"))

        # JSON to Excel: past its row limit it is refused with the count; under it, a workbook.
        self.type_into(page, "Or paste JSON", NESTED)
        page.find_element(By.CSS_SELECTOR, "#convert input[name=arrays][value=expand]").click()
        self.type_into(page, "Most rows", "8")
        self.button(page, "Convert to Excel").click()
        refused = self.wait(lambda: "error" in page.find_element(By.ID, "convert-status").get_attribute("class") and page.find_element(By.ID, "convert-status"), 60, "the refusal")
        self.assertIn("9 rows", refused.text)
        self.assertIn("more than --max-rows 8", refused.text)
        self.assertIn("raise “Most rows”", refused.text)
        self.shot(page, "data-04-json2xlsx-refused")
        self.type_into(page, "Most rows", "9")
        self.button(page, "Convert to Excel").click()
        self.wait(lambda: "Converted" in page.find_element(By.ID, "convert-status").text, 60, "the conversion")
        self.assertIn("9 rows", page.find_element(By.ID, "convert-status").text)
        with open(workbook, "wb") as f:
            f.write(self.downloaded(downloads, "converted.xlsx"))
        rows = list(openpyxl.load_workbook(workbook, read_only=True).worksheets[0].iter_rows(values_only=True))
        self.assertEqual(len(rows), 10, rows)
        self.assertIn("site.name", rows[0])
        self.assertEqual(rows[1][rows[0].index("site.name")], "North gate")

        # Delete: the dataset is gone from the list and from queries.
        row = page.find_element(By.CSS_SELECTOR, "#datasets tr[data-name='releve_2024.csv']")
        delete = row.find_element(By.XPATH, ".//button[normalize-space(.)='Delete']")
        page.execute_script("arguments[0].scrollIntoView({block: 'center'})", delete)  # not under the sticky header
        delete.click()
        page.switch_to.alert.accept()
        self.css(page, "#datasets-empty")
        self.run_query_error(page, "SELECT * FROM releve_2024", "does not exist")

        self.assert_clean(page, a, refused=[("/api/v1/data/datasets", 400), ("/api/v1/data/query", 400), ("/api/v1/data/json2xlsx", 400)])

    def run_query_error(self, page, sql, words):
        editor = self.field(page, "SQL")
        editor.clear()
        editor.send_keys(sql)
        # Ctrl+Enter runs it from the editor.
        editor.send_keys(Keys.CONTROL, Keys.ENTER)
        status = self.wait(lambda: "error" in page.find_element(By.ID, "query-status").get_attribute("class") and page.find_element(By.ID, "query-status"),
                           60, f"the refusal of {sql!r}")
        self.assertIn(words, status.text)
