//! The catalogue against an independent published table: the CRC Handbook's "Standard
//! Thermodynamic Properties of Chemical Substances" as shipped in the PyPI package `chemicals`,
//! extracted once into `crc_standard_thermo.tsv` (how, from which file and version:
//! `PROVENANCE.md`, `extract_crc.py`). Every species both hold must agree — ΔH°f within
//! 1 kJ/mol or 1 %, S° within 1 J/(mol·K) — or be listed in `KEPT_DIFFERENCES` with the reason
//! our value is kept. A listed species that stops differing fails the test too, so the list
//! stays exactly the set of real differences.

use std::collections::BTreeSet;

use super::{State, CATALOGUE};

const FIXTURE: &str = include_str!("crc_standard_thermo.tsv");

const ENTHALPY_TOLERANCE_KJ: f64 = 1.0;
const ENTHALPY_TOLERANCE_RELATIVE: f64 = 0.01;
const ENTROPY_TOLERANCE_J_PER_K: f64 = 1.0;

/// (catalogue name, state, why our value differs from the CRC's and is kept)
const KEPT_DIFFERENCES: &[(&str, State, &str)] = &[
    (
        "strontium",
        State::Solid,
        "S° 52.3 (NBS82) against the CRC's 55.0: every strontium compound in the catalogue \
         is NBS82 and was derived with 52.3; with 55.0 SrSO4 would be 1.2 kJ/mol off its own \
         ΔH°f − TΔS°f",
    ),
    (
        "lead(II) oxide",
        State::Solid,
        "our row is yellow PbO (massicot, NBS82 via OpenStax: S° 68.70); the CRC row is red \
         litharge (S° 66.5), another polymorph",
    ),
    (
        "chloromethane",
        State::Gas,
        "NIST-JANAF's complete set (ΔH°f −83.68, ΔG°f −60.15, S° 234.37) is kept: the CRC \
         gives ΔH°f −81.9 with no ΔG°f, and OpenStax's ΔG°f −60.2 with that ΔH°f was 1.8 kJ/mol \
         off its own ΔH°f − TΔS°f",
    ),
    (
        "tetrachloromethane",
        State::Liquid,
        "NBS82's complete, self-consistent set (ΔH°f −135.44, ΔG°f −65.21, S° 216.40) is kept: \
         the CRC gives ΔH°f −128.2 alone, and OpenStax's −128.2 / −62.5 / 214.4 was 5.1 kJ/mol \
         off its own ΔH°f − TΔS°f",
    ),
];

struct CrcRow<'a> {
    name: &'a str,
    state: State,
    crc_name: &'a str,
    enthalpy: Option<f64>,
    entropy: Option<f64>,
}

fn parse_state(text: &str) -> State {
    match text {
        "Solid" => State::Solid,
        "Liquid" => State::Liquid,
        "Gas" => State::Gas,
        other => panic!("fixture state {other:?}"),
    }
}

fn value(text: &str) -> Option<f64> {
    (!text.is_empty()).then(|| {
        text.parse()
            .unwrap_or_else(|_| panic!("fixture value {text:?}"))
    })
}

fn fixture() -> Vec<CrcRow<'static>> {
    FIXTURE
        .lines()
        .skip(1)
        .map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            assert_eq!(columns.len(), 8, "fixture line {line:?}");
            CrcRow {
                name: columns[0],
                state: parse_state(columns[2]),
                crc_name: columns[4],
                enthalpy: value(columns[5]),
                entropy: value(columns[7]),
            }
        })
        .collect()
}

enum Comparison {
    Within,
    Differs(String),
    /// We hold no values for the species; allowed only where the CRC gives ΔH°f alone, which
    /// is not enough for a reaction's ΔS° or ΔG.
    OnlyTheirs,
}

fn compare(row: &CrcRow) -> Comparison {
    match difference(row) {
        Err(()) => Comparison::OnlyTheirs,
        Ok(None) => Comparison::Within,
        Ok(Some(what)) => Comparison::Differs(what),
    }
}

/// How our row differs from the CRC's beyond the tolerances, if it does; `Err` when we hold
/// no values at all.
fn difference(row: &CrcRow) -> Result<Option<String>, ()> {
    let index = CATALOGUE
        .name_lookup(row.name)
        .unwrap_or_else(|| panic!("fixture names {:?}, not in the catalogue", row.name));
    let entry = &CATALOGUE.entries[index];
    assert_eq!(entry.compound.state, row.state, "{}", row.name);
    let Some(ours) = entry.thermo else {
        return Err(());
    };
    let mut differences = Vec::new();
    if let Some(theirs) = row.enthalpy {
        let tolerance = ENTHALPY_TOLERANCE_KJ.max(ENTHALPY_TOLERANCE_RELATIVE * theirs.abs());
        if (ours.enthalpy - theirs).abs() > tolerance {
            differences.push(format!("ΔH°f {} vs {theirs}", ours.enthalpy));
        }
    }
    if let Some(theirs) = row.entropy {
        if (ours.entropy - theirs).abs() > ENTROPY_TOLERANCE_J_PER_K {
            differences.push(format!("S° {} vs {theirs}", ours.entropy));
        }
    }
    Ok((!differences.is_empty()).then(|| differences.join(", ")))
}

#[test]
fn catalogue_agrees_with_the_crc_table_or_says_why_not() {
    let rows = fixture();
    let mut within = 0;
    let mut only_theirs = 0;
    let mut differing = BTreeSet::new();
    let mut unexplained = Vec::new();
    for row in &rows {
        match compare(row) {
            Comparison::Within => within += 1,
            Comparison::OnlyTheirs if row.entropy.is_none() => only_theirs += 1,
            Comparison::OnlyTheirs => unexplained.push(format!(
                "{} ({:?}): the CRC has S° for it ({}), we hold nothing",
                row.name, row.state, row.crc_name
            )),
            Comparison::Differs(what) => {
                differing.insert((row.name, row.state));
                if !KEPT_DIFFERENCES
                    .iter()
                    .any(|&(name, state, _)| (name, state) == (row.name, row.state))
                {
                    unexplained.push(format!("{} ({:?}): {what}", row.name, row.state));
                }
            }
        }
    }
    let stale: Vec<_> = KEPT_DIFFERENCES
        .iter()
        .filter(|&&(name, state, _)| !differing.contains(&(name, state)))
        .map(|(name, ..)| *name)
        .collect();
    println!(
        "{} species shared with the CRC table: {within} within tolerance, {} listed \
         differences, {only_theirs} where the CRC has ΔH°f alone and we hold no values",
        rows.len(),
        differing.len()
    );
    assert!(
        unexplained.is_empty(),
        "unexplained:\n{}",
        unexplained.join("\n")
    );
    assert!(
        stale.is_empty(),
        "listed but no longer different: {stale:?}"
    );
    assert!(rows.len() >= 250, "only {} shared species", rows.len());
}
