//! The next chapter of the textbook suite: redox in solution, disproportionation and
//! comproportionation, hydrolysis, organic functional groups, gases that react on mixing,
//! and states at the furnace's temperature. Each row names where a student finds it; ΔH° is
//! given only where that source quotes one. The share of the whole suite (this and
//! `tests::TEXTBOOK`) within 5 % is reported by `textbook_suite_shares_within_five_percent`.

use super::tests::{catalysed, check_rows, no_reaction_reason, predict, row, term, Row, TEXTBOOK};
use super::*;

use Environment::{Acidic, Basic, HighTemperature as Hot, Normal};
use ReactionClass::{
    Addition as Add, Comproportionation as Comp, Disproportionation as Disp,
    EsterHydrolysis as EstH, Esterification as Est, Hydrolysis as Hyd, Redox,
    Saponification as Sap, SingleDisplacement as Sd, Substitution as Sub, Synthesis as Syn,
};

const fn lit(r: Row, initiator: &'static str) -> Row {
    catalysed(r, initiator)
}

// Sources: "OS2e" = OpenStax Chemistry 2e (2019) by chapter/section; "Brown" = Brown, LeMay
// et al., Chemistry: The Central Science (14th ed.); "H&S" = Housecroft & Sharpe, Inorganic
// Chemistry (4th ed.); "McMurry" = McMurry, Organic Chemistry (8th ed.); "Harris" = Harris,
// Quantitative Chemical Analysis (9th ed.).
#[rustfmt::skip]
pub(super) const SOLUTION: &[Row] = &[
    // Redox in acidic solution
    row(&["KMnO4", "FeSO4", "H2SO4"], Normal, Redox, "MnO4- + 5 Fe^2+ + 8 H+ -> Mn^2+ + 5 Fe^3+ + 4 H2O(l)", None, "OS2e §17.1, balancing in acidic solution (permanganate + iron(II))"),
    row(&["K2Cr2O7", "FeSO4", "H2SO4"], Normal, Redox, "Cr2O7^2- + 6 Fe^2+ + 14 H+ -> 2 Cr^3+ + 6 Fe^3+ + 7 H2O", None, "OS2e §17.1 Example 17.2 (dichromate + iron(II))"),
    row(&["KMnO4", "hydrogen peroxide solution", "H2SO4"], Normal, Redox, "2 MnO4- + 5 H2O2 + 6 H+ -> 2 Mn^2+ + 5 O2(g) + 8 H2O", None, "Brown §20.2 exercise: permanganate titration of H2O2"),
    row(&["KMnO4", "HCl"], Normal, Redox, "2 MnO4- + 16 H+ + 10 Cl- -> 2 Mn^2+ + 5 Cl2(g) + 8 H2O", None, "H&S §17.4: laboratory chlorine from KMnO4 + HCl"),
    row(&["KMnO4", "KI", "H2SO4"], Normal, Redox, "2 MnO4- + 10 I- + 16 H+ -> 2 Mn^2+ + 5 I2(aq) + 8 H2O", None, "Harris §16-7: permanganate oxidises iodide"),
    row(&["K2Cr2O7", "KI", "H2SO4"], Normal, Redox, "Cr2O7^2- + 6 I- + 14 H+ -> 2 Cr^3+ + 3 I2(aq) + 7 H2O", None, "Harris §16-7: dichromate standardisation by iodometry"),
    row(&["hydrogen peroxide solution", "KI", "H2SO4"], Normal, Redox, "H2O2 + 2 I- + 2 H+ -> I2(aq) + 2 H2O", None, "OS2e §12.1: iodide + H2O2 in acid (iodine clock)"),
    row(&["hydrogen peroxide solution", "FeSO4", "H2SO4"], Normal, Redox, "H2O2 + 2 Fe^2+ + 2 H+ -> 2 Fe^3+ + 2 H2O", None, "Brown §20.2 exercise: H2O2 oxidises Fe2+"),
    row(&["KMnO4", "Na2SO3", "H2SO4"], Normal, Redox, "2 MnO4- + 5 SO3^2- + 6 H+ -> 2 Mn^2+ + 5 SO4^2- + 3 H2O", None, "Zumdahl §18.1 exercise: sulfite + acidified permanganate"),
    row(&["K2Cr2O7", "Na2SO3", "H2SO4"], Normal, Redox, "Cr2O7^2- + 3 SO3^2- + 8 H+ -> 2 Cr^3+ + 3 SO4^2- + 4 H2O", None, "Zumdahl §18.1 exercise: sulfite + acidified dichromate"),
    row(&["FeSO4", "nitric acid"], Normal, Redox, "3 Fe^2+ + NO3- + 4 H+ -> 3 Fe^3+ + NO(g) + 2 H2O", None, "H&S §15.9: nitric acid oxidises iron(II) (brown-ring test)"),
    row(&["KI", "nitric acid"], Normal, Redox, "6 I- + 2 NO3- + 8 H+ -> 3 I2(aq) + 2 NO(g) + 4 H2O", None, "Brown §20.2 exercise: nitrate oxidises iodide"),
    row(&["FeCl3", "KI"], Normal, Redox, "2 Fe^3+ + 2 I- -> 2 Fe^2+ + I2(aq)", None, "OS2e §17.3: E° Fe3+/Fe2+ 0.771 V > I2/I− 0.536 V"),
    row(&["FeCl3", "copper"], Normal, Redox, "2 Fe^3+ + Cu -> 2 Fe^2+ + Cu^2+", None, "H&S §21: iron(III) chloride etches copper (circuit boards)"),
    row(&["FeCl3", "zinc"], Normal, Redox, "2 Fe^3+ + Zn -> 2 Fe^2+ + Zn^2+", None, "OS2e §17.3: E° Fe3+/Fe2+ 0.771 V > Zn2+/Zn −0.76 V"),
    row(&["FeCl3", "H2S"], Normal, Redox, "2 Fe^3+ + H2S -> 2 Fe^2+ + S(s) + 2 H+", None, "H&S §16.5: H2S reduces iron(III), sulfur deposits"),
    row(&["chlorine water", "H2S"], Normal, Redox, "Cl2(aq) + H2S -> 2 Cl- + S(s) + 2 H+", None, "H&S §16.5: chlorine oxidises H2S to sulfur"),
    row(&["chlorine water", "FeCl2"], Normal, Redox, "Cl2(aq) + 2 Fe^2+ -> 2 Cl- + 2 Fe^3+", None, "H&S §21.9: chlorine oxidises iron(II) chloride"),
    row(&["bromine water", "Na2SO3"], Normal, Redox, "Br2(aq) + SO3^2- + H2O -> 2 Br- + SO4^2- + 2 H+", None, "H&S §17.4: sulfite decolourises bromine water"),
    row(&["aqueous iodine", "Na2S2O3"], Normal, Redox, "I2(aq) + 2 S2O3^2- -> 2 I- + S4O6^2-", None, "Harris §16-7: the iodometric titration with thiosulfate"),
    row(&["copper", "hydrogen peroxide solution", "H2SO4"], Normal, Redox, "Cu + H2O2 + 2 H+ -> Cu^2+ + 2 H2O", None, "OS2e §17.3: E° H2O2/H2O 1.78 V oxidises copper"),
    // Alcohol oxidation (acidified dichromate / permanganate)
    row(&["K2Cr2O7", "ethanol", "H2SO4"], Normal, Redox, "2 Cr2O7^2- + 3 C2H5OH + 16 H+ -> 4 Cr^3+ + 3 CH3COOH(aq) + 11 H2O", None, "OS2e §20.2: ethanol oxidised by dichromate (breathalyser)"),
    row(&["KMnO4", "ethanol", "H2SO4"], Normal, Redox, "4 MnO4- + 5 C2H5OH + 12 H+ -> 4 Mn^2+ + 5 CH3COOH(aq) + 11 H2O", None, "OS2e §20.2: primary alcohol → carboxylic acid"),
    row(&["K2Cr2O7", "isopropyl alcohol", "H2SO4"], Normal, Redox, "Cr2O7^2- + 3 (CH3)2CHOH + 8 H+ -> 2 Cr^3+ + 3 CH3COCH3 + 7 H2O", None, "OS2e §20.2: secondary alcohol → ketone"),
    row(&["KMnO4", "methanol", "H2SO4"], Normal, Redox, "4 MnO4- + 5 CH3OH + 12 H+ -> 4 Mn^2+ + 5 HCOOH + 11 H2O", None, "OS2e §20.2: methanol → methanoic acid"),
    // Basic and neutral solution
    row(&["KMnO4", "Na2SO3"], Basic, Redox, "2 MnO4- + 3 SO3^2- + H2O -> 2 MnO2(s) + 3 SO4^2- + 2 OH-", None, "OS2e §17.1, balancing in basic solution (permanganate → MnO2)"),
    row(&["KMnO4", "Na2SO3", "water"], Normal, Redox, "2 MnO4- + 3 SO3^2- + H2O -> 2 MnO2(s) + 3 SO4^2- + 2 OH-", None, "Brown §20.2: permanganate in neutral solution gives MnO2"),
    row(&["hydrogen peroxide solution", "Na2SO3"], Basic, Redox, "H2O2 + SO3^2- -> SO4^2- + H2O", None, "H&S §16.10: peroxide oxidises sulfite"),
    // Comproportionation
    row(&["KIO3", "KI", "H2SO4"], Normal, Comp, "IO3- + 5 I- + 6 H+ -> 3 I2(aq) + 3 H2O", None, "Harris §16-7: iodate + iodide in acid gives iodine"),
    row(&["NaClO", "HCl"], Normal, Comp, "ClO- + Cl- + 2 H+ -> Cl2(g) + H2O", None, "H&S §17.9: never mix bleach with acid — chlorine is released"),
    row(&["KClO3", "HCl"], Normal, Comp, "ClO3- + 5 Cl- + 6 H+ -> 3 Cl2(g) + 3 H2O", None, "H&S §17.9: chlorate + hydrochloric acid gives chlorine"),
    row(&["FeCl3", "iron"], Normal, Comp, "2 Fe^3+ + Fe -> 3 Fe^2+", None, "H&S §21.9: iron(III) + iron metal → iron(II)"),
    row(&["H2S", "SO2"], Normal, Comp, "2 H2S + SO2 -> 3 S(s) + 2 H2O", None, "H&S §16.5: H2S + SO2 deposit sulfur (Claus reaction)"),
    // Disproportionation
    row(&["Cl2", "NaOH"], Normal, Disp, "Cl2 + 2 OH- -> Cl- + ClO- + H2O", None, "H&S §17.9: chlorine in cold dilute alkali"),
    row(&["Cl2", "NaOH(aq)"], Hot, Disp, "3 Cl2 + 6 OH- -> 5 Cl- + ClO3- + 3 H2O", None, "H&S §17.9: chlorine in hot alkali gives chlorate"),
    row(&["Cl2", "KOH"], Normal, Disp, "Cl2 + 2 OH- -> Cl- + ClO- + H2O", None, "H&S §17.9: chlorine in cold potassium hydroxide"),
    row(&["Cl2"], Basic, Disp, "Cl2 + 2 OH- -> Cl- + ClO- + H2O", None, "H&S §17.9: chlorine in cold alkali"),
    row(&["bromine water", "NaOH"], Normal, Disp, "Br2 + 2 OH- -> Br- + BrO- + H2O", None, "H&S §17.9: bromine in cold alkali"),
    row(&["bromine water", "NaOH(aq)"], Hot, Disp, "3 Br2 + 6 OH- -> 5 Br- + BrO3- + 3 H2O", None, "H&S §17.9: bromine in hot alkali gives bromate"),
    row(&["aqueous iodine", "NaOH"], Normal, Disp, "3 I2 + 6 OH- -> 5 I- + IO3- + 3 H2O", None, "H&S §17.9: iodine in alkali gives iodate"),
    row(&["Cu2O", "H2SO4"], Normal, Disp, "Cu2O + 2 H+ -> Cu(s) + Cu^2+ + H2O", None, "H&S §21.12: copper(I) oxide in dilute sulfuric acid"),
    row(&["Cu+"], Normal, Disp, "2 Cu+ -> Cu(s) + Cu^2+", None, "OS2e §17.3: E° Cu+/Cu 0.52 V > Cu2+/Cu+ 0.15 V"),
    row(&["NO2", "NaOH"], Normal, Disp, "2 NO2 + 2 OH- -> NO2- + NO3- + H2O", None, "H&S §15.8: NO2 in alkali gives nitrite and nitrate"),
    // Hydrolysis of ionic (and covalent) binary compounds
    row(&["Mg3N2", "water"], Normal, Hyd, "Mg3N2 + 6 H2O -> 3 Mg(OH)2(s) + 2 NH3(g)", None, "H&S §12.6: magnesium nitride + water gives ammonia"),
    row(&["Li3N", "water"], Normal, Hyd, "Li3N + 3 H2O -> 3 LiOH(aq) + NH3(g)", None, "H&S §11.4: lithium nitride hydrolyses"),
    row(&["Al4C3", "water"], Normal, Hyd, "Al4C3 + 12 H2O -> 4 Al(OH)3(s) + 3 CH4(g)", None, "H&S §14.7: aluminium carbide gives methane"),
    row(&["CaC2", "water"], Normal, Hyd, "CaC2 + 2 H2O -> Ca(OH)2(s) + C2H2(g)", None, "H&S §14.7: calcium carbide gives ethyne"),
    row(&["Ca3P2", "water"], Normal, Hyd, "Ca3P2 + 6 H2O -> 3 Ca(OH)2(s) + 2 PH3(g)", None, "H&S §15.5: calcium phosphide gives phosphine"),
    row(&["NaH", "water"], Normal, Hyd, "NaH + H2O -> NaOH(aq) + H2(g)", None, "H&S §10.7: saline hydrides with water"),
    row(&["LiH", "water"], Normal, Hyd, "LiH + H2O -> LiOH(aq) + H2(g)", None, "H&S §10.7: saline hydrides with water"),
    row(&["CaH2", "water"], Normal, Hyd, "CaH2 + 2 H2O -> Ca(OH)2(s) + 2 H2(g)", None, "H&S §10.7: calcium hydride as a drying agent"),
    row(&["SiCl4", "water"], Normal, Hyd, "SiCl4 + 2 H2O -> SiO2 + 4 HCl(aq)", None, "H&S §14.8: silicon tetrachloride fumes in moist air"),
    row(&["TiCl4", "water"], Normal, Hyd, "TiCl4 + 2 H2O -> TiO2 + 4 HCl(aq)", None, "H&S §21.5: titanium tetrachloride hydrolyses"),
    // Hydrolysis of salts of weak acids and bases
    row(&["sodium acetate", "water"], Normal, Hyd, "CH3COO- + H2O -> CH3COOH(aq) + OH-", None, "OS2e §14.4: acetate is a weak base (basic solution)"),
    row(&["ammonium chloride", "water"], Normal, Hyd, "NH4+ -> NH3(aq) + H+", None, "OS2e §14.4: ammonium is a weak acid (acidic solution)"),
    row(&["sodium carbonate", "water"], Normal, Hyd, "CO3^2- + H2O -> HCO3- + OH-", None, "OS2e §14.4: carbonate solutions are basic"),
    row(&["KCN", "water"], Normal, Hyd, "CN- + H2O -> HCN + OH-", None, "OS2e §14.4: cyanide hydrolyses"),
    // Esters
    catalysed(row(&["acetic acid", "ethanol"], Normal, Est, "CH3COOH + C2H5OH -> CH3COOC2H5(l) + H2O(l)", None, "OS2e §20.3: Fischer esterification, H2SO4 catalyst"), "H2SO4"),
    catalysed(row(&["glacial acetic acid", "methanol"], Normal, Est, "CH3COOH(l) + CH3OH -> CH3COOCH3(l) + H2O(l)", None, "OS2e §20.3: methyl ethanoate, acid catalyst"), "H2SO4"),
    catalysed(row(&["formic acid", "methanol"], Normal, Est, "HCOOH + CH3OH -> HCOOCH3(l) + H2O(l)", None, "OS2e §20.3: methyl methanoate, acid catalyst"), "H2SO4"),
    row(&["acetic acid", "ethanol", "concentrated sulfuric acid"], Normal, Est, "CH3COOH + C2H5OH -> CH3COOC2H5(l) + H2O(l)", None, "OS2e §20.3: acid-catalysed esterification"),
    row(&["ethyl acetate", "water"], Acidic, EstH, "CH3COOC2H5 + H2O -> CH3COOH(aq) + C2H5OH(l)", None, "OS2e §20.3: acid hydrolysis of an ester"),
    row(&["ethyl acetate", "NaOH"], Normal, Sap, "CH3COOC2H5 + NaOH -> NaCH3COO(aq) + C2H5OH(l)", None, "OS2e §20.3: saponification"),
    row(&["methyl acetate", "KOH"], Normal, Sap, "CH3COOCH3 + KOH -> KCH3COO(aq) + CH3OH(l)", None, "OS2e §20.3: saponification"),
    // Alkenes and alkynes
    catalysed(row(&["ethene", "hydrogen"], Normal, Add, "C2H4 + H2 -> C2H6(g)", Some(-137.0), "McMurry §7.6 Table 7.2: heat of hydrogenation of ethylene −137 kJ/mol"), "Ni"),
    catalysed(row(&["propene", "hydrogen"], Normal, Add, "C3H6 + H2 -> C3H8(g)", Some(-126.0), "McMurry §7.6 Table 7.2: heat of hydrogenation of propene −126 kJ/mol"), "Pt"),
    catalysed(row(&["ethyne", "hydrogen"], Normal, Add, "C2H2 + 2 H2 -> C2H6(g)", None, "McMurry §9.5: alkyne hydrogenation over Pd/Pt/Ni to the alkane"), "Ni"),
    row(&["ethene", "bromine"], Normal, Add, "C2H4 + Br2 -> CH2BrCH2Br(l)", None, "OS2e §20.1: bromine adds to ethene"),
    row(&["ethene", "chlorine"], Normal, Add, "C2H4 + Cl2 -> CH2ClCH2Cl(l)", None, "OS2e §20.1: chlorine adds to ethene"),
    row(&["ethene", "hydrogen bromide"], Normal, Add, "C2H4 + HBr -> C2H5Br", None, "OS2e §20.1: HBr adds to ethene"),
    row(&["ethene", "hydrogen chloride"], Normal, Add, "C2H4 + HCl -> C2H5Cl(g)", None, "OS2e §20.1: HCl adds to ethene (chloroethane)"),
    row(&["propene", "hydrogen bromide"], Normal, Add, "C3H6 + HBr -> CH3CHBrCH3", None, "McMurry §7.8: Markovnikov addition gives 2-bromopropane"),
    row(&["propene", "bromine"], Normal, Add, "C3H6 + Br2 -> CH3CHBrCH2Br", None, "McMurry §8.2: halogen addition to propene"),
    catalysed(row(&["ethene", "water"], Hot, Add, "C2H4 + H2O(g) -> C2H5OH(g)", None, "OS2e §20.2: ethanol from ethene and steam over H3PO4"), "H3PO4"),
    row(&["propene", "water"], Acidic, Add, "C3H6 + H2O -> (CH3)2CHOH(l)", None, "McMurry §8.4: acid-catalysed hydration, Markovnikov"),
    // Alkanes with halogens in light
    lit(row(&["methane", "chlorine"], Normal, Sub, "CH4 + Cl2 -> CH3Cl(g) + HCl(g)", None, "McMurry §6.3/§10.3: radical chlorination of methane in light"), "light"),
    lit(row(&["methane", "bromine"], Normal, Sub, "CH4 + Br2 -> CH3Br(g) + HBr(g)", None, "McMurry §10.3: radical bromination in light"), "UV light"),
    lit(row(&["ethane", "chlorine"], Normal, Sub, "C2H6 + Cl2 -> C2H5Cl(g) + HCl(g)", None, "OS2e §20.1: substitution of alkanes in light"), "sunlight"),
    // Gases that react on mixing at room temperature
    row(&["nitric oxide", "oxygen"], Normal, Syn, "2 NO + O2 -> 2 NO2(g)", Some(-113.1), "Brown §5.6 Hess's-law exercise: 2NO + O2 → 2NO2, −113.1 kJ"),
    row(&["nitric oxide"], Normal, Syn, "2 NO + O2 -> 2 NO2(g)", Some(-113.1), "Brown §5.6; OS2e §18.7: NO turns brown in air"),
    // States and products at the furnace's 800 °C
    row(&["ZnO", "carbon"], Hot, Sd, "ZnO + C -> Zn(l) + CO(g)", None, "H&S §22.2 Ellingham diagram: above ~700 °C carbon gives CO; Zn mp 419.5 °C"),
    row(&["CuO", "carbon"], Hot, Sd, "CuO + C -> Cu(s) + CO(g)", None, "H&S §8.8 Ellingham diagram: C → CO above ~700 °C"),
    row(&["PbO", "carbon"], Hot, Sd, "PbO + C -> Pb(l) + CO(g)", None, "H&S §8.8: lead smelting; Pb mp 327.5 °C"),
    row(&["magnesium", "water"], Hot, Sd, "Mg(l) + H2O(g) -> MgO + H2(g)", None, "OS2e §18.2: magnesium with steam; at 800 °C water is steam, Mg (mp 650 °C) liquid"),
];

