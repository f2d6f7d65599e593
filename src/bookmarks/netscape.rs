//! The Netscape bookmark file (`<!DOCTYPE NETSCAPE-Bookmark-file-1>`), the format every major
//! browser exports and imports: a reader as lenient as the browsers' own (unclosed `<DL>`s,
//! upper- or lower-case tags, attributes in any order) and a writer they all read back.
//! Pure: text in, records out.

use chrono::{DateTime, TimeZone, Utc};

use super::record::FileBookmark;

const DOCTYPE: &str = "<!DOCTYPE NETSCAPE-Bookmark-file-1>";

/// Reads every bookmark of the file, with its folder path, tags, notes and creation date.
/// Refuses a file that is not a bookmark file at all; tolerates what browsers tolerate.
pub fn parse(text: &str) -> Result<Vec<FileBookmark>, String> {
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if !starts_with_ignore_case(text, DOCTYPE) {
        return Err(format!(
            "not a Netscape bookmark file: it must begin with {DOCTYPE}"
        ));
    }
    let mut reader = Reader {
        text,
        position: DOCTYPE.len(),
    };
    let mut folders: Vec<String> = Vec::new();
    // One entry per open <DL>: whether opening it entered a folder.
    let mut open_lists: Vec<bool> = Vec::new();
    let mut pending_folder: Option<String> = None;
    let mut bookmarks: Vec<FileBookmark> = Vec::new();
    let mut last_tag_was_bookmark = false;
    let mut saw_list = false;
    while let Some(tag) = reader.next_tag() {
        let was_bookmark = std::mem::take(&mut last_tag_was_bookmark);
        match (tag.name.as_str(), tag.closing) {
            ("dl", false) => {
                saw_list = true;
                match pending_folder.take() {
                    Some(name) => {
                        folders.push(name);
                        open_lists.push(true);
                    }
                    None => open_lists.push(false),
                }
            }
            // The guard closes the list whether or not it had entered a folder.
            ("dl", true) if open_lists.pop() == Some(true) => {
                folders.pop();
            }
            ("h3", false) => {
                pending_folder = Some(reader.element_text("h3"));
            }
            ("a", false) => {
                pending_folder = None;
                let title = reader.element_text("a");
                if let Some(href) = tag.attribute("href") {
                    bookmarks.push(FileBookmark {
                        url: href.to_string(),
                        title,
                        tags: tag.attribute("tags").map(split_tags).unwrap_or_default(),
                        folder: folders.clone(),
                        notes: String::new(),
                        created_at: tag.attribute("add_date").and_then(parse_timestamp),
                    });
                    last_tag_was_bookmark = true;
                }
            }
            ("dd", false) if was_bookmark => {
                let notes = decode_entities(reader.text_until_tag().trim());
                if let Some(bookmark) = bookmarks.last_mut() {
                    bookmark.notes = notes;
                }
            }
            // <DT>, <p>, <HR>, <META>, <TITLE>, <H1> and anything unknown carry no bookmark.
            ("dt" | "p", _) | ("a", true) => last_tag_was_bookmark = was_bookmark,
            _ => {}
        }
    }
    if !saw_list {
        return Err("the file has no bookmark list (<DL>)".to_string());
    }
    Ok(bookmarks)
}

/// Writes bookmarks grouped into nested folders, in the layout browsers export.
pub fn write(bookmarks: &[FileBookmark]) -> String {
    let mut ordered: Vec<&FileBookmark> = bookmarks.iter().collect();
    // Stable: bookmarks keep their order within a folder.
    ordered.sort_by(|a, b| a.folder.cmp(&b.folder));
    let mut out = String::with_capacity(64 + bookmarks.len() * 160);
    out.push_str(DOCTYPE);
    out.push_str(
        "\n<!-- This is an automatically generated file.\n     It will be read and overwritten.\n     DO NOT EDIT! -->\n\
         <META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=UTF-8\">\n\
         <TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n",
    );
    let mut open: Vec<&str> = Vec::new();
    for bookmark in ordered {
        let shared = open
            .iter()
            .zip(&bookmark.folder)
            .take_while(|(open, wanted)| **open == wanted.as_str())
            .count();
        while open.len() > shared {
            open.pop();
            indent(&mut out, open.len() + 1);
            out.push_str("</DL><p>\n");
        }
        for name in &bookmark.folder[shared..] {
            indent(&mut out, open.len() + 1);
            out.push_str("<DT><H3>");
            out.push_str(&escape(name));
            out.push_str("</H3>\n");
            indent(&mut out, open.len() + 1);
            out.push_str("<DL><p>\n");
            open.push(name);
        }
        write_bookmark(&mut out, bookmark, open.len() + 1);
    }
    while !open.is_empty() {
        open.pop();
        indent(&mut out, open.len() + 1);
        out.push_str("</DL><p>\n");
    }
    out.push_str("</DL><p>\n");
    out
}

