//! Organic compounds: hydrocarbons, alcohols, carbohydrates, organic acids,
//! halogenated methanes and a few other common organics. `hs(ΔH°f, S°, source)`
//! rows are those the source gives no ΔG°f for; it is computed (see `mod.rs`).
//! Columns of `t(ΔH°f, ΔG°f, S°, source)`: kJ/mol, kJ/mol, J/(mol·K).

use super::Solubility::{Insoluble, Miscible, SlightlySoluble, Soluble};
use super::Source::{Crc, Janaf, Nbs, OpenStax as Os};
use super::ThermoData::Unavailable;
use super::{c, g, hs, t, Compound};

#[rustfmt::skip]
pub(super) static ORGANIC: &[Compound] = &[
    // Alkanes, alkenes, alkynes, arenes
    c!("CH4", "methane", ["natural gas", "marsh gas"], Hydrocarbon, Gas, "colorless", Insoluble, t(-74.6, -50.5, 186.3, Os)),
    c!("C2H6", "ethane", [], Hydrocarbon, Gas, "colorless", Insoluble, t(-84.0, -32.0, 229.2, Os)),
    c!("C3H8", "propane", ["liquefied petroleum gas"], Hydrocarbon, Gas, "colorless", Insoluble, t(-103.8, -23.4, 270.3, Os)),
    c!("C4H10", "butane", ["n-butane", "lighter fluid"], Hydrocarbon, Gas, "colorless", Insoluble, hs(-125.6, 310.2, Crc)),
    c!("C5H12", "pentane", ["n-pentane"], Hydrocarbon, Liquid, "colorless", Insoluble, hs(-173.5, 263.5, Crc)),
    c!("C6H14", "hexane", ["n-hexane"], Hydrocarbon, Liquid, "colorless", Insoluble, hs(-198.7, 296.0, Crc)),
    c!("C7H16", "heptane", ["n-heptane"], Hydrocarbon, Liquid, "colorless", Insoluble, hs(-224.2, 328.6, Crc)),
    c!("C8H18", "octane", ["n-octane", "petrol", "gasoline"], Hydrocarbon, Liquid, "colorless", Insoluble, hs(-250.1, 361.1, Crc)),
    c!("C6H12", "cyclohexane", [], Hydrocarbon, Liquid, "colorless", Insoluble, hs(-156.4, 204.4, Crc)),
    c!("C2H4", "ethene", ["ethylene"], Hydrocarbon, Gas, "colorless", Insoluble, t(52.4, 68.4, 219.3, Os)),
    c!("C3H6", "propene", ["propylene"], Hydrocarbon, Gas, "colorless", Insoluble, hs(20.0, 266.6, Crc)),
    c!("C2H2", "ethyne", ["acetylene"], Hydrocarbon, Gas, "colorless", SlightlySoluble, t(227.4, 209.2, 200.9, Os)),
    c!("C6H6", "benzene", ["benzol"], Hydrocarbon, Liquid, "colorless", Insoluble, t(49.1, 124.50, 173.4, Os)),
    c!("C6H6", "benzene vapour", ["benzene vapor"], Hydrocarbon, Gas, "colorless", Insoluble, t(82.927, 129.66, 269.2, Os)),
    c!("C6H5CH3", "toluene", ["methylbenzene", "C7H8"], Hydrocarbon, Liquid, "colorless", Insoluble, hs(12.4, 221.0, Crc)),
    c!("C10H8", "naphthalene", ["mothballs"], Hydrocarbon, Solid, "white", Insoluble, t(78.5, 201.6, 167.4, Crc)),
    // Alcohols
    c!("CH3OH", "methanol", ["methyl alcohol", "wood alcohol", "CH4O"], Alcohol, Liquid, "colorless", Miscible, t(-239.2, -166.6, 126.8, Os)),
    c!("CH3OH", "methanol vapour", ["methanol vapor"], Alcohol, Gas, "colorless", Miscible, t(-201.0, -162.3, 239.9, Os)),
    c!("C2H5OH", "ethanol", ["ethyl alcohol", "alcohol", "grain alcohol", "CH3CH2OH", "C2H6O"], Alcohol, Liquid, "colorless", Miscible, t(-277.6, -174.8, 160.7, Os)),
    c!("C2H5OH", "ethanol vapour", ["ethanol vapor"], Alcohol, Gas, "colorless", Miscible, t(-234.8, -167.9, 281.6, Os)),
    c!("C3H7OH", "propan-1-ol", ["1-propanol", "n-propanol", "propanol"], Alcohol, Liquid, "colorless", Miscible, hs(-302.6, 193.6, Crc)),
    c!("(CH3)2CHOH", "propan-2-ol", ["2-propanol", "isopropanol", "isopropyl alcohol", "rubbing alcohol"], Alcohol, Liquid, "colorless", Miscible, hs(-318.1, 181.1, Crc)),
    c!("C2H4(OH)2", "ethane-1,2-diol", ["ethylene glycol", "antifreeze"], Alcohol, Liquid, "colorless", Miscible, hs(-460.0, 163.2, Crc)),
    c!("C3H5(OH)3", "glycerol", ["glycerine", "glycerin", "propane-1,2,3-triol"], Alcohol, Liquid, "colorless", Miscible, hs(-668.5, 206.3, Crc)),
    // Carbohydrates
    c!("C6H12O6", "glucose", ["dextrose", "grape sugar", "blood sugar", "D-glucose"], Carbohydrate, Solid, "white", g(90.9), hs(-1273.3, 212.1, Crc)),
    c!("C12H22O11", "sucrose", ["table sugar", "sugar", "cane sugar", "saccharose"], Carbohydrate, Solid, "white", Soluble, hs(-2226.1, 360.2, Crc)),
    // Organic acids
    c!("CH3COOH", "acetic acid", ["ethanoic acid", "vinegar", "acetic acid solution", "HC2H3O2", "C2H4O2"], Acid, Aqueous, "colorless", Miscible, t(-485.76, -396.46, 178.7, Nbs)),
    c!("CH3COOH", "glacial acetic acid", ["pure acetic acid"], Acid, Liquid, "colorless", Miscible, t(-484.3, -389.9, 159.8, Os)),
    c!("HCOOH", "formic acid", ["methanoic acid"], Acid, Liquid, "colorless", Miscible, t(-424.72, -361.35, 128.95, Nbs)),
    // Other organics
    c!("HCHO", "methanal", ["formaldehyde"], Organic, Gas, "colorless", Soluble, t(-108.57, -102.53, 218.77, Nbs)),
    c!("CH3COCH3", "propanone", ["acetone", "dimethyl ketone"], Organic, Liquid, "colorless", Miscible, hs(-248.4, 199.8, Crc)),
    c!("CO(NH2)2", "urea", ["carbamide"], Organic, Solid, "white", Soluble, t(-333.51, -197.33, 104.60, Nbs)),
    c!("CS2", "carbon disulfide", ["carbon disulphide"], Organic, Liquid, "colorless", Insoluble, t(89.70, 65.27, 151.34, Os)),
    c!("CH3Cl", "chloromethane", ["methyl chloride"], Organohalide, Gas, "colorless", SlightlySoluble, t(-83.68, -60.15, 234.37, Janaf)),
    c!("CH2Cl2", "dichloromethane", ["methylene chloride"], Organohalide, Liquid, "colorless", SlightlySoluble, hs(-124.2, 177.8, Crc)),
    c!("CHCl3", "trichloromethane", ["chloroform"], Organohalide, Liquid, "colorless", SlightlySoluble, t(-134.1, -73.7, 201.7, Os)),
    c!("CCl4", "tetrachloromethane", ["carbon tetrachloride"], Organohalide, Liquid, "colorless", Insoluble, t(-135.44, -65.21, 216.40, Nbs)),
    c!("CH3Br", "bromomethane", ["methyl bromide"], Organohalide, Gas, "colorless", SlightlySoluble, hs(-35.4, 246.4, Crc)),
    c!("C2H5Br", "bromoethane", ["ethyl bromide"], Organohalide, Liquid, "colorless", SlightlySoluble, hs(-90.5, 198.7, Crc)),
    c!("CH2ClCH2Cl", "1,2-dichloroethane", ["ethylene dichloride", "ethylene chloride"], Organohalide, Liquid, "colorless", SlightlySoluble, hs(-166.8, 208.5, Crc)),
    // The haloalkanes and esters below carry no standard data in the tables used here.
    c!("CH2BrCH2Br", "1,2-dibromoethane", ["ethylene dibromide"], Organohalide, Liquid, "colorless", SlightlySoluble, Unavailable),
    c!("CH3CHBrCH3", "2-bromopropane", ["isopropyl bromide"], Organohalide, Liquid, "colorless", SlightlySoluble, Unavailable),
    c!("CH3CHBrCH2Br", "1,2-dibromopropane", ["propylene dibromide"], Organohalide, Liquid, "colorless", Insoluble, Unavailable),
    // Esters
    c!("CH3COOC2H5", "ethyl ethanoate", ["ethyl acetate"], Ester, Liquid, "colorless", g(8.3), hs(-479.3, 257.7, Crc)),
    c!("CH3COOCH3", "methyl ethanoate", ["methyl acetate"], Ester, Liquid, "colorless", g(24.5), Unavailable),
    c!("HCOOCH3", "methyl methanoate", ["methyl formate"], Ester, Liquid, "colorless", Soluble, Unavailable),
    c!("HCOOC2H5", "ethyl methanoate", ["ethyl formate"], Ester, Liquid, "colorless", g(10.5), Unavailable),
    c!("C2H5Cl", "chloroethane", ["ethyl chloride"], Organohalide, Gas, "colorless", SlightlySoluble, t(-112.17, -60.39, 276.00, Os)),
];
