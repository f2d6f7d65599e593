//! Chemical formula parsing: elements, nested `()`/`[]` groups, hydrates,
//! ionic charges and state suffixes, plus the two normal forms we print.
//!
//! Accepted notation (whitespace only around a hydrate dot):
//! * groups: `Ca(OH)2`, `K3[Fe(CN)6]`
//! * hydrates: `CuSO4·5H2O`, `CuSO4*5H2O`, `CuSO4.5H2O` (also `•`, `⋅`, `∙`)
//! * charges: `SO4^2-`, `Fe^3+`, `Na+`, `OH-`, `Fe+++`, `SO₄²⁻`; a bare
//!   `Fe3+`/`Ba2+` means Fe³⁺/Ba²⁺ because the digits follow a lone element
//!   symbol; after anything longer (`NO3-`) digits are subscripts
//! * state suffixes: `(s)`, `(l)`, `(g)`, `(aq)`
//! * Unicode subscript digits and the minus sign `−`
//!
//! Normal forms:
//! * `canonical` keeps the structure as written (so `Ca(OH)2` stays readable
//!   and isomers such as `CH3COOH`/`HCOOCH3` stay distinct) but normalises
//!   notation: hydrate dot → `·`, implicit counts of 1 dropped, charge written
//!   `+`, `-`, or `^n±`, state removed.
//! * `hill` is the Hill-order composition (C, H, then alphabetical; without
//!   carbon everything alphabetical), used to match formulas written in
//!   another order.
//!
//! Error positions are character indices into the input after trimming.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

use super::elements::element;
use super::model::State;

pub const MAX_FORMULA_CHARS: usize = 200;
const MAX_COUNT: i64 = 9_999;
const MAX_DEPTH: usize = 16;
const MAX_CHARGE: i32 = 99;
const HYDRATE_DOT: char = '·';

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParsedFormula {
    pub canonical: String,
    pub hill: String,
    pub elements: BTreeMap<&'static str, i64>,
    pub charge: i32,
    pub state: Option<State>,
}

