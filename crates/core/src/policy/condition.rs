//! Condition operators (IAM User Guide, "IAM JSON policy elements:
//! Condition operators" and "Single-valued vs. multivalued context keys").
//!
//! One `Condition` is one (operator, key, values) triple of a `Condition`
//! block; a statement's conditions all hold or it does not match.
//!
//! How a request's values meet the policy's values:
//! - the policy's values for one key are ORed: the key matches if any does;
//! - a negated operator (`StringNotEquals`, `NotIpAddress`, …) matches a
//!   request value that matches none of the policy's values;
//! - a key missing from the request fails a positive operator and passes a
//!   negated one; with `…IfExists` a missing key passes either way;
//! - `ForAnyValue:` holds when at least one request value matches (false for
//!   a missing or empty key); `ForAllValues:` holds when every request value
//!   matches (true for a missing or empty key);
//! - `Null` tests presence: `"true"` holds when the key is missing.

use super::{glob, malformed, substitute, PolicyError, Request};
use serde_json::Value;
use std::net::IpAddr;

/// The operator proper, without set prefix or `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// Exact, case-sensitive string match.
    StringEquals,
    /// Case-insensitive string match.
    StringEqualsIgnoreCase,
    /// `*` / `?` wildcard match.
    StringLike,
    /// Numeric equality.
    NumericEquals,
    /// Numeric `<`.
    NumericLessThan,
    /// Numeric `<=`.
    NumericLessThanEquals,
    /// Numeric `>`.
    NumericGreaterThan,
    /// Numeric `>=`.
    NumericGreaterThanEquals,
    /// Date equality.
    DateEquals,
    /// Date `<`.
    DateLessThan,
    /// Date `<=`.
    DateLessThanEquals,
    /// Date `>`.
    DateGreaterThan,
    /// Date `>=`.
    DateGreaterThanEquals,
    /// `true` / `false`.
    Bool,
    /// Base64-encoded bytes, exactly.
    BinaryEquals,
    /// An address inside a CIDR block.
    IpAddress,
    /// ARN, segment by segment, with wildcards (`ArnEquals` and `ArnLike`
    /// behave the same, as AWS documents).
    ArnLike,
    /// Presence of the key.
    Null,
}

/// How the operator treats several request values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    /// No qualifier.
    Single,
    /// `ForAnyValue:`.
    ForAnyValue,
    /// `ForAllValues:`.
    ForAllValues,
}

/// One (operator, key, values) of a Condition block.
#[derive(Debug, Clone)]
pub struct Condition {
    base: Base,
    negated: bool,
    if_exists: bool,
    set: SetOp,
    /// Lower-cased condition key.
    key: String,
    values: Vec<String>,
}

