//! Where settings come from: the deployment environment (`APP_ENV`), how one variable is read
//! (a number in its allowed range, a flag), and the error that refuses a bad one. Every settings
//! group reads through these, so each variable is refused the same way.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

/// A setting that is missing or invalid; its Display is the one line printed before exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

pub(super) fn invalid(variable: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        reason: reason.into(),
    }
}

pub(super) fn parse_number(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u64,
    allowed: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let Some(raw) = get(variable) else {
        return Ok(default);
    };
    let value: u64 = raw
        .parse()
        .map_err(|_| invalid(variable, format!("expected a whole number, got `{raw}`")))?;
    if !allowed.contains(&value) {
        return Err(invalid(
            variable,
            format!(
                "{value} is outside the allowed range {}..={}",
                allowed.start(),
                allowed.end()
            ),
        ));
    }
    Ok(value)
}

pub(super) fn parse_flag(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(variable).as_deref() {
        None => Ok(default),
        Some("true" | "on" | "1") => Ok(true),
        Some("false" | "off" | "0") => Ok(false),
        Some(other) => Err(invalid(
            variable,
            format!("expected `true` or `false`, got `{other}`"),
        )),
    }
}