impl ParsedFormula {
    /// `canonical` with the state suffix, if one was given.
    pub fn with_state(&self) -> String {
        match self.state {
            Some(state) => format!("{}({})", self.canonical, state.symbol()),
            None => self.canonical.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FormulaError {
    Empty,
    TooLong { max_chars: usize },
    UnexpectedCharacter { character: char, position: usize },
    UnknownElement { symbol: String, position: usize },
    UnclosedBracket { position: usize },
    UnmatchedClosingBracket { position: usize },
    MismatchedBracket { position: usize },
    EmptyGroup { position: usize },
    ZeroCount { position: usize },
    CountTooLarge { position: usize },
    LeadingCoefficient,
    InvalidCharge { position: usize },
    NestingTooDeep { max_depth: usize },
}

impl FormulaError {
    pub fn message(&self) -> String {
        match self {
            FormulaError::Empty => "the formula is empty".to_string(),
            FormulaError::TooLong { max_chars } => {
                format!("the formula is longer than {max_chars} characters")
            }
            FormulaError::UnexpectedCharacter {
                character,
                position,
            } => format!("unexpected character '{character}' at position {position}"),
            FormulaError::UnknownElement { symbol, position } => {
                format!("'{symbol}' at position {position} is not an element symbol (symbols are case-sensitive: Co is cobalt, CO is carbon monoxide)")
            }
            FormulaError::UnclosedBracket { position } => {
                format!("the bracket opened at position {position} is never closed")
            }
            FormulaError::UnmatchedClosingBracket { position } => {
                format!("closing bracket at position {position} has no opening bracket")
            }
            FormulaError::MismatchedBracket { position } => {
                format!("bracket at position {position} does not match the one it closes")
            }
            FormulaError::EmptyGroup { position } => {
                format!("empty group or hydrate part at position {position}")
            }
            FormulaError::ZeroCount { position } => {
                format!("count at position {position} is zero")
            }
            FormulaError::CountTooLarge { position } => {
                format!("count at position {position} is too large")
            }
            FormulaError::LeadingCoefficient => {
                "write the formula without a leading coefficient (use the amount field instead)"
                    .to_string()
            }
            FormulaError::InvalidCharge { position } => {
                format!("invalid charge notation at position {position}; write e.g. SO4^2-, Fe^3+, Na+ or OH-")
            }
            FormulaError::NestingTooDeep { max_depth } => {
                format!("brackets are nested more than {max_depth} levels deep")
            }
        }
    }
}

impl fmt::Display for FormulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for FormulaError {}

#[derive(Debug)]
enum Item {
    Element {
        symbol: &'static str,
        count: i64,
    },
    Group {
        open: char,
        items: Vec<Item>,
        count: i64,
    },
}

/// One `·`-separated part, e.g. `5H2O` in `CuSO4·5H2O`.
#[derive(Debug)]
struct Part {
    coefficient: i64,
    items: Vec<Item>,
}

pub fn parse_formula(text: &str) -> Result<ParsedFormula, FormulaError> {
    if text.chars().count() > MAX_FORMULA_CHARS {
        return Err(FormulaError::TooLong {
            max_chars: MAX_FORMULA_CHARS,
        });
    }
    let chars = normalize(text.trim())?;
    if chars.is_empty() {
        return Err(FormulaError::Empty);
    }
    let (chars, state) = split_state(&chars);
    let (body, charge) = split_charge(chars)?;
    if body.is_empty() {
        return Err(FormulaError::Empty);
    }
    let parts = parse_body(body)?;
    let elements = composition(&parts)?;
    let body = render_parts(&parts);
    let suffix = if charge.abs() == 1 && looks_like_ion_charge(&body) {
        format!("^{}", charge_suffix(charge))
    } else {
        charge_suffix(charge)
    };
    Ok(ParsedFormula {
        canonical: format!("{body}{suffix}"),
        hill: format!("{}{suffix}", hill_formula(&elements)),
        elements,
        charge,
        state,
    })
}

/// Charge as printed after a formula: `+`, `-`, `^2+`, `^3-`.
pub fn charge_suffix(charge: i32) -> String {
    let sign = if charge > 0 { '+' } else { '-' };
    match charge.unsigned_abs() {
        0 => String::new(),
        1 => sign.to_string(),
        n => format!("^{n}{sign}"),
    }
}

fn subscript_digit(c: char) -> Option<char> {
    let offset = u32::from(c).checked_sub(0x2080)?;
    (offset <= 9)
        .then(|| char::from_digit(offset, 10))
        .flatten()
}

fn superscript(c: char) -> Option<char> {
    match c {
        '⁰' => Some('0'),
        '¹' => Some('1'),
        '²' => Some('2'),
        '³' => Some('3'),
        '⁴' => Some('4'),
        '⁵' => Some('5'),
        '⁶' => Some('6'),
        '⁷' => Some('7'),
        '⁸' => Some('8'),
        '⁹' => Some('9'),
        '⁺' => Some('+'),
        '⁻' => Some('-'),
        _ => None,
    }
}

/// Maps Unicode variants to ASCII, turns a superscript run into `^…`, and
/// removes whitespace around hydrate dots (and only there).
fn normalize(text: &str) -> Result<Vec<char>, FormulaError> {
    let mut mapped: Vec<char> = Vec::with_capacity(text.len());
    let mut in_superscript = false;
    for c in text.chars() {
        if let Some(plain) = superscript(c) {
            if !in_superscript {
                mapped.push('^');
                in_superscript = true;
            }
            mapped.push(plain);
            continue;
        }
        in_superscript = false;
        mapped.push(match c {
            '·' | '•' | '⋅' | '∙' | '*' | '.' => HYDRATE_DOT,
            '−' | '–' => '-',
            other => subscript_digit(other).unwrap_or(other),
        });
    }
    let mut out = Vec::with_capacity(mapped.len());
    for (i, &c) in mapped.iter().enumerate() {
        if !c.is_whitespace() {
            out.push(c);
            continue;
        }
        let before = mapped[..i].iter().rev().find(|c| !c.is_whitespace());
        let after = mapped[i + 1..].iter().find(|c| !c.is_whitespace());
        if before != Some(&HYDRATE_DOT) && after != Some(&HYDRATE_DOT) {
            return Err(FormulaError::UnexpectedCharacter {
                character: c,
                position: i,
            });
        }
    }
    Ok(out)
}

fn split_state(chars: &[char]) -> (&[char], Option<State>) {
    const SUFFIXES: [(&str, State); 5] = [
        ("(aq)", State::Aqueous),
        ("(AQ)", State::Aqueous),
        ("(s)", State::Solid),
        ("(l)", State::Liquid),
        ("(g)", State::Gas),
    ];
    for (suffix, state) in SUFFIXES {
        let n = suffix.chars().count();
        if chars.len() >= n && chars[chars.len() - n..].iter().copied().eq(suffix.chars()) {
            return (&chars[..chars.len() - n], Some(state));
        }
    }
    (chars, None)
}

fn is_sign(c: char) -> bool {
    c == '+' || c == '-'
}

fn split_charge(chars: &[char]) -> Result<(&[char], i32), FormulaError> {
    if let Some(caret) = chars.iter().rposition(|&c| c == '^') {
        let charge = caret_charge(&chars[caret + 1..])
            .ok_or(FormulaError::InvalidCharge { position: caret })?;
        return Ok((&chars[..caret], charge));
    }
    let signs = chars.iter().rev().take_while(|&&c| is_sign(c)).count();
    if signs == 0 {
        return Ok((chars, 0));
    }
    let body = &chars[..chars.len() - signs];
    let sign_char = chars[chars.len() - 1];
    if chars[chars.len() - signs..].iter().any(|&c| c != sign_char) {
        return Err(FormulaError::InvalidCharge {
            position: chars.len() - signs,
        });
    }
    let sign = if sign_char == '+' { 1 } else { -1 };
    if signs > 1 {
        let magnitude = i32::try_from(signs).unwrap_or(i32::MAX);
        if magnitude > MAX_CHARGE {
            return Err(FormulaError::InvalidCharge { position: 0 });
        }
        return Ok((body, sign * magnitude));
    }
    Ok(monatomic_charge(body, sign).unwrap_or((body, sign)))
}

/// `Fe2` + `+` would read back as Fe²⁺, so such bodies keep the caret.
fn looks_like_ion_charge(body: &str) -> bool {
    let head = body.trim_end_matches(|c: char| c.is_ascii_digit());
    head.len() < body.len() && element(head).is_some()
}

/// `Fe3+` → (`Fe`, +3): digits after a lone element symbol are a charge.
fn monatomic_charge(body: &[char], sign: i32) -> Option<(&[char], i32)> {
    let digits = body.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 2 {
        return None;
    }
    let head = &body[..body.len() - digits];
    let symbol: String = head.iter().collect();
    let well_formed = match head {
        [a] => a.is_ascii_uppercase(),
        [a, b] => a.is_ascii_uppercase() && b.is_ascii_lowercase(),
        _ => false,
    };
    if !well_formed || element(&symbol).is_none() {
        return None;
    }
    let magnitude: i32 = body[head.len()..].iter().collect::<String>().parse().ok()?;
    (magnitude > 0).then_some((head, sign * magnitude))
}

/// The text after `^`: `2-`, `-`, `++`, `+2`.
fn caret_charge(tail: &[char]) -> Option<i32> {
    let lead = tail.iter().take_while(|c| c.is_ascii_digit()).count();
    let rest = &tail[lead..];
    let sign_char = *rest.first()?;
    if !is_sign(sign_char) {
        return None;
    }
    let signs = rest.iter().take_while(|&&c| c == sign_char).count();
    let trail = &rest[signs..];
    if !trail.iter().all(|c| c.is_ascii_digit()) || (lead > 0 && (signs > 1 || !trail.is_empty())) {
        return None;
    }
    let digits: String = if lead > 0 { &tail[..lead] } else { trail }
        .iter()
        .collect();
    let magnitude: i32 = if digits.is_empty() {
        i32::try_from(signs).ok()?
    } else if signs == 1 && digits.len() <= 2 {
        digits.parse().ok()?
    } else {
        return None;
    };
    if magnitude == 0 || magnitude > MAX_CHARGE {
        return None;
    }
    Some(if sign_char == '+' {
        magnitude
    } else {
        -magnitude
    })
}

fn parse_body(body: &[char]) -> Result<Vec<Part>, FormulaError> {
    let mut parts = Vec::new();
    let mut start = 0;
    for segment in body.split(|&c| c == HYDRATE_DOT) {
        let mut parser = Parser {
            chars: segment,
            pos: 0,
            offset: start,
        };
        let coefficient = if parser.peek().is_some_and(|c| c.is_ascii_digit()) {
            if parts.is_empty() {
                return Err(FormulaError::LeadingCoefficient);
            }
            parser.count()?
        } else {
            1
        };
        let items = parser.sequence(None, 0)?;
        if items.is_empty() {
            return Err(FormulaError::EmptyGroup { position: start });
        }
        parts.push(Part { coefficient, items });
        start += segment.len() + 1;
    }
    Ok(parts)
}

struct Parser<'a> {
    chars: &'a [char],
    pos: usize,
    offset: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn position(&self) -> usize {
        self.offset + self.pos
    }

    fn unexpected(&self, character: char) -> FormulaError {
        FormulaError::UnexpectedCharacter {
            character,
            position: self.position(),
        }
    }

    /// Items up to the matching `closing` bracket (consumed) or the end.
    fn sequence(
        &mut self,
        closing: Option<(char, usize)>,
        depth: usize,
    ) -> Result<Vec<Item>, FormulaError> {
        if depth > MAX_DEPTH {
            return Err(FormulaError::NestingTooDeep {
                max_depth: MAX_DEPTH,
            });
        }
        let mut items = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return match closing {
                    Some((_, opened_at)) => Err(FormulaError::UnclosedBracket {
                        position: opened_at,
                    }),
                    None => Ok(items),
                };
            };
            match c {
                'A'..='Z' => items.push(self.element()?),
                '(' | '[' => items.push(self.group(c, depth)?),
                ')' | ']' => {
                    return match closing {
                        Some((expected, _)) if expected == c => {
                            self.pos += 1;
                            Ok(items)
                        }
                        Some(_) => Err(FormulaError::MismatchedBracket {
                            position: self.position(),
                        }),
                        None => Err(FormulaError::UnmatchedClosingBracket {
                            position: self.position(),
                        }),
                    };
                }
                other => return Err(self.unexpected(other)),
            }
        }
    }

