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
    /// Any JSON object, its members read and dropped.
    struct AnyObject;
    impl<'de> serde::Deserialize<'de> for AnyObject {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = AnyObject;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<AnyObject, A::Error> {
                    while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
                    Ok(AnyObject)
                }
            }
            d.deserialize_map(V)
        }
    }
    parse_with_parameters::<AnyObject>(body).map_or(Value::Null, |(_, parameters)| parameters)
}

/// Parses a JSON request `body` as `T` and, in the same pass, keeps its
/// `requestParameters`: the [`REQUEST_MEMBERS`] among its top-level members,
/// camelCased as [`request_parameters`] writes them (`Null` when none). The
/// body is read once: a kept member is parsed into a [`Value`] that both
/// the event keeps and `T` is read from; every other member (a plaintext, a
/// ciphertext) goes from the parser to `T` without a copy.
///
/// Written here because serde offers no hook to watch a derived
/// `Deserialize` read its members; reading the body into a `Value` first
/// (or a crate's equivalent) would copy every member, a plaintext too, and
/// read it twice. This wraps the parser's map access instead.
///
/// # Errors
/// The parser's error, as `serde_json::from_slice` would give it; one
/// inside a kept member is placed just past that member's value.
pub fn parse_with_parameters<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<(T, Value), serde_json::Error> {
    let mut kept = Map::new();
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = T::deserialize(tee::Tee { inner: &mut de, kept: &mut kept })?;
    de.end()?;
    Ok((value, if kept.is_empty() { Value::Null } else { Value::Object(kept) }))
}

/// The deserializer behind [`parse_with_parameters`].
mod tee {
    use super::{camel, camelized, REQUEST_MEMBERS};
    use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer as _, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Value};

    /// A deserializer whose top-level struct or map keeps its allowed
    /// members in `kept`. Anything else is read by `inner` as it is.
    pub(super) struct Tee<'k, D> {
        pub(super) inner: D,
        pub(super) kept: &'k mut Map<String, Value>,
    }

    /// `fn $method(self, visitor)`, handed to the inner deserializer.
    macro_rules! forward {
        ($($method:ident)*) => {$(
            fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
                self.inner.$method(v)
            }
        )*};
    }

    impl<'de, D: Deserializer<'de>> Deserializer<'de> for Tee<'_, D> {
        type Error = D::Error;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.inner.deserialize_any(visitor)
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.inner.deserialize_struct(name, fields, Watch { visitor, kept: self.kept })
        }

        fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.inner.deserialize_map(Watch { visitor, kept: self.kept })
        }

        // Anything but an object is read by the parser as it is.
        forward! {
            deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
            deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
            deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
            deserialize_string deserialize_bytes deserialize_byte_buf deserialize_option
            deserialize_unit deserialize_seq deserialize_identifier deserialize_ignored_any
        }

        fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, D::Error> {
            self.inner.deserialize_unit_struct(name, v)
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, D::Error> {
            self.inner.deserialize_newtype_struct(name, v)
        }

        fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, D::Error> {
            self.inner.deserialize_tuple(len, v)
        }

        fn deserialize_tuple_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            len: usize,
            v: V,
        ) -> Result<V::Value, D::Error> {
            self.inner.deserialize_tuple_struct(name, len, v)
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            name: &'static str,
            variants: &'static [&'static str],
            v: V,
        ) -> Result<V::Value, D::Error> {
            self.inner.deserialize_enum(name, variants, v)
        }

        fn is_human_readable(&self) -> bool {
            self.inner.is_human_readable()
        }
    }

    /// The visitor of the top-level object: hands the real visitor a map
    /// access that keeps the allowed members.
    struct Watch<'k, V> {
        visitor: V,
        kept: &'k mut Map<String, Value>,
    }

    impl<'de, V: Visitor<'de>> Visitor<'de> for Watch<'_, V> {
        type Value = V::Value;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            self.visitor.expecting(f)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
            self.visitor.visit_map(Members { inner: map, kept: self.kept, member: None })
        }

        // A struct may also be read from a JSON array, by position: as the
        // parser alone would read it (nothing is kept).
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
            self.visitor.visit_seq(seq)
        }
    }

    /// The object's members: each key goes to the real visitor as it is;
    /// an allowed member's value is parsed once into a [`Value`], kept, and
    /// read by the real visitor from there.
    struct Members<'k, A> {
        inner: A,
        kept: &'k mut Map<String, Value>,
        /// The allowed member whose value comes next.
        member: Option<&'static str>,
    }

    impl<'de, A: MapAccess<'de>> MapAccess<'de> for Members<'_, A> {
        type Error = A::Error;

        fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
            Ok(self.inner.next_key_seed(Key(seed))?.map(|(key, member)| {
                self.member = member;
                key
            }))
        }

        fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
            match self.member.take() {
                Some(member) => {
                    let value: Value = self.inner.next_value()?;
                    let read = seed.deserialize(value.clone()).map_err(de::Error::custom)?;
                    self.kept.insert(camel(member), camelized(member, value));
                    Ok(read)
                }
                None => self.inner.next_value_seed(seed),
            }
        }

        fn size_hint(&self) -> Option<usize> {
            self.inner.size_hint()
        }
    }

    /// Reads a key as a string, hands it to the real key seed, and says
    /// which allowed member (if any) it names.
    struct Key<K>(K);

    impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for Key<K> {
        type Value = (K::Value, Option<&'static str>);

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }

    impl<'de, K: DeserializeSeed<'de>> Visitor<'de> for Key<K> {
        type Value = (K::Value, Option<&'static str>);

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a member name")
        }

        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            let member = REQUEST_MEMBERS.iter().copied().find(|m| *m == v);
            Ok((self.0.deserialize(de::value::BorrowedStrDeserializer::new(v))?, member))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let member = REQUEST_MEMBERS.iter().copied().find(|m| *m == v);
            Ok((self.0.deserialize(v.into_deserializer())?, member))
        }
    }
}

/// Renders wire members as CloudTrail does (camelCase names), keeping only
/// `allowed` members at the top level. Maps of the caller's own keys
/// (encryption contexts) are copied as they are.
pub(super) fn elements(body: &Value, allowed: &[&str]) -> Value {
    let Value::Object(m) = body else { return Value::Null };
    let out: Map<String, Value> = m
        .iter()
        .filter(|(k, _)| allowed.contains(&k.as_str()))
        .map(|(k, v)| (camel(k), camelized(k, v.clone())))
        .collect();
    if out.is_empty() {
        Value::Null
    } else {
        Value::Object(out)
    }
}

/// Member `member`'s value `v` as CloudTrail writes it: the names of the
/// objects inside camelCased, but an encryption context's (the caller's
/// own keys) kept as they are.
pub(super) fn camelized(member: &str, v: Value) -> Value {
    if member.contains("EncryptionContext") {
        return v;
    }
    match v {
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (camel(&k), camelized(&k, v))).collect()),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| camelized("", v)).collect()),
        other => other,
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
