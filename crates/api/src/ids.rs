//! Identifiers and ARNs.
//!
//! A `KeyId` request member may name a key four ways: key id, key ARN, alias
//! name, alias ARN. [`KeyRef::parse`] tells them apart; resolving them is the
//! core's job.

use std::fmt;

macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a string that is already known to be well formed.
            pub fn new_unchecked(s: impl Into<String>) -> Self {
                $name(s.into())
            }
            /// The string form.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_newtype!(
    /// A key id: a lowercase UUID (`1234abcd-12ab-34cd-56ef-1234567890ab`).
    KeyId
);
string_newtype!(
    /// A 12-digit AWS account id.
    AccountId
);
string_newtype!(
    /// A region name taken from the SigV4 credential scope.
    Region
);
string_newtype!(
    /// An alias name including its `alias/` prefix.
    AliasName
);
string_newtype!(
    /// An access key id (`AKIA…`).
    AccessKeyId
);
string_newtype!(
    /// A principal ARN (`arn:aws:iam::111122223333:root`).
    PrincipalArn
);

impl KeyId {
    /// Parses a canonical UUID key id (lowercase hex, 8-4-4-4-12).
    pub fn parse(s: &str) -> Option<KeyId> {
        is_uuid(s).then(|| KeyId(s.to_owned()))
    }
}

impl AccountId {
    /// Parses a 12-digit account id.
    pub fn parse(s: &str) -> Option<AccountId> {
        (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())).then(|| AccountId(s.to_owned()))
    }
    /// The ARN of the account's root principal.
    pub fn root_arn(&self) -> PrincipalArn {
        PrincipalArn(format!("arn:aws:iam::{}:root", self.0))
    }
}

impl Region {
    /// Accepts region names such as `us-east-1`, `eu-central-2`, `us-gov-west-1`:
    /// lowercase letters, digits and hyphens, 1–32 characters, starting with a
    /// letter.
    pub fn parse(s: &str) -> Option<Region> {
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && s.as_bytes()[0].is_ascii_lowercase();
        ok.then(|| Region(s.to_owned()))
    }
}

/// True for a canonical lowercase UUID.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

/// The ARN of a key.
pub fn key_arn(region: &Region, account: &AccountId, key_id: &KeyId) -> String {
    format!("arn:aws:kms:{region}:{account}:key/{key_id}")
}

/// The ARN of an alias (`name` includes `alias/`).
pub fn alias_arn(region: &Region, account: &AccountId, name: &AliasName) -> String {
    format!("arn:aws:kms:{region}:{account}:{name}")
}

/// How a request names a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRef {
    /// A bare key id.
    Id(KeyId),
    /// `arn:aws:kms:REGION:ACCOUNT:key/ID`.
    KeyArn {
        /// Region in the ARN.
        region: String,
        /// Account in the ARN.
        account: String,
        /// The key id.
        key_id: KeyId,
    },
    /// `alias/NAME`.
    Alias(AliasName),
    /// `arn:aws:kms:REGION:ACCOUNT:alias/NAME`.
    AliasArn {
        /// Region in the ARN.
        region: String,
        /// Account in the ARN.
        account: String,
        /// The alias name with its `alias/` prefix.
        name: AliasName,
    },
    /// Something that is none of the above. AWS answers these with
    /// `NotFoundException` (or `InvalidArnException` for a malformed ARN).
    Invalid {
        /// True when the string looked like an ARN.
        arn: bool,
    },
}

impl KeyRef {
    /// Classifies a `KeyId` request member.
    pub fn parse(s: &str) -> KeyRef {
        if let Some(rest) = s.strip_prefix("arn:") {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            let [partition, service, region, account, resource] = parts[..] else {
                return KeyRef::Invalid { arn: true };
            };
            if !partition.starts_with("aws") || service != "kms" {
                return KeyRef::Invalid { arn: true };
            }
            if let Some(id) = resource.strip_prefix("key/") {
                return match KeyId::parse(id).or_else(|| is_mrk_id(id).then(|| KeyId(id.to_owned()))) {
                    Some(key_id) => KeyRef::KeyArn { region: region.to_owned(), account: account.to_owned(), key_id },
                    None => KeyRef::Invalid { arn: true },
                };
            }
            if resource.starts_with("alias/") {
                return KeyRef::AliasArn {
                    region: region.to_owned(),
                    account: account.to_owned(),
                    name: AliasName(resource.to_owned()),
                };
            }
            return KeyRef::Invalid { arn: true };
        }
        if s.starts_with("alias/") {
            return KeyRef::Alias(AliasName(s.to_owned()));
        }
        match KeyId::parse(s) {
            Some(id) => KeyRef::Id(id),
            // A multi-Region key id: Trent has no such keys, but AWS answers
            // one that does not exist as it answers any key id (its ARN in
            // "Key '…' does not exist"), so it is classified as one.
            None if is_mrk_id(s) => KeyRef::Id(KeyId(s.to_owned())),
            None => KeyRef::Invalid { arn: false },
        }
    }
}

/// True for a multi-Region key id: `mrk-` and 32 lowercase hex digits.
fn is_mrk_id(s: &str) -> bool {
    s.strip_prefix("mrk-")
        .is_some_and(|h| h.len() == 32 && h.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_key_refs() {
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(KeyRef::parse(id), KeyRef::Id(KeyId::new_unchecked(id)));
        assert!(matches!(
            KeyRef::parse(&format!("arn:aws:kms:us-east-1:111122223333:key/{id}")),
            KeyRef::KeyArn { .. }
        ));
        assert!(matches!(KeyRef::parse("alias/my-key"), KeyRef::Alias(_)));
        assert!(matches!(KeyRef::parse("arn:aws:kms:us-east-1:111122223333:alias/my-key"), KeyRef::AliasArn { .. }));
        assert_eq!(KeyRef::parse("not-a-key"), KeyRef::Invalid { arn: false });
        assert_eq!(KeyRef::parse("arn:aws:s3:::bucket"), KeyRef::Invalid { arn: true });
        assert_eq!(KeyRef::parse("1234ABCD-12ab-34cd-56ef-1234567890ab"), KeyRef::Invalid { arn: false });
        let mrk = "mrk-1234abcd12ab34cd56ef1234567890ab";
        assert_eq!(KeyRef::parse(mrk), KeyRef::Id(KeyId::new_unchecked(mrk)));
        assert_eq!(KeyRef::parse("mrk-1234"), KeyRef::Invalid { arn: false });
    }

    #[test]
    fn account_and_region() {
        assert!(AccountId::parse("111122223333").is_some());
        assert!(AccountId::parse("11112222333").is_none());
        assert!(Region::parse("us-east-1").is_some());
        assert!(Region::parse("US-east-1").is_none());
        assert!(Region::parse("").is_none());
    }
}
