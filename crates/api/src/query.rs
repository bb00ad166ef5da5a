//! AWS's Query protocol, whatever the API: the form-encoded request
//! ([`Params`]: `Action=CreateUser&Version=2010-05-08&Tags.member.1.Key=k`)
//! and the XML answer ([`Xml`], [`response`], [`error_response`]).
//!
//! The XML is written by a small escaping writer rather than a crate
//! (`quick-xml`): the answers are a handful of flat elements whose text is
//! the only thing that varies, so escaping text is all there is to get
//! right, and it is tested here.

use crate::operation::QueryProtocol;
use std::fmt::Write as _;

/// The parameters of a form-encoded request body, in the order sent.
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

/// A body that is not `application/x-www-form-urlencoded` text: invalid
/// percent-encoding or UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedForm;

/// How a request member is sent, for [`Params::to_json`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string: `Name=value`.
    Str,
    /// A list of strings: `Name.member.1=a&Name.member.2=b`.
    List,
    /// A list of structures of string members:
    /// `Name.member.1.Key=k&Name.member.1.Value=v`.
    Structs(&'static [&'static str]),
}

impl Params {
    /// Parses a form body. `+` is a space; `%XX` a byte; the decoded bytes
    /// must be UTF-8.
    pub fn parse(body: &[u8]) -> Result<Params, MalformedForm> {
        let mut out = Vec::new();
        for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (k, v) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            out.push((decode(k)?, decode(v)?));
        }
        Ok(Params(out))
    }

    /// The first value of `name` (AWS reads the first of a repeated
    /// parameter).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The `name.member.N` values, by N (from 1); `Some(empty)` when only
    /// `name=` is sent (how clients send an empty list); `None` when absent.
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        let prefix = format!("{name}.member.");
        let mut items: Vec<(u32, &str)> = self
            .0
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.parse::<u32>().ok()?, v.as_str())))
            .collect();
        if items.is_empty() {
            return self.get(name).map(|_| Vec::new());
        }
        items.sort_by_key(|(n, _)| *n);
        items.dedup_by_key(|(n, _)| *n);
        Some(items.into_iter().map(|(_, v)| v.to_owned()).collect())
    }

    /// The `name.member.N.<field>` structures, by N; as [`Params::list`]
    /// for absence and emptiness. A field not sent is absent from its map.
    pub fn structs(&self, name: &str, fields: &[&str]) -> Option<Vec<serde_json::Map<String, serde_json::Value>>> {
        let prefix = format!("{name}.member.");
        let mut items: std::collections::BTreeMap<u32, serde_json::Map<String, serde_json::Value>> =
            std::collections::BTreeMap::new();
        for (k, v) in &self.0 {
            let Some((n, field)) = k.strip_prefix(&prefix).and_then(|rest| rest.split_once('.')) else { continue };
            let (Ok(n), true) = (n.parse::<u32>(), fields.contains(&field)) else { continue };
            items.entry(n).or_default().entry(field.to_owned()).or_insert_with(|| v.clone().into());
        }
        if items.is_empty() {
            return self.get(name).map(|_| Vec::new());
        }
        Some(items.into_values().collect())
    }

    /// The `members` sent, as the JSON object the JSON protocol would carry
    /// (PascalCase names, lists as arrays, structures as objects): the
    /// input of a request shape's deserializer and of the audit event's
    /// `requestParameters`. Parameters not in `members` are left out, as
    /// AWS ignores them.
    pub fn to_json(&self, members: &[(&str, Kind)]) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        for (name, kind) in members {
            let value: Option<serde_json::Value> = match kind {
                Kind::Str => self.get(name).map(Into::into),
                Kind::List => self.list(name).map(Into::into),
                Kind::Structs(fields) => {
                    self.structs(name, fields).map(|v| v.into_iter().map(serde_json::Value::Object).collect())
                }
            };
            if let Some(v) = value {
                out.insert((*name).to_owned(), v);
            }
        }
        serde_json::Value::Object(out)
    }
}

fn decode(raw: &[u8]) -> Result<String, MalformedForm> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3).ok_or(MalformedForm)?;
                let hex = std::str::from_utf8(hex).map_err(|_| MalformedForm)?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| MalformedForm)?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| MalformedForm)
}

/// An XML document being written: elements opened and closed in order,
/// text escaped.
#[derive(Debug, Default)]
pub struct Xml(String);

impl Xml {
    /// Opens `<tag>`.
    pub fn open(&mut self, tag: &str) -> &mut Self {
        let _ = write!(self.0, "<{tag}>");
        self
    }

    /// Closes `</tag>`.
    pub fn close(&mut self, tag: &str) -> &mut Self {
        let _ = write!(self.0, "</{tag}>");
        self
    }

    /// `<tag>text</tag>`, the text escaped.
    pub fn text(&mut self, tag: &str, text: &str) -> &mut Self {
        self.open(tag);
        escape_into(&mut self.0, text);
        self.close(tag)
    }

    /// Escaped text alone (the member of a list of strings).
    pub fn text_only(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.0, text);
        self
    }

    /// `<tag>` around what `inner` writes.
    pub fn element(&mut self, tag: &str, inner: impl FnOnce(&mut Xml)) -> &mut Self {
        self.open(tag);
        inner(self);
        self.close(tag)
    }

    /// `<tag><member>…</member>…</tag>`: a list, each item written by
    /// `item` inside its `member`.
    pub fn members<T>(&mut self, tag: &str, items: &[T], mut item: impl FnMut(&mut Xml, &T)) -> &mut Self {
        self.open(tag);
        for i in items {
            self.element("member", |w| item(w, i));
        }
        self.close(tag)
    }

    /// The text written.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Escapes XML text: the five predefined entities, and a carriage return as
