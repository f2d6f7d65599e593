//! Water, inorganic acids and bases, oxides and molecular inorganic
//! compounds. The first entry of a formula is the form a bare formula
//! resolves to (so `HCl` is hydrochloric acid, `HCl(g)` hydrogen chloride).
//! Columns of `t(ΔH°f, ΔG°f, S°, source)`: kJ/mol, kJ/mol, J/(mol·K).
//! Aqueous acids are the NBS "ai" (fully ionised) or "ao" (un-ionised) states.
//! `hs(ΔH°f, S°, source)` rows carry no usable tabulated ΔG°f; it is computed (see `mod.rs`).

use super::Solubility::{Insoluble, Miscible, ReactsWithWater, SlightlySoluble, Soluble};
use super::Source::{Crc, Nbs, OpenStax as Os};
use super::ThermoData::{SumOfIons, Unavailable};
use super::{c, g, hs, t, Compound};

#[rustfmt::skip]
pub(super) static WATER_AND_ACIDS: &[Compound] = &[
    c!("H2O", "water", ["dihydrogen monoxide", "distilled water", "liquid water"], Molecular, Liquid, "colorless", Miscible, t(-285.83, -237.1, 70.0, Os)),
    c!("H2O", "steam", ["water vapour", "water vapor"], Molecular, Gas, "colorless", Miscible, t(-241.82, -228.59, 188.8, Os)),
    c!("H2O2", "hydrogen peroxide", ["peroxide"], Peroxide, Liquid, "colorless", Miscible, t(-187.78, -120.35, 109.6, Os)),
    c!("H2O2", "hydrogen peroxide solution", ["aqueous hydrogen peroxide"], Peroxide, Aqueous, "colorless", Miscible, t(-191.17, -134.03, 143.9, Nbs)),
    c!("HCl", "hydrochloric acid", ["muriatic acid", "spirits of salt"], Acid, Aqueous, "colorless", Miscible, t(-167.159, -131.228, 56.5, Nbs)),
    c!("HCl", "hydrogen chloride", ["hydrogen chloride gas"], Acid, Gas, "colorless", Soluble, t(-92.307, -95.299, 186.9, Os)),
    c!("HBr", "hydrobromic acid", [], Acid, Aqueous, "colorless", Miscible, t(-121.55, -103.96, 82.4, Nbs)),
    c!("HBr", "hydrogen bromide", [], Acid, Gas, "colorless", Soluble, t(-36.3, -53.43, 198.7, Os)),
    c!("HI", "hydroiodic acid", ["hydriodic acid"], Acid, Aqueous, "colorless", Miscible, t(-55.19, -51.57, 111.3, Nbs)),
    c!("HI", "hydrogen iodide", [], Acid, Gas, "colorless", Soluble, t(26.48, 1.70, 206.59, Os)),
    c!("HF", "hydrofluoric acid", [], Acid, Aqueous, "colorless", Miscible, t(-320.08, -296.82, 88.7, Nbs)),
    c!("HF", "hydrogen fluoride", [], Acid, Gas, "colorless", Miscible, t(-273.3, -275.4, 173.8, Os)),
    c!("HNO3", "nitric acid", ["dilute nitric acid", "aqua fortis"], Acid, Aqueous, "colorless", Miscible, t(-207.36, -111.25, 146.4, Nbs)),
    c!("HNO3", "concentrated nitric acid", ["fuming nitric acid"], Acid, Liquid, "colorless", Miscible, t(-174.1, -80.7, 155.6, Os)),
    c!("H2SO4", "sulfuric acid", ["sulphuric acid", "dilute sulfuric acid", "battery acid"], Acid, Aqueous, "colorless", Miscible, t(-909.27, -744.53, 20.1, Nbs)),
    c!("H2SO4", "concentrated sulfuric acid", ["oil of vitriol", "concentrated sulphuric acid"], Acid, Liquid, "colorless", Miscible, t(-813.989, -690.00, 156.90, Os)),
    c!("H3PO4", "phosphoric acid", ["orthophosphoric acid"], Acid, Aqueous, "colorless", Miscible, t(-1288.34, -1142.54, 158.2, Nbs)),
    c!("H3PO4", "solid phosphoric acid", [], Acid, Solid, "colorless", Soluble, t(-1279.0, -1119.1, 110.50, Os)),
    c!("H2CO3", "carbonic acid", [], Acid, Aqueous, "colorless", Soluble, t(-699.65, -623.08, 187.4, Nbs)),
    c!("H2SO3", "sulfurous acid", ["sulphurous acid"], Acid, Aqueous, "colorless", Soluble, t(-608.81, -537.81, 232.2, Nbs)),
    c!("H2S", "hydrogen sulfide", ["hydrogen sulphide", "rotten egg gas"], Acid, Gas, "colorless", SlightlySoluble, t(-20.6, -33.4, 205.8, Os)),
    c!("HCN", "hydrogen cyanide", ["prussic acid"], Acid, Gas, "colorless", Miscible, t(135.5, 124.7, 201.8, Os)),
];

