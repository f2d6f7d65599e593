//! The catalogue's own tests: lookup, integrity (formulas parse, names unique, ionic
//! compounds split into ions, elements from the element table), and thermodynamic
//! consistency: every row with ΔH°f, S° and ΔG°f obeys ΔG°f = ΔH°f − T·ΔS°f within 1 kJ/mol,
//! ΔS°f taken from the element table's standard-state entropies (ions on the H⁺(aq) = 0
//! convention, see `formation.rs`).

use std::collections::BTreeMap;

use super::super::elements::element;
use super::super::*;
use super::formation::{gibbs_of_formation, STANDARD_TEMPERATURE_K};
use super::{all_compounds, CompoundClass, ThermoData, CATALOGUE};

/// The largest |ΔG°f − (ΔH°f − T·ΔS°f)| a row may show, kJ/mol: rounding in the tables
/// (ΔH°f and ΔG°f to 0.1 kJ/mol, S° to 0.1 J/(mol·K)) stays well inside it.
const CONSISTENCY_TOLERANCE_KJ: f64 = 1.0;

#[test]
fn lookup_resolves_names_synonyms_and_formulas() {
    let salt = lookup_chemical("table salt").unwrap();
    for query in [
        "sodium chloride",
        "NaCl",
        "  Sodium   Chloride ",
        "nacl",
        "NaCl(aq)",
    ] {
        assert!(
            std::ptr::eq(lookup_chemical(query).unwrap(), salt),
            "{query}"
        );
    }
    assert_eq!(lookup_chemical("H2O(g)").unwrap().name, "steam");
    assert_eq!(lookup_chemical("water").unwrap().state, State::Liquid);
    assert_eq!(lookup_chemical("C2H6O").unwrap().name, "ethanol");
    assert_eq!(lookup_chemical("CH3CH2OH").unwrap().name, "ethanol");
    assert_eq!(lookup_chemical("SO4^2-").unwrap().name, "sulfate ion");
    assert_eq!(lookup_chemical("Fe3+").unwrap().name, "iron(III) ion");
    assert_eq!(
        lookup_chemical("CuSO4*5H2O").unwrap().name,
        "copper(II) sulfate pentahydrate"
    );
    assert_eq!(
        lookup_chemical("Ca[OH]2").unwrap().name,
        "calcium hydroxide"
    );
    assert!((salt.molar_mass() - 58.44).abs() < 0.01);
    assert!((lookup_chemical("water").unwrap().molar_mass() - 18.015).abs() < 0.001);
    assert!(matches!(
        lookup_chemical("unobtainium"),
        Err(EngineError::UnknownChemical { .. })
    ));
    assert!(matches!(
        lookup_chemical("Qq(OH2"),
        Err(EngineError::InvalidFormula {
            error: FormulaError::UnknownElement { .. },
            ..
        })
    ));
    let search = search_chemicals("chloride");
    assert!(search.len() > 10);
    assert_eq!(search.first().map(|c| c.name), Some("chloride ion"));
    assert_eq!(search_chemicals("CHLORIDE"), search);
    assert!(search_chemicals("  ").is_empty());
}

#[test]
fn catalogue_is_complete_and_consistent() {
    assert_eq!(ELEMENTS.len(), 118);
    let compounds: Vec<_> = all_compounds().collect();
    assert_eq!(
        CATALOGUE.entries.len(),
        compounds.len(),
        "every formula parses"
    );
    let non_elemental = compounds
        .iter()
        .filter(|c| {
            !matches!(
                c.class,
                CompoundClass::Metal
                    | CompoundClass::Nonmetal
                    | CompoundClass::Metalloid
                    | CompoundClass::NobleGas
            )
        })
        .count();
    assert!(
        non_elemental >= 300,
        "only {non_elemental} compounds and ions"
    );
    let mut names = BTreeMap::new();
    for compound in &compounds {
        for name in std::iter::once(&compound.name).chain(compound.synonyms) {
            let key = name.to_lowercase();
            assert!(
                names.insert(key.clone(), compound.formula).is_none(),
                "duplicate name {key}"
            );
        }
    }
    for entry in &CATALOGUE.entries {
        let compound = entry.compound;
        let simple_ionic = matches!(compound.class, CompoundClass::Salt | CompoundClass::Acid)
            && !compound.formula.contains('·')
            && !["Hg2Cl2", "SnCl4", "Cu2(OH)2CO3"].contains(&compound.formula);
        assert!(
            !simple_ionic || entry.ions.is_some(),
            "{} should split into ions",
            compound.formula
        );
        if let ThermoData::Tabulated(t) = compound.thermo {
            assert!(
                t.entropy >= 0.0
                    || matches!(compound.class, CompoundClass::Cation | CompoundClass::Anion),
                "{}",
                compound.formula
            );
        }
    }
}

