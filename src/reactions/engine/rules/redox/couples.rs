//! Redox couples the solution rules know, with their standard reduction potentials.
//!
//! Tabulated potentials are from the CRC Handbook's "Electrochemical Series" (95th ed.,
//! 2014), for the medium they are listed in; the other medium follows from Kw (E shifts by
//! 0.0592 V × pH × H⁺/e⁻ of the half-equation, see `potential`). Couples the table does not
//! list (alcohol/carbonyl) take E° from the catalogue's own ΔG°f data, E° = −ΔG°/(nF).
//! `tests.rs` holds every tabulated value to the catalogue's ΔG°f data where all its species
//! have them, so the two sources cannot drift apart unnoticed.

use super::half::Medium;

pub(crate) const FARADAY_KJ_PER_VOLT: f64 = 96.485;
/// 2.303 RT/F at 298.15 K, volts per pH unit.
pub(crate) const NERNST_SLOPE_V: f64 = 0.05916;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Potential {
    /// CRC Electrochemical Series value, volts, in the medium it is listed for.
    Tabulated { volts: f64, in_acid: bool },
    /// E° = −ΔG°/(nF) from the catalogue's ΔG°f data of the acidic half-equation.
    FromFormationData,
}

/// Where a couple acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Media {
    Any,
    AcidOnly,
    /// Neutral or basic: the couple's products would not survive acid (MnO₂, hypochlorite).
    NotAcid,
    AcidOrNeutral,
}

impl Media {
    pub(crate) fn allows(self, medium: Medium) -> bool {
        match self {
            Media::Any => true,
            Media::AcidOnly => medium == Medium::Acidic,
            Media::NotAcid => medium != Medium::Acidic,
            Media::AcidOrNeutral => medium != Medium::Basic,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Couple {
    /// Canonical formulas of the oxidized and the reduced form.
    pub oxidized: &'static str,
    pub reduced: &'static str,
    pub potential: Potential,
    pub media: Media,
    /// Only ever the reducer here: metal ions taking electrons from other species are the
    /// displacement rules' business.
    pub reducer_only: bool,
}

const fn couple(
    oxidized: &'static str,
    reduced: &'static str,
    volts: f64,
    in_acid: bool,
    media: Media,
) -> Couple {
    Couple {
        oxidized,
        reduced,
        potential: Potential::Tabulated { volts, in_acid },
        media,
        reducer_only: false,
    }
}

const fn metal(ion: &'static str, symbol: &'static str, volts: f64) -> Couple {
    Couple {
        oxidized: ion,
        reduced: symbol,
        potential: Potential::Tabulated {
            volts,
            in_acid: true,
        },
        media: Media::AcidOrNeutral,
        reducer_only: true,
    }
}

/// Alcohol/carbonyl couples: not in the CRC series, E° from the catalogue's ΔG°f.
const fn organic(oxidized: &'static str, reduced: &'static str) -> Couple {
    Couple {
        oxidized,
        reduced,
        potential: Potential::FromFormationData,
        media: Media::AcidOnly,
        reducer_only: true,
    }
}

const ACID: bool = true;
const BASE: bool = false;

#[rustfmt::skip]
pub(crate) static COUPLES: &[Couple] = &[
    couple("H2O2", "H2O", 1.776, ACID, Media::Any),
    couple("MnO4-", "Mn^2+", 1.507, ACID, Media::AcidOnly),
    couple("ClO3-", "Cl-", 1.451, ACID, Media::AcidOnly),
    couple("Cr2O7^2-", "Cr^3+", 1.36, ACID, Media::AcidOnly),
    couple("Cl2", "Cl-", 1.35827, ACID, Media::Any),
    couple("O2", "H2O", 1.229, ACID, Media::Any),
    couple("IO3-", "I2", 1.195, ACID, Media::AcidOnly),
    couple("Br2", "Br-", 1.0873, ACID, Media::Any),
    couple("NO3-", "NO", 0.957, ACID, Media::AcidOnly),
    // CRC lists 0.81 V (an old estimate); the NBS data give 0.89 V, which is used.
    Couple { oxidized: "ClO-", reduced: "Cl-", potential: Potential::FromFormationData, media: Media::Any, reducer_only: false },
    couple("Fe^3+", "Fe^2+", 0.771, ACID, Media::AcidOrNeutral),
    couple("O2", "H2O2", 0.695, ACID, Media::Any),
    couple("MnO4-", "MnO2", 0.595, BASE, Media::NotAcid),
    couple("I2", "I-", 0.5355, ACID, Media::Any),
    couple("S", "H2S", 0.142, ACID, Media::AcidOrNeutral),
    // Sulfate and tetrathionate are kinetically inert oxidizers: here only their reduced
    // forms (thiosulfate, sulfite) take part, as reducers.
    Couple { reducer_only: true, ..couple("S4O6^2-", "S2O3^2-", 0.08, ACID, Media::Any) },
    Couple { reducer_only: true, ..couple("SO4^2-", "SO3^2-", -0.93, BASE, Media::Any) },
    metal("Ag+", "Ag", 0.7996),
    metal("Cu^2+", "Cu", 0.3419),
    metal("Pb^2+", "Pb", -0.1262),
    metal("Sn^2+", "Sn", -0.1375),
    metal("Ni^2+", "Ni", -0.257),
    metal("Fe^2+", "Fe", -0.447),
    metal("Zn^2+", "Zn", -0.7618),
    metal("Al^3+", "Al", -1.662),
    metal("Mg^2+", "Mg", -2.372),
    organic("CH3COOH", "C2H5OH"),
    organic("HCOOH", "CH3OH"),
    organic("CH3COCH3", "(CH3)2CHOH"),
];

/// The pH a medium stands for when a potential is moved between media.
pub(crate) fn ph(medium: Medium) -> f64 {
    match medium {
        Medium::Acidic => 0.0,
        Medium::Neutral => 7.0,
        Medium::Basic => 14.0,
    }
}

/// Halogen/halide couples: one halogen with another's halide is the displacement rule's.
pub(crate) fn is_halogen_couple(couple: &Couple) -> bool {
    matches!(couple.oxidized, "F2" | "Cl2" | "Br2" | "I2")
        && matches!(couple.reduced, "F-" | "Cl-" | "Br-" | "I-")
}
