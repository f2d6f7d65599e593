//! Fractional position keys: a task's place within its status column is a string that sorts
//! (bytewise) between its neighbours', so moving a task rewrites that task alone. This is the
//! "fractional-indexing" scheme (D. Greenspan): a key is a variable-length integer part (its
//! first character encodes its length) followed by a base-62 fraction that never ends in the
//! zero digit. Appending at an end increments the integer, so keys grow logarithmically with
//! appends; inserting between neighbours takes the midpoint of their fractions.

const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ZERO: u8 = b'0';
const LAST_DIGIT: u8 = b'z';

fn digit_value(byte: u8) -> Option<usize> {
    DIGITS.iter().position(|&digit| digit == byte)
}

/// Length of the integer part, head included: `a`..`z` are 2..27 characters (non-negative
/// integers), `Z`..`A` also 2..27 (negative ones, sorting before).
fn integer_length(head: u8) -> Option<usize> {
    match head {
        b'a'..=b'z' => Some(usize::from(head - b'a') + 2),
        b'A'..=b'Z' => Some(usize::from(b'Z' - head) + 2),
        _ => None,
    }
}

fn split_key(key: &[u8]) -> Option<(&[u8], &[u8])> {
    let length = integer_length(*key.first()?)?;
    (key.len() >= length).then(|| key.split_at(length))
}

/// Is `key` a position this module could have produced?
pub fn is_valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let Some((integer, fraction)) = split_key(bytes) else {
        return false;
    };
    let smallest_integer = integer[0] == b'A' && integer[1..].iter().all(|&d| d == ZERO);
    bytes
        .iter()
        .skip(1)
        .all(|&byte| digit_value(byte).is_some())
        && fraction.last() != Some(&ZERO)
        && !(smallest_integer && fraction.is_empty())
}

