"""Extracts, once, the rows of the CRC Handbook's "Standard Thermodynamic Properties of
Chemical Substances" table (as shipped in the PyPI package `chemicals`) for the species our
catalogue shares with it, into `crc_standard_thermo.tsv` next to this script.

Run from the repository root:  python3 src/reactions/engine/catalogue/cross_check/extract_crc.py
(needs `pip install chemicals==1.5.2`). See PROVENANCE.md for what was run and why rows match.

Matching: a catalogue row (formula, name, synonyms, state) is looked up by its name, then each
synonym, then its formula with `chemicals.CAS_from_any`; the first CAS number that the CRC
table holds is taken, provided the compound behind it has our composition (or a multiple of it:
the CRC lists white phosphorus per P atom, we list P4). When no CAS number matches (the table
and the identifier database do not always agree on one), the row is matched by name: our name
or a synonym equal to the CRC name without its parenthesised qualifier ("Lead(II) oxide
(litharge)"), the qualifier deciding between polymorphs when it is one of our synonyms.
Aqueous rows are not in that table.
"""

import csv
import glob
import os
import re
import sys

import chemicals
from chemicals import CAS_from_any
from chemicals.elements import nested_formula_parser
from chemicals.identifiers import search_chemical

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOGUE = os.path.join(HERE, "..")
TABLE = os.path.join(
    os.path.dirname(chemicals.__file__),
    "Heat Capacity",
    "CRC Standard Thermodynamic Properties of Chemical Substances.tsv",
)
STATE_COLUMN = {"Solid": "s", "Liquid": "l", "Gas": "g"}
# Names the identifier database resolves to another allotrope or to the element in general.
CAS_OVERRIDES = {
    ("C", "carbon"): "7782-42-5",
    ("C", "diamond"): "7782-40-3",
    # The table lists glucose as its α-D anomer (the crystalline sugar) under its own number.
    ("C6H12O6", "glucose"): "26655-34-5",
}
# The CRC table shipped by `chemicals` has grey tin only (white tin, the reference state, is
# dropped there); grey tin is not our row.
SKIP_CAS = {"7440-31-5"}


def composition(formula):
    counts = {}
    for part in formula.split("·"):
        match = re.match(r"^(\d+)(.*)$", part)
        times, part = (int(match.group(1)), match.group(2)) if match else (1, part)
        core = re.sub(r"(\^\d+)?[+-]$", "", part)
        for symbol, count in nested_formula_parser(core).items():
            counts[symbol] = counts.get(symbol, 0) + count * times
    return counts


def multiple_of(ours, theirs):
    """How many CRC formula units one of ours is (P4 = 4 × P), or None."""
    if set(ours) != set(theirs):
        return None
    ratios = {ours[s] / theirs[s] for s in ours}
    return ratios.pop() if len(ratios) == 1 else None


def catalogue_rows():
    pattern = re.compile(r'c!\("([^"]+)", "([^"]+)", \[(.*?)\], (\w+), (\w+),')
    for path in sorted(glob.glob(os.path.join(CATALOGUE, "data_*.rs"))):
        with open(path, encoding="utf-8") as source:
            for line in source:
                found = pattern.search(line)
                if found:
                    formula, name, synonyms, _class, state = found.groups()
                    yield formula, name, re.findall(r'"([^"]+)"', synonyms), state


def folded(name):
    return name.lower().replace("aluminum", "aluminium").replace("cesium", "caesium").strip()


def by_name(table, names):
    """CRC rows whose name, qualifier removed, is one of ours; the qualifier picks a polymorph."""
    ours = {folded(name) for name in names}
    found = []
    for row in table.values():
        crc = folded(row["Chemical"])
        match = re.match(r"^(.*?) \(([^)]*)\)$", crc)
        stem, qualifier = (match.group(1), match.group(2)) if match else (crc, None)
        if crc in ours or stem in ours:
            found.append((qualifier in ours, row))
    preferred = [row for wanted, row in found if wanted]
    if len(preferred) == 1:
        return preferred[0]
    return found[0][1] if len(found) == 1 else None


def main():
    with open(TABLE, encoding="utf-8") as handle:
        table = {row["CAS"]: row for row in csv.DictReader(handle, delimiter="\t")}
    out = os.path.join(HERE, "crc_standard_thermo.tsv")
    written = 0
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["name", "formula", "state", "cas", "crc_name", "hf_kj_mol", "gf_kj_mol", "s_j_mol_k"])
        for formula, name, synonyms, state in catalogue_rows():
            column = STATE_COLUMN.get(state)
            if column is None:
                continue
            ours = composition(formula)
            matched = None
            for query in [name, *synonyms, formula]:
                cas = CAS_OVERRIDES.get((formula, name))
                if cas is None:
                    try:
                        cas = CAS_from_any(query)
                    except Exception:
                        continue
                row = table.get(cas)
                if row is None or cas in SKIP_CAS:
                    continue
                try:
                    theirs = nested_formula_parser(search_chemical(cas).formula)
                except Exception:
                    # No formula on record for that number: only a name match can vouch for
                    # it ("aluminium fluoride" resolves to the number of gaseous AlF).
                    vouched = (formula, name) in CAS_OVERRIDES or by_name({cas: row}, [name, *synonyms])
                    if not vouched:
                        continue
                    theirs = ours
                scale = multiple_of(ours, theirs)
                # A number can name another species in the table than in the identifier
                # database (13595-82-9: AlF3 there, gaseous AlF here): no values for our
                # state means keep looking.
                if scale is None or not any(row[c + column] for c in ("Hf", "Gf", "S0")):
                    continue
                matched = (row, scale)
                break
            if matched is None:
                row = by_name(table, [name, *synonyms])
                matched = None if row is None or row["CAS"] in SKIP_CAS else (row, 1)
            if matched is None:
                continue
            row, scale = matched
            values = [row["Hf" + column], row["Gf" + column], row["S0" + column]]
            if not any(values):
                continue

            def scaled(value, divisor):
                return "" if value == "" else f"{float(value) * scale / divisor:g}"

            writer.writerow([name, formula, state, row["CAS"], row["Chemical"],
                             scaled(values[0], 1000), scaled(values[1], 1000), scaled(values[2], 1)])
            written += 1
    print(f"{written} rows written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