#[test]
fn next_chapter_reactions_match_the_textbook() {
    assert!(SOLUTION.len() >= 60, "only {} rows", SOLUTION.len());
    check_rows(SOLUTION);
}

#[test]
fn explanations_name_oxidizer_reducer_half_equations_and_electrons() {
    let outcome = predict(&["KMnO4", "FeSO4", "H2SO4"], Normal, None);
    for needle in [
        "Reduction half-equation: MnO4-(aq) + 8 H+(aq) + 5 e- → Mn^2+(aq) + 4 H2O(l) (Mn +7 → +2)",
        "Oxidation half-equation: Fe^2+(aq) → Fe^3+(aq) + e- (Fe +2 → +3)",
        "5 electrons move from iron(II) ion (the reducer) to permanganate ion (the oxidizer)",
        "E°cell",
        "Sulfuric acid supplies the H+ ions",
    ] {
        assert!(
            outcome.explanation.contains(needle),
            "{needle}: {}",
            outcome.explanation
        );
    }
    assert!(
        !outcome.explanation.contains("does not take part"),
        "{}",
        outcome.explanation
    );
    let basic = predict(&["KMnO4", "Na2SO3"], Basic, None);
    assert!(
        basic
            .explanation
            .contains("MnO4-(aq) + 2 H2O(l) + 3 e- → MnO2(s) + 4 OH-(aq)"),
        "{}",
        basic.explanation
    );
    let bleach = predict(&["Cl2", "NaOH"], Normal, None);
    assert!(
        bleach.explanation.contains("Cl 0 → −1") && bleach.explanation.contains("Cl 0 → +1"),
        "{}",
        bleach.explanation
    );
}

