//! Integer helpers for the balancers: greatest common divisor and least common multiple on
//! `i64`. Coefficients and element counts are small, and `i64` keeps every division a single
//! machine instruction (the balancer divides on every row operation).

pub(crate) fn gcd(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    // Only gcd(i64::MIN, 0) exceeds i64::MAX; it saturates rather than wraps.
    i64::try_from(a).unwrap_or(i64::MAX)
}

/// `None` when the result does not fit.
pub(crate) fn lcm(a: i64, b: i64) -> Option<i64> {
    if a == 0 || b == 0 {
        return Some(0);
    }
    (a / gcd(a, b)).checked_mul(b).map(i64::abs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisors_and_multiples() {
        assert_eq!(gcd(12, -18), 6);
        assert_eq!(gcd(0, 7), 7);
        assert_eq!(gcd(0, 0), 0);
        assert_eq!(lcm(4, 6), Some(12));
        assert_eq!(lcm(-4, 6), Some(12));
        assert_eq!(lcm(i64::MAX, 2), None);
    }
}