#[test]
fn every_row_with_all_three_values_obeys_its_own_gibbs_energy() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in &CATALOGUE.entries {
        let Some(thermo) = entry.thermo.filter(|thermo| !thermo.gibbs_computed) else {
            continue;
        };
        let Some(expected) = gibbs_of_formation(&entry.parsed, thermo.enthalpy, thermo.entropy)
        else {
            failures.push(format!(
                "{}: an element has no standard state",
                entry.compound.id()
            ));
            continue;
        };
        checked += 1;
        let off = thermo.gibbs - expected;
        if off.abs() > CONSISTENCY_TOLERANCE_KJ {
            failures.push(format!(
                "{} ({}): ΔG°f {} but ΔH°f − {STANDARD_TEMPERATURE_K}·ΔS°f = {expected:.2} ({off:+.2})",
                entry.compound.id(),
                thermo.source.code(),
                thermo.gibbs
            ));
        }
    }
    println!("{checked} rows with ΔH°f, S° and ΔG°f checked");
    assert!(checked >= 300, "only {checked} rows checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_row_with_data_names_its_source() {
    for entry in &CATALOGUE.entries {
        let compound = entry.compound;
        let has_data = !matches!(compound.thermo, ThermoData::Unavailable);
        assert_eq!(
            compound.thermo_source().is_some(),
            has_data,
            "{}: data without a source, or a source without data",
            compound.id()
        );
    }
    let water = lookup_chemical("water").unwrap();
    assert_eq!(water.thermo_source(), Some(Source::OpenStax));
    let brine = lookup_chemical("limewater").unwrap();
    assert_eq!(brine.thermo_source(), Some(Source::IonSum));
}

#[test]
fn elements_in_their_standard_state_take_their_entropy_from_the_element_table() {
    let mut seen = BTreeMap::new();
    for entry in &CATALOGUE.entries {
        if !matches!(entry.compound.thermo, ThermoData::StandardElement) {
            continue;
        }
        let thermo = entry.thermo.unwrap_or_else(|| {
            panic!(
                "{} is not its element's standard state",
                entry.compound.id()
            )
        });
        let (&symbol, _) = entry.parsed.elements.iter().next().unwrap();
        let standard = element(symbol)
            .and_then(|el| el.standard_state.as_ref())
            .unwrap();
        assert_eq!(thermo.entropy, standard.entropy, "{symbol}");
        assert_eq!((thermo.enthalpy, thermo.gibbs), (0.0, 0.0));
        assert!(
            seen.insert(symbol, entry.compound.name).is_none(),
            "{symbol} twice"
        );
    }
    // Every element any catalogue row contains has a standard state to form it from.
    for entry in &CATALOGUE.entries {
        for symbol in entry.parsed.elements.keys() {
            assert!(
                element(symbol).is_some_and(|el| el.standard_state.is_some()),
                "{symbol} in {} has no standard state",
                entry.compound.id()
            );
        }
    }
    let sulfur = lookup_chemical("sulfur")
        .unwrap()
        .standard_thermo()
        .unwrap();
    assert_eq!((sulfur.entropy, sulfur.source), (32.054, Source::Codata));
}

/// Melting and boiling points: every row names a catalogue formula and its source, the
/// points are ordered, and at 25 °C they give each formula the state of its first
/// catalogue row (so the state at another temperature comes from the same data).
#[test]
fn phase_points_are_sourced_and_agree_with_the_catalogue_at_room_temperature() {
    let mut with_points = 0;
    let mut failures = Vec::new();
    for points in super::data_phase::PHASE_POINTS {
        let parsed = parse_formula(points.formula).unwrap();
        let Some(index) = CATALOGUE.formula(&parsed.canonical) else {
            panic!("{}: no catalogue row", points.formula);
        };
        assert_eq!(points.source, Source::CrcPhysical, "{}", points.formula);
        if let (Some(mp), Some(bp)) = (points.melting, points.boiling) {
            assert!(mp < bp, "{}: mp {mp} ≥ bp {bp}", points.formula);
        }
        let entry = &CATALOGUE.entries[index];
        let at_25 = CATALOGUE.state_at(index, 25.0).unwrap();
        // Acids are listed first as their solutions; the pure substance is a later row.
        let agrees = if entry.compound.state == State::Aqueous {
            CATALOGUE.sibling_in_state(index, at_25).is_some()
        } else {
            at_25 == entry.compound.state
        };
        if !agrees {
            failures.push(format!(
                "{}: the points give {at_25:?} at 25 °C, the catalogue says {:?}",
                points.formula, entry.compound.state
            ));
        }
        with_points += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        with_points >= 140,
        "only {with_points} formulas have phase points"
    );
    // Every molecular substance that has rows in two states has its points tabulated.
    for entry in &CATALOGUE.entries {
        let first = CATALOGUE.formula(&entry.parsed.canonical).unwrap();
        let other_state = entry.compound.state != CATALOGUE.entries[first].compound.state
            && entry.compound.state != State::Aqueous
            && CATALOGUE.entries[first].compound.state != State::Aqueous;
        assert!(
            !other_state || entry.phase.is_some(),
            "{} has rows in two states but no melting/boiling points",
            entry.compound.id()
        );
    }
    let zinc = CATALOGUE.formula("Zn").unwrap();
    assert_eq!(CATALOGUE.state_at(zinc, 800.0), Some(State::Liquid));
    let water = CATALOGUE.formula("H2O").unwrap();
    assert_eq!(CATALOGUE.state_at(water, 800.0), Some(State::Gas));
}
