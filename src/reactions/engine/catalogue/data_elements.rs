//! Elements as substances in their standard states (`StandardElement`: ΔH°f = ΔG°f = 0 and
//! S° from the element table in `elements.rs`, so no entropy is written twice), plus a few
//! other phases (vapours, aqueous halogens, diamond, ozone) that reactions produce.
//! Columns of `t(ΔH°f, ΔG°f, S°, source)`: kJ/mol, kJ/mol, J/(mol·K).

use super::Solubility::{Insoluble, ReactsWithWater, SlightlySoluble, Soluble};
use super::Source::{Nbs, OpenStax as Os};
use super::ThermoData::StandardElement;
use super::{c, t, Compound};

// 3.142 kJ/mol below is the tabulated ΔG°f of Br2(g), not an approximation of π.
#[allow(clippy::approx_constant)]
#[rustfmt::skip]
pub(super) static ELEMENTAL: &[Compound] = &[
    // Alkali and alkaline-earth metals
    c!("Li", "lithium", ["lithium metal"], Metal, Solid, "silvery-white", ReactsWithWater, StandardElement),
    c!("Na", "sodium", ["sodium metal"], Metal, Solid, "silvery-white", ReactsWithWater, StandardElement),
    c!("K", "potassium", ["potassium metal"], Metal, Solid, "silvery-white", ReactsWithWater, StandardElement),
    c!("Rb", "rubidium", [], Metal, Solid, "silvery-white", ReactsWithWater, StandardElement),
    c!("Cs", "caesium", ["cesium"], Metal, Solid, "silvery-gold", ReactsWithWater, StandardElement),
    c!("Be", "beryllium", [], Metal, Solid, "steel-grey", Insoluble, StandardElement),
    c!("Mg", "magnesium", ["magnesium ribbon", "magnesium powder"], Metal, Solid, "silvery-grey", Insoluble, StandardElement),
    c!("Ca", "calcium", ["calcium metal"], Metal, Solid, "silvery-grey", ReactsWithWater, StandardElement),
    c!("Sr", "strontium", [], Metal, Solid, "silvery-white", ReactsWithWater, StandardElement),
    c!("Ba", "barium", ["barium metal"], Metal, Solid, "silvery-grey", ReactsWithWater, StandardElement),
    // Other metals
    c!("Al", "aluminium", ["aluminum", "aluminium foil", "aluminum foil", "aluminium powder"], Metal, Solid, "silvery-white", Insoluble, StandardElement),
    c!("Zn", "zinc", ["zinc granules", "zinc powder"], Metal, Solid, "bluish-grey", Insoluble, StandardElement),
    c!("Fe", "iron", ["iron filings", "steel wool", "iron nail"], Metal, Solid, "grey", Insoluble, StandardElement),
    c!("Cu", "copper", ["copper wire", "copper turnings"], Metal, Solid, "reddish-brown", Insoluble, StandardElement),
    c!("Ag", "silver", ["silver metal"], Metal, Solid, "silvery-white", Insoluble, StandardElement),
    c!("Au", "gold", [], Metal, Solid, "yellow", Insoluble, StandardElement),
    c!("Pt", "platinum", [], Metal, Solid, "silvery-white", Insoluble, StandardElement),
    c!("Pb", "lead", ["lead metal"], Metal, Solid, "bluish-grey", Insoluble, StandardElement),
    c!("Sn", "tin", ["white tin"], Metal, Solid, "silvery-white", Insoluble, StandardElement),
    c!("Ni", "nickel", [], Metal, Solid, "silvery-grey", Insoluble, StandardElement),
    c!("Hg", "mercury", ["quicksilver"], Metal, Liquid, "silvery", Insoluble, StandardElement),
    c!("Hg", "mercury vapour", ["mercury vapor"], Metal, Gas, "colorless", Insoluble, t(61.4, 31.8, 175.0, Os)),
    c!("Cr", "chromium", [], Metal, Solid, "silvery", Insoluble, StandardElement),
    c!("Mn", "manganese", [], Metal, Solid, "silvery-grey", Insoluble, StandardElement),
    c!("Co", "cobalt", [], Metal, Solid, "bluish-grey", Insoluble, StandardElement),
    c!("Ti", "titanium", [], Metal, Solid, "silvery-grey", Insoluble, StandardElement),
    c!("W", "tungsten", ["wolfram"], Metal, Solid, "grey", Insoluble, StandardElement),
    c!("Cd", "cadmium", [], Metal, Solid, "silvery-blue", Insoluble, StandardElement),
    c!("Bi", "bismuth", [], Metal, Solid, "silvery-pink", Insoluble, StandardElement),
    c!("U", "uranium", [], Metal, Solid, "silvery-grey", Insoluble, StandardElement),
    // Metalloids
    c!("Si", "silicon", [], Metalloid, Solid, "grey", Insoluble, StandardElement),
    c!("B", "boron", [], Metalloid, Solid, "black-brown", Insoluble, StandardElement),
    c!("As", "arsenic", ["grey arsenic"], Metalloid, Solid, "grey", Insoluble, StandardElement),
    c!("Sb", "antimony", [], Metalloid, Solid, "silvery", Insoluble, StandardElement),
    // Non-metals
    c!("H2", "hydrogen", ["hydrogen gas", "dihydrogen"], Nonmetal, Gas, "colorless", Insoluble, StandardElement),
    c!("O2", "oxygen", ["oxygen gas", "dioxygen"], Nonmetal, Gas, "colorless", SlightlySoluble, StandardElement),
    c!("O3", "ozone", ["trioxygen"], Nonmetal, Gas, "pale blue", SlightlySoluble, t(142.7, 163.2, 238.9, Os)),
    c!("N2", "nitrogen", ["nitrogen gas", "dinitrogen"], Nonmetal, Gas, "colorless", Insoluble, StandardElement),
    c!("F2", "fluorine", ["fluorine gas"], Nonmetal, Gas, "pale yellow", ReactsWithWater, StandardElement),
    c!("Cl2", "chlorine", ["chlorine gas"], Nonmetal, Gas, "yellow-green", SlightlySoluble, StandardElement),
    c!("Cl2", "chlorine water", ["aqueous chlorine"], Nonmetal, Aqueous, "pale yellow-green", Soluble, t(-23.4, 6.94, 121.0, Nbs)),
    c!("Br2", "bromine", ["liquid bromine"], Nonmetal, Liquid, "red-brown", SlightlySoluble, StandardElement),
    c!("Br2", "bromine vapour", ["bromine vapor"], Nonmetal, Gas, "red-brown", SlightlySoluble, t(30.91, 3.142, 245.5, Os)),
    c!("Br2", "bromine water", ["aqueous bromine"], Nonmetal, Aqueous, "orange", Soluble, t(-2.59, 3.93, 130.5, Nbs)),
    c!("I2", "iodine", ["iodine crystals"], Nonmetal, Solid, "grey-black", SlightlySoluble, StandardElement),
    c!("I2", "iodine vapour", ["iodine vapor"], Nonmetal, Gas, "violet", SlightlySoluble, t(62.438, 19.3, 260.7, Os)),
    c!("I2", "aqueous iodine", ["iodine solution"], Nonmetal, Aqueous, "brown", Soluble, t(22.6, 16.40, 137.2, Nbs)),
    c!("C", "carbon", ["graphite", "charcoal", "coal", "soot"], Nonmetal, Solid, "black", Insoluble, StandardElement),
    c!("C", "diamond", [], Nonmetal, Solid, "colorless", Insoluble, t(1.89, 2.90, 2.38, Os)),
    c!("S", "sulfur", ["sulphur", "brimstone", "rhombic sulfur", "S8"], Nonmetal, Solid, "yellow", Insoluble, StandardElement),
    c!("P4", "white phosphorus", ["phosphorus", "yellow phosphorus", "P"], Nonmetal, Solid, "waxy white", Insoluble, StandardElement),
    c!("Se", "selenium", [], Nonmetal, Solid, "grey", Insoluble, StandardElement),
    // Noble gases
    c!("He", "helium", [], NobleGas, Gas, "colorless", Insoluble, StandardElement),
    c!("Ne", "neon", [], NobleGas, Gas, "colorless", Insoluble, StandardElement),
    c!("Ar", "argon", [], NobleGas, Gas, "colorless", Insoluble, StandardElement),
    c!("Kr", "krypton", [], NobleGas, Gas, "colorless", Insoluble, StandardElement),
    c!("Xe", "xenon", [], NobleGas, Gas, "colorless", Insoluble, StandardElement),
];
