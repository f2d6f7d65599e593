//! CSV as RFC 4180 has it: a header line, fields separated by a delimiter, quoted fields that may
//! hold delimiters, doubled quotes and line breaks; CRLF or LF line ends. Columns are typed by the
//! component's config; an empty unquoted field is null.

use std::collections::BTreeMap;

use serde_json::Value;

use super::rows::{FieldType, Row};

/// Why a CSV text could not be read, with the 1-based line it happened on.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvError {
    pub line: usize,
    pub message: String,
}

/// A field as read: its text and whether it was quoted (a quoted empty field is "", not null).
struct RawField {
    text: String,
    quoted: bool,
}

/// The records of a CSV text, read one at a time so rows can flow on before the whole text is
/// read. Each record comes with the line it started on.
struct Records<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    delimiter: char,
    line: usize,
    failed: bool,
}

fn records(text: &str, delimiter: char) -> Records<'_> {
    Records {
        chars: text.chars().peekable(),
        delimiter,
        line: 1,
        failed: false,
    }
}

impl Iterator for Records<'_> {
    type Item = Result<(usize, Vec<RawField>), CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let record = self.read_record();
        if matches!(record, Some(Err(_))) {
            self.failed = true;
        }
        record
    }
}

impl Records<'_> {
    fn read_record(&mut self) -> Option<Result<(usize, Vec<RawField>), CsvError>> {
        let record_line = self.line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut in_quotes = false;
        let mut at_field_start = true;
        while let Some(character) = self.chars.next() {
            if in_quotes {
                match character {
                    '"' if self.chars.peek() == Some(&'"') => {
                        self.chars.next();
                        field.push('"');
                    }
                    '"' => in_quotes = false,
                    '\n' => {
                        self.line += 1;
                        field.push('\n');
                    }
                    other => field.push(other),
                }
                continue;
            }
            match character {
                '"' if at_field_start => {
                    in_quotes = true;
                    quoted = true;
                    at_field_start = false;
                }
                '"' => {
                    return Some(Err(CsvError {
                        line: self.line,
                        message: "a quote inside an unquoted field; quote the whole field".into(),
                    }))
                }
                c if c == self.delimiter => {
                    fields.push(RawField {
                        text: std::mem::take(&mut field),
                        quoted,
                    });
                    quoted = false;
                    at_field_start = true;
                }
                '\r' if self.chars.peek() == Some(&'\n') => {}
                '\n' => {
                    fields.push(RawField {
                        text: field,
                        quoted,
                    });
                    self.line += 1;
                    return Some(Ok((record_line, fields)));
                }
                other => {
                    if quoted {
                        return Some(Err(CsvError {
                            line: self.line,
                            message: "text after a closing quote".into(),
                        }));
                    }
                    at_field_start = false;
                    field.push(other);
                }
            }
        }
        if in_quotes {
            return Some(Err(CsvError {
                line: record_line,
                message: "a quoted field is never closed".into(),
            }));
        }
        if !field.is_empty() || quoted || !fields.is_empty() {
            fields.push(RawField {
                text: field,
                quoted,
            });
            return Some(Ok((record_line, fields)));
        }
        None
    }
}

fn typed(
    field: RawField,
    column_type: FieldType,
    line: usize,
    column: &str,
) -> Result<Value, CsvError> {
    if field.text.is_empty() && !field.quoted {
        return Ok(Value::Null);
    }
    let text = field.text;
    let bad = |expected: &str| CsvError {
        line,
        message: format!("column `{column}`: `{text}` is not {expected}"),
    };
    Ok(match column_type {
        FieldType::String | FieldType::Any => Value::String(text.clone()),
        FieldType::Integer => {
            Value::from(text.trim().parse::<i64>().map_err(|_| bad("an integer"))?)
        }
        FieldType::Number => {
            let number: f64 = text.trim().parse().map_err(|_| bad("a number"))?;
            serde_json::Number::from_f64(number)
                .map(Value::Number)
                .ok_or_else(|| bad("a finite number"))?
        }
        FieldType::Boolean => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("true or false")),
        },
    })
}

/// The header's column names (for row schemas), without reading the body.
pub fn header(text: &str, delimiter: char) -> Result<Vec<String>, CsvError> {
    Ok(records(text, delimiter)
        .next()
        .transpose()?
        .map(|(_, fields)| fields.into_iter().map(|field| field.text).collect())
        .unwrap_or_default())
}

/// Reads `text` into rows keyed by the header; `types` names columns that are not strings.
pub fn parse(
    text: &str,
    delimiter: char,
    types: &BTreeMap<String, FieldType>,
) -> Result<Vec<Row>, CsvError> {
    rows(text, delimiter, types)?.collect()
}

/// The rows of `text`, read as they are asked for; the header is read before this returns.
pub fn rows<'a>(
    text: &'a str,
    delimiter: char,
    types: &BTreeMap<String, FieldType>,
) -> Result<impl Iterator<Item = Result<Row, CsvError>> + 'a, CsvError> {
    let mut records = records(text, delimiter);
    let Some((_, header)) = records.next().transpose()? else {
        return Err(CsvError {
            line: 1,
            message: "the CSV text has no header line".into(),
        });
    };
    let columns: Vec<(String, FieldType)> = header
        .into_iter()
        .map(|field| {
            let column_type = types.get(&field.text).copied().unwrap_or(FieldType::String);
            (field.text, column_type)
        })
        .collect();
    Ok(records.map(move |record| {
        let (line, fields) = record?;
        if fields.len() != columns.len() {
            return Err(CsvError {
                line,
                message: format!(
                    "the line has {} fields but the header has {}",
                    fields.len(),
                    columns.len()
                ),
            });
        }
        let mut row = Row::new();
        for (field, (name, column_type)) in fields.into_iter().zip(&columns) {
            row.insert(name.clone(), typed(field, *column_type, line, name)?);
        }
        Ok(row)
    }))
}

fn write_field(out: &mut String, text: &str, delimiter: char) {
    if text.contains([delimiter, '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// Writes rows as CSV with `columns` as the header (LF line ends; null is an empty field).
pub fn write(rows: &[Row], columns: &[String], delimiter: char) -> String {
    let mut out = String::new();
    for (position, column) in columns.iter().enumerate() {
        if position > 0 {
            out.push(delimiter);
        }
        write_field(&mut out, column, delimiter);
    }
    out.push('\n');
    for row in rows {
        write_row(&mut out, row, columns, delimiter);
    }
    out
}

/// Appends one row's line, its fields in the order of `columns`.
pub fn write_row(out: &mut String, row: &Row, columns: &[String], delimiter: char) {
    for (position, column) in columns.iter().enumerate() {
        if position > 0 {
            out.push(delimiter);
        }
        match row.get(column) {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => write_field(out, text, delimiter),
            Some(other) => write_field(out, &other.to_string(), delimiter),
        }
    }
    out.push('\n');
}
