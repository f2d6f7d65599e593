//! Descriptive chemistry the rules rely on: the metal activity series and how
//! each metal burns and meets water, the halogen series, acid strength,
//! solubility rules for ion pairs the catalogue lacks, thermal decomposition
//! conditions and flame colours (melting and boiling points are catalogue data). Textbook generalisations,
//! kept in tables so the rules stay short.

/// When a metal burns (or is oxidised) in oxygen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BurnCondition {
    /// Burns once ignited in air (Mg ribbon, alkali metals).
    InAir,
    /// Bulk metal burns only in pure O₂, or oxidises when strongly heated in air (steel wool).
    PureOxygenOrHot,
    /// Only an oxide layer forms when strongly heated in air (Cu turns black).
    HotOnly,
    /// Noble or thermally unstable oxide.
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum WaterReaction {
    /// Hydroxide + H₂ with cold water; `vigor` in 0..=1.
    Cold {
        vigor: f64,
    },
    /// Oxide + H₂ only with steam.
    Steam,
    None,
}

#[derive(Debug)]
pub(crate) struct MetalProfile {
    pub symbol: &'static str,
    /// Position in the activity series; hydrogen is `HYDROGEN_ACTIVITY`.
    pub activity: u8,
    /// Ion charge in displacement reactions and with non-oxidising acids.
    pub charge: i32,
    /// Charge with strong oxidisers (halogens, nitric acid).
    pub high_charge: i32,
    pub sulfide_charge: i32,
    /// Formula of the oxide formed on burning, if catalogued.
    pub oxide: Option<&'static str>,
    pub burns: BurnCondition,
    pub water: WaterReaction,
    pub flame: &'static str,
}

pub(crate) const HYDROGEN_ACTIVITY: u8 = 5;

use BurnCondition::{HotOnly, InAir, Never, PureOxygenOrHot};
use WaterReaction::{Cold, Steam};

const fn metal(
    symbol: &'static str,
    activity: u8,
    charges: (i32, i32, i32),
    oxide: Option<&'static str>,
    burns: BurnCondition,
    water: WaterReaction,
    flame: &'static str,
) -> MetalProfile {
    MetalProfile {
        symbol,
        activity,
        charge: charges.0,
        high_charge: charges.1,
        sulfide_charge: charges.2,
        oxide,
        burns,
        water,
        flame,
    }
}

/// Activity series: Li > Cs > Rb > K > Ba > Sr > Ca > Na > Mg > Al > Mn > Zn
/// > Cr > Fe > Cd > Co > Ni > Sn > Pb > (H) > Cu > Hg > Ag > Pt > Au.
#[rustfmt::skip]
pub(crate) static METALS: [MetalProfile; 24] = [
    metal("Li", 24, (1, 1, 1), Some("Li2O"), InAir, Cold { vigor: 0.4 }, "crimson"),
    metal("Cs", 23, (1, 1, 1), None, InAir, Cold { vigor: 1.0 }, "blue-violet"),
    metal("Rb", 22, (1, 1, 1), None, InAir, Cold { vigor: 1.0 }, "red-violet"),
    metal("K", 21, (1, 1, 1), Some("K2O"), InAir, Cold { vigor: 0.9 }, "lilac"),
    metal("Ba", 20, (2, 2, 2), Some("BaO"), InAir, Cold { vigor: 0.6 }, "apple green"),
    metal("Sr", 19, (2, 2, 2), Some("SrO"), InAir, Cold { vigor: 0.5 }, "crimson red"),
    metal("Ca", 18, (2, 2, 2), Some("CaO"), InAir, Cold { vigor: 0.45 }, "orange-red"),
    metal("Na", 17, (1, 1, 1), Some("Na2O"), InAir, Cold { vigor: 0.7 }, "yellow-orange"),
    metal("Mg", 16, (2, 2, 2), Some("MgO"), InAir, Steam, "brilliant white"),
    metal("Al", 15, (3, 3, 3), Some("Al2O3"), InAir, WaterReaction::None, "brilliant white"),
    metal("Mn", 14, (2, 2, 2), Some("Mn3O4"), PureOxygenOrHot, WaterReaction::None, "white sparks"),
    metal("Zn", 13, (2, 2, 2), Some("ZnO"), PureOxygenOrHot, Steam, "blue-green"),
    metal("Cr", 12, (3, 3, 3), Some("Cr2O3"), HotOnly, WaterReaction::None, "white sparks"),
    metal("Fe", 11, (2, 3, 2), Some("Fe3O4"), PureOxygenOrHot, Steam, "orange sparks"),
    metal("Cd", 10, (2, 2, 2), Some("CdO"), HotOnly, WaterReaction::None, "red"),
    metal("Co", 9, (2, 2, 2), Some("Co3O4"), HotOnly, WaterReaction::None, "white sparks"),
    metal("Ni", 8, (2, 2, 2), Some("NiO"), HotOnly, WaterReaction::None, "white sparks"),
    metal("Sn", 7, (2, 4, 2), Some("SnO2"), HotOnly, WaterReaction::None, "white"),
    metal("Pb", 6, (2, 2, 2), Some("PbO"), HotOnly, WaterReaction::None, "pale blue"),
    metal("Cu", 4, (2, 2, 1), Some("CuO"), HotOnly, WaterReaction::None, "blue-green"),
    metal("Hg", 3, (2, 2, 2), Some("HgO"), Never, WaterReaction::None, "none"),
    metal("Ag", 2, (1, 1, 1), None, Never, WaterReaction::None, "none"),
    metal("Pt", 1, (2, 4, 2), None, Never, WaterReaction::None, "none"),
    metal("Au", 0, (3, 3, 1), None, Never, WaterReaction::None, "none"),
];

