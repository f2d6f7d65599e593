//! Equation balancing by exact linear algebra.
//!
//! Each species is a column of the element/charge matrix (reactants positive,
//! products negative). The balanced coefficients span the matrix's nullspace,
//! found by fraction-free Gaussian elimination over the integers (each row is
//! kept divided by the gcd of its entries, so the numbers stay as small as the
//! equation's). A one-dimensional nullspace with an all-positive basis vector
//! gives the unique smallest integer coefficients; anything else is reported
//! instead of guessed. Every operation is checked: an overflow surfaces as an
//! error instead of a wrong coefficient.

use serde::Serialize;
use std::fmt;

use super::arithmetic::{gcd, lcm};
use super::formula::ParsedFormula;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BalanceError {
    /// One side of the equation has no species.
    EmptySide,
    /// Only the all-zero solution exists, or a species would need a zero or
    /// negative coefficient.
    CannotBalance {
        reason: String,
    },
    /// Several independent reactions are mixed together.
    Ambiguous {
        independent_solutions: usize,
    },
    Overflow,
}

impl fmt::Display for BalanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BalanceError::EmptySide => {
                f.write_str("both sides of the equation need at least one species")
            }
            BalanceError::CannotBalance { reason } => write!(f, "cannot be balanced: {reason}"),
            BalanceError::Ambiguous {
                independent_solutions,
            } => write!(
                f,
                "ambiguous: {independent_solutions} independent balanced equations exist"
            ),
            BalanceError::Overflow => f.write_str("coefficients are too large"),
        }
    }
}

impl std::error::Error for BalanceError {}

/// Smallest positive integer coefficients, reactants first then products.
pub fn balance(
    reactants: &[ParsedFormula],
    products: &[ParsedFormula],
) -> Result<Vec<u32>, BalanceError> {
    let reactants: Vec<&ParsedFormula> = reactants.iter().collect();
    let products: Vec<&ParsedFormula> = products.iter().collect();
    balance_refs(&reactants, &products)
}

pub(crate) fn balance_refs(
    reactants: &[&ParsedFormula],
    products: &[&ParsedFormula],
) -> Result<Vec<u32>, BalanceError> {
    if reactants.is_empty() || products.is_empty() {
        return Err(BalanceError::EmptySide);
    }
    let mut matrix = build_matrix(reactants, products);
    let pivots = reduce_to_echelon(&mut matrix)?;
    let columns = reactants.len() + products.len();
    let nullity = columns - pivots.len();
    match nullity {
        0 => Err(BalanceError::CannotBalance {
            reason: "no combination of these species conserves every element and the charge".into(),
        }),
        1 => integer_solution(&matrix, &pivots, columns),
        n => Err(BalanceError::Ambiguous {
            independent_solutions: n,
        }),
    }
}

/// Whether these coefficients conserve every element and the charge. For equations the
/// matrix balancer calls ambiguous (permanganate with hydrogen peroxide also balances with
/// any amount of peroxide decomposing), the half-reaction method's coefficients are checked
/// with this instead.
pub(crate) fn conserves(
    reactants: &[&ParsedFormula],
    products: &[&ParsedFormula],
    coefficients: &[u32],
) -> bool {
    if coefficients.len() != reactants.len() + products.len() || coefficients.contains(&0) {
        return false;
    }
    let matrix = build_matrix(reactants, products);
    matrix.iter().all(|row| {
        row.iter()
            .zip(coefficients)
            .try_fold(0_i64, |sum, (&value, &n)| {
                sum.checked_add(value.checked_mul(i64::from(n))?)
            })
            == Some(0)
    })
}

/// Rows: one per element, plus one for charge when any species is charged.
fn build_matrix(reactants: &[&ParsedFormula], products: &[&ParsedFormula]) -> Vec<Vec<i64>> {
    let species: Vec<(&ParsedFormula, i64)> = reactants
        .iter()
        .map(|f| (*f, 1))
        .chain(products.iter().map(|f| (*f, -1)))
        .collect();
    let mut symbols: Vec<&'static str> = species
        .iter()
        .flat_map(|(f, _)| f.elements.keys().copied())
        .collect();
    symbols.sort_unstable();
    symbols.dedup();
    let charged = species.iter().any(|(f, _)| f.charge != 0);
    let mut rows = vec![vec![0; species.len()]; symbols.len() + usize::from(charged)];
    for (column, (formula, side)) in species.iter().enumerate() {
        for (symbol, &count) in &formula.elements {
            if let Ok(row) = symbols.binary_search(symbol) {
                rows[row][column] = count * side;
            }
        }
        if charged {
            rows[symbols.len()][column] = i64::from(formula.charge) * side;
        }
    }
    rows
}

