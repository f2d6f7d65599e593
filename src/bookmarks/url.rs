//! What a bookmark URL may be (http or https, at most 2,048 characters) and its normalized form,
//! the key that identifies duplicates. Pure: no I/O, no GraphQL.

use url::Url;

/// Longest URL stored, in characters; what browsers and most servers reliably accept.
pub const MAX_URL_CHARS: usize = 2048;

/// Query parameters that only track where a click came from; they never change the page.
const TRACKING_PARAMETERS: [&str; 2] = ["fbclid", "gclid"];
const TRACKING_PREFIX: &str = "utm_";

/// Why a URL cannot be bookmarked.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, async_graphql::Enum,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(name = "BookmarkSkipReason")]
pub enum UrlProblem {
    /// Not http or https (`javascript:`, `data:`, `file:`, `chrome:`, `about:` …).
    UnsafeScheme,
    /// Not a URL that can be parsed, or one holding a control character.
    MalformedUrl,
    /// Longer than 2,048 characters.
    TooLong,
}

impl UrlProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            UrlProblem::UnsafeScheme => "UNSAFE_SCHEME",
            UrlProblem::MalformedUrl => "MALFORMED_URL",
            UrlProblem::TooLong => "TOO_LONG",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            UrlProblem::UnsafeScheme => "only http and https URLs can be bookmarked",
            UrlProblem::MalformedUrl => "is not a valid URL",
            UrlProblem::TooLong => "is longer than 2,048 characters",
        }
    }
}

/// A URL that passed the rules: `url` as stored and shown, `normalized` as compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookmarkUrl {
    pub url: String,
    pub normalized: String,
}

impl BookmarkUrl {
    pub fn parse(raw: &str) -> Result<BookmarkUrl, UrlProblem> {
        let raw = raw.trim();
        if raw.chars().count() > MAX_URL_CHARS {
            return Err(UrlProblem::TooLong);
        }
        // The URL parser would drop tabs and newlines and percent-encode other control
        // characters, storing a different URL from the one given: refuse them instead.
        if raw.chars().any(char::is_control) {
            return Err(UrlProblem::MalformedUrl);
        }
        let parsed = match Url::parse(raw) {
            Ok(parsed) => parsed,
            Err(_) if has_scheme(raw) && !is_web_scheme(raw) => {
                return Err(UrlProblem::UnsafeScheme)
            }
            Err(_) => return Err(UrlProblem::MalformedUrl),
        };
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(UrlProblem::UnsafeScheme);
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(UrlProblem::MalformedUrl);
        }
        // Punycode can make a URL longer than what was typed.
        let url = parsed.to_string();
        if url.chars().count() > MAX_URL_CHARS {
            return Err(UrlProblem::TooLong);
        }
        Ok(BookmarkUrl {
            normalized: normalize(parsed),
            url,
        })
    }
}

/// `Url` has already lower-cased scheme and host, converted IDN hosts to punycode and dropped
/// default ports; what remains is fragment, tracking parameters and the trailing slash.
fn normalize(mut url: Url) -> String {
    url.set_fragment(None);
    let kept: Option<String> = url.query().map(|query| {
        query
            .split('&')
            .filter(|pair| !pair.is_empty() && !is_tracking(pair))
            .collect::<Vec<_>>()
            .join("&")
    });
    url.set_query(kept.as_deref().filter(|query| !query.is_empty()));
    let path = url.path().to_string();
    if path.len() > 1 && path.ends_with('/') {
        url.set_path(path.trim_end_matches('/'));
    }
    url.to_string()
}

fn is_tracking(pair: &str) -> bool {
    let key = pair
        .split('=')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    key.starts_with(TRACKING_PREFIX) || TRACKING_PARAMETERS.contains(&key.as_str())
}

fn has_scheme(raw: &str) -> bool {
    raw.split_once(':').is_some_and(|(scheme, _)| {
        scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

fn is_web_scheme(raw: &str) -> bool {
    let scheme = raw.split(':').next().unwrap_or_default();
    scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(raw: &str) -> String {
        BookmarkUrl::parse(raw).expect("a valid URL").normalized
    }

    #[test]
    fn only_http_and_https_are_accepted() {
        for unsafe_url in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<b>x</b>",
            "file:///etc/passwd",
            "chrome://settings",
            "about:blank",
            "ftp://example.com/file",
            "vbscript:msgbox",
        ] {
            assert_eq!(
                BookmarkUrl::parse(unsafe_url),
                Err(UrlProblem::UnsafeScheme),
                "{unsafe_url}"
            );
        }
        assert_eq!(
            BookmarkUrl::parse("not a url"),
            Err(UrlProblem::MalformedUrl)
        );
        assert_eq!(BookmarkUrl::parse("http://"), Err(UrlProblem::MalformedUrl));
        assert!(BookmarkUrl::parse("https://example.com").is_ok());
        for control in ["\0", "\t", "\n", "\u{7f}", "\u{85}"] {
            assert_eq!(
                BookmarkUrl::parse(&format!("https://example.com/a{control}b")),
                Err(UrlProblem::MalformedUrl),
                "{control:?}"
            );
        }
    }

    #[test]
    fn urls_over_2048_characters_are_refused() {
        let base = "https://example.com/";
        let exact = format!("{base}{}", "a".repeat(MAX_URL_CHARS - base.len()));
        assert!(BookmarkUrl::parse(&exact).is_ok());
        assert_eq!(
            BookmarkUrl::parse(&format!("{exact}a")),
            Err(UrlProblem::TooLong)
        );
    }

    #[test]
    fn normalization_unifies_the_forms_of_one_address() {
        let expected = "https://example.com/docs?page=2";
        for variant in [
            "https://example.com/docs?page=2",
            "HTTPS://EXAMPLE.com:443/docs/?page=2",
            "https://example.com/docs?utm_source=x&page=2&fbclid=abc#intro",
            "https://example.com/docs/?page=2&gclid=1&UTM_MEDIUM=mail",
        ] {
            assert_eq!(normalized(variant), expected, "{variant}");
        }
        assert_eq!(
            normalized("http://example.com:80/?utm_campaign=a"),
            "http://example.com/"
        );
        assert_ne!(
            normalized("https://example.com/a"),
            normalized("https://example.com/b")
        );
    }

    #[test]
    fn idn_hosts_become_punycode() {
        let parsed = BookmarkUrl::parse("https://bücher.example/straße").unwrap();
        assert_eq!(parsed.url, "https://xn--bcher-kva.example/stra%C3%9Fe");
        assert_eq!(
            normalized("https://BÜCHER.example/straße/"),
            "https://xn--bcher-kva.example/stra%C3%9Fe"
        );
    }
}