pub(crate) fn metal_profile(symbol: &str) -> Option<&'static MetalProfile> {
    METALS.iter().find(|m| m.symbol == symbol)
}

/// Halogens from most to least reactive, with their halide ion.
pub(crate) const HALOGENS: [(&str, &str, &str); 4] = [
    ("F2", "F-", "fluorine"),
    ("Cl2", "Cl-", "chlorine"),
    ("Br2", "Br-", "bromine"),
    ("I2", "I-", "iodine"),
];

/// Rank 0 is the most reactive halogen.
pub(crate) fn halogen_rank(element_formula: &str) -> Option<usize> {
    HALOGENS
        .iter()
        .position(|(formula, ..)| *formula == element_formula)
}

pub(crate) fn halide_rank(ion_formula: &str) -> Option<usize> {
    HALOGENS.iter().position(|(_, ion, _)| *ion == ion_formula)
}

const STRONG_ACIDS: [&str; 6] = ["HCl", "HBr", "HI", "HNO3", "H2SO4", "HClO4"];

pub(crate) fn is_strong_acid(formula: &str) -> bool {
    STRONG_ACIDS.contains(&formula) || formula == "H+"
}

/// Acids whose anion does not oxidise metals, so metals above H give H₂.
const HYDROGEN_RELEASING_ACIDS: [&str; 8] = [
    "H+", "HCl", "HBr", "HI", "H2SO4", "H3PO4", "CH3COOH", "HCOOH",
];

pub(crate) fn releases_hydrogen_with_metals(formula: &str) -> bool {
    HYDROGEN_RELEASING_ACIDS.contains(&formula)
}

/// Acidic oxides and the anion they give with bases.
pub(crate) const ACIDIC_OXIDES: [(&str, &str); 5] = [
    ("CO2", "CO3^2-"),
    ("SO2", "SO3^2-"),
    ("SO3", "SO4^2-"),
    ("N2O5", "NO3-"),
    ("P4O10", "PO4^3-"),
];

pub(crate) fn acidic_oxide_anion(formula: &str) -> Option<&'static str> {
    ACIDIC_OXIDES
        .iter()
        .find(|(oxide, _)| *oxide == formula)
        .map(|(_, anion)| *anion)
}

/// Non-metal oxides and the acid they form with water.
pub(crate) const OXIDE_ACIDS: [(&str, &[&str]); 6] = [
    ("CO2", &["H2CO3"]),
    ("SO2", &["H2SO3"]),
    ("SO3", &["H2SO4"]),
    ("N2O5", &["HNO3"]),
    ("P4O10", &["H3PO4"]),
    ("NO2", &["HNO3", "NO"]),
];

/// Sulfides too insoluble to dissolve in non-oxidising acids.
const ACID_RESISTANT_SULFIDES: [&str; 5] = ["CuS", "Cu2S", "Ag2S", "HgS", "PbS"];