/// In-place reduced row echelon form over the integers: each pivot row has one nonzero
/// entry among the pivot columns, and every row is primitive. Returns the pivot column of
/// each row.
fn reduce_to_echelon(matrix: &mut [Vec<i64>]) -> Result<Vec<usize>, BalanceError> {
    let columns = matrix.first().map_or(0, Vec::len);
    let mut pivots = Vec::new();
    let mut row = 0;
    for col in 0..columns {
        let Some(found) = (row..matrix.len()).find(|&r| matrix[r][col] != 0) else {
            continue;
        };
        matrix.swap(row, found);
        let (above, rest) = matrix.split_at_mut(row);
        let Some((pivot_row, below)) = rest.split_first_mut() else {
            break;
        };
        make_primitive(pivot_row);
        let pivot = pivot_row[col];
        for values in above.iter_mut().chain(below.iter_mut()) {
            let factor = values[col];
            if factor == 0 {
                continue;
            }
            // values · pivot − pivot_row · factor clears this column and keeps the zeros of
            // the earlier pivot columns, which the pivot row has too.
            for (value, &pivot_value) in values.iter_mut().zip(pivot_row.iter()) {
                *value = value
                    .checked_mul(pivot)
                    .zip(pivot_value.checked_mul(factor))
                    .and_then(|(scaled, delta)| scaled.checked_sub(delta))
                    .ok_or(BalanceError::Overflow)?;
            }
            make_primitive(values);
        }
        pivots.push(col);
        row += 1;
        if row == matrix.len() {
            break;
        }
    }
    Ok(pivots)
}

/// Divides a row by the gcd of its entries.
fn make_primitive(values: &mut [i64]) {
    let divisor = values.iter().fold(0, |acc, &v| gcd(acc, v));
    if divisor > 1 {
        values.iter_mut().for_each(|v| *v /= divisor);
    }
}

/// Sets the single free variable to the lcm of the pivots, solves for the pivot variables
/// (row `i` reads `pivot_i · x_pivot + a_i · x_free = 0`), reduces to the smallest integers
/// and checks every coefficient is positive.
fn integer_solution(
    matrix: &[Vec<i64>],
    pivots: &[usize],
    columns: usize,
) -> Result<Vec<u32>, BalanceError> {
    let free = (0..columns)
        .find(|c| !pivots.contains(c))
        .ok_or(BalanceError::Overflow)?;
    let mut scale = 1;
    for (row, &pivot) in pivots.iter().enumerate() {
        scale = lcm(scale, matrix[row][pivot]).ok_or(BalanceError::Overflow)?;
    }
    let mut integers = vec![0; columns];
    integers[free] = scale;
    for (row, &pivot) in pivots.iter().enumerate() {
        integers[pivot] = matrix[row][free]
            .checked_mul(scale / matrix[row][pivot])
            .and_then(i64::checked_neg)
            .ok_or(BalanceError::Overflow)?;
    }
    if integers.iter().all(|&v| v <= 0) {
        // Only `scale`-sized values here, far from i64::MIN.
        integers.iter_mut().for_each(|v| *v = v.saturating_neg());
    }
    if integers.iter().any(|&v| v <= 0) {
        return Err(BalanceError::CannotBalance {
            reason: "a species would need a zero or negative coefficient".into(),
        });
    }
    let divisor = integers.iter().fold(0, |acc, &v| gcd(acc, v)).max(1);
    integers
        .into_iter()
        .map(|v| u32::try_from(v / divisor).map_err(|_| BalanceError::Overflow))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::formula::parse_formula;
    use super::*;

    fn coefficients(reactants: &[&str], products: &[&str]) -> Result<Vec<u32>, BalanceError> {
        let parse = |list: &[&str]| -> Vec<ParsedFormula> {
            list.iter().map(|f| parse_formula(f).unwrap()).collect()
        };
        balance(&parse(reactants), &parse(products))
    }

    #[test]
    fn balances_textbook_equations() {
        assert_eq!(
            coefficients(&["CH4", "O2"], &["CO2", "H2O"]),
            Ok(vec![1, 2, 1, 2])
        );
        assert_eq!(
            coefficients(&["C8H18", "O2"], &["CO2", "H2O"]),
            Ok(vec![2, 25, 16, 18])
        );
        assert_eq!(
            coefficients(&["Fe2O3", "Al"], &["Al2O3", "Fe"]),
            Ok(vec![1, 2, 1, 2])
        );
        assert_eq!(
            coefficients(&["Cu", "HNO3"], &["Cu(NO3)2", "NO", "H2O"]),
            Ok(vec![3, 8, 3, 2, 4])
        );
        assert_eq!(
            coefficients(&["Zn", "Cu^2+"], &["Zn^2+", "Cu"]),
            Ok(vec![1, 1, 1, 1])
        );
        assert_eq!(
            coefficients(&["MnO4-", "Fe^2+", "H+"], &["Mn^2+", "Fe^3+", "H2O"]),
            Ok(vec![1, 5, 8, 1, 5, 4])
        );
        // Nine species and large coefficients: the rows' gcd keeps the integers small.
        assert_eq!(
            coefficients(
                &["K4Fe(CN)6", "KMnO4", "H2SO4"],
                &["KHSO4", "Fe2(SO4)3", "MnSO4", "HNO3", "CO2", "H2O"]
            ),
            Ok(vec![10, 122, 299, 162, 5, 122, 60, 60, 188])
        );
    }

    #[test]
    fn reports_unbalanceable_and_ambiguous_equations() {
        assert!(matches!(
            coefficients(&["H2"], &["O2"]),
            Err(BalanceError::CannotBalance { .. })
        ));
        assert!(matches!(
            coefficients(&["H2", "O2"], &["H2O", "H2O2"]),
            Err(BalanceError::Ambiguous {
                independent_solutions: 2
            })
        ));
        assert!(matches!(
            coefficients(&["H2O"], &["H2O", "H2"]),
            Err(BalanceError::CannotBalance { .. })
        ));
        assert_eq!(coefficients(&[], &["H2O"]), Err(BalanceError::EmptySide));
    }
}
