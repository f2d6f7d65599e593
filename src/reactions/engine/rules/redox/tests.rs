//! The half-reaction method against the matrix balancer, textbook half-equations, and the
//! tabulated potentials against the catalogue's own ΔG°f data.

use super::super::super::balance::{balance_refs, conserves, BalanceError};
use super::super::super::catalogue::{State, CATALOGUE};
use super::super::{thermo_of, Substance};
use super::couples::{Potential, COUPLES, FARADAY_KJ_PER_VOLT};
use super::half::{combine, reduction, Medium, Solvent, Terms};
use super::{row, KNOWN_COUPLES};

/// A couple whose formulas the catalogue lacks would silently never apply.
#[test]
fn every_couple_is_in_the_catalogue() {
    assert_eq!(KNOWN_COUPLES.len(), COUPLES.len());
}

const MEDIA: [Medium; 3] = [Medium::Acidic, Medium::Neutral, Medium::Basic];

fn text(terms: &Terms, electrons: i64) -> String {
    let side = |list: Vec<(usize, i64)>, e: i64| {
        let mut parts: Vec<String> = list
            .into_iter()
            .map(|(entry, n)| {
                let formula = CATALOGUE.entries[entry].compound.formula;
                if n > 1 {
                    format!("{n} {formula}")
                } else {
                    formula.to_string()
                }
            })
            .collect();
        if e > 0 {
            parts.push(format!("{e} e-"));
        }
        parts.join(" + ")
    };
    format!(
        "{} → {}",
        side(terms.left().collect(), electrons),
        side(terms.right().collect(), 0)
    )
}

fn half(oxidized: &str, reduced: &str, medium: Medium) -> String {
    let solvent = Solvent::of(&CATALOGUE).unwrap();
    let half = reduction(
        &CATALOGUE,
        solvent,
        row(oxidized).unwrap(),
        row(reduced).unwrap(),
        medium,
    )
    .unwrap_or_else(|| panic!("{oxidized}/{reduced}"));
    text(&half.terms, half.electrons)
}

#[test]
fn half_equations_match_the_textbook() {
    // OpenStax Chemistry 2e §17.1, "Balancing Oxidation-Reduction Reactions".
    assert_eq!(
        half("MnO4-", "Mn^2+", Medium::Acidic),
        "MnO4- + 8 H+ + 5 e- → Mn^2+ + 4 H2O"
    );
    assert_eq!(
        half("MnO4-", "MnO2", Medium::Basic),
        "MnO4- + 2 H2O + 3 e- → MnO2 + 4 OH-"
    );
    assert_eq!(
        half("Cr2O7^2-", "Cr^3+", Medium::Acidic),
        "Cr2O7^2- + 14 H+ + 6 e- → 2 Cr^3+ + 7 H2O"
    );
    assert_eq!(
        half("H2O2", "H2O", Medium::Acidic),
        "H2O2 + 2 H+ + 2 e- → 2 H2O"
    );
    assert_eq!(half("H2O2", "H2O", Medium::Basic), "H2O2 + 2 e- → 2 OH-");
    assert_eq!(
        half("NO3-", "NO", Medium::Acidic),
        "NO3- + 4 H+ + 3 e- → NO + 2 H2O"
    );
    assert_eq!(
        half("SO4^2-", "SO3^2-", Medium::Basic),
        "SO4^2- + H2O + 2 e- → SO3^2- + 2 OH-"
    );
    assert_eq!(
        half("IO3-", "I2", Medium::Acidic),
        "2 IO3- + 12 H+ + 10 e- → I2 + 6 H2O"
    );
    assert_eq!(
        half("CH3COOH", "C2H5OH", Medium::Acidic),
        "CH3COOH + 4 H+ + 4 e- → C2H5OH + H2O"
    );
    assert_eq!(
        half("S4O6^2-", "S2O3^2-", Medium::Acidic),
        "S4O6^2- + 2 e- → 2 S2O3^2-"
    );
}