    fn element(&mut self) -> Result<Item, FormulaError> {
        let start = self.position();
        let first = self.chars[self.pos];
        self.pos += 1;
        let mut symbol = first.to_string();
        if let Some(second) = self.peek().filter(char::is_ascii_lowercase) {
            symbol.push(second);
            self.pos += 1;
        }
        let Some(el) = element(&symbol) else {
            return Err(FormulaError::UnknownElement {
                symbol,
                position: start,
            });
        };
        let count = self.optional_count()?;
        Ok(Item::Element {
            symbol: el.symbol,
            count,
        })
    }

    fn group(&mut self, open: char, depth: usize) -> Result<Item, FormulaError> {
        let opened_at = self.position();
        self.pos += 1;
        let close = if open == '(' { ')' } else { ']' };
        let items = self.sequence(Some((close, opened_at)), depth + 1)?;
        if items.is_empty() {
            return Err(FormulaError::EmptyGroup {
                position: opened_at,
            });
        }
        let count = self.optional_count()?;
        Ok(Item::Group { open, items, count })
    }

    fn optional_count(&mut self) -> Result<i64, FormulaError> {
        if self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.count()
        } else {
            Ok(1)
        }
    }

    fn count(&mut self) -> Result<i64, FormulaError> {
        let start = self.position();
        let mut value: i64 = 0;
        while let Some(digit) = self.peek().and_then(|c| c.to_digit(10)) {
            value = value * 10 + i64::from(digit);
            if value > MAX_COUNT {
                return Err(FormulaError::CountTooLarge { position: start });
            }
            self.pos += 1;
        }
        if value == 0 {
            return Err(FormulaError::ZeroCount { position: start });
        }
        Ok(value)
    }
}

