//! Exact rational numbers on `i128`, just enough for Gaussian elimination in
//! the equation balancer. Every operation is checked: an overflow surfaces as
//! `None` instead of a wrong coefficient.

/// A reduced fraction with a strictly positive denominator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rational {
    num: i128,
    den: i128,
}

pub(crate) fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    // Coefficient magnitudes stay far below i128::MAX, so this cannot wrap.
    i128::try_from(a).unwrap_or(i128::MAX)
}

pub(crate) fn lcm(a: i128, b: i128) -> Option<i128> {
    if a == 0 || b == 0 {
        return Some(0);
    }
    (a / gcd(a, b)).checked_mul(b).map(i128::abs)
}

impl Rational {
    pub(crate) const ZERO: Rational = Rational { num: 0, den: 1 };

    pub(crate) fn new(num: i128, den: i128) -> Option<Rational> {
        if den == 0 {
            return None;
        }
        let sign = if den < 0 { -1 } else { 1 };
        let g = gcd(num, den).max(1);
        Some(Rational {
            num: (num / g).checked_mul(sign)?,
            den: (den / g).checked_mul(sign)?,
        })
    }

    pub(crate) fn integer(value: i64) -> Rational {
        Rational {
            num: i128::from(value),
            den: 1,
        }
    }

    pub(crate) fn numerator(self) -> i128 {
        self.num
    }

    pub(crate) fn denominator(self) -> i128 {
        self.den
    }

    pub(crate) fn is_zero(self) -> bool {
        self.num == 0
    }

    pub(crate) fn checked_sub(self, other: Rational) -> Option<Rational> {
        let num = self
            .num
            .checked_mul(other.den)?
            .checked_sub(other.num.checked_mul(self.den)?)?;
        Rational::new(num, self.den.checked_mul(other.den)?)
    }

    pub(crate) fn checked_mul(self, other: Rational) -> Option<Rational> {
        Rational::new(
            self.num.checked_mul(other.num)?,
            self.den.checked_mul(other.den)?,
        )
    }

    pub(crate) fn checked_div(self, other: Rational) -> Option<Rational> {
        if other.num == 0 {
            return None;
        }
        Rational::new(
            self.num.checked_mul(other.den)?,
            self.den.checked_mul(other.num)?,
        )
    }

    pub(crate) fn negate(self) -> Rational {
        Rational {
            num: -self.num,
            den: self.den,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_reduces_fractions() {
        let half = Rational::new(2, 4).unwrap();
        assert_eq!(half, Rational::new(1, 2).unwrap());
        let third = Rational::new(-1, -3).unwrap();
        assert_eq!(
            half.checked_sub(third).unwrap(),
            Rational::new(1, 6).unwrap()
        );
        assert_eq!(
            half.checked_mul(third).unwrap(),
            Rational::new(1, 6).unwrap()
        );
        assert_eq!(
            half.checked_div(third).unwrap(),
            Rational::new(3, 2).unwrap()
        );
        assert!(half.checked_div(Rational::ZERO).is_none());
        assert_eq!(Rational::new(3, -6).unwrap().denominator(), 2);
        assert_eq!(lcm(4, 6), Some(12));
    }
}