/// a character reference (a parser would otherwise read `\r\n` as `\n`).
/// Characters XML 1.0 cannot carry (other C0 controls, U+FFFE/U+FFFF)
/// become U+FFFD; the service model's patterns keep them out of every
/// member Trent echoes.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// `<ActionResponse xmlns=…>` with `<ActionResult>` (when `result` is
/// given) and `<ResponseMetadata>`: a successful answer.
pub fn response(protocol: &QueryProtocol, action: &str, request_id: &str, result: Option<&dyn Fn(&mut Xml)>) -> String {
    let mut w = Xml::default();
    let _ = write!(w.0, "<{action}Response xmlns=\"{}\">", protocol.namespace);
    if let Some(result) = result {
        w.element(&format!("{action}Result"), |w| result(w));
    }
    w.element("ResponseMetadata", |w| {
        w.text("RequestId", request_id);
    });
    w.close(&format!("{action}Response"));
    w.into_string()
}

/// `<ErrorResponse>`: a refusal. `sender`: the caller's fault (`Sender`),
/// else the service's (`Receiver`).
pub fn error_response(protocol: &QueryProtocol, code: &str, sender: bool, message: &str, request_id: &str) -> String {
    let mut w = Xml::default();
    let _ = write!(w.0, "<ErrorResponse xmlns=\"{}\">", protocol.namespace);
    w.element("Error", |w| {
        w.text("Type", if sender { "Sender" } else { "Receiver" });
        w.text("Code", code);
        w.text("Message", message);
    });
    w.text("RequestId", request_id);
    w.close("ErrorResponse");
    w.into_string()
}

/// An error code as the Query protocol sends it: the code, its HTTP
/// status, and whose fault it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireError {
    /// `<Code>`.
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// `<Type>Sender</Type>` (else `Receiver`).
    pub sender: bool,
}

impl WireError {
    pub(crate) const fn sender(code: &'static str, status: u16) -> Self {
        WireError { code, status, sender: true }
    }
    pub(crate) const fn receiver(code: &'static str, status: u16) -> Self {
        WireError { code, status, sender: false }
    }
}

/// Milliseconds since the epoch as ISO 8601 in UTC, to the second
/// (`2026-12-04T19:00:00Z`), as the Query protocol writes timestamps.
pub fn iso8601(millis: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&format).ok())
        // Out of the calendar's range (beyond year 9999): no real timestamp.
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_and_lists_come_in_member_order() {
        let p = Params::parse(
            b"Action=TagUser&UserName=a%2Bb+c&Tags.member.2.Key=k2&Tags.member.1.Key=k1&Tags.member.1.Value=&\
              TagKeys.member.2=y&TagKeys.member.1=x&Empty=&UserName=second",
        )
        .unwrap();
        assert_eq!(p.get("UserName"), Some("a+b c"));
        assert_eq!(p.list("TagKeys"), Some(vec!["x".to_owned(), "y".to_owned()]));
        assert_eq!(p.list("Empty"), Some(vec![]));
        assert_eq!(p.list("Nope"), None);
        let json = p.to_json(&[("UserName", Kind::Str), ("Tags", Kind::Structs(&["Key", "Value"]))]);
        assert_eq!(json, serde_json::json!({"UserName": "a+b c", "Tags": [{"Key": "k1", "Value": ""}, {"Key": "k2"}]}));
        assert_eq!(Params::parse(b"a=%zz").unwrap_err(), MalformedForm);
        assert_eq!(Params::parse(b"a=%ff").unwrap_err(), MalformedForm);
        assert_eq!(Params::parse(b"a=%4").unwrap_err(), MalformedForm);
    }

    #[test]
    fn text_is_escaped() {
        let mut w = Xml::default();
        w.text("M", "<a href=\"x\">&'</a>\r\n\t\u{1}é");
        assert_eq!(w.into_string(), "<M>&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;&#xD;\n\t\u{FFFD}é</M>");
    }

    #[test]
    fn responses_and_errors_have_aws_shape() {
        let p = QueryProtocol { version: "2010-05-08", namespace: "https://ns/", global_region: None };
        assert_eq!(
            response(&p, "DeleteUser", "r1", None),
            "<DeleteUserResponse xmlns=\"https://ns/\"><ResponseMetadata><RequestId>r1</RequestId>\
             </ResponseMetadata></DeleteUserResponse>"
        );
        let body = response(
            &p,
            "ListUsers",
            "r2",
            Some(&|w: &mut Xml| {
                w.members("Users", &["a", "b"], |w, n| {
                    w.text("UserName", n);
                });
            }),
        );
        assert!(body.contains("<ListUsersResult><Users><member><UserName>a</UserName></member><member>"), "{body}");
        assert_eq!(
            error_response(&p, "NoSuchEntity", true, "x < y", "r3"),
            "<ErrorResponse xmlns=\"https://ns/\"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>\
             <Message>x &lt; y</Message></Error><RequestId>r3</RequestId></ErrorResponse>"
        );
    }

    #[test]
    fn timestamps_are_iso8601_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_796_410_800_999), "2026-12-04T19:00:00Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(-1000), "1969-12-31T23:59:59Z");
    }
}