#[rustfmt::skip]
pub(super) static BASES: &[Compound] = &[
    c!("NaOH", "sodium hydroxide", ["caustic soda", "lye"], Base, Solid, "white", g(111.0), t(-425.609, -379.494, 64.455, Nbs)),
    c!("KOH", "potassium hydroxide", ["caustic potash"], Base, Solid, "white", g(121.0), t(-424.6, -379.4, 81.2, Crc)),
    c!("LiOH", "lithium hydroxide", [], Base, Solid, "white", Soluble, t(-484.93, -438.95, 42.80, Nbs)),
    c!("Ca(OH)2", "calcium hydroxide", ["slaked lime", "hydrated lime"], Base, Solid, "white", g(0.173), t(-986.09, -898.49, 83.39, Nbs)),
    c!("Ca(OH)2", "limewater", ["lime water", "calcium hydroxide solution"], Base, Aqueous, "colorless", Soluble, SumOfIons),
    c!("Ba(OH)2", "barium hydroxide", ["baryta water", "barium hydroxide solution"], Base, Aqueous, "colorless", Soluble, SumOfIons),
    c!("Mg(OH)2", "magnesium hydroxide", ["milk of magnesia", "brucite"], Base, Solid, "white", Insoluble, t(-924.54, -833.51, 63.18, Nbs)),
    c!("NH3", "ammonia", ["ammonia gas"], Base, Gas, "colorless", Soluble, t(-45.9, -16.5, 192.8, Os)),
    c!("NH3", "aqueous ammonia", ["ammonia solution"], Base, Aqueous, "colorless", Soluble, t(-80.29, -26.50, 111.3, Nbs)),
    c!("NH4OH", "ammonium hydroxide", ["household ammonia", "ammonia water"], Base, Aqueous, "colorless", Miscible, t(-366.121, -263.65, 181.2, Nbs)),
    c!("Al(OH)3", "aluminium hydroxide", ["aluminum hydroxide"], Base, Solid, "white", Insoluble, Unavailable),
    c!("Fe(OH)3", "iron(III) hydroxide", ["ferric hydroxide"], Base, Solid, "red-brown", Insoluble, t(-823.0, -696.5, 106.7, Os)),
    c!("Fe(OH)2", "iron(II) hydroxide", ["ferrous hydroxide"], Base, Solid, "dirty green", Insoluble, t(-569.0, -486.5, 88.0, Os)),
    c!("Cu(OH)2", "copper(II) hydroxide", ["cupric hydroxide"], Base, Solid, "pale blue", Insoluble, Unavailable),
    c!("Zn(OH)2", "zinc hydroxide", [], Base, Solid, "white", Insoluble, t(-641.91, -553.52, 81.2, Nbs)),
    c!("Pb(OH)2", "lead(II) hydroxide", [], Base, Solid, "white", Insoluble, Unavailable),
    c!("Ni(OH)2", "nickel(II) hydroxide", [], Base, Solid, "green", Insoluble, t(-529.7, -447.2, 88.0, Nbs)),
    c!("Mn(OH)2", "manganese(II) hydroxide", [], Base, Solid, "pale pink", Insoluble, t(-695.4, -615.0, 99.2, Nbs)),
    c!("Co(OH)2", "cobalt(II) hydroxide", [], Base, Solid, "pink", Insoluble, t(-539.7, -454.3, 79.0, Nbs)),
];

