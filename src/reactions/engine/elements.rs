//! The periodic table: all 118 elements with symbol, name, block category, standard atomic
//! weight and, for the elements the catalogue uses, the standard state (reference substance,
//! phase and S° at 298.15 K). This is the one element table of the engine: molar masses,
//! the catalogue's elemental substances and every ΔS°f are computed from it.
//!
//! Atomic weights are the IUPAC CIAAW abridged standard atomic weights
//! (conventional values where IUPAC gives an interval, e.g. H 1.008, C 12.011).
//! Elements without a standard atomic weight (no stable isotope and no
//! characteristic terrestrial composition) carry the mass number of their
//! longest-lived known isotope instead, flagged by `standard_weight == false`.
//!
//! Standard-state entropies are CODATA key values (1989) where CODATA gives one; otherwise the
//! CRC Handbook's value, except strontium, whose NBS82 value is kept because every strontium
//! compound in the catalogue comes from NBS82 and was derived with it (CRC's 55.0 J/(mol·K)
//! would put SrSO4 1.2 kJ/mol off its own ΔH°f − TΔS°f).

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use super::model::State;
use super::sources::Source;

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
    /// The element's reference substance at 298.15 K and 1 bar; `None` for elements the
    /// catalogue never uses.
    pub standard_state: Option<StandardState>,
}

/// An element's reference substance: ΔH°f = ΔG°f = 0 by definition, S° as tabulated.
#[derive(Debug, PartialEq, Serialize)]
pub struct StandardState {
    /// As the catalogue writes it: `H2`, `P4` (white phosphorus), `C` (graphite), `S` (rhombic).
    pub formula: &'static str,
    /// Atoms in one formula unit of `formula`.
    pub atoms: u8,
    pub state: State,
    /// S° of one mole of `formula`, J/(mol·K).
    pub entropy: f64,
    pub source: Source,
}

impl Element {
    /// S° of the reference substance per mole of atoms, J/(mol·K).
    pub fn standard_entropy_per_atom(&self) -> Option<f64> {
        self.standard_state
            .as_ref()
            .map(|standard| standard.entropy / f64::from(standard.atoms))
    }

    const fn standard(
        mut self,
        formula: &'static str,
        atoms: u8,
        state: State,
        entropy: f64,
        source: Source,
    ) -> Element {
        self.standard_state = Some(StandardState {
            formula,
            atoms,
            state,
            entropy,
            source,
        });
        self
    }
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
        standard_state: None,
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
        standard_state: None,
    }
}

use Source::{Codata, Crc, Nbs};
use State::{Gas, Liquid, Solid};

