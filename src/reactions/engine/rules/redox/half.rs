//! Balancing by half-reactions, the textbook method: each couple's reduction half-equation
//! is balanced for its key element, then O with H₂O, H with H⁺, charge with electrons; in
//! neutral or basic solution every H⁺ is neutralised with OH⁻ added to both sides. Two
//! half-equations are scaled to the same number of electrons and added; species on both
//! sides cancel. Pure integer arithmetic on catalogue formulas; the matrix balancer is the
//! independent check (`tests.rs`).

use super::super::super::arithmetic::gcd;
use super::super::super::catalogue::Catalogue;
use super::super::super::formula::ParsedFormula;

/// Where the half-reaction happens: which of H⁺ or OH⁻ balances hydrogen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Medium {
    Acidic,
    Neutral,
    Basic,
}

impl Medium {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Medium::Acidic => "acidic",
            Medium::Neutral => "neutral",
            Medium::Basic => "basic",
        }
    }
}

/// Catalogue rows of the species the method adds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Solvent {
    pub water: usize,
    pub proton: usize,
    pub hydroxide: usize,
}

impl Solvent {
    pub(crate) fn of(cat: &Catalogue) -> Option<Solvent> {
        Some(Solvent {
            water: cat.formula("H2O")?,
            proton: cat.ion("H+")?,
            hydroxide: cat.ion("OH-")?,
        })
    }
}

/// Signed coefficients by catalogue row: positive on the left, negative on the right.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Terms(pub Vec<(usize, i64)>);

impl Terms {
    fn add(&mut self, entry: usize, coefficient: i64) {
        if coefficient == 0 {
            return;
        }
        match self.0.iter_mut().find(|(e, _)| *e == entry) {
            Some(term) => term.1 += coefficient,
            None => self.0.push((entry, coefficient)),
        }
        self.0.retain(|&(_, n)| n != 0);
    }

    fn scaled(&self, factor: i64) -> Terms {
        Terms(self.0.iter().map(|&(e, n)| (e, n * factor)).collect())
    }

    pub(crate) fn coefficient(&self, entry: usize) -> i64 {
        self.0
            .iter()
            .find(|(e, _)| *e == entry)
            .map_or(0, |&(_, n)| n)
    }

    pub(crate) fn left(&self) -> impl Iterator<Item = (usize, i64)> + '_ {
        self.0.iter().filter(|(_, n)| *n > 0).copied()
    }

    pub(crate) fn right(&self) -> impl Iterator<Item = (usize, i64)> + '_ {
        self.0.iter().filter(|(_, n)| *n < 0).map(|&(e, n)| (e, -n))
    }
}

/// A balanced reduction half-equation: `terms` + `electrons` e⁻ on the left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HalfEquation {
    pub terms: Terms,
    pub electrons: i64,
    /// H⁺ the acidic form of this half-equation needs on its left (the shift between its
    /// acidic and basic potentials is 0.0592 V × pKw × this / electrons).
    pub protons_in_acid: i64,
    /// The element whose oxidation state changes.
    pub key_element: &'static str,
}

fn count(parsed: &ParsedFormula, element: &str) -> i64 {
    parsed.elements.get(element).copied().unwrap_or(0)
}

/// The element balanced first: the first one other than O and H that both forms contain
/// (oxygen itself for H₂O₂ ⇌ H₂O).
fn key_element(oxidized: &ParsedFormula, reduced: &ParsedFormula) -> Option<&'static str> {
    oxidized
        .elements
        .keys()
        .copied()
        .find(|e| *e != "O" && *e != "H" && reduced.elements.contains_key(e))
        .or_else(|| {
            (oxidized.elements.contains_key("O") && reduced.elements.contains_key("O"))
                .then_some("O")
        })
}