#[rustfmt::skip]
pub(super) static OXIDES: &[Compound] = &[
    c!("Li2O", "lithium oxide", [], Oxide, Solid, "white", ReactsWithWater, t(-597.94, -561.18, 37.57, Nbs)),
    c!("Na2O", "sodium oxide", [], Oxide, Solid, "white", ReactsWithWater, t(-414.2, -375.5, 75.1, Os)),
    c!("Na2O2", "sodium peroxide", [], Peroxide, Solid, "pale yellow", ReactsWithWater, t(-510.87, -447.7, 95.0, Nbs)),
    // The source's own ΔG°f (−322.1) is 1.7 kJ/mol off its ΔH°f − TΔS°f: ΔG°f is computed.
    c!("K2O", "potassium oxide", [], Oxide, Solid, "pale yellow", ReactsWithWater, hs(-361.5, 94.14, Nbs)),
    c!("MgO", "magnesium oxide", ["magnesia"], Oxide, Solid, "white", Insoluble, t(-601.70, -569.43, 26.94, Nbs)),
    c!("CaO", "calcium oxide", ["quicklime", "lime", "burnt lime"], Oxide, Solid, "white", ReactsWithWater, t(-634.9, -603.3, 38.1, Crc)),
    c!("SrO", "strontium oxide", [], Oxide, Solid, "white", ReactsWithWater, t(-592.0, -561.9, 54.4, Nbs)),
    c!("BaO", "barium oxide", [], Oxide, Solid, "white", ReactsWithWater, t(-548.0, -520.3, 72.1, Crc)),
    c!("Al2O3", "aluminium oxide", ["aluminum oxide", "alumina", "corundum"], Oxide, Solid, "white", Insoluble, t(-1675.7, -1582.3, 50.92, Nbs)),
    c!("ZnO", "zinc oxide", [], Oxide, Solid, "white", Insoluble, t(-348.28, -318.30, 43.64, Nbs)),
    // The source's own ΔG°f (−255.2) is 3.8 kJ/mol off its ΔH°f − TΔS°f: ΔG°f is computed.
    c!("FeO", "iron(II) oxide", ["ferrous oxide", "wustite"], Oxide, Solid, "black", Insoluble, hs(-272.0, 60.75, Os)),
    c!("Fe2O3", "iron(III) oxide", ["ferric oxide", "rust", "haematite", "hematite"], Oxide, Solid, "red-brown", Insoluble, t(-824.2, -742.2, 87.40, Os)),
    c!("Fe3O4", "iron(II,III) oxide", ["magnetite", "black iron oxide"], Oxide, Solid, "black", Insoluble, t(-1118.4, -1015.4, 146.4, Os)),
    c!("CuO", "copper(II) oxide", ["cupric oxide"], Oxide, Solid, "black", Insoluble, t(-157.3, -129.7, 42.63, Os)),
    c!("Cu2O", "copper(I) oxide", ["cuprous oxide"], Oxide, Solid, "red", Insoluble, t(-168.6, -146.0, 93.14, Os)),
    c!("Ag2O", "silver oxide", ["silver(I) oxide"], Oxide, Solid, "brown-black", Insoluble, t(-31.05, -11.20, 121.3, Os)),
    c!("HgO", "mercury(II) oxide", ["mercuric oxide"], Oxide, Solid, "red", Insoluble, t(-90.83, -58.5, 70.29, Os)),
    c!("PbO", "lead(II) oxide", ["litharge", "massicot"], Oxide, Solid, "yellow", Insoluble, t(-217.32, -187.89, 68.70, Os)),
    c!("PbO2", "lead(IV) oxide", ["lead dioxide"], Oxide, Solid, "dark brown", Insoluble, t(-277.4, -217.3, 68.6, Os)),
    c!("SnO", "tin(II) oxide", ["stannous oxide"], Oxide, Solid, "black", Insoluble, t(-280.7, -251.9, 57.2, Crc)),
    c!("SnO2", "tin(IV) oxide", ["stannic oxide", "cassiterite"], Oxide, Solid, "white", Insoluble, t(-577.6, -515.8, 49.0, Os)),
    c!("MnO2", "manganese(IV) oxide", ["manganese dioxide", "pyrolusite"], Oxide, Solid, "black", Insoluble, t(-520.03, -465.1, 53.05, Os)),
    c!("MnO", "manganese(II) oxide", [], Oxide, Solid, "green", Insoluble, t(-385.2, -362.9, 59.71, Os)),
    c!("Mn3O4", "manganese(II,III) oxide", ["hausmannite"], Oxide, Solid, "brown-black", Insoluble, t(-1387.8, -1283.2, 155.6, Crc)),
    c!("NiO", "nickel(II) oxide", [], Oxide, Solid, "green", Insoluble, t(-239.7, -211.7, 37.99, Nbs)),
    c!("CoO", "cobalt(II) oxide", [], Oxide, Solid, "olive green", Insoluble, t(-237.9, -214.2, 52.97, Os)),
    // The source's own ΔG°f (−774.0) is 1.6 kJ/mol off its ΔH°f − TΔS°f: ΔG°f is computed.
    c!("Co3O4", "cobalt(II,III) oxide", [], Oxide, Solid, "black", Insoluble, hs(-891.0, 102.5, Crc)),
    c!("Cr2O3", "chromium(III) oxide", ["chromia"], Oxide, Solid, "green", Insoluble, t(-1139.7, -1058.1, 81.2, Os)),
    c!("TiO2", "titanium dioxide", ["titania", "rutile"], Oxide, Solid, "white", Insoluble, t(-944.0, -888.8, 50.6, Os)),
    c!("SiO2", "silicon dioxide", ["silica", "quartz", "sand"], Oxide, Solid, "white", Insoluble, t(-910.7, -856.3, 41.5, Os)),
    c!("CdO", "cadmium oxide", [], Oxide, Solid, "brown", Insoluble, t(-258.2, -228.4, 54.8, Os)),
    c!("BeO", "beryllium oxide", [], Oxide, Solid, "white", Insoluble, t(-609.4, -580.1, 13.8, Os)),
    c!("B2O3", "boron trioxide", ["boric oxide"], Oxide, Solid, "white", SlightlySoluble, t(-1273.5, -1194.3, 53.97, Os)),
    c!("Bi2O3", "bismuth(III) oxide", [], Oxide, Solid, "yellow", Insoluble, t(-573.88, -493.7, 151.5, Os)),
    c!("WO3", "tungsten(VI) oxide", ["tungsten trioxide"], Oxide, Solid, "yellow", Insoluble, t(-842.9, -764.0, 75.9, Os)),
    c!("V2O5", "vanadium(V) oxide", ["vanadium pentoxide"], Oxide, Solid, "orange", SlightlySoluble, t(-1550.6, -1419.5, 131.0, Nbs)),
    c!("P4O10", "phosphorus(V) oxide", ["phosphorus pentoxide", "tetraphosphorus decoxide"], Oxide, Solid, "white", ReactsWithWater, t(-2984.0, -2697.0, 228.86, Os)),
    c!("CO", "carbon monoxide", [], Oxide, Gas, "colorless", Insoluble, t(-110.52, -137.15, 197.7, Os)),
    c!("CO2", "carbon dioxide", ["carbonic anhydride"], Oxide, Gas, "colorless", SlightlySoluble, t(-393.51, -394.36, 213.8, Os)),
    c!("SO2", "sulfur dioxide", ["sulphur dioxide"], Oxide, Gas, "colorless", Soluble, t(-296.83, -300.1, 248.2, Os)),
    c!("SO3", "sulfur trioxide", ["sulphur trioxide"], Oxide, Gas, "colorless", ReactsWithWater, t(-395.72, -371.06, 256.76, Os)),
    c!("NO", "nitrogen monoxide", ["nitric oxide"], Oxide, Gas, "colorless", SlightlySoluble, t(91.3, 87.6, 210.8, Crc)),
    c!("NO2", "nitrogen dioxide", [], Oxide, Gas, "red-brown", ReactsWithWater, t(33.2, 51.30, 240.1, Os)),
    c!("N2O", "dinitrogen monoxide", ["nitrous oxide", "laughing gas"], Oxide, Gas, "colorless", SlightlySoluble, t(81.6, 103.7, 220.0, Os)),
    c!("N2O4", "dinitrogen tetroxide", [], Oxide, Gas, "colorless", ReactsWithWater, t(11.1, 99.8, 304.4, Os)),
    c!("N2O5", "dinitrogen pentoxide", [], Oxide, Gas, "colorless", ReactsWithWater, t(13.3, 117.1, 355.7, Crc)),
];

