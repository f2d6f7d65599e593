//! The published tables the engine's numbers come from. Every thermodynamic value in the
//! catalogue and every standard-state entropy in the element table names one of these, so a
//! reader can open the same table and find the same number.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Source {
    /// OpenStax *Chemistry 2e*, Appendix G, "Standard Thermodynamic Properties for Selected
    /// Substances" (2019; itself compiled from the NBS tables and the CRC Handbook).
    #[serde(rename = "OS2e")]
    OpenStax,
    /// Wagman et al., *The NBS Tables of Chemical Thermodynamic Properties*, J. Phys. Chem.
    /// Ref. Data 11, Suppl. 2 (1982).
    #[serde(rename = "NBS82")]
    Nbs,
    /// CRC Handbook of Chemistry and Physics, 95th ed. (2014), "Standard Thermodynamic
    /// Properties of Chemical Substances".
    #[serde(rename = "CRC")]
    Crc,
    /// Cox, Wagman, Medvedev, *CODATA Key Values for Thermodynamics* (1989).
    #[serde(rename = "CODATA")]
    Codata,
    /// Chase, *NIST-JANAF Thermochemical Tables*, 4th ed., J. Phys. Chem. Ref. Data
    /// Monograph 9 (1998).
    #[serde(rename = "JANAF")]
    Janaf,
    /// CRC Handbook of Chemistry and Physics, 95th ed. (2014), "Physical Constants of
    /// Inorganic Compounds" and "Physical Constants of Organic Compounds" (melting and
    /// boiling points).
    #[serde(rename = "CRC_PHYS")]
    CrcPhysical,
    /// Not a table: a dissolved strong electrolyte is the sum of its tabulated ions (the NBS
    /// convention for infinite dilution).
    #[serde(rename = "ION_SUM")]
    IonSum,
}

impl Source {
    /// Short stable code, e.g. `NBS82`.
    pub fn code(self) -> &'static str {
        match self {
            Source::OpenStax => "OS2e",
            Source::Nbs => "NBS82",
            Source::Crc => "CRC",
            Source::Codata => "CODATA",
            Source::Janaf => "JANAF",
            Source::CrcPhysical => "CRC_PHYS",
            Source::IonSum => "ION_SUM",
        }
    }

    /// The full reference, as a reader would look it up.
    pub fn citation(self) -> &'static str {
        match self {
            Source::OpenStax => {
                "OpenStax, Chemistry 2e (2019), Appendix G: Standard Thermodynamic Properties for Selected Substances"
            }
            Source::Nbs => {
                "Wagman et al., The NBS Tables of Chemical Thermodynamic Properties, J. Phys. Chem. Ref. Data 11, Suppl. 2 (1982)"
            }
            Source::Crc => {
                "CRC Handbook of Chemistry and Physics, 95th ed. (2014): Standard Thermodynamic Properties of Chemical Substances"
            }
            Source::Codata => {
                "Cox, Wagman, Medvedev, CODATA Key Values for Thermodynamics (Hemisphere, 1989)"
            }
            Source::Janaf => {
                "Chase, NIST-JANAF Thermochemical Tables, 4th ed., J. Phys. Chem. Ref. Data Monograph 9 (1998)"
            }
            Source::CrcPhysical => {
                "CRC Handbook of Chemistry and Physics, 95th ed. (2014): Physical Constants of Inorganic Compounds; Physical Constants of Organic Compounds"
            }
            Source::IonSum => "Sum of the tabulated ions (NBS convention for strong electrolytes at infinite dilution)",
        }
    }
}