pub(crate) fn is_acid_resistant_sulfide(formula: &str) -> bool {
    ACID_RESISTANT_SULFIDES.contains(&formula)
}

/// Textbook solubility rules, for ion pairs with no catalogue entry.
/// Returns true when the pair precipitates.
pub(crate) fn precipitates_by_rule(cation: &str, anion: &str) -> bool {
    const ALWAYS_SOLUBLE_CATIONS: [&str; 7] = ["H+", "Li+", "Na+", "K+", "Rb+", "Cs+", "NH4+"];
    const ALWAYS_SOLUBLE_ANIONS: [&str; 5] = ["NO3-", "CH3COO-", "ClO3-", "ClO4-", "HCO3-"];
    if ALWAYS_SOLUBLE_CATIONS.contains(&cation) || ALWAYS_SOLUBLE_ANIONS.contains(&anion) {
        return false;
    }
    match anion {
        "Cl-" | "Br-" | "I-" => ["Ag+", "Pb^2+", "Cu+"].contains(&cation),
        "SO4^2-" => ["Ba^2+", "Sr^2+", "Pb^2+", "Ca^2+", "Ag+"].contains(&cation),
        "F-" => ["Ca^2+", "Mg^2+", "Ba^2+", "Sr^2+", "Pb^2+"].contains(&cation),
        "OH-" => !["Ba^2+", "Sr^2+"].contains(&cation),
        _ => true,
    }
}

pub(crate) struct Decomposition {
    pub reactant: &'static str,
    pub products: &'static [&'static str],
    /// Lowest temperature (°C) at which it proceeds without a catalyst.
    pub min_celsius: f64,
    /// Catalysts and the temperature (°C) they lower the reaction to.
    pub catalysts: &'static [(&'static str, f64)],
    pub note: &'static str,
}

const fn decomposition(
    reactant: &'static str,
    products: &'static [&'static str],
    min_celsius: f64,
    catalysts: &'static [(&'static str, f64)],
    note: &'static str,
) -> Decomposition {
    Decomposition {
        reactant,
        products,
        min_celsius,
        catalysts,
        note,
    }
}

