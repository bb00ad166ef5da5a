//! Which request and response members an event keeps, camelCased and bounded in size.

#[allow(unused_imports)]
use super::*;

/// Request members that may appear in `requestParameters`. Anything else
/// (Plaintext, CiphertextBlob, Message, Signature, Mac, GrantTokens,
/// ImportToken, EncryptedKeyMaterial, PublicKey, Recipient, secrets) is
/// left out, as CloudTrail leaves ciphertexts and secrets out.
pub const REQUEST_MEMBERS: &[&str] = &[
    "KeyId",
    "AliasName",
    // TrentAdmin.RotateRoot (its Passphrase is never kept).
    "Seal",
    "ShareCount",
    "Threshold",
    // TrentAdmin.GetUsage.
    "Since",
    "Until",
    "Granularity",
    "AllAccounts",
    "TargetKeyId",
    "SourceKeyId",
    "DestinationKeyId",
    "EncryptionContext",
    "SourceEncryptionContext",
    "DestinationEncryptionContext",
    "EncryptionAlgorithm",
    "SourceEncryptionAlgorithm",
    "DestinationEncryptionAlgorithm",
    "NumberOfBytes",
    "KeySpec",
    "KeyPairSpec",
    "KeyUsage",
    "CustomerMasterKeySpec",
    "Origin",
    "Description",
    "Tags",
    "TagKeys",
    "Policy",
    "PolicyName",
    "BypassPolicyLockoutSafetyCheck",
    "MultiRegion",
    "ReplicaRegion",
    "PrimaryRegion",
    "CustomKeyStoreId",
    "CustomKeyStoreName",
    "NewCustomKeyStoreName",
    "CustomKeyStoreType",
    "CloudHsmClusterId",
    "TrustAnchorCertificate",
    "PendingWindowInDays",
    "RotationPeriodInDays",
    "MessageType",
    "SigningAlgorithm",
    "MacAlgorithm",
    "KeyAgreementAlgorithm",
    "GranteePrincipal",
    "RetiringPrincipal",
    "Operations",
    "Constraints",
    "Name",
    "GrantId",
    "Limit",
    "Marker",
    "WrappingAlgorithm",
    "WrappingKeySpec",
    "ExpirationModel",
    "ValidTo",
    "ImportType",
    "KeyMaterialId",
    "KeyMaterialDescription",
    "IncludeKeyMaterial",
    "DryRun",
    "AccountId",
    "AccessKeyId",
    "UserName",
    "PolicyDocument",
    // IAM's roles and groups, STS.
    "RoleName",
    "GroupName",
    "Path",
    "PathPrefix",
    "AssumeRolePolicyDocument",
    "MaxSessionDuration",
    "MaxItems",
    "RoleArn",
    "RoleSessionName",
    "DurationSeconds",
    "ExternalId",
    "SourceIdentity",
    "PolicyArns",
    // IAM's OpenID Connect providers (their URL, audiences and thumbprints
    // are public facts of the issuer, no secret).
    "Url",
    "ClientIDList",
    "ClientID",
    "ThumbprintList",
    "OpenIDConnectProviderArn",
];

/// The operation an event names, when it is one Trent knows: its
/// descriptor says `readOnly` and which response members the event keeps.
pub(super) fn operation_of(draft: &EventDraft) -> Option<Operation> {
    Operation::named(&draft.operation).filter(|op| op.api().event_source() == draft.event_source)
}

/// `KeyId` → `keyId`.
pub(super) fn camel(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `requestParameters` of a request body: its [`REQUEST_MEMBERS`], camelCased
/// as CloudTrail writes them; `Null` when the body is not a JSON object or
/// has none. Members left out are skipped by the parser without being
/// copied, so a plaintext in the body is never copied here.
pub fn request_parameters(body: &[u8]) -> Value {
    struct Allowed(Map<String, Value>);
    impl<'de> serde::Deserialize<'de> for Allowed {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Allowed;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Allowed, A::Error> {
                    let mut out = Map::new();
                    while let Some(k) = map.next_key::<String>()? {
                        if REQUEST_MEMBERS.contains(&k.as_str()) {
                            let v: Value = map.next_value()?;
                            out.insert(camel(&k), camelize(&k, &v));
                        } else {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                    Ok(Allowed(out))
                }
            }
            d.deserialize_map(V)
        }
    }
    match serde_json::from_slice::<Allowed>(body) {
        Ok(Allowed(m)) if !m.is_empty() => Value::Object(m),
        _ => Value::Null,
    }
}

/// Renders wire members as CloudTrail does (camelCase names), keeping only
/// `allowed` members at the top level. Maps of the caller's own keys
/// (encryption contexts) are copied as they are.
pub(super) fn elements(body: &Value, allowed: &[&str]) -> Value {
    let Value::Object(m) = body else { return Value::Null };
    let out: Map<String, Value> =
        m.iter().filter(|(k, _)| allowed.contains(&k.as_str())).map(|(k, v)| (camel(k), camelize(k, v))).collect();
    if out.is_empty() {
        Value::Null
    } else {
        Value::Object(out)
    }
}

pub(super) fn camelize(member: &str, v: &Value) -> Value {
    if member.contains("EncryptionContext") {
        return v.clone();
    }
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (camel(k), camelize(k, v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(|v| camelize("", v)).collect()),
        other => other.clone(),
    }
}

/// Largest `requestParameters` or `responseElements` an event keeps, as
/// serialized JSON (bytes). A larger one (a huge encryption context) is
/// replaced by `{"truncated": true, "originalSize": N}`; CloudTrail also
/// caps what an event holds. 64 KiB keeps a key policy of the 32 KiB
/// maximum whole, JSON-escaped.
pub const MAX_ELEMENTS_BYTES: usize = 64 * 1024;
/// Longest `errorMessage` kept (characters).
pub const MAX_ERROR_MESSAGE_CHARS: usize = 2048;
/// Longest `errorCode` kept (characters).
pub const MAX_ERROR_CODE_CHARS: usize = 128;

/// `v`, or a marker of its size when its JSON is over [`MAX_ELEMENTS_BYTES`].
pub(super) fn bounded(v: &Value) -> std::borrow::Cow<'_, Value> {
    /// Counts the bytes written to it: the size without the copy.
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    if v.is_null() {
        return std::borrow::Cow::Borrowed(v);
    }
    let mut n = Count(0);
    let size = serde_json::to_writer(&mut n, v).map_or(usize::MAX, |()| n.0);
    if size <= MAX_ELEMENTS_BYTES {
        std::borrow::Cow::Borrowed(v)
    } else {
        std::borrow::Cow::Owned(json!({"truncated": true, "originalSize": size}))
    }
}

/// The first `max` characters of `s`.
pub(super) fn clip_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}