#[test]
fn missing_catalysts_and_initiators_are_explained() {
    assert!(no_reaction_reason(&["ethene", "hydrogen"], Normal).contains("catalyst"));
    assert!(no_reaction_reason(&["methane", "chlorine"], Normal).contains("light"));
    assert!(no_reaction_reason(&["acetic acid", "ethanol"], Normal).contains("catalyst"));
    assert!(no_reaction_reason(&["ethyl acetate", "water"], Normal).contains("acid catalyst"));
    assert!(no_reaction_reason(&["ethene", "water"], Normal).contains("acid catalyst"));
    assert!(no_reaction_reason(&["K2Cr2O7", "ethanol", "water"], Normal).contains("acidified"));
    assert!(no_reaction_reason(&["nitric oxide"], Hot).contains("not stable"));
    let lit_methane = predict(&["methane", "chlorine"], Normal, Some("light"));
    assert!(
        lit_methane.explanation.contains("light splits"),
        "{}",
        lit_methane.explanation
    );
}

#[test]
fn states_follow_the_environments_temperature() {
    let hot = predict(&["ZnO", "C"], Hot, None);
    assert!(
        hot.explanation
            .contains("zinc is liquid (mp 419.5 °C, bp 907 °C)"),
        "{}",
        hot.explanation
    );
    assert!(hot.explanation.contains("Boudouard"), "{}", hot.explanation);
    let water = lookup_chemical("water").unwrap().phase_points().unwrap();
    assert_eq!((water.melting, water.boiling), (Some(0.0), Some(100.0)));
    let furnace_water = predict(&["sodium", "water"], Hot, None);
    assert!(
        furnace_water.equation.contains("H2O(g)"),
        "{}",
        furnace_water.equation
    );
}

