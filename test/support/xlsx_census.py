"""A second, independent XLSX reader for the export tests (Python's own zip and
XML parsers, nothing of exceljs): per sheet, in workbook order, its name, its
rows, the non-empty cells of each column, and every formula or hyperlink it
holds. Streams the sheet XML, so a two-million-row file needs little memory.

    python3 xlsx_census.py FILE   ->   JSON on stdout
"""

import json
import re
import sys
import zipfile
from xml.etree.ElementTree import iterparse, parse

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def sheets(z):
    """(name, part path) for each sheet, in the workbook's order."""
    rels = parse(z.open("xl/_rels/workbook.xml.rels")).getroot()
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(PKG + "Relationship")}
    book = parse(z.open("xl/workbook.xml")).getroot()
    for s in book.iter(MAIN + "sheet"):
        target = targets[s.get(REL + "id")].lstrip("/")
        yield s.get("name"), target if target.startswith("xl/") else "xl/" + target


def census(z, part):
    rows = 0
    filled = {}
    formulas = []
    for _, el in iterparse(z.open(part), events=("end",)):
        if el.tag == MAIN + "c":
            col = re.match(r"[A-Z]+", el.get("r", "")).group(0) if el.get("r") else "?"
            if el.find(MAIN + "f") is not None:
                formulas.append(el.get("r"))
            if el.find(MAIN + "v") is not None or el.find(MAIN + "is") is not None:
                filled[col] = filled.get(col, 0) + 1
        elif el.tag == MAIN + "row":
            rows += 1
            el.clear()
    return rows, filled, formulas


def main(path):
    with zipfile.ZipFile(path) as z:
        out = []
        for name, part in sheets(z):
            rows, filled, formulas = census(z, part)
            rels = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
            links = 0
            if rels in z.namelist():
                links = sum(
                    1
                    for r in parse(z.open(rels)).getroot().iter(PKG + "Relationship")
                    if r.get("Type", "").endswith("/hyperlink")
                )
            out.append({"name": name, "rows": rows, "filled": filled, "formulas": formulas[:10], "hyperlinks": links})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