fn operator(name: &str) -> Option<(Base, bool)> {
    use Base::*;
    Some(match name {
        "StringEquals" => (StringEquals, false),
        "StringNotEquals" => (StringEquals, true),
        "StringEqualsIgnoreCase" => (StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (StringEqualsIgnoreCase, true),
        "StringLike" => (StringLike, false),
        "StringNotLike" => (StringLike, true),
        "NumericEquals" => (NumericEquals, false),
        "NumericNotEquals" => (NumericEquals, true),
        "NumericLessThan" => (NumericLessThan, false),
        "NumericLessThanEquals" => (NumericLessThanEquals, false),
        "NumericGreaterThan" => (NumericGreaterThan, false),
        "NumericGreaterThanEquals" => (NumericGreaterThanEquals, false),
        "DateEquals" => (DateEquals, false),
        "DateNotEquals" => (DateEquals, true),
        "DateLessThan" => (DateLessThan, false),
        "DateLessThanEquals" => (DateLessThanEquals, false),
        "DateGreaterThan" => (DateGreaterThan, false),
        "DateGreaterThanEquals" => (DateGreaterThanEquals, false),
        "Bool" => (Bool, false),
        "BinaryEquals" => (BinaryEquals, false),
        "IpAddress" => (IpAddress, false),
        "NotIpAddress" => (IpAddress, true),
        "ArnEquals" | "ArnLike" => (ArnLike, false),
        "ArnNotEquals" | "ArnNotLike" => (ArnLike, true),
        "Null" => (Null, false),
        _ => return None,
    })
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Parses a statement's `Condition` element.
pub fn parse_block(v: &Value) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(ops) = v else { return malformed("Condition must be a JSON object.") };
    let mut out = Vec::new();
    for (op_name, keys) in ops {
        let (set, rest) = if let Some(r) = op_name.strip_prefix("ForAnyValue:") {
            (SetOp::ForAnyValue, r)
        } else if let Some(r) = op_name.strip_prefix("ForAllValues:") {
            (SetOp::ForAllValues, r)
        } else {
            (SetOp::Single, op_name.as_str())
        };
        let (rest, if_exists) = match rest.strip_suffix("IfExists") {
            Some(r) => (r, true),
            None => (rest, false),
        };
        let Some((base, negated)) = operator(rest) else {
            return malformed(format!("Policy contains an invalid condition operator: {op_name}."));
        };
        if base == Base::Null && (if_exists || set != SetOp::Single) {
            return malformed(format!("Policy contains an invalid condition operator: {op_name}."));
        }
        let Value::Object(keys) = keys else {
            return malformed(format!("Condition operator {op_name} must map condition keys to values."));
        };
        if keys.is_empty() {
            return malformed(format!("Condition operator {op_name} has no condition keys."));
        }
        for (key, values) in keys {
            if !key.contains(':') {
                return malformed(format!("Policy contains an invalid condition key: {key}."));
            }
            let values: Vec<String> = match values {
                Value::Array(items) if !items.is_empty() => items.iter().map(scalar).collect::<Option<_>>(),
                Value::Array(_) => None,
                other => scalar(other).map(|s| vec![s]),
            }
            .map_or_else(|| malformed(format!("Condition key {key} has an invalid value.")), Ok)?;
            if base == Base::Null && values.iter().any(|v| v != "true" && v != "false") {
                return malformed(format!("Null condition for {key} must be true or false."));
            }
            out.push(Condition { base, negated, if_exists, set, key: key.to_ascii_lowercase(), values });
        }
    }
    Ok(out)
}

impl Condition {
    /// The condition key, lower-cased.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether the condition holds for `req`.
    pub fn holds(&self, req: &Request<'_>) -> bool {
        let present = req.value(&self.key).filter(|v| !v.is_empty());
        if self.base == Base::Null {
            let absent = present.is_none();
            return self.values.iter().any(|v| (v == "true") == absent);
        }
        let Some(actual) = present else {
            return match self.set {
                _ if self.if_exists => true,
                SetOp::ForAllValues => true,
                SetOp::ForAnyValue => false,
                SetOp::Single => self.negated,
            };
        };
        let one = |a: &String| {
            let any = self.values.iter().any(|p| self.matches(req, a, p));
            any != self.negated
        };
        match self.set {
            SetOp::ForAllValues => actual.iter().all(one),
            SetOp::ForAnyValue => actual.iter().any(one),
            // Without a set operator a multivalued key behaves like
            // ForAnyValue for positive operators and like "none of the
            // values" for negated ones.
            SetOp::Single if self.negated => actual.iter().all(one),
            SetOp::Single => actual.iter().any(one),
        }
    }

    /// The positive test of one request value against one policy value.
    fn matches(&self, req: &Request<'_>, actual: &str, policy: &str) -> bool {
        use Base::*;
        let substituted = || substitute(policy, req);
        match self.base {
            StringEquals => substituted().is_some_and(|p| p == actual),
            StringEqualsIgnoreCase => substituted().is_some_and(|p| p.to_lowercase() == actual.to_lowercase()),
            StringLike => substituted().is_some_and(|p| glob(&p, actual)),
            NumericEquals | NumericLessThan | NumericLessThanEquals | NumericGreaterThan | NumericGreaterThanEquals => {
                match (actual.trim().parse::<f64>(), policy.trim().parse::<f64>()) {
                    (Ok(a), Ok(p)) => compare(self.base, a.partial_cmp(&p)),
                    _ => false,
                }
            }
            DateEquals | DateLessThan | DateLessThanEquals | DateGreaterThan | DateGreaterThanEquals => {
                match (date(actual), date(policy)) {
                    (Some(a), Some(p)) => compare(self.base, Some(a.cmp(&p))),
                    _ => false,
                }
            }
            Bool => actual.eq_ignore_ascii_case(policy),
            BinaryEquals => actual == policy,
            IpAddress => cidr_contains(policy, actual),
            ArnLike => substituted().is_some_and(|p| arn_like(&p, actual)),
            Null => false,
        }
    }
}

fn compare(base: Base, ord: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::*;
    use Base::*;
    let Some(ord) = ord else { return false };
    match base {
        NumericEquals | DateEquals => ord == Equal,
        NumericLessThan | DateLessThan => ord == Less,
        NumericLessThanEquals | DateLessThanEquals => ord != Greater,
        NumericGreaterThan | DateGreaterThan => ord == Greater,
        NumericGreaterThanEquals | DateGreaterThanEquals => ord != Less,
        _ => false,
    }
}

/// A date as AWS accepts it: ISO 8601 (with or without time and zone) or
/// epoch seconds. Returned as epoch milliseconds.
fn date(s: &str) -> Option<i128> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i128>().ok().map(|secs| secs * 1000);
    }
    if let Ok(t) = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Some(t.unix_timestamp_nanos() / 1_000_000);
    }
    let date_only = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(s, &date_only) {
        return Some(d.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000);
    }
    let no_zone = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(s, &no_zone).ok().map(|t| t.assume_utc().unix_timestamp_nanos() / 1_000_000)
}

/// Whether `addr` lies in `cidr` (`203.0.113.0/24`, `2001:db8::/32`, or a
/// bare address).
fn cidr_contains(cidr: &str, addr: &str) -> bool {
    let (net, bits) = match cidr.split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr, None),
    };
    let (Ok(net), Ok(addr)) = (net.trim().parse::<IpAddr>(), addr.trim().parse::<IpAddr>()) else {
        return false;
    };
    match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let bits = bits.unwrap_or(32);
            bits <= 32 && prefix_eq(u128::from(u32::from(n)) << 96, u128::from(u32::from(a)) << 96, bits)
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let bits = bits.unwrap_or(128);
            bits <= 128 && prefix_eq(u128::from(n), u128::from(a), bits)
        }
        _ => false,
    }
}

fn prefix_eq(a: u128, b: u128, bits: u32) -> bool {
    if bits == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - bits);
    a & mask == b & mask
}

/// ARN matching: the six colon-separated parts are matched one by one, each
/// with `*` / `?` wildcards (the resource part may contain colons).
fn arn_like(pattern: &str, arn: &str) -> bool {
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    p.len() == 6 && a.len() == 6 && p.iter().zip(&a).all(|(p, a)| glob(p, a))
}