#[rustfmt::skip]
pub(super) static MOLECULAR: &[Compound] = &[
    c!("N2H4", "hydrazine", [], Molecular, Liquid, "colorless", Miscible, t(50.63, 149.43, 121.21, Os)),
    c!("PH3", "phosphine", [], Molecular, Gas, "colorless", SlightlySoluble, t(5.4, 13.5, 210.2, Os)),
    c!("SiH4", "silane", [], Molecular, Gas, "colorless", ReactsWithWater, t(34.3, 56.9, 204.6, Os)),
    c!("B2H6", "diborane", [], Molecular, Gas, "colorless", ReactsWithWater, t(36.4, 87.6, 232.1, Os)),
    c!("BF3", "boron trifluoride", [], Molecular, Gas, "colorless", ReactsWithWater, t(-1136.0, -1119.4, 254.4, Os)),
    c!("SF6", "sulfur hexafluoride", [], Molecular, Gas, "colorless", Insoluble, t(-1220.5, -1116.5, 291.5, Os)),
    c!("SiCl4", "silicon tetrachloride", [], Molecular, Liquid, "colorless", ReactsWithWater, t(-687.0, -619.8, 239.7, Os)),
    c!("TiCl4", "titanium tetrachloride", [], Molecular, Liquid, "colorless", ReactsWithWater, t(-804.2, -737.2, 252.4, Os)),
    c!("SiC", "silicon carbide", ["carborundum"], Carbide, Solid, "black", Insoluble, t(-62.8, -60.2, 16.5, Crc)),
    c!("CaC2", "calcium carbide", [], Carbide, Solid, "grey", ReactsWithWater, t(-59.8, -64.9, 69.96, Nbs)),
    c!("LiH", "lithium hydride", [], Hydride, Solid, "white", ReactsWithWater, t(-90.5, -68.3, 20.0, Os)),
    c!("NaH", "sodium hydride", [], Hydride, Solid, "white", ReactsWithWater, t(-56.275, -33.46, 40.016, Nbs)),
    c!("Li3N", "lithium nitride", [], Nitride, Solid, "red-brown", ReactsWithWater, t(-164.56, -128.6, 62.59, Nbs)),
    c!("CaH2", "calcium hydride", [], Hydride, Solid, "grey-white", ReactsWithWater, t(-181.5, -142.5, 41.4, Nbs)),
    c!("Al4C3", "aluminium carbide", ["aluminum carbide"], Carbide, Solid, "yellow", ReactsWithWater, t(-208.8, -196.2, 88.95, Nbs)),
    // No standard data in the tables used here: products and coefficients only.
    c!("Ca3P2", "calcium phosphide", ["photophor"], Phosphide, Solid, "red-brown", ReactsWithWater, Unavailable),
    c!("Mg3N2", "magnesium nitride", [], Nitride, Solid, "greenish-yellow", ReactsWithWater, t(-461.08, -400.86, 87.9, Nbs)),
];