fn composition(parts: &[Part]) -> Result<BTreeMap<&'static str, i64>, FormulaError> {
    let mut totals = BTreeMap::new();
    for part in parts {
        add_items(&part.items, part.coefficient, &mut totals)?;
    }
    Ok(totals)
}

fn add_items(
    items: &[Item],
    multiplier: i64,
    totals: &mut BTreeMap<&'static str, i64>,
) -> Result<(), FormulaError> {
    let overflow = FormulaError::CountTooLarge { position: 0 };
    for item in items {
        match item {
            Item::Element { symbol, count } => {
                let added = count.checked_mul(multiplier).ok_or(overflow.clone())?;
                let total = totals.entry(symbol).or_insert(0);
                *total = total.checked_add(added).ok_or(overflow.clone())?;
            }
            Item::Group { items, count, .. } => {
                let inner = count.checked_mul(multiplier).ok_or(overflow.clone())?;
                add_items(items, inner, totals)?;
            }
        }
    }
    Ok(())
}

fn render_parts(parts: &[Part]) -> String {
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(HYDRATE_DOT);
            if part.coefficient > 1 {
                out.push_str(&part.coefficient.to_string());
            }
        }
        render_items(&part.items, &mut out);
    }
    out
}

fn render_items(items: &[Item], out: &mut String) {
    for item in items {
        let count = match item {
            Item::Element { symbol, count } => {
                out.push_str(symbol);
                *count
            }
            Item::Group { open, items, count } => {
                out.push(*open);
                render_items(items, out);
                out.push(if *open == '(' { ')' } else { ']' });
                *count
            }
        };
        if count > 1 {
            out.push_str(&count.to_string());
        }
    }
}

