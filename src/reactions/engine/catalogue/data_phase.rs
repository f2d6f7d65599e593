//! Normal melting and boiling points (°C at 1 atm) of catalogue substances, keyed by
//! formula: they decide the state a species takes at the environment's temperature. All
//! rows are from the CRC Handbook's "Physical Constants of Inorganic Compounds" and "…of
//! Organic Compounds" tables (`Source::CrcPhysical`), rounded to 0.1 °C. `None` where the
//! substance has no such point at 1 atm: it sublimes (the sublimation temperature is then
//! given as the boiling point, the temperature above which it is a gas) or decomposes first.
//! A formula is listed only when the catalogue's 25 °C state agrees with these points
//! (`tests.rs` checks it).

use super::Source;

#[derive(Debug, PartialEq)]
pub struct PhasePoints {
    pub formula: &'static str,
    /// °C; `None` when it sublimes or decomposes before melting.
    pub melting: Option<f64>,
    /// °C (sublimation point for substances that sublime); `None` when it decomposes first.
    pub boiling: Option<f64>,
    pub source: Source,
}

const fn p(formula: &'static str, melting: f64, boiling: f64) -> PhasePoints {
    PhasePoints {
        formula,
        melting: Some(melting),
        boiling: Some(boiling),
        source: Source::CrcPhysical,
    }
}

/// Melts, then decomposes before boiling.
const fn melts(formula: &'static str, melting: f64) -> PhasePoints {
    PhasePoints {
        formula,
        melting: Some(melting),
        boiling: None,
        source: Source::CrcPhysical,
    }
}

/// Goes straight from solid to gas at 1 atm.
const fn sublimes(formula: &'static str, celsius: f64) -> PhasePoints {
    PhasePoints {
        formula,
        melting: None,
        boiling: Some(celsius),
        source: Source::CrcPhysical,
    }
}