/// Every oxidizer couple with every other couple, in every medium both allow: the
/// half-reaction method and the matrix balancer give the same coefficients.
#[test]
fn half_reactions_agree_with_the_matrix_balancer() {
    let solvent = Solvent::of(&CATALOGUE).unwrap();
    let mut checked = 0;
    let mut ambiguous = 0;
    for oxidizer in KNOWN_COUPLES.iter() {
        for reducer in KNOWN_COUPLES.iter() {
            if std::ptr::eq(oxidizer, reducer) {
                continue;
            }
            for medium in MEDIA {
                let (Some(down), Some(up)) = (
                    reduction(
                        &CATALOGUE,
                        solvent,
                        oxidizer.oxidized,
                        oxidizer.reduced,
                        medium,
                    ),
                    reduction(
                        &CATALOGUE,
                        solvent,
                        reducer.oxidized,
                        reducer.reduced,
                        medium,
                    ),
                ) else {
                    panic!("{:?}/{:?} do not balance", oxidizer.couple, reducer.couple);
                };
                let Some(overall) = combine(&down, &up) else {
                    continue;
                };
                let parsed = |list: Vec<(usize, i64)>| {
                    list.into_iter()
                        .map(|(e, _)| &CATALOGUE.entries[e].parsed)
                        .collect::<Vec<_>>()
                };
                let left: Vec<(usize, i64)> = overall.terms.left().collect();
                let right: Vec<(usize, i64)> = overall.terms.right().collect();
                let equation = text(&overall.terms, 0);
                let by_halves: Vec<u32> = left
                    .iter()
                    .chain(&right)
                    .map(|&(_, n)| u32::try_from(n).unwrap())
                    .collect();
                let (l, r) = (parsed(left.clone()), parsed(right.clone()));
                match balance_refs(&l, &r) {
                    Ok(matrix) => {
                        assert_eq!(matrix, by_halves, "{equation} ({medium:?})");
                        checked += 1;
                    }
                    // A second independent reaction hides among the species (H2O2 also
                    // decomposes): the halves' answer must still be one of the solutions.
                    Err(BalanceError::Ambiguous { .. }) => {
                        assert!(conserves(&l, &r, &by_halves), "{equation}");
                        ambiguous += 1;
                    }
                    Err(error) => panic!("{equation}: matrix balancer refuses: {error}"),
                }
            }
        }
    }
    println!("{checked} overall equations balanced both ways, {ambiguous} ambiguous to the matrix");
    assert!(checked > 1000, "only {checked}");
}

#[test]
fn tabulated_potentials_agree_with_formation_data() {
    let solvent = Solvent::of(&CATALOGUE).unwrap();
    let mut compared = 0;
    for known in KNOWN_COUPLES.iter() {
        let Potential::Tabulated { volts, in_acid } = known.couple.potential else {
            continue;
        };
        let medium = if in_acid {
            Medium::Acidic
        } else {
            Medium::Basic
        };
        let half = reduction(&CATALOGUE, solvent, known.oxidized, known.reduced, medium).unwrap();
        let gibbs = half.terms.0.iter().try_fold(0.0, |sum, &(entry, n)| {
            // Tables quote liquids that dissolve (H2O2, Br2) for their aqueous form.
            let row = &CATALOGUE.entries[entry];
            let dissolved = (row.compound.state == State::Liquid)
                .then(|| CATALOGUE.sibling_in_state(entry, State::Aqueous))
                .flatten();
            let substance = match dissolved {
                Some(entry) => Substance {
                    entry,
                    state: State::Aqueous,
                },
                None => Substance {
                    entry,
                    state: row.compound.state,
                },
            };
            thermo_of(&CATALOGUE, substance).map(|t| sum - n as f64 * t.gibbs)
        });
        let Some(gibbs) = gibbs else {
            continue;
        };
        let from_data = -gibbs / (half.electrons as f64 * FARADAY_KJ_PER_VOLT);
        assert!(
            (from_data - volts).abs() <= 0.06,
            "{}/{}: tabulated {volts} V, formation data give {from_data:.3} V",
            known.couple.oxidized,
            known.couple.reduced
        );
        compared += 1;
    }
    assert!(compared >= 15, "only {compared} couples compared");
}
