//! Aqueous ions at infinite dilution (convention ΔH°f = ΔG°f = S° = 0 for
//! H⁺(aq)). All values from the NBS tables so that ion sums are consistent.
//! Columns of `t(ΔH°f, ΔG°f, S°, source)`: kJ/mol, kJ/mol, J/(mol·K).

use super::Solubility::Soluble;
use super::Source::Nbs;
use super::ThermoData::Unavailable;
use super::{c, t, Compound};

#[rustfmt::skip]
pub(super) static IONS: &[Compound] = &[
    // Cations
    c!("H+", "hydrogen ion", ["proton", "hydrogen cation", "hydronium ion"], Cation, Aqueous, "colorless", Soluble, t(0.0, 0.0, 0.0, Nbs)),
    c!("Li+", "lithium ion", [], Cation, Aqueous, "colorless", Soluble, t(-278.49, -293.31, 13.4, Nbs)),
    c!("Na+", "sodium ion", [], Cation, Aqueous, "colorless", Soluble, t(-240.12, -261.905, 59.0, Nbs)),
    c!("K+", "potassium ion", [], Cation, Aqueous, "colorless", Soluble, t(-252.38, -283.27, 102.5, Nbs)),
    c!("Rb+", "rubidium ion", [], Cation, Aqueous, "colorless", Soluble, t(-251.17, -283.98, 121.50, Nbs)),
    c!("Cs+", "caesium ion", ["cesium ion"], Cation, Aqueous, "colorless", Soluble, t(-258.28, -292.02, 133.05, Nbs)),
    c!("NH4+", "ammonium ion", ["ammonium"], Cation, Aqueous, "colorless", Soluble, t(-132.51, -79.31, 113.4, Nbs)),
    c!("Ag+", "silver ion", ["silver(I) ion"], Cation, Aqueous, "colorless", Soluble, t(105.579, 77.107, 72.68, Nbs)),
    c!("Cu+", "copper(I) ion", ["cuprous ion"], Cation, Aqueous, "colorless", Soluble, t(71.67, 49.98, 40.6, Nbs)),
    c!("Cu^2+", "copper(II) ion", ["cupric ion"], Cation, Aqueous, "blue", Soluble, t(64.77, 65.49, -99.6, Nbs)),
    c!("Mg^2+", "magnesium ion", [], Cation, Aqueous, "colorless", Soluble, t(-466.85, -454.8, -138.1, Nbs)),
    c!("Ca^2+", "calcium ion", [], Cation, Aqueous, "colorless", Soluble, t(-542.83, -553.58, -53.1, Nbs)),
    c!("Sr^2+", "strontium ion", [], Cation, Aqueous, "colorless", Soluble, t(-545.80, -559.48, -32.6, Nbs)),
    c!("Ba^2+", "barium ion", [], Cation, Aqueous, "colorless", Soluble, t(-537.64, -560.77, 9.6, Nbs)),
    c!("Zn^2+", "zinc ion", [], Cation, Aqueous, "colorless", Soluble, t(-153.89, -147.06, -112.1, Nbs)),
    c!("Fe^2+", "iron(II) ion", ["ferrous ion"], Cation, Aqueous, "pale green", Soluble, t(-89.1, -78.90, -137.7, Nbs)),
    c!("Fe^3+", "iron(III) ion", ["ferric ion"], Cation, Aqueous, "yellow-brown", Soluble, t(-48.5, -4.7, -315.9, Nbs)),
    c!("Pb^2+", "lead(II) ion", [], Cation, Aqueous, "colorless", Soluble, t(-1.7, -24.43, 10.5, Nbs)),
    c!("Al^3+", "aluminium ion", ["aluminum ion"], Cation, Aqueous, "colorless", Soluble, t(-531.0, -485.0, -321.7, Nbs)),
    c!("Ni^2+", "nickel(II) ion", [], Cation, Aqueous, "green", Soluble, t(-54.0, -45.6, -128.9, Nbs)),
    c!("Mn^2+", "manganese(II) ion", [], Cation, Aqueous, "pale pink", Soluble, t(-220.75, -228.1, -73.6, Nbs)),
    c!("Co^2+", "cobalt(II) ion", [], Cation, Aqueous, "pink", Soluble, t(-58.2, -54.4, -113.0, Nbs)),
    c!("Hg^2+", "mercury(II) ion", [], Cation, Aqueous, "colorless", Soluble, t(171.1, 164.40, -32.2, Nbs)),
    c!("Sn^2+", "tin(II) ion", [], Cation, Aqueous, "colorless", Soluble, t(-8.8, -27.2, -17.0, Nbs)),
    // Colour and potentials only: the NBS tables give no standard data for Cr³⁺(aq).
    c!("Cr^3+", "chromium(III) ion", ["chromic ion"], Cation, Aqueous, "green", Soluble, Unavailable),
    c!("Cd^2+", "cadmium ion", [], Cation, Aqueous, "colorless", Soluble, t(-75.90, -77.612, -73.2, Nbs)),
    // Anions
    c!("OH-", "hydroxide ion", ["hydroxide"], Anion, Aqueous, "colorless", Soluble, t(-229.994, -157.244, -10.75, Nbs)),
    c!("F-", "fluoride ion", ["fluoride"], Anion, Aqueous, "colorless", Soluble, t(-332.63, -278.79, -13.8, Nbs)),
    c!("Cl-", "chloride ion", ["chloride"], Anion, Aqueous, "colorless", Soluble, t(-167.159, -131.228, 56.5, Nbs)),
    c!("Br-", "bromide ion", ["bromide"], Anion, Aqueous, "colorless", Soluble, t(-121.55, -103.96, 82.4, Nbs)),
    c!("I-", "iodide ion", ["iodide"], Anion, Aqueous, "colorless", Soluble, t(-55.19, -51.57, 111.3, Nbs)),
    c!("S^2-", "sulfide ion", ["sulfide", "sulphide"], Anion, Aqueous, "colorless", Soluble, t(33.1, 85.8, -14.6, Nbs)),
    c!("HS-", "hydrogen sulfide ion", ["bisulfide"], Anion, Aqueous, "colorless", Soluble, t(-17.6, 12.08, 62.8, Nbs)),
    c!("NO3-", "nitrate ion", ["nitrate"], Anion, Aqueous, "colorless", Soluble, t(-207.36, -111.25, 146.4, Nbs)),
    c!("NO2-", "nitrite ion", ["nitrite"], Anion, Aqueous, "colorless", Soluble, t(-104.6, -32.2, 123.0, Nbs)),
    c!("SO4^2-", "sulfate ion", ["sulfate", "sulphate"], Anion, Aqueous, "colorless", Soluble, t(-909.27, -744.53, 20.1, Nbs)),
    c!("HSO4-", "hydrogen sulfate ion", ["bisulfate"], Anion, Aqueous, "colorless", Soluble, t(-887.34, -755.91, 131.8, Nbs)),
    c!("SO3^2-", "sulfite ion", ["sulfite", "sulphite"], Anion, Aqueous, "colorless", Soluble, t(-635.5, -486.5, -29.0, Nbs)),
    c!("S2O3^2-", "thiosulfate ion", ["thiosulfate"], Anion, Aqueous, "colorless", Soluble, t(-652.3, -522.5, 67.0, Nbs)),
    c!("CO3^2-", "carbonate ion", ["carbonate"], Anion, Aqueous, "colorless", Soluble, t(-677.14, -527.81, -56.9, Nbs)),
    c!("HCO3-", "hydrogen carbonate ion", ["bicarbonate", "hydrogencarbonate"], Anion, Aqueous, "colorless", Soluble, t(-691.99, -586.77, 91.2, Nbs)),
    c!("PO4^3-", "phosphate ion", ["phosphate"], Anion, Aqueous, "colorless", Soluble, t(-1277.4, -1018.7, -222.0, Nbs)),
    c!("HPO4^2-", "hydrogen phosphate ion", [], Anion, Aqueous, "colorless", Soluble, t(-1292.14, -1089.15, -33.5, Nbs)),
    c!("H2PO4-", "dihydrogen phosphate ion", [], Anion, Aqueous, "colorless", Soluble, t(-1296.29, -1130.28, 90.4, Nbs)),
    c!("CH3COO-", "acetate ion", ["acetate", "ethanoate"], Anion, Aqueous, "colorless", Soluble, t(-486.01, -369.31, 86.6, Nbs)),
    c!("HCOO-", "formate ion", ["formate", "methanoate"], Anion, Aqueous, "colorless", Soluble, t(-425.55, -351.0, 92.0, Nbs)),
    c!("ClO-", "hypochlorite ion", ["hypochlorite"], Anion, Aqueous, "colorless", Soluble, t(-107.1, -36.8, 42.0, Nbs)),
    c!("BrO-", "hypobromite ion", ["hypobromite"], Anion, Aqueous, "colorless", Soluble, t(-94.1, -33.4, 42.0, Nbs)),
    c!("BrO3-", "bromate ion", ["bromate"], Anion, Aqueous, "colorless", Soluble, t(-67.07, 18.60, 161.71, Nbs)),
    c!("IO3-", "iodate ion", ["iodate"], Anion, Aqueous, "colorless", Soluble, t(-221.3, -128.0, 118.4, Nbs)),
    c!("S4O6^2-", "tetrathionate ion", ["tetrathionate"], Anion, Aqueous, "colorless", Soluble, t(-1224.2, -1040.4, 257.3, Nbs)),
    c!("ClO3-", "chlorate ion", ["chlorate"], Anion, Aqueous, "colorless", Soluble, t(-103.97, -7.95, 162.3, Nbs)),
    c!("ClO4-", "perchlorate ion", ["perchlorate"], Anion, Aqueous, "colorless", Soluble, t(-129.33, -8.52, 182.0, Nbs)),
    c!("MnO4-", "permanganate ion", ["permanganate"], Anion, Aqueous, "purple", Soluble, t(-541.4, -447.2, 191.2, Nbs)),
    c!("CrO4^2-", "chromate ion", ["chromate"], Anion, Aqueous, "yellow", Soluble, t(-881.15, -727.75, 50.21, Nbs)),
    c!("Cr2O7^2-", "dichromate ion", ["dichromate"], Anion, Aqueous, "orange", Soluble, t(-1490.3, -1301.1, 261.9, Nbs)),
    c!("CN-", "cyanide ion", ["cyanide"], Anion, Aqueous, "colorless", Soluble, t(150.6, 172.4, 94.1, Nbs)),
];
