//! Header and scope rules: where the timestamp comes from, which headers must be signed, the credential scope.

#[allow(unused_imports)]
use super::*;

/// Where the request timestamp came from.
#[derive(Clone, Copy)]
pub(crate) enum TimestampSource {
    XAmzDate,
    Date,
}

/// The first `x-amz-date`, else the first `Date` header.
pub(crate) fn timestamp_header(headers: &HeaderMap) -> Option<(TimestampSource, &http::HeaderValue)> {
    headers
        .get(X_AMZ_DATE)
        .map(|v| (TimestampSource::XAmzDate, v))
        .or_else(|| headers.get(http::header::DATE).map(|v| (TimestampSource::Date, v)))
}

/// The rules on `SignedHeaders`: `host` is signed, so is the header that
/// carries the timestamp and any `x-amz-content-sha256`, and the list is in
/// canonical form.
pub(crate) fn check_signed_headers(signed: &[String], headers: &HeaderMap) -> Result<(), SigV4Error> {
    let is_signed = |name: &str| signed.iter().any(|s| s == name);
    if !is_signed("host") {
        return Err(SigV4Error::HostNotSigned);
    }
    match timestamp_header(headers) {
        Some((TimestampSource::XAmzDate, _)) if !is_signed(X_AMZ_DATE) => {
            return Err(SigV4Error::HeaderNotSigned { header: Cow::Borrowed("X-Amz-Date") });
        }
        Some((TimestampSource::Date, _)) if !is_signed("date") => {
            return Err(SigV4Error::HeaderNotSigned { header: Cow::Borrowed("Date") });
        }
        _ => {}
    }
    // The operation (`x-amz-target`) and every other `x-amz-*` header the
    // request carries (`x-amz-security-token`, `x-amz-content-sha256`, …)
    // must be signed: an unsigned target would let one signature over a body
    // run as any operation. Every AWS SDK and the CLI sign all of them.
    // (`x-amzn-*`, such as the trace id SDKs leave unsigned, is another prefix.)
    for name in headers.keys() {
        let name = name.as_str();
        if name.starts_with(X_AMZ_PREFIX) && !is_signed(name) {
            return Err(SigV4Error::HeaderNotSigned { header: aws_spelling(name) });
        }
    }
    let well_formed = signed.iter().all(|name| {
        !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.!#$%&'*+^`|~".contains(&b))
    });
    let strictly_sorted = signed.windows(2).all(|w| w[0] < w[1]);
    if !(well_formed && strictly_sorted) {
        return Err(SigV4Error::SignedHeadersNotCanonical);
    }
    Ok(())
}

/// The spelling AWS uses for a header in its messages: the customary one for
/// the headers it names, else the name as received.
pub(crate) fn aws_spelling(name: &str) -> Cow<'static, str> {
    match name {
        X_AMZ_DATE => Cow::Borrowed("X-Amz-Date"),
        X_AMZ_CONTENT_SHA256 => Cow::Borrowed("X-Amz-Content-SHA256"),
        X_AMZ_TARGET => Cow::Borrowed("X-Amz-Target"),
        X_AMZ_SECURITY_TOKEN => Cow::Borrowed("X-Amz-Security-Token"),
        other => Cow::Owned(other.to_owned()),
    }
}

/// The region, service, terminator and date problems of a scope, in AWS's order.
pub(crate) fn scope_problems(
    region: &str,
    service: &str,
    expected_service: &'static str,
    terminator: &str,
    date: &str,
    request_time: &OffsetDateTime,
) -> Vec<ScopeProblem> {
    let mut problems = Vec::new();
    if !is_valid_region(region) {
        problems.push(ScopeProblem::InvalidRegion);
    }
    if service != expected_service {
        problems.push(ScopeProblem::WrongService(expected_service));
    }
    if terminator != TERMINATOR {
        problems.push(ScopeProblem::WrongTerminator(terminator.to_owned()));
    }
    let request_date = scope_date(request_time);
    if date != request_date {
        problems.push(ScopeProblem::DateMismatch {
            scope_date: date.to_owned(),
            request_date,
            request_time: amz_date(request_time),
        });
    }
    problems
}

/// Region names look like `us-east-1`: lowercase letters, digits, dashes.
pub(crate) fn is_valid_region(region: &str) -> bool {
    (1..=64).contains(&region.len())
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub(crate) fn check_content_sha256(headers: &HeaderMap, payload_hash: &str) -> Result<(), SigV4Error> {
    let mut values = headers.get_all(X_AMZ_CONTENT_SHA256).iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(()),
        (Some(v), None) if trim_bytes(v.as_bytes()) == payload_hash.as_bytes() => Ok(()),
        _ => Err(SigV4Error::ContentSha256Mismatch),
    }
}

/// 64 lowercase hex digits, as every SDK sends.
pub(crate) fn parse_signature(hex_sig: &str) -> Option<[u8; 32]> {
    if hex_sig.len() != 64 || hex_sig.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_sig, &mut out).ok()?;
    Some(out)
}