fn write_bookmark(out: &mut String, bookmark: &FileBookmark, depth: usize) {
    indent(out, depth);
    out.push_str("<DT><A HREF=\"");
    out.push_str(&escape(&bookmark.url));
    out.push('"');
    if let Some(created_at) = bookmark.created_at {
        out.push_str(&format!(" ADD_DATE=\"{}\"", created_at.timestamp()));
    }
    if !bookmark.tags.is_empty() {
        out.push_str(" TAGS=\"");
        out.push_str(&escape(&bookmark.tags.join(",")));
        out.push('"');
    }
    out.push('>');
    out.push_str(&escape(&bookmark.title));
    out.push_str("</A>\n");
    if !bookmark.notes.is_empty() {
        indent(out, depth);
        out.push_str("<DD>");
        out.push_str(&escape(&bookmark.notes));
        out.push('\n');
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("    ");
    }
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            other => escaped.push(other),
        }
    }
    escaped
}

fn split_tags(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(str::to_string)
        .collect()
}

/// `ADD_DATE` is Unix seconds in every browser's export; some tools write milliseconds or
/// (Chrome's internal epoch leaking out) microseconds, told apart by magnitude.
fn parse_timestamp(raw: &str) -> Option<DateTime<Utc>> {
    let value: i64 = raw.trim().parse().ok()?;
    let seconds = match value {
        v if v > 100_000_000_000_000 => v / 1_000_000,
        v if v > 100_000_000_000 => v / 1_000,
        v => v,
    };
    Utc.timestamp_opt(seconds, 0).single()
}

/// Replaces the character references exporters write (named, decimal and hex); unknown ones stay.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let decoded = rest
            .get(1..rest.len().min(12))
            .and_then(|window| window.find(';'))
            .and_then(|end| Some((decode_entity(&rest[1..end + 1])?, end + 2)));
        match decoded {
            Some((c, consumed)) => {
                out.push(c);
                rest = &rest[consumed..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_entity(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        _ => return None,
    })
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

struct Tag {
    /// Lower-cased.
    name: String,
    closing: bool,
    /// Lower-cased names, entity-decoded values.
    attributes: Vec<(String, String)>,
}

impl Tag {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// A cursor over the file that yields tags and the text between them.
struct Reader<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.position..]
    }

    fn next_tag(&mut self) -> Option<Tag> {
        loop {
            let start = self.rest().find('<')?;
            self.position += start;
            let rest = self.rest();
            if rest.starts_with("<!--") {
                self.position += rest.find("-->").map_or(rest.len(), |end| end + 3);
                continue;
            }
            if rest.starts_with("<!") || rest.starts_with("<?") {
                self.position += rest.find('>').map_or(rest.len(), |end| end + 1);
                continue;
            }
            if let Some(tag) = self.read_tag() {
                return Some(tag);
            }
        }
    }

    /// Reads the tag at the cursor (which is on `<`); a stray `<` is stepped over.
    fn read_tag(&mut self) -> Option<Tag> {
        let bytes = self.text.as_bytes();
        let mut at = self.position + 1;
        let closing = bytes.get(at) == Some(&b'/');
        if closing {
            at += 1;
        }
        let name_start = at;
        while at < bytes.len() && bytes[at].is_ascii_alphanumeric() {
            at += 1;
        }
        if at == name_start {
            self.position += 1;
            return None;
        }
        let name = self.text[name_start..at].to_ascii_lowercase();
        let mut attributes = Vec::new();
        loop {
            while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            match bytes.get(at) {
                None => break,
                Some(b'>') => {
                    at += 1;
                    break;
                }
                Some(b'/') => {
                    at += 1;
                    continue;
                }
                Some(_) => {}
            }
            let key_start = at;
            while at < bytes.len()
                && !bytes[at].is_ascii_whitespace()
                && !matches!(bytes[at], b'=' | b'>')
            {
                at += 1;
            }
            let key = self.text[key_start..at].to_ascii_lowercase();
            let mut value = String::new();
            if bytes.get(at) == Some(&b'=') {
                at += 1;
                let (raw, next) = read_attribute_value(self.text, at);
                value = decode_entities(raw);
                at = next;
            }
            attributes.push((key, value));
        }
        self.position = at;
        Some(Tag {
            name,
            closing,
            attributes,
        })
    }

    /// The text of an element up to its closing tag (or, when it has none, up to the next tag).
    fn element_text(&mut self, name: &str) -> String {
        let rest = self.rest();
        let closing = format!("</{name}");
        let end = find_ignore_case(rest, &closing);
        let raw = match end {
            Some(end) => &rest[..end],
            None => &rest[..rest.find('<').unwrap_or(rest.len())],
        };
        self.position += raw.len();
        decode_entities(raw.trim())
    }

    fn text_until_tag(&mut self) -> &'a str {
        let start = self.position;
        let end = self
            .rest()
            .find('<')
            .map_or(self.text.len(), |end| start + end);
        self.position = end;
        &self.text[start..end]
    }
}

