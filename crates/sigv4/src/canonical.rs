//! The canonical request and the signature (service-agnostic, so the AWS test suite with service "service" can drive them).

#[allow(unused_imports)]
use super::*;

/// Builds the canonical request over `signed_headers` (already lowercase and
/// sorted). It is bytes because header values may hold non-UTF-8 octets.
pub(crate) fn canonical_request(
    req: &RequestParts<'_>,
    signed_headers: &[String],
    payload_hash: &str,
) -> Result<Vec<u8>, SigV4Error> {
    let mut out = Vec::with_capacity(512 + req.path.len() + req.query.len());
    out.extend_from_slice(req.method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_uri(req.path).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_query(req.query).as_bytes());
    out.push(b'\n');
    for name in signed_headers {
        let mut values = req.headers.get_all(name.as_str()).iter().peekable();
        if values.peek().is_none() {
            return Err(SigV4Error::SignedHeaderAbsent { header: name.clone() });
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_header_value(&mut out, value.as_bytes());
        }
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(signed_headers.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    Ok(out)
}

/// `AWS4-HMAC-SHA256\n<amz-date>\n<scope>\n<hex sha256(canonical request)>`.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", hex::encode(sha256(canonical_request)))
}

/// `HMAC(kSigning, string to sign)`. Never leaves this module.
pub(crate) fn compute_signature(key: &SigningKey, string_to_sign: &[u8]) -> [u8; 32] {
    *hmac_sha256(&key.0[..], string_to_sign)
}

/// The path normalized, then percent-encoded once more.
pub(crate) fn canonical_uri(path: &str) -> String {
    uri_encode(normalize_path(path).as_bytes(), true)
}

/// RFC 3986 §5.2.4 dot-segment removal plus dropping empty segments, as the
/// SDKs do before signing for every service but S3.
pub(crate) fn normalize_path(path: &str) -> Cow<'_, str> {
    if path.is_empty() {
        return Cow::Borrowed("/");
    }
    if path.starts_with('/') && !path.contains('.') && !path.contains("//") {
        return Cow::Borrowed(path);
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    out.push_str(&segments.join("/"));
    let ends_as_directory = ["/", "/.", "/./", "/..", "/../"].iter().any(|s| path.ends_with(s));
    if ends_as_directory && !out.ends_with('/') {
        out.push('/');
    }
    Cow::Owned(out)
}

/// Decodes each query name and value and encodes it again, then sorts.
pub(crate) fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (uri_encode(&percent_decode(name), false), uri_encode(&percent_decode(value), false))
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(query.len() + 8);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and `/`
/// when `keep_slash`), with uppercase hex.
pub(crate) fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// Decodes `%XX` escapes. A `%` that starts no valid escape stays literal
/// (as `aws-sigv4` does), and `+` stays `+` (this is RFC 3986, not a form).
pub(crate) fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', hi, lo]) => hex_value(*hi).zip(hex_value(*lo)),
            _ => None,
        };
        if let Some((hi, lo)) = escaped {
            out.push((hi << 4) | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

pub(crate) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Appends a header value with outer whitespace removed and inner runs of
/// spaces collapsed to one.
pub(crate) fn push_header_value(out: &mut Vec<u8>, value: &[u8]) {
    let mut previous_space = false;
    for &b in trim_bytes(value) {
        if b == b' ' {
            if previous_space {
                continue;
            }
            previous_space = true;
        } else {
            previous_space = false;
        }
        out.push(b);
    }
}

pub(crate) fn trim_bytes(value: &[u8]) -> &[u8] {
    let start = value.iter().position(|&b| !is_space_byte(b)).unwrap_or(value.len());
    let end = value.iter().rposition(|&b| !is_space_byte(b)).map_or(start, |i| i + 1);
    value.get(start..end).unwrap_or_default()
}

pub(crate) fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

pub(crate) fn is_space_byte(b: u8) -> bool {
    b == b' ' || b == b'\t'
}
