//! The periodic table: all 118 elements with symbol, name, block category and
//! standard atomic weight.
//!
//! Atomic weights are the IUPAC CIAAW abridged standard atomic weights
//! (conventional values where IUPAC gives an interval, e.g. H 1.008, C 12.011).
//! Elements without a standard atomic weight (no stable isotope and no
//! characteristic terrestrial composition) carry the mass number of their
//! longest-lived known isotope instead, flagged by `standard_weight == false`.

use serde::Serialize;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Broad chemical family, used by the reaction rules (metal vs non-metal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ElementCategory {
    AlkaliMetal,
    AlkalineEarthMetal,
    TransitionMetal,
    PostTransitionMetal,
    Lanthanide,
    Actinide,
    Metalloid,
    Nonmetal,
    Halogen,
    NobleGas,
}

impl ElementCategory {
    pub fn is_metal(self) -> bool {
        matches!(
            self,
            ElementCategory::AlkaliMetal
                | ElementCategory::AlkalineEarthMetal
                | ElementCategory::TransitionMetal
                | ElementCategory::PostTransitionMetal
                | ElementCategory::Lanthanide
                | ElementCategory::Actinide
        )
    }
}

#[derive(Debug, PartialEq, Serialize)]
pub struct Element {
    pub number: u8,
    pub symbol: &'static str,
    pub name: &'static str,
    pub category: ElementCategory,
    /// g/mol.
    pub atomic_weight: f64,
    /// False when `atomic_weight` is the mass number of the most stable isotope.
    pub standard_weight: bool,
}

use ElementCategory::{
    Actinide as An, AlkaliMetal as Am, AlkalineEarthMetal as Ae, Halogen as Hal, Lanthanide as Ln,
    Metalloid as Mtd, NobleGas as Ng, Nonmetal as Nm, PostTransitionMetal as Pt,
    TransitionMetal as Tm,
};

const fn e(
    number: u8,
    symbol: &'static str,
    name: &'static str,
    category: ElementCategory,
    atomic_weight: f64,
) -> Element {
    Element {
        number,
        symbol,
        name,
        category,
        atomic_weight,
        standard_weight: true,
    }
}

/// Radioactive element without a standard atomic weight.
const fn r(
    number: u8,
    symbol: &'static str,
    name: &'static str,
    category: ElementCategory,
    mass_number: f64,
) -> Element {
    Element {
        number,
        symbol,
        name,
        category,
        atomic_weight: mass_number,
        standard_weight: false,
    }
}

#[rustfmt::skip]
pub static ELEMENTS: [Element; 118] = [
    e(1, "H", "hydrogen", Nm, 1.008),
    e(2, "He", "helium", Ng, 4.002602),
    e(3, "Li", "lithium", Am, 6.94),
    e(4, "Be", "beryllium", Ae, 9.0121831),
    e(5, "B", "boron", Mtd, 10.81),
    e(6, "C", "carbon", Nm, 12.011),
    e(7, "N", "nitrogen", Nm, 14.007),
    e(8, "O", "oxygen", Nm, 15.999),
    e(9, "F", "fluorine", Hal, 18.998403163),
    e(10, "Ne", "neon", Ng, 20.1797),
    e(11, "Na", "sodium", Am, 22.98976928),
    e(12, "Mg", "magnesium", Ae, 24.305),
    e(13, "Al", "aluminium", Pt, 26.9815385),
    e(14, "Si", "silicon", Mtd, 28.085),
    e(15, "P", "phosphorus", Nm, 30.973761998),
    e(16, "S", "sulfur", Nm, 32.06),
    e(17, "Cl", "chlorine", Hal, 35.45),
    e(18, "Ar", "argon", Ng, 39.95),
    e(19, "K", "potassium", Am, 39.0983),
    e(20, "Ca", "calcium", Ae, 40.078),
    e(21, "Sc", "scandium", Tm, 44.955908),
    e(22, "Ti", "titanium", Tm, 47.867),
    e(23, "V", "vanadium", Tm, 50.9415),
    e(24, "Cr", "chromium", Tm, 51.9961),
    e(25, "Mn", "manganese", Tm, 54.938044),
    e(26, "Fe", "iron", Tm, 55.845),
    e(27, "Co", "cobalt", Tm, 58.933194),
    e(28, "Ni", "nickel", Tm, 58.6934),
    e(29, "Cu", "copper", Tm, 63.546),
    e(30, "Zn", "zinc", Tm, 65.38),
    e(31, "Ga", "gallium", Pt, 69.723),
    e(32, "Ge", "germanium", Mtd, 72.630),
    e(33, "As", "arsenic", Mtd, 74.921595),
    e(34, "Se", "selenium", Nm, 78.971),
    e(35, "Br", "bromine", Hal, 79.904),
    e(36, "Kr", "krypton", Ng, 83.798),
    e(37, "Rb", "rubidium", Am, 85.4678),
    e(38, "Sr", "strontium", Ae, 87.62),
    e(39, "Y", "yttrium", Tm, 88.90584),
    e(40, "Zr", "zirconium", Tm, 91.224),
    e(41, "Nb", "niobium", Tm, 92.90637),
    e(42, "Mo", "molybdenum", Tm, 95.95),
    r(43, "Tc", "technetium", Tm, 98.0),
    e(44, "Ru", "ruthenium", Tm, 101.07),
    e(45, "Rh", "rhodium", Tm, 102.90550),
    e(46, "Pd", "palladium", Tm, 106.42),
    e(47, "Ag", "silver", Tm, 107.8682),
    e(48, "Cd", "cadmium", Tm, 112.414),
    e(49, "In", "indium", Pt, 114.818),
    e(50, "Sn", "tin", Pt, 118.710),
    e(51, "Sb", "antimony", Mtd, 121.760),
    e(52, "Te", "tellurium", Mtd, 127.60),
    e(53, "I", "iodine", Hal, 126.90447),
    e(54, "Xe", "xenon", Ng, 131.293),
    e(55, "Cs", "caesium", Am, 132.90545196),
    e(56, "Ba", "barium", Ae, 137.327),
    e(57, "La", "lanthanum", Ln, 138.90547),
    e(58, "Ce", "cerium", Ln, 140.116),
    e(59, "Pr", "praseodymium", Ln, 140.90766),
    e(60, "Nd", "neodymium", Ln, 144.242),
    r(61, "Pm", "promethium", Ln, 145.0),
    e(62, "Sm", "samarium", Ln, 150.36),
    e(63, "Eu", "europium", Ln, 151.964),
    e(64, "Gd", "gadolinium", Ln, 157.25),
    e(65, "Tb", "terbium", Ln, 158.92535),
    e(66, "Dy", "dysprosium", Ln, 162.500),
    e(67, "Ho", "holmium", Ln, 164.93033),
    e(68, "Er", "erbium", Ln, 167.259),
    e(69, "Tm", "thulium", Ln, 168.93422),
    e(70, "Yb", "ytterbium", Ln, 173.045),
    e(71, "Lu", "lutetium", Ln, 174.9668),
    e(72, "Hf", "hafnium", Tm, 178.49),
    e(73, "Ta", "tantalum", Tm, 180.94788),
    e(74, "W", "tungsten", Tm, 183.84),
    e(75, "Re", "rhenium", Tm, 186.207),
    e(76, "Os", "osmium", Tm, 190.23),
    e(77, "Ir", "iridium", Tm, 192.217),
    e(78, "Pt", "platinum", Tm, 195.084),
    e(79, "Au", "gold", Tm, 196.966569),
    e(80, "Hg", "mercury", Tm, 200.592),
    e(81, "Tl", "thallium", Pt, 204.38),
    e(82, "Pb", "lead", Pt, 207.2),
    e(83, "Bi", "bismuth", Pt, 208.98040),
    r(84, "Po", "polonium", Pt, 209.0),
    r(85, "At", "astatine", Hal, 210.0),
    r(86, "Rn", "radon", Ng, 222.0),
    r(87, "Fr", "francium", Am, 223.0),
    r(88, "Ra", "radium", Ae, 226.0),
    r(89, "Ac", "actinium", An, 227.0),
    e(90, "Th", "thorium", An, 232.0377),
    e(91, "Pa", "protactinium", An, 231.03588),
    e(92, "U", "uranium", An, 238.02891),
    r(93, "Np", "neptunium", An, 237.0),
    r(94, "Pu", "plutonium", An, 244.0),
    r(95, "Am", "americium", An, 243.0),
    r(96, "Cm", "curium", An, 247.0),
    r(97, "Bk", "berkelium", An, 247.0),
    r(98, "Cf", "californium", An, 251.0),
    r(99, "Es", "einsteinium", An, 252.0),
    r(100, "Fm", "fermium", An, 257.0),
    r(101, "Md", "mendelevium", An, 258.0),
    r(102, "No", "nobelium", An, 259.0),
    r(103, "Lr", "lawrencium", An, 266.0),
    r(104, "Rf", "rutherfordium", Tm, 267.0),
    r(105, "Db", "dubnium", Tm, 268.0),
    r(106, "Sg", "seaborgium", Tm, 269.0),
    r(107, "Bh", "bohrium", Tm, 270.0),
    r(108, "Hs", "hassium", Tm, 269.0),
    r(109, "Mt", "meitnerium", Tm, 278.0),
    r(110, "Ds", "darmstadtium", Tm, 281.0),
    r(111, "Rg", "roentgenium", Tm, 282.0),
    r(112, "Cn", "copernicium", Tm, 285.0),
    r(113, "Nh", "nihonium", Pt, 286.0),
    r(114, "Fl", "flerovium", Pt, 289.0),
    r(115, "Mc", "moscovium", Pt, 290.0),
    r(116, "Lv", "livermorium", Pt, 293.0),
    r(117, "Ts", "tennessine", Hal, 294.0),
    r(118, "Og", "oganesson", Ng, 294.0),
];

static BY_SYMBOL: LazyLock<HashMap<&'static str, &'static Element>> =
    LazyLock::new(|| ELEMENTS.iter().map(|el| (el.symbol, el)).collect());

/// Case-sensitive symbol lookup ("Co" is cobalt, "CO" is not a symbol).
pub fn element(symbol: &str) -> Option<&'static Element> {
    BY_SYMBOL.get(symbol).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_and_ordered() {
        for (i, el) in ELEMENTS.iter().enumerate() {
            assert_eq!(usize::from(el.number), i + 1, "{}", el.symbol);
            assert!(el.atomic_weight > 0.0);
        }
        assert_eq!(BY_SYMBOL.len(), 118, "symbols must be unique");
        assert_eq!(element("Fe").map(|e| e.name), Some("iron"));
        assert!(element("Xx").is_none());
    }
}