#[rustfmt::skip]
pub(super) static PHASE_POINTS: &[PhasePoints] = &[
    // Elements
    p("H2", -259.2, -252.9), p("O2", -218.8, -183.0), p("N2", -210.0, -195.8),
    p("F2", -219.7, -188.1), p("Cl2", -101.5, -34.0), p("Br2", -7.2, 58.8), p("I2", 113.7, 184.4),
    p("Ne", -248.6, -246.1), p("Ar", -189.3, -185.8), p("Kr", -157.4, -153.3), p("Xe", -111.8, -108.1),
    p("Li", 180.5, 1342.0), p("Na", 97.8, 882.9), p("K", 63.5, 759.0), p("Rb", 39.3, 688.0),
    p("Cs", 28.5, 671.0), p("Be", 1287.0, 2468.0), p("Mg", 650.0, 1090.0), p("Ca", 842.0, 1484.0),
    p("Sr", 777.0, 1377.0), p("Ba", 727.0, 1845.0), p("Al", 660.3, 2519.0), p("Zn", 419.5, 907.0),
    p("Fe", 1538.0, 2861.0), p("Cu", 1084.6, 2562.0), p("Ag", 961.8, 2162.0), p("Au", 1064.2, 2856.0),
    p("Pt", 1768.2, 3825.0), p("Pb", 327.5, 1749.0), p("Sn", 231.9, 2602.0), p("Ni", 1455.0, 2913.0),
    p("Hg", -38.8, 356.7), p("Cr", 1907.0, 2671.0), p("Mn", 1246.0, 2061.0), p("Co", 1495.0, 2927.0),
    p("Ti", 1668.0, 3287.0), p("W", 3422.0, 5555.0), p("Cd", 321.1, 767.0), p("Bi", 271.4, 1564.0),
    p("Si", 1414.0, 3265.0), p("Sb", 630.6, 1587.0), p("S", 115.2, 444.6), p("P4", 44.2, 280.5),
    p("Se", 221.0, 685.0), sublimes("C", 3825.0), sublimes("As", 603.0),
    // Water, acids, bases and molecular inorganics
    p("H2O", 0.0, 100.0), p("H2O2", -0.4, 150.2), p("HCl", -114.2, -85.0), p("HBr", -86.8, -66.4),
    p("HI", -50.8, -35.6), p("HNO3", -41.6, 83.0), p("H2SO4", 10.3, 337.0), p("H2S", -85.5, -59.6),
    p("NH3", -77.7, -33.3), p("N2H4", 1.5, 113.6), p("PH3", -133.8, -87.8),
    p("SiH4", -185.0, -111.9), p("B2H6", -164.9, -92.5), p("BF3", -126.8, -101.0),
    sublimes("SF6", -63.8), p("SiCl4", -68.7, 57.7), p("TiCl4", -24.1, 136.5),
    p("CO", -205.0, -191.5), sublimes("CO2", -78.5), p("SO2", -75.5, -10.1), p("NO", -163.6, -151.7),
    p("NO2", -9.3, 21.2), p("N2O", -90.8, -88.5), p("N2O4", -9.3, 21.2),
    p("NaOH", 323.0, 1388.0), p("KOH", 406.0, 1327.0),
    // Ionic solids
    p("NaCl", 800.7, 1465.0), p("KCl", 771.0, 1420.0), p("CaCl2", 775.0, 1935.0),
    p("MgCl2", 714.0, 1412.0), p("ZnCl2", 290.0, 732.0), p("AgCl", 455.0, 1547.0),
    p("NaBr", 747.0, 1390.0), p("KBr", 734.0, 1435.0), p("NaI", 661.0, 1304.0), p("KI", 681.0, 1323.0),
    p("PbCl2", 501.0, 951.0), p("CuCl", 423.0, 1490.0), p("CaF2", 1418.0, 2533.0),
    melts("KClO3", 356.0), melts("KNO3", 334.0), melts("NaNO3", 306.5), melts("Na2CO3", 856.0),
    melts("K2CO3", 899.0), sublimes("NH4Cl", 338.0),
    p("CaO", 2613.0, 2850.0), p("MgO", 2825.0, 3600.0), p("Al2O3", 2054.0, 2977.0),
    p("ZnO", 1974.0, 2360.0), p("PbO", 887.0, 1470.0), p("SiO2", 1713.0, 2950.0),
    melts("Cu2O", 1244.0), melts("Fe3O4", 1597.0), melts("TiO2", 1843.0), melts("SnO2", 1630.0),
    melts("Li2O", 1438.0), melts("Na2O", 1132.0), melts("CaC2", 2300.0), melts("LiH", 688.7),
    // Organics
    p("CH4", -182.5, -161.5), p("C2H6", -182.8, -88.6), p("C3H8", -187.6, -42.1),
    p("C4H10", -138.3, -0.5), p("C5H12", -129.7, 36.1), p("C6H14", -95.4, 68.7),
    p("C7H16", -90.6, 98.4), p("C8H18", -56.8, 125.6), p("C6H12", 6.6, 80.7),
    p("C2H4", -169.2, -103.8), p("C3H6", -185.2, -47.7), sublimes("C2H2", -84.7),
    p("C6H6", 5.5, 80.1), p("C6H5CH3", -95.0, 110.6), p("C10H8", 80.3, 217.9),
    p("CH3OH", -97.5, 64.6), p("C2H5OH", -114.1, 78.3), p("C3H7OH", -124.4, 97.2),
    p("(CH3)2CHOH", -87.9, 82.3), p("C2H4(OH)2", -12.7, 197.3), p("C3H5(OH)3", 18.1, 290.0),
    p("CH3COOH", 16.6, 117.9), p("HCOOH", 8.3, 101.0), p("HCHO", -92.0, -19.1),
    p("CH3COCH3", -94.7, 56.1), p("CS2", -112.1, 46.0),
    p("CH3Cl", -97.7, -24.1), p("CH2Cl2", -97.2, 40.0), p("CHCl3", -63.4, 61.2),
    p("CCl4", -22.6, 76.8), p("C2H5Cl", -138.4, 12.3), p("C2H5Br", -118.6, 38.5),
    p("CH3CHBrCH3", -89.0, 59.5), p("CH2BrCH2Br", 9.8, 131.6), p("CH2ClCH2Cl", -35.7, 83.5),
    p("CH3Br", -93.7, 3.5), p("HCOOC2H5", -79.6, 54.3), p("CH3CHBrCH2Br", -55.2, 141.9),
    p("CH3COOC2H5", -83.8, 77.1), p("CH3COOCH3", -98.3, 56.9), p("HCOOCH3", -99.0, 31.7),
    melts("CO(NH2)2", 133.0),
];
