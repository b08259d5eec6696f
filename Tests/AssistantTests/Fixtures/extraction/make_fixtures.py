#!/usr/bin/env python3
"""Writes the text-extraction fixtures next to this script: manual.pdf and report.docx.

Both are written by hand here (stdlib only), small and fully known, so a Swift test can assert
the exact text the assistant extracts from them (README.md lists it). Run it again only to change
them; the outputs are committed.

    python3 Tests/AssistantTests/Fixtures/extraction/make_fixtures.py [--check]

--check also verifies them: `pdftotext -layout manual.pdf -` (Debian's poppler-utils) must print
both pages, separated by a form feed, and report.docx must be a ZIP whose XML parses and holds the
expected paragraphs and table.
"""
import io
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))

# ----- manual.pdf: two pages, Helvetica (a standard Type1 font, not embedded), uncompressed
# content streams with one BT/ET block per page.

PDF_PAGES = [
    [
        "P-200 Pump Manual",
        "Prime the pump casing with clean water before starting.",
        "Check the engine oil level every morning (see page 2 for parts).",
    ],
    [
        "Spare Parts",
        "The spare impeller is kept in bin C-14.",
        "Replace the mechanical seal MS-2214 when it drips.",
    ],
]


def pdf_string(text):
    """A PDF literal string: backslash, parentheses escaped; ASCII only here."""
    assert all(32 <= ord(c) < 127 for c in text)
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def content_stream(lines):
    ops = ["BT", "/F1 18 Tf", "72 770 Td", f"{pdf_string(lines[0])} Tj", "/F1 12 Tf", "0 -30 Td"]
    for i, line in enumerate(lines[1:]):
        if i:
            ops.append("0 -18 Td")
        ops.append(f"{pdf_string(line)} Tj")
    ops.append("ET")
    return ("\n".join(ops) + "\n").encode("ascii")


def make_pdf():
    objects = {}  # number -> bytes of the object's body
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    kids = []
    number = 3
    for lines in PDF_PAGES:
        page, contents = number, number + 1
        kids.append(f"{page} 0 R")
        objects[page] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                         f"/Resources << /Font << /F1 7 0 R >> >> /Contents {contents} 0 R >>").encode()
        stream = content_stream(lines)
        objects[contents] = (f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"endstream")
        number += 2
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    objects[7] = (b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                  b"/Encoding /WinAnsiEncoding >>")
    objects[8] = b"<< /Title (P-200 Pump Manual) /Producer (ElohimOS make_fixtures.py) >>"

    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # a binary comment line, as PDF writers do
    offsets = {}
    for n in sorted(objects):
        offsets[n] = out.tell()
        out.write(f"{n} 0 obj\n".encode() + objects[n] + b"\nendobj\n")
    xref = out.tell()
    count = max(objects) + 1
    out.write(f"xref\n0 {count}\n".encode())
    out.write(b"0000000000 65535 f \n")  # each entry exactly 20 bytes
    for n in range(1, count):
        out.write(f"{offsets[n]:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {count} /Root 1 0 R /Info 8 0 R >>\nstartxref\n{xref}\n%%EOF\n"
              .encode())
    return out.getvalue()


# ----- report.docx: the smallest package Word opens: [Content_Types].xml, _rels/.rels,
# word/document.xml and word/_rels/document.xml.rels (no relationships).

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>
"""

PACKAGE_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>
"""

DOCUMENT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
</Relationships>
"""

# Paragraph 2 is one sentence in two runs (the second bold), as Word splits text wherever
# formatting, spelling marks or revisions change: an extractor must join runs without a space.
# Paragraph 3 holds an escaped ampersand and a non-ASCII word. Then a table, one row, two cells.
DOCUMENT = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="{W}">
<w:body>
<w:p><w:r><w:t>Site 6 monthly report</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">The spare impeller is kept </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>in bin C-14.</w:t></w:r></w:p>
<w:p><w:r><w:t>Water &amp; sanitation team, Zürich office.</w:t></w:r></w:p>
<w:tbl>
<w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr>
<w:tblGrid><w:gridCol w:w="4500"/><w:gridCol w:w="4500"/></w:tblGrid>
<w:tr>
<w:tc><w:tcPr><w:tcW w:w="4500" w:type="dxa"/></w:tcPr><w:p><w:r><w:t>Pump P-200</w:t></w:r></w:p></w:tc>
<w:tc><w:tcPr><w:tcW w:w="4500" w:type="dxa"/></w:tcPr><w:p><w:r><w:t>Serviced on 3 November</w:t></w:r></w:p></w:tc>
</w:tr>
</w:tbl>
<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr>
</w:body>
</w:document>
"""

DOCX_PARAGRAPHS = [
    "Site 6 monthly report",
    "The spare impeller is kept in bin C-14.",
    "Water & sanitation team, Zürich office.",
]
DOCX_TABLE = [["Pump P-200", "Serviced on 3 November"]]


def make_docx():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", PACKAGE_RELS),
                           ("word/document.xml", DOCUMENT),
                           ("word/_rels/document.xml.rels", DOCUMENT_RELS)):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))  # fixed: same bytes each run
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, text.encode("utf-8"))
    return out.getvalue()


# ----- checks

def check_pdf(path):
    text = subprocess.run(["pdftotext", "-layout", path, "-"], check=True, capture_output=True,
                          text=True).stdout
    pages = text.split("\f")
    # pdftotext ends every page with a form feed, so the split leaves an empty tail.
    assert len(pages) == 3 and pages[2] == "", f"expected 2 pages and a form feed after each: {text!r}"
    for page, lines in zip(pages, PDF_PAGES):
        got = [line.strip() for line in page.splitlines() if line.strip()]
        assert got == lines, f"page text {got} != {lines}"
    info = subprocess.run(["pdfinfo", path], check=True, capture_output=True, text=True).stdout
    assert "Pages:           2" in info, info
    return text


def check_docx(path):
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert names[0] == "[Content_Types].xml", names
        for name in names:
            ET.fromstring(z.read(name))
        root = ET.fromstring(z.read("word/document.xml"))
    ns = {"w": W}
    body = root.find("w:body", ns)
    paragraphs = ["".join(t.text or "" for t in p.iter(f"{{{W}}}t"))
                  for p in body.findall("w:p", ns)]
    assert paragraphs == DOCX_PARAGRAPHS, paragraphs
    rows = [[ "".join(t.text or "" for t in tc.iter(f"{{{W}}}t")) for tc in tr.findall("w:tc", ns)]
            for tr in body.findall("w:tbl/w:tr", ns)]
    assert rows == DOCX_TABLE, rows
    return paragraphs, rows


def main():
    pdf_path = os.path.join(HERE, "manual.pdf")
    docx_path = os.path.join(HERE, "report.docx")
    with open(pdf_path, "wb") as f:
        f.write(make_pdf())
    with open(docx_path, "wb") as f:
        f.write(make_docx())
    print(f"wrote {pdf_path} ({os.path.getsize(pdf_path)} bytes), "
          f"{docx_path} ({os.path.getsize(docx_path)} bytes)")
    if "--check" in sys.argv:
        print(repr(check_pdf(pdf_path)))
        print(check_docx(docx_path))
        print("make_fixtures: both fixtures check out")


if __name__ == "__main__":
    main()