/// Integer and fraction of a stored key (a malformed key counts as all integer).
fn parts(key: &str) -> (&[u8], &[u8]) {
    split_key(key.as_bytes()).unwrap_or((key.as_bytes(), &[]))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn increment_integer(integer: &[u8]) -> Option<Vec<u8>> {
    let (head, digits) = (integer[0], &integer[1..]);
    let mut digits = digits.to_vec();
    for index in (0..digits.len()).rev() {
        if digits[index] == LAST_DIGIT {
            digits[index] = ZERO;
        } else {
            digits[index] = DIGITS[digit_value(digits[index])? + 1];
            return Some([vec![head], digits].concat());
        }
    }
    // Every digit carried: move to the next integer length.
    match head {
        b'Z' => Some(vec![b'a', ZERO]),
        b'z' => None,
        _ => {
            let next_head = head + 1;
            if next_head > b'a' {
                digits.push(ZERO);
            } else {
                digits.pop();
            }
            Some([vec![next_head], digits].concat())
        }
    }
}

fn decrement_integer(integer: &[u8]) -> Option<Vec<u8>> {
    let (head, digits) = (integer[0], &integer[1..]);
    let mut digits = digits.to_vec();
    for index in (0..digits.len()).rev() {
        if digits[index] == ZERO {
            digits[index] = LAST_DIGIT;
        } else {
            digits[index] = DIGITS[digit_value(digits[index])? - 1];
            return Some([vec![head], digits].concat());
        }
    }
    match head {
        b'a' => Some(vec![b'Z', LAST_DIGIT]),
        b'A' => None,
        _ => {
            let previous_head = head - 1;
            if previous_head < b'Z' {
                digits.push(LAST_DIGIT);
            } else {
                digits.pop();
            }
            Some([vec![previous_head], digits].concat())
        }
    }
}

/// A key strictly between `before` and `after` (either may be open). Both must be valid keys
/// with `before < after`; callers read them from the database, where only valid keys exist.
pub fn key_between(before: Option<&str>, after: Option<&str>) -> String {
    match (before, after) {
        (None, None) => "a0".to_string(),
        (None, Some(after)) => {
            let (integer, fraction) = parts(after);
            let smallest = integer[0] == b'A' && integer[1..].iter().all(|&d| d == ZERO);
            if smallest {
                return text(integer) + &midpoint(&[], Some(fraction));
            }
            if integer.len() < after.len() {
                return text(integer);
            }
            decrement_integer(integer).map_or_else(
                || text(integer) + &midpoint(&[], Some(fraction)),
                |i| text(&i),
            )
        }
        (Some(before), None) => {
            let (integer, fraction) = parts(before);
            match increment_integer(integer) {
                Some(next) => text(&next),
                None => text(integer) + &midpoint(fraction, None),
            }
        }
        (Some(before), Some(after)) => {
            let (integer_a, fraction_a) = parts(before);
            let (integer_b, fraction_b) = parts(after);
            if integer_a == integer_b {
                return text(integer_a) + &midpoint(fraction_a, Some(fraction_b));
            }
            match increment_integer(integer_a) {
                Some(next) if next.as_slice() < after.as_bytes() => text(&next),
                _ => text(integer_a) + &midpoint(fraction_a, None),
            }
        }
    }
}

/// Midpoint of two fractions read as base-62 digits after the point; `None` for `upper` is 1.
fn midpoint(lower: &[u8], upper: Option<&[u8]>) -> String {
    if let Some(upper) = upper {
        let shared = (0..upper.len())
            .take_while(|&index| lower.get(index).copied().unwrap_or(ZERO) == upper[index])
            .count();
        if shared > 0 {
            let rest_lower = lower.get(shared..).unwrap_or(&[]);
            return text(&upper[..shared]) + &midpoint(rest_lower, Some(&upper[shared..]));
        }
    }
    let lower_digit = lower
        .first()
        .and_then(|&byte| digit_value(byte))
        .unwrap_or(0);
    let upper_digit = upper
        .and_then(|upper| upper.first())
        .and_then(|&byte| digit_value(byte))
        .unwrap_or(DIGITS.len());
    if upper_digit - lower_digit > 1 {
        let middle = (lower_digit + upper_digit).div_ceil(2);
        return (DIGITS[middle] as char).to_string();
    }
    match upper {
        Some(upper) if upper.len() > 1 => (upper[0] as char).to_string(),
        _ => {
            let rest_lower = lower.get(1..).unwrap_or(&[]);
            format!(
                "{}{}",
                DIGITS[lower_digit] as char,
                midpoint(rest_lower, None)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_between(before: Option<&str>, after: Option<&str>) -> String {
        let key = key_between(before, after);
        assert!(is_valid_key(&key), "{key:?} is not a valid key");
        if let Some(before) = before {
            assert!(before < key.as_str(), "{before:?} < {key:?}");
        }
        if let Some(after) = after {
            assert!(key.as_str() < after, "{key:?} < {after:?}");
        }
        key
    }

    #[test]
    fn keys_fall_strictly_between_their_neighbours() {
        let first = assert_between(None, None);
        let later = assert_between(Some(&first), None);
        let earlier = assert_between(None, Some(&first));
        assert_between(Some(&earlier), Some(&first));
        assert_between(Some(&first), Some(&later));
        assert_between(Some("a0"), Some("a0V"));
        assert_between(Some("Zz"), Some("a0"));
        assert_between(Some("a0V"), Some("a1"));
    }

    #[test]
    fn repeated_insertion_at_one_spot_keeps_order_and_short_keys() {
        // Always inserting right after the same task: the worst case for key growth.
        let anchor = key_between(None, None);
        let mut upper = key_between(Some(&anchor), None);
        for _ in 0..1000 {
            upper = assert_between(Some(&anchor), Some(&upper));
        }
        assert!(upper.len() < 250, "keys grew to {} bytes", upper.len());
        // Appending (or prepending) repeatedly grows keys only logarithmically.
        let mut last = key_between(None, None);
        let mut first = last.clone();
        for _ in 0..100_000 {
            last = assert_between(Some(&last), None);
            first = assert_between(None, Some(&first));
        }
        assert!(last.len() <= 4, "{last}");
        assert!(first.len() <= 4, "{first}");
    }

    #[test]
    fn a_shuffled_sequence_of_insertions_stays_sorted() {
        let mut keys: Vec<String> = vec![key_between(None, None)];
        let mut seed: u64 = 42;
        for _ in 0..2000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let slot = (seed >> 33) as usize % (keys.len() + 1);
            let before = slot.checked_sub(1).map(|index| keys[index].as_str());
            let after = keys.get(slot).map(String::as_str);
            let key = assert_between(before, after);
            keys.insert(slot, key);
        }
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]));
    }
}
