//! Elements as substances in their standard states (ΔH°f = ΔG°f = 0), plus a
//! few other phases (vapours, aqueous halogens, diamond, ozone) that reactions
//! produce. Columns of `t(ΔH°f, ΔG°f, S°, source)`: kJ/mol, kJ/mol, J/(mol·K).

use super::Solubility::{Insoluble, ReactsWithWater, SlightlySoluble, Soluble};
use super::Source::{Nbs, OpenStax as Os};
use super::{c, t, Compound};

// 3.142 kJ/mol below is the tabulated ΔG°f of Br2(g), not an approximation of π.
#[allow(clippy::approx_constant)]
#[rustfmt::skip]
pub(super) static ELEMENTAL: &[Compound] = &[
    // Alkali and alkaline-earth metals
    c!("Li", "lithium", ["lithium metal"], Metal, Solid, "silvery-white", ReactsWithWater, t(0.0, 0.0, 29.1, Os)),
    c!("Na", "sodium", ["sodium metal"], Metal, Solid, "silvery-white", ReactsWithWater, t(0.0, 0.0, 51.3, Os)),
    c!("K", "potassium", ["potassium metal"], Metal, Solid, "silvery-white", ReactsWithWater, t(0.0, 0.0, 64.7, Os)),
    c!("Rb", "rubidium", [], Metal, Solid, "silvery-white", ReactsWithWater, t(0.0, 0.0, 76.78, Nbs)),
    c!("Cs", "caesium", ["cesium"], Metal, Solid, "silvery-gold", ReactsWithWater, t(0.0, 0.0, 85.23, Nbs)),
    c!("Be", "beryllium", [], Metal, Solid, "steel-grey", Insoluble, t(0.0, 0.0, 9.50, Os)),
    c!("Mg", "magnesium", ["magnesium ribbon", "magnesium powder"], Metal, Solid, "silvery-grey", Insoluble, t(0.0, 0.0, 32.68, Nbs)),
    c!("Ca", "calcium", ["calcium metal"], Metal, Solid, "silvery-grey", ReactsWithWater, t(0.0, 0.0, 41.6, Os)),
    c!("Sr", "strontium", [], Metal, Solid, "silvery-white", ReactsWithWater, t(0.0, 0.0, 52.3, Nbs)),
    c!("Ba", "barium", ["barium metal"], Metal, Solid, "silvery-grey", ReactsWithWater, t(0.0, 0.0, 62.5, Os)),
    // Other metals
    c!("Al", "aluminium", ["aluminum", "aluminium foil", "aluminum foil", "aluminium powder"], Metal, Solid, "silvery-white", Insoluble, t(0.0, 0.0, 28.3, Os)),
    c!("Zn", "zinc", ["zinc granules", "zinc powder"], Metal, Solid, "bluish-grey", Insoluble, t(0.0, 0.0, 41.6, Os)),
    c!("Fe", "iron", ["iron filings", "steel wool", "iron nail"], Metal, Solid, "grey", Insoluble, t(0.0, 0.0, 27.3, Os)),
    c!("Cu", "copper", ["copper wire", "copper turnings"], Metal, Solid, "reddish-brown", Insoluble, t(0.0, 0.0, 33.15, Os)),
    c!("Ag", "silver", ["silver metal"], Metal, Solid, "silvery-white", Insoluble, t(0.0, 0.0, 42.55, Os)),
    c!("Au", "gold", [], Metal, Solid, "yellow", Insoluble, t(0.0, 0.0, 47.40, Nbs)),
    c!("Pt", "platinum", [], Metal, Solid, "silvery-white", Insoluble, t(0.0, 0.0, 41.63, Nbs)),
    c!("Pb", "lead", ["lead metal"], Metal, Solid, "bluish-grey", Insoluble, t(0.0, 0.0, 64.81, Os)),
    c!("Sn", "tin", ["white tin"], Metal, Solid, "silvery-white", Insoluble, t(0.0, 0.0, 51.2, Os)),
    c!("Ni", "nickel", [], Metal, Solid, "silvery-grey", Insoluble, t(0.0, 0.0, 29.87, Nbs)),
    c!("Hg", "mercury", ["quicksilver"], Metal, Liquid, "silvery", Insoluble, t(0.0, 0.0, 75.9, Os)),
    c!("Hg", "mercury vapour", ["mercury vapor"], Metal, Gas, "colorless", Insoluble, t(61.4, 31.8, 175.0, Os)),
    c!("Cr", "chromium", [], Metal, Solid, "silvery", Insoluble, t(0.0, 0.0, 23.77, Os)),
    c!("Mn", "manganese", [], Metal, Solid, "silvery-grey", Insoluble, t(0.0, 0.0, 32.0, Os)),
    c!("Co", "cobalt", [], Metal, Solid, "bluish-grey", Insoluble, t(0.0, 0.0, 30.0, Os)),
    c!("Ti", "titanium", [], Metal, Solid, "silvery-grey", Insoluble, t(0.0, 0.0, 30.7, Os)),
    c!("W", "tungsten", ["wolfram"], Metal, Solid, "grey", Insoluble, t(0.0, 0.0, 32.6, Os)),
    c!("Cd", "cadmium", [], Metal, Solid, "silvery-blue", Insoluble, t(0.0, 0.0, 51.76, Os)),
    c!("Bi", "bismuth", [], Metal, Solid, "silvery-pink", Insoluble, t(0.0, 0.0, 56.74, Os)),
    c!("U", "uranium", [], Metal, Solid, "silvery-grey", Insoluble, t(0.0, 0.0, 50.21, Nbs)),
    // Metalloids
    c!("Si", "silicon", [], Metalloid, Solid, "grey", Insoluble, t(0.0, 0.0, 18.8, Os)),
    c!("B", "boron", [], Metalloid, Solid, "black-brown", Insoluble, t(0.0, 0.0, 5.86, Os)),
    c!("As", "arsenic", ["grey arsenic"], Metalloid, Solid, "grey", Insoluble, t(0.0, 0.0, 35.1, Os)),
    c!("Sb", "antimony", [], Metalloid, Solid, "silvery", Insoluble, t(0.0, 0.0, 45.69, Os)),
    // Non-metals
    c!("H2", "hydrogen", ["hydrogen gas", "dihydrogen"], Nonmetal, Gas, "colorless", Insoluble, t(0.0, 0.0, 130.7, Os)),
    c!("O2", "oxygen", ["oxygen gas", "dioxygen"], Nonmetal, Gas, "colorless", SlightlySoluble, t(0.0, 0.0, 205.2, Os)),
    c!("O3", "ozone", ["trioxygen"], Nonmetal, Gas, "pale blue", SlightlySoluble, t(142.7, 163.2, 238.9, Os)),
    c!("N2", "nitrogen", ["nitrogen gas", "dinitrogen"], Nonmetal, Gas, "colorless", Insoluble, t(0.0, 0.0, 191.6, Os)),
    c!("F2", "fluorine", ["fluorine gas"], Nonmetal, Gas, "pale yellow", ReactsWithWater, t(0.0, 0.0, 202.8, Os)),
    c!("Cl2", "chlorine", ["chlorine gas"], Nonmetal, Gas, "yellow-green", SlightlySoluble, t(0.0, 0.0, 223.1, Os)),
    c!("Cl2", "chlorine water", ["aqueous chlorine"], Nonmetal, Aqueous, "pale yellow-green", Soluble, t(-23.4, 6.94, 121.0, Nbs)),
    c!("Br2", "bromine", ["liquid bromine"], Nonmetal, Liquid, "red-brown", SlightlySoluble, t(0.0, 0.0, 152.23, Os)),
    c!("Br2", "bromine vapour", ["bromine vapor"], Nonmetal, Gas, "red-brown", SlightlySoluble, t(30.91, 3.142, 245.5, Os)),
    c!("Br2", "bromine water", ["aqueous bromine"], Nonmetal, Aqueous, "orange", Soluble, t(-2.59, 3.93, 130.5, Nbs)),
    c!("I2", "iodine", ["iodine crystals"], Nonmetal, Solid, "grey-black", SlightlySoluble, t(0.0, 0.0, 116.14, Os)),
    c!("I2", "iodine vapour", ["iodine vapor"], Nonmetal, Gas, "violet", SlightlySoluble, t(62.438, 19.3, 260.7, Os)),
    c!("I2", "aqueous iodine", ["iodine solution"], Nonmetal, Aqueous, "brown", Soluble, t(22.6, 16.40, 137.2, Nbs)),
    c!("C", "carbon", ["graphite", "charcoal", "coal", "soot"], Nonmetal, Solid, "black", Insoluble, t(0.0, 0.0, 5.740, Os)),
    c!("C", "diamond", [], Nonmetal, Solid, "colorless", Insoluble, t(1.89, 2.90, 2.38, Os)),
    c!("S", "sulfur", ["sulphur", "brimstone", "rhombic sulfur", "S8"], Nonmetal, Solid, "yellow", Insoluble, t(0.0, 0.0, 31.80, Nbs)),
    c!("P4", "white phosphorus", ["phosphorus", "yellow phosphorus", "P"], Nonmetal, Solid, "waxy white", Insoluble, t(0.0, 0.0, 164.4, Os)),
    c!("Se", "selenium", [], Nonmetal, Solid, "grey", Insoluble, t(0.0, 0.0, 42.44, Nbs)),
    // Noble gases
    c!("He", "helium", [], NobleGas, Gas, "colorless", Insoluble, t(0.0, 0.0, 126.15, Nbs)),
    c!("Ne", "neon", [], NobleGas, Gas, "colorless", Insoluble, t(0.0, 0.0, 146.33, Nbs)),
    c!("Ar", "argon", [], NobleGas, Gas, "colorless", Insoluble, t(0.0, 0.0, 154.84, Nbs)),
    c!("Kr", "krypton", [], NobleGas, Gas, "colorless", Insoluble, t(0.0, 0.0, 164.08, Nbs)),
    c!("Xe", "xenon", [], NobleGas, Gas, "colorless", Insoluble, t(0.0, 0.0, 169.68, Nbs)),
];