/// Share of rows whose products match and of literature ΔH° within 5 %, over both suites.
#[test]
fn textbook_suite_shares_within_five_percent() {
    let rows: Vec<&Row> = TEXTBOOK.iter().chain(SOLUTION).collect();
    let mut products_right = 0;
    let (mut with_enthalpy, mut enthalpy_right) = (0, 0);
    for row in &rows {
        let outcome = predict(row.reactants, row.env, row.catalyst);
        let (_, right) = row.equation.split_once(" -> ").unwrap();
        let mut expected: Vec<(u32, String)> = right
            .split(" + ")
            .map(term)
            .map(|(n, f, _)| (n, f))
            .collect();
        let mut found: Vec<(u32, String)> = outcome
            .products
            .iter()
            .map(|s| (s.coefficient, s.formula.clone()))
            .collect();
        expected.sort();
        found.sort();
        let right_products = expected == found && outcome.reaction_class == row.class;
        products_right += usize::from(right_products);
        if let (Some(literature), Some(actual)) = (row.enthalpy, outcome.enthalpy_kj) {
            with_enthalpy += 1;
            enthalpy_right += usize::from((actual - literature).abs() <= literature.abs() * 0.05);
        } else if row.enthalpy.is_some() {
            with_enthalpy += 1;
        }
    }
    let share = |n: usize, of: usize| 100.0 * n as f64 / of as f64;
    println!(
        "textbook suite: {} rows, products right {products_right} ({:.1} %); ΔH° within 5 %: {enthalpy_right} of {with_enthalpy} ({:.1} %)",
        rows.len(),
        share(products_right, rows.len()),
        share(enthalpy_right, with_enthalpy)
    );
    assert_eq!(products_right, rows.len());
    assert!(share(enthalpy_right, with_enthalpy) >= 90.0);
}