/// A quoted or bare attribute value starting at `at`; returns it and the index after it.
fn read_attribute_value(text: &str, at: usize) -> (&str, usize) {
    let bytes = text.as_bytes();
    match bytes.get(at) {
        Some(&quote @ (b'"' | b'\'')) => {
            let start = at + 1;
            match text[start..].find(quote as char) {
                Some(length) => (&text[start..start + length], start + length + 1),
                None => (&text[start..], text.len()),
            }
        }
        _ => {
            let mut end = at;
            while end < bytes.len() && !bytes[end].is_ascii_whitespace() && bytes[end] != b'>' {
                end += 1;
            }
            (&text[at..end], end)
        }
    }
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    let bytes = haystack.as_bytes();
    let mut from = 0;
    while let Some(offset) = haystack[from..].find('<') {
        let at = from + offset;
        if bytes.len() >= at + needle.len()
            && bytes[at..at + needle.len()].eq_ignore_ascii_case(needle)
        {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIREFOX: &str = r#"<!DOCTYPE NETSCAPE-Bookmark-file-1>
<!-- This is an automatically generated file. -->
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks Menu</H1>
<DL><p>
    <DT><H3 ADD_DATE="1700000000" LAST_MODIFIED="1700000001">Dev</H3>
    <DL><p>
        <DT><H3>Rust &amp; Go</H3>
        <DL><p>
            <DT><A HREF="https://doc.rust-lang.org/" ADD_DATE="1600000000" TAGS="rust,docs" ICON="data:image/png;base64,AAAA">The Rust &lt;Book&gt;</A>
            <DD>Read &quot;chapter 4&quot; first
        </DL><p>
        <DT><a href='https://go.dev'>Go</a>
    </DL><p>
    <HR>
    <DT><A HREF="https://example.com/top">Top level</A>
</DL>
"#;

    #[test]
    fn firefox_folders_tags_notes_and_dates_are_read() {
        let bookmarks = parse(FIREFOX).unwrap();
        assert_eq!(bookmarks.len(), 3);
        let rust = &bookmarks[0];
        assert_eq!(rust.url, "https://doc.rust-lang.org/");
        assert_eq!(rust.title, "The Rust <Book>");
        assert_eq!(rust.folder, vec!["Dev", "Rust & Go"]);
        assert_eq!(rust.tags, vec!["rust", "docs"]);
        assert_eq!(rust.notes, "Read \"chapter 4\" first");
        assert_eq!(rust.created_at.unwrap().timestamp(), 1_600_000_000);
        assert_eq!(bookmarks[1].folder, vec!["Dev"]);
        assert_eq!(bookmarks[1].title, "Go");
        assert!(bookmarks[2].folder.is_empty());
    }

    #[test]
    fn an_unterminated_list_keeps_what_it_holds() {
        let text = "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n<DT><H3>Open</H3>\n<DL><p>\n<DT><A HREF=\"https://a.example/\">A</A>\n<DT><A HREF=\"https://b.example/\">B";
        let bookmarks = parse(text).unwrap();
        assert_eq!(bookmarks.len(), 2);
        assert_eq!(bookmarks[1].title, "B");
        assert_eq!(bookmarks[1].folder, vec!["Open"]);
    }

    #[test]
    fn a_file_that_is_not_a_bookmark_file_is_refused() {
        assert!(parse("<html><body>hello</body></html>").is_err());
        assert!(parse("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<p>no list</p>").is_err());
    }

    #[test]
    fn entities_decode_and_unknown_ones_stay() {
        assert_eq!(
            decode_entities("a &amp; b &#233;&#xE9; &nbsp;&bogus; &"),
            "a & b éé \u{a0}&bogus; &"
        );
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let original = parse(FIREFOX).unwrap();
        let again = parse(&write(&original)).unwrap();
        let key = |b: &FileBookmark| {
            (
                b.url.clone(),
                b.title.clone(),
                b.folder.clone(),
                b.tags.clone(),
                b.notes.clone(),
                b.created_at,
            )
        };
        let mut original: Vec<_> = original.iter().map(key).collect();
        let mut again: Vec<_> = again.iter().map(key).collect();
        original.sort();
        again.sort();
        assert_eq!(original, again);
    }
}