#[rustfmt::skip]
pub static ELEMENTS: [Element; 118] = [
    e(1, "H", "hydrogen", Nm, 1.008).standard("H2", 2, Gas, 130.68, Codata),
    e(2, "He", "helium", Ng, 4.002602).standard("He", 1, Gas, 126.153, Codata),
    e(3, "Li", "lithium", Am, 6.94).standard("Li", 1, Solid, 29.12, Codata),
    e(4, "Be", "beryllium", Ae, 9.0121831).standard("Be", 1, Solid, 9.5, Codata),
    e(5, "B", "boron", Mtd, 10.81).standard("B", 1, Solid, 5.9, Codata),
    e(6, "C", "carbon", Nm, 12.011).standard("C", 1, Solid, 5.74, Codata),
    e(7, "N", "nitrogen", Nm, 14.007).standard("N2", 2, Gas, 191.609, Codata),
    e(8, "O", "oxygen", Nm, 15.999).standard("O2", 2, Gas, 205.152, Codata),
    e(9, "F", "fluorine", Hal, 18.998403163).standard("F2", 2, Gas, 202.791, Codata),
    e(10, "Ne", "neon", Ng, 20.1797).standard("Ne", 1, Gas, 146.328, Codata),
    e(11, "Na", "sodium", Am, 22.98976928).standard("Na", 1, Solid, 51.3, Codata),
    e(12, "Mg", "magnesium", Ae, 24.305).standard("Mg", 1, Solid, 32.67, Codata),
    e(13, "Al", "aluminium", Pt, 26.9815385).standard("Al", 1, Solid, 28.3, Codata),
    e(14, "Si", "silicon", Mtd, 28.085).standard("Si", 1, Solid, 18.81, Codata),
    e(15, "P", "phosphorus", Nm, 30.973761998).standard("P4", 4, Solid, 164.36, Codata),
    e(16, "S", "sulfur", Nm, 32.06).standard("S", 1, Solid, 32.054, Codata),
    e(17, "Cl", "chlorine", Hal, 35.45).standard("Cl2", 2, Gas, 223.081, Codata),
    e(18, "Ar", "argon", Ng, 39.95).standard("Ar", 1, Gas, 154.846, Codata),
    e(19, "K", "potassium", Am, 39.0983).standard("K", 1, Solid, 64.68, Codata),
    e(20, "Ca", "calcium", Ae, 40.078).standard("Ca", 1, Solid, 41.59, Codata),
    e(21, "Sc", "scandium", Tm, 44.955908),
    e(22, "Ti", "titanium", Tm, 47.867).standard("Ti", 1, Solid, 30.72, Codata),
    e(23, "V", "vanadium", Tm, 50.9415).standard("V", 1, Solid, 28.9, Crc),
    e(24, "Cr", "chromium", Tm, 51.9961).standard("Cr", 1, Solid, 23.8, Crc),
    e(25, "Mn", "manganese", Tm, 54.938044).standard("Mn", 1, Solid, 32.0, Crc),
    e(26, "Fe", "iron", Tm, 55.845).standard("Fe", 1, Solid, 27.3, Crc),
    e(27, "Co", "cobalt", Tm, 58.933194).standard("Co", 1, Solid, 30.0, Crc),
    e(28, "Ni", "nickel", Tm, 58.6934).standard("Ni", 1, Solid, 29.9, Crc),
    e(29, "Cu", "copper", Tm, 63.546).standard("Cu", 1, Solid, 33.15, Codata),
    e(30, "Zn", "zinc", Tm, 65.38).standard("Zn", 1, Solid, 41.63, Codata),
    e(31, "Ga", "gallium", Pt, 69.723),
    e(32, "Ge", "germanium", Mtd, 72.630).standard("Ge", 1, Solid, 31.09, Codata),
    e(33, "As", "arsenic", Mtd, 74.921595).standard("As", 1, Solid, 35.1, Crc),
    e(34, "Se", "selenium", Nm, 78.971).standard("Se", 1, Solid, 42.4, Crc),
    e(35, "Br", "bromine", Hal, 79.904).standard("Br2", 2, Liquid, 152.21, Codata),
    e(36, "Kr", "krypton", Ng, 83.798).standard("Kr", 1, Gas, 164.085, Codata),
    e(37, "Rb", "rubidium", Am, 85.4678).standard("Rb", 1, Solid, 76.78, Codata),
    e(38, "Sr", "strontium", Ae, 87.62).standard("Sr", 1, Solid, 52.3, Nbs),
    e(39, "Y", "yttrium", Tm, 88.90584),
    e(40, "Zr", "zirconium", Tm, 91.224),
    e(41, "Nb", "niobium", Tm, 92.90637),
    e(42, "Mo", "molybdenum", Tm, 95.95),
    r(43, "Tc", "technetium", Tm, 98.0),
    e(44, "Ru", "ruthenium", Tm, 101.07),
    e(45, "Rh", "rhodium", Tm, 102.90550),
    e(46, "Pd", "palladium", Tm, 106.42),
    e(47, "Ag", "silver", Tm, 107.8682).standard("Ag", 1, Solid, 42.55, Codata),
    e(48, "Cd", "cadmium", Tm, 112.414).standard("Cd", 1, Solid, 51.8, Codata),
    e(49, "In", "indium", Pt, 114.818),
    e(50, "Sn", "tin", Pt, 118.710).standard("Sn", 1, Solid, 51.18, Codata),
    e(51, "Sb", "antimony", Mtd, 121.760).standard("Sb", 1, Solid, 45.7, Crc),
    e(52, "Te", "tellurium", Mtd, 127.60),
    e(53, "I", "iodine", Hal, 126.90447).standard("I2", 2, Solid, 116.14, Codata),
    e(54, "Xe", "xenon", Ng, 131.293).standard("Xe", 1, Gas, 169.685, Codata),
    e(55, "Cs", "caesium", Am, 132.90545196).standard("Cs", 1, Solid, 85.23, Codata),
    e(56, "Ba", "barium", Ae, 137.327).standard("Ba", 1, Solid, 62.5, Crc),
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
    e(74, "W", "tungsten", Tm, 183.84).standard("W", 1, Solid, 32.6, Crc),
    e(75, "Re", "rhenium", Tm, 186.207),
    e(76, "Os", "osmium", Tm, 190.23),
    e(77, "Ir", "iridium", Tm, 192.217),
    e(78, "Pt", "platinum", Tm, 195.084).standard("Pt", 1, Solid, 41.6, Crc),
    e(79, "Au", "gold", Tm, 196.966569).standard("Au", 1, Solid, 47.4, Crc),
    e(80, "Hg", "mercury", Tm, 200.592).standard("Hg", 1, Liquid, 75.9, Codata),
    e(81, "Tl", "thallium", Pt, 204.38),
    e(82, "Pb", "lead", Pt, 207.2).standard("Pb", 1, Solid, 64.8, Codata),
    e(83, "Bi", "bismuth", Pt, 208.98040).standard("Bi", 1, Solid, 56.7, Crc),
    r(84, "Po", "polonium", Pt, 209.0),
    r(85, "At", "astatine", Hal, 210.0),
    r(86, "Rn", "radon", Ng, 222.0),
    r(87, "Fr", "francium", Am, 223.0),
    r(88, "Ra", "radium", Ae, 226.0),
    r(89, "Ac", "actinium", An, 227.0),
    e(90, "Th", "thorium", An, 232.0377).standard("Th", 1, Solid, 51.8, Codata),
    e(91, "Pa", "protactinium", An, 231.03588),
    e(92, "U", "uranium", An, 238.02891).standard("U", 1, Solid, 50.2, Codata),
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

/// g/mol of a composition (symbol to count), from the atomic weights above.
pub(crate) fn molar_mass(composition: &BTreeMap<&'static str, i64>) -> f64 {
    composition
        .iter()
        .map(|(symbol, &count)| element(symbol).map_or(0.0, |el| el.atomic_weight) * count as f64)
        .sum()
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

    #[test]
    fn standard_states_are_the_elements_own_substances() {
        for el in &ELEMENTS {
            let Some(standard) = &el.standard_state else {
                continue;
            };
            let digits = standard.formula.trim_start_matches(el.symbol);
            let atoms = if digits.is_empty() {
                1
            } else {
                digits.parse().unwrap_or(0)
            };
            assert_eq!(atoms, standard.atoms, "{}", el.symbol);
            assert!(standard.entropy > 0.0, "{}", el.symbol);
        }
        assert_eq!(
            element("P").and_then(Element::standard_entropy_per_atom),
            Some(41.09)
        );
        assert_eq!(
            element("S").and_then(Element::standard_entropy_per_atom),
            Some(32.054)
        );
    }
}