#[rustfmt::skip]
pub(crate) static DECOMPOSITIONS: [Decomposition; 32] = [
    decomposition("CaCO3", &["CaO", "CO2"], 800.0, &[], "metal carbonates break down into the metal oxide and carbon dioxide (lime burning)"),
    decomposition("MgCO3", &["MgO", "CO2"], 350.0, &[], "metal carbonates break down into the metal oxide and carbon dioxide"),
    decomposition("ZnCO3", &["ZnO", "CO2"], 300.0, &[], "metal carbonates break down into the metal oxide and carbon dioxide; zinc oxide is yellow while hot and white when cold"),
    decomposition("PbCO3", &["PbO", "CO2"], 315.0, &[], "metal carbonates break down into the metal oxide and carbon dioxide"),
    decomposition("FeCO3", &["FeO", "CO2"], 500.0, &[], "metal carbonates break down into the metal oxide and carbon dioxide"),
    decomposition("MnCO3", &["MnO", "CO2"], 400.0, &[], "metal carbonates break down into the metal oxide and carbon dioxide"),
    decomposition("CuCO3", &["CuO", "CO2"], 290.0, &[], "green copper carbonate turns into black copper(II) oxide and carbon dioxide"),
    decomposition("Cu2(OH)2CO3", &["CuO", "H2O", "CO2"], 290.0, &[], "green basic copper carbonate turns into black copper(II) oxide, water and carbon dioxide"),
    decomposition("Ag2CO3", &["Ag", "CO2", "O2"], 300.0, &[], "silver carbonate breaks down to silver metal, carbon dioxide and oxygen"),
    decomposition("BaCO3", &["BaO", "CO2"], 1360.0, &[], "group 2 carbonates become more stable down the group"),
    decomposition("SrCO3", &["SrO", "CO2"], 1100.0, &[], "group 2 carbonates become more stable down the group"),
    decomposition("Li2CO3", &["Li2O", "CO2"], 1300.0, &[], "lithium carbonate is the only group 1 carbonate that decomposes, and only when very hot"),
    decomposition("NaHCO3", &["Na2CO3", "H2O", "CO2"], 100.0, &[], "hydrogen carbonates lose water and carbon dioxide on gentle heating (why baking soda raises cakes)"),
    decomposition("KHCO3", &["K2CO3", "H2O", "CO2"], 120.0, &[], "hydrogen carbonates lose water and carbon dioxide on heating"),
    decomposition("NH4HCO3", &["NH3", "H2O", "CO2"], 60.0, &[], "ammonium hydrogen carbonate falls apart into three gases on warming"),
    decomposition("H2CO3", &["H2O", "CO2"], -50.0, &[], "carbonic acid is unstable and releases carbon dioxide (the fizz in soda water)"),
    decomposition("KClO3", &["KCl", "O2"], 400.0, &[("MnO2", 150.0)], "potassium chlorate releases oxygen when heated; manganese(IV) oxide lowers the temperature needed"),
    decomposition("NaClO3", &["NaCl", "O2"], 300.0, &[("MnO2", 150.0)], "sodium chlorate releases oxygen when heated (oxygen candles)"),
    decomposition("KClO4", &["KCl", "O2"], 550.0, &[], "potassium perchlorate releases oxygen when strongly heated"),
    decomposition("H2O2", &["H2O", "O2"], 150.0, &[("MnO2", -50.0), ("KI", -50.0), ("FeCl3", -50.0), ("Pt", -50.0), ("Ag", -50.0)], "hydrogen peroxide breaks down into water and oxygen, a disproportionation: oxygen at −1 is reduced to −2 in water (H2O2 + 2 H+ + 2 e- → 2 H2O) and oxidised to 0 in O2 (H2O2 → O2 + 2 H+ + 2 e-), one electron moving per O atom"),
    decomposition("HgO", &["Hg", "O2"], 500.0, &[], "red mercury(II) oxide decomposes into mercury and oxygen (how Priestley discovered oxygen)"),
    decomposition("Ag2O", &["Ag", "O2"], 300.0, &[], "silver oxide decomposes into silver and oxygen"),
    decomposition("PbO2", &["PbO", "O2"], 290.0, &[], "lead(IV) oxide loses oxygen to form yellow lead(II) oxide"),
    decomposition("KNO3", &["KNO2", "O2"], 400.0, &[], "group 1 nitrates lose oxygen to form nitrites"),
    decomposition("NaNO3", &["NaNO2", "O2"], 380.0, &[], "group 1 nitrates lose oxygen to form nitrites"),
    decomposition("Cu(OH)2", &["CuO", "H2O"], 80.0, &[], "pale blue copper(II) hydroxide dehydrates to black copper(II) oxide"),
    decomposition("Fe(OH)3", &["Fe2O3", "H2O"], 200.0, &[], "iron(III) hydroxide dehydrates to iron(III) oxide"),
    decomposition("Ca(OH)2", &["CaO", "H2O"], 512.0, &[], "slaked lime loses water to form quicklime"),
    decomposition("Mg(OH)2", &["MgO", "H2O"], 350.0, &[], "magnesium hydroxide dehydrates to magnesium oxide"),
    decomposition("Zn(OH)2", &["ZnO", "H2O"], 125.0, &[], "zinc hydroxide dehydrates to zinc oxide"),
    decomposition("NH4Cl", &["NH3", "HCl"], 338.0, &[], "ammonium chloride splits into ammonia and hydrogen chloride, which recombine as white smoke on cooling"),
    decomposition("NH4NO3", &["N2O", "H2O"], 210.0, &[], "ammonium nitrate decomposes into dinitrogen monoxide and steam (hazardous when confined)"),
];

#[rustfmt::skip]
pub(crate) static DEHYDRATIONS: [Decomposition; 2] = [
    decomposition("CuSO4·5H2O", &["CuSO4", "H2O"], 150.0, &[], "blue copper(II) sulfate pentahydrate loses its water of crystallisation and turns white"),
    decomposition("CaSO4·2H2O", &["CaSO4", "H2O"], 150.0, &[], "gypsum loses its water of crystallisation"),
];

pub(crate) fn decomposition_of(formula: &str) -> Option<&'static Decomposition> {
    DECOMPOSITIONS
        .iter()
        .chain(DEHYDRATIONS.iter())
        .find(|d| d.reactant == formula)
}