/// Balances `oxidized + n e⁻ → reduced` in the given medium; `None` when the pair shares no
/// element or another element would not balance.
pub(crate) fn reduction(
    cat: &Catalogue,
    solvent: Solvent,
    oxidized: usize,
    reduced: usize,
    medium: Medium,
) -> Option<HalfEquation> {
    let ox = &cat.entries.get(oxidized)?.parsed;
    let red = &cat.entries.get(reduced)?.parsed;
    let key = key_element(ox, red)?;
    let divisor = Some(gcd(count(ox, key), count(red, key))).filter(|d| *d > 0)?;
    let a = count(red, key) / divisor;
    let b = count(ox, key) / divisor;
    let balanced_elsewhere = ox
        .elements
        .keys()
        .chain(red.elements.keys())
        .filter(|e| !matches!(**e, "O" | "H"))
        .all(|e| a * count(ox, e) == b * count(red, e));
    if !balanced_elsewhere {
        return None;
    }
    let water = b * count(red, "O") - a * count(ox, "O");
    let protons = -(a * count(ox, "H") - b * count(red, "H") + 2 * water);
    let electrons = a * i64::from(ox.charge) - b * i64::from(red.charge) + protons;
    let mut terms = Terms::default();
    terms.add(oxidized, a);
    terms.add(reduced, -b);
    if medium == Medium::Acidic {
        terms.add(solvent.water, water);
        terms.add(solvent.proton, protons);
    } else {
        // H⁺ + OH⁻ → H₂O on whichever side the protons stood.
        terms.add(solvent.water, water + protons);
        terms.add(solvent.hydroxide, -protons);
    }
    (electrons != 0).then_some(HalfEquation {
        terms,
        electrons,
        protons_in_acid: protons,
        key_element: key,
    })
}

/// The overall equation of a reduction and (the reverse of) another couple's reduction,
/// electrons cancelled and coefficients reduced; with the electrons it moves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Overall {
    pub terms: Terms,
    pub electrons: i64,
    /// Multipliers of the reduction and of the oxidation half-equation.
    pub factors: (i64, i64),
}

pub(crate) fn combine(reduction: &HalfEquation, oxidation: &HalfEquation) -> Option<Overall> {
    let (e_red, e_ox) = (reduction.electrons, oxidation.electrons);
    if e_red <= 0 || e_ox <= 0 {
        return None;
    }
    let common = gcd(e_red, e_ox);
    let (m, n) = (e_ox / common, e_red / common);
    let mut terms = reduction.terms.scaled(m);
    for &(entry, coefficient) in &oxidation.terms.scaled(-n).0 {
        terms.add(entry, coefficient);
    }
    let divisor = terms.0.iter().fold(0, |acc, &(_, c)| gcd(acc, c));
    let divisor = Some(divisor).filter(|d| *d > 0)?;
    let terms = Terms(terms.0.iter().map(|&(e, c)| (e, c / divisor)).collect());
    let has_both_sides = terms.left().next().is_some() && terms.right().next().is_some();
    has_both_sides.then_some(Overall {
        terms,
        electrons: m * e_red / divisor,
        factors: (m, n),
    })
}

/// Average oxidation state of `element` in a species, taking O as −2 and H as +1 (O in a
/// species of only O and H is solved for instead); `None` when a third element is present.
pub(crate) fn oxidation_state(parsed: &ParsedFormula, element: &str) -> Option<f64> {
    let n = count(parsed, element);
    if n == 0 {
        return None;
    }
    let mut rest = 0;
    for (&other, &k) in &parsed.elements {
        match other {
            e if e == element => {}
            "O" => rest += -2 * k,
            "H" => rest += k,
            _ => return None,
        }
    }
    Some((f64::from(parsed.charge) - rest as f64) / n as f64)
}

pub(crate) fn signed_state(value: f64) -> String {
    let text = if (value - value.round()).abs() < 1e-9 {
        format!("{}", value.round().abs())
    } else {
        format!("{:.1}", value.abs())
    };
    match value {
        v if v > 1e-9 => format!("+{text}"),
        v if v < -1e-9 => format!("−{text}"),
        _ => "0".to_string(),
    }
}