fn hill_formula(elements: &BTreeMap<&'static str, i64>) -> String {
    let mut out = String::new();
    let push = |out: &mut String, symbol: &str, count: i64| {
        out.push_str(symbol);
        if count > 1 {
            out.push_str(&count.to_string());
        }
    };
    let has_carbon = elements.contains_key("C");
    if has_carbon {
        for symbol in ["C", "H"] {
            if let Some(&count) = elements.get(symbol) {
                push(&mut out, symbol, count);
            }
        }
    }
    for (&symbol, &count) in elements {
        if !(has_carbon && (symbol == "C" || symbol == "H")) {
            push(&mut out, symbol, count);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ParsedFormula {
        parse_formula(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn parses_groups_hydrates_and_states() {
        let f = parse("Ca(OH)2");
        assert_eq!(f.canonical, "Ca(OH)2");
        assert_eq!(f.hill, "CaH2O2");
        assert_eq!(f.elements.get("H"), Some(&2));
        let h = parse("CuSO4*5H2O(s)");
        assert_eq!(h.canonical, "CuSO4·5H2O");
        assert_eq!(h.state, Some(State::Solid));
        assert_eq!(h.elements.get("O"), Some(&9));
        assert_eq!(parse("CuSO4 . 5H2O").canonical, "CuSO4·5H2O");
        assert_eq!(parse("K3[Fe(CN)6]").elements.get("C"), Some(&6));
        assert_eq!(parse("CH3COOH").hill, "C2H4O2");
        assert_eq!(parse("NaCl(aq)").state, Some(State::Aqueous));
        assert_eq!(parse("H1Cl1").canonical, "HCl");
    }

    #[test]
    fn parses_charges() {
        for (text, canonical, charge) in [
            ("SO4^2-", "SO4^2-", -2),
            ("Na+", "Na+", 1),
            ("Fe^3+", "Fe^3+", 3),
            ("Fe3+", "Fe^3+", 3),
            ("Ba2+", "Ba^2+", 2),
            ("OH-", "OH-", -1),
            ("NO3-", "NO3-", -1),
            ("Fe+++", "Fe^3+", 3),
            ("SO₄²⁻", "SO4^2-", -2),
            ("PO4^-3", "PO4^3-", -3),
            ("Cu^2+(aq)", "Cu^2+", 2),
        ] {
            let f = parse(text);
            assert_eq!(
                (f.canonical.as_str(), f.charge),
                (canonical, charge),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_malformed_input() {
        for (text, expected) in [
            ("", FormulaError::Empty),
            (
                "Xx2",
                FormulaError::UnknownElement {
                    symbol: "Xx".into(),
                    position: 0,
                },
            ),
            ("Ca(OH2", FormulaError::UnclosedBracket { position: 2 }),
            (
                "CaOH)2",
                FormulaError::UnmatchedClosingBracket { position: 4 },
            ),
            ("Ca(OH]2", FormulaError::MismatchedBracket { position: 5 }),
            ("H0", FormulaError::ZeroCount { position: 1 }),
            ("2H2O", FormulaError::LeadingCoefficient),
            (
                "nacl",
                FormulaError::UnexpectedCharacter {
                    character: 'n',
                    position: 0,
                },
            ),
            (
                "Na Cl",
                FormulaError::UnexpectedCharacter {
                    character: ' ',
                    position: 2,
                },
            ),
            ("()", FormulaError::EmptyGroup { position: 0 }),
            ("SO4^2", FormulaError::InvalidCharge { position: 3 }),
            ("H99999", FormulaError::CountTooLarge { position: 1 }),
        ] {
            assert_eq!(parse_formula(text), Err(expected), "{text:?}");
        }
        assert!(parse_formula(&"H".repeat(500)).is_err());
        assert!(parse_formula("((((((((((((((((((H))))))))))))))))))").is_err());
    }
}
