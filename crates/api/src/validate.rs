//! The service model's constraints, checked before a request reaches the
//! core, and reported in AWS's words:
//!
//! `1 validation error detected: Value 'x' at 'keyId' failed to satisfy
//! constraint: Member must have length less than or equal to 2048`
//!
//! Member paths are the wire names with a lowercase first letter; list
//! members are `tags.1.member.tagKey` (1-based) as in AWS messages. Values of
//! sensitive or binary members are never quoted.

use crate::enums::WireEnum;
use crate::ops::*;
use std::fmt::Write as _;

/// Collected constraint violations of one request.
#[derive(Debug, Default)]
pub struct Violations(Vec<String>);

impl Violations {
    /// No violations.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The AWS message: `N validation error(s) detected: …; …`.
    pub fn message(&self) -> String {
        let n = self.0.len();
        let mut m = format!("{n} validation error{} detected: ", if n == 1 { "" } else { "s" });
        m.push_str(&self.0.join("; "));
        m
    }

    fn push(&mut self, value: Option<&str>, at: &str, constraint: &str) {
        let mut s = String::from("Value ");
        if let Some(v) = value {
            let _ = write!(s, "'{v}' ");
        }
        let _ = write!(s, "at '{at}' failed to satisfy constraint: Member must {constraint}");
        self.0.push(s);
    }

    /// A required member must be present.
    pub fn required<T>(&mut self, at: &str, v: &Option<T>) {
        if v.is_none() {
            self.0.push(format!("Value null at '{at}' failed to satisfy constraint: Member must not be null"));
        }
    }

    /// String length in characters (the model counts UTF-16 code units; for
    /// the ASCII identifiers involved these agree).
    pub fn len(&mut self, at: &str, v: Option<&str>, min: usize, max: usize) {
        if let Some(s) = v {
            let n = s.chars().count();
            if n < min {
                self.push(Some(s), at, &format!("have length greater than or equal to {min}"));
            } else if n > max {
                self.push(Some(s), at, &format!("have length less than or equal to {max}"));
            }
        }
    }

    /// Length of a sensitive member (the model's `PlaintextType`) or of a
    /// credential: the value is never quoted.
    pub fn blob_len(&mut self, at: &str, len: Option<usize>, min: usize, max: usize) {
        self.length_of(at, None, len, min, max);
    }

    /// Length of a binary member that is not sensitive in the model
    /// (ciphertexts, signatures, MACs, import tokens, public keys). AWS
    /// quotes the value as its Java service prints the buffer it decoded the
    /// base64 into, `java.nio.HeapByteBuffer[pos=0 lim=N cap=N]`: the length,
    /// never the bytes. (An empty `CiphertextBlob` is answered `Value
    /// 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]' at 'ciphertextBlob'`.)
    pub fn bytes_len(&mut self, at: &str, len: Option<usize>, min: usize, max: usize) {
        let shown = len.map(|n| format!("java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]"));
        self.length_of(at, shown.as_deref(), len, min, max);
    }

    fn length_of(&mut self, at: &str, shown: Option<&str>, len: Option<usize>, min: usize, max: usize) {
        if let Some(n) = len {
            if n < min {
                self.push(shown, at, &format!("have length greater than or equal to {min}"));
            } else if n > max {
                self.push(shown, at, &format!("have length less than or equal to {max}"));
            }
        }
    }

    /// Integer range.
    pub fn range(&mut self, at: &str, v: Option<i64>, min: i64, max: i64) {
        if let Some(n) = v {
            let s = n.to_string();
            if n < min {
                self.push(Some(&s), at, &format!("have value greater than or equal to {min}"));
            } else if n > max {
                self.push(Some(&s), at, &format!("have value less than or equal to {max}"));
            }
        }
    }

    /// Enum membership.
    pub fn enumeration<E: WireEnum>(&mut self, at: &str, v: Option<&E>) {
        if let Some(e) = v.filter(|e| e.is_unknown()) {
            let set = E::VALUES.join(", ");
            self.push(Some(e.as_str()), at, &format!("satisfy enum value set: [{set}]"));
        }
    }

    /// A pattern, checked by `ok`; `pattern` is the model's text for the message.
    pub fn pattern(&mut self, at: &str, v: Option<&str>, pattern: &str, ok: impl Fn(&str) -> bool) {
        if let Some(s) = v.filter(|s| !ok(s)) {
            self.push(Some(s), at, &format!("satisfy regular expression pattern: {pattern}"));
        }
    }

    /// List length.
    pub fn list_len<T>(&mut self, at: &str, v: Option<&Vec<T>>, min: usize, max: usize) {
        if let Some(l) = v {
            if l.len() < min {
                self.push(None, at, &format!("have length greater than or equal to {min}"));
            } else if l.len() > max {
                self.push(None, at, &format!("have length less than or equal to {max}"));
            }
        }
    }

    /// GenerateDataKey's `KeySpec`. AWS checks the value against the KMS key
    /// specs first, and a value that is none of them is answered with that
    /// set, AES_256 and AES_128 absent (boto/boto3 issue 3428, `AES-256`);
    /// a key spec that is no data key spec is then refused against the data
    /// key specs.
    fn data_key_spec(&mut self, v: Option<&crate::enums::DataKeySpec>) {
        if let Some(spec) = v.filter(|s| s.is_unknown()) {
            let as_key_spec = crate::enums::KeySpec::parse(spec.as_str());
            if as_key_spec.is_unknown() {
                self.enumeration("keySpec", Some(&as_key_spec));
            } else {
                self.enumeration("keySpec", Some(spec));
            }
        }
    }

    fn key_id(&mut self, at: &str, v: Option<&String>) {
        self.len(at, v.map(String::as_str), 1, 2048);
    }

    fn grant_tokens(&mut self, v: Option<&Vec<String>>) {
        self.list_len("grantTokens", v, 0, 10);
        for (i, t) in v.into_iter().flatten().enumerate() {
            // Grant tokens are credentials: never quote them.
            self.blob_len(&format!("grantTokens.{}.member", i + 1), Some(t.chars().count()), 1, 8192);
        }
    }

    fn ciphertext(&mut self, at: &str, v: Option<&crate::Blob>) {
        self.bytes_len(at, v.map(|b| b.0.len()), 1, 6144);
    }

    fn alias_name(&mut self, v: Option<&String>) {
        self.len("aliasName", v.map(String::as_str), 1, 256);
        self.pattern("aliasName", v.map(String::as_str), ALIAS_PATTERN, alias_chars_ok);
    }

    fn marker(&mut self, v: Option<&String>) {
        self.len("marker", v.map(String::as_str), 1, 1024);
        self.pattern("marker", v.map(String::as_str), "[\\u0020-\\u00FF]*", |s| {
            s.chars().all(|c| ('\u{20}'..='\u{ff}').contains(&c))
        });
    }
}

/// The alias name pattern as the model writes it.
pub const ALIAS_PATTERN: &str = "^[a-zA-Z0-9:/_-]+$";

/// True when every character is allowed in an alias name.
pub fn alias_chars_ok(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'_' | b'-'))
}

/// A request shape that knows its model constraints.
pub trait Validate {
    /// Records every violated constraint.
    fn check(&self, v: &mut Violations);

    /// `Err(message)` when any constraint is violated.
    fn validate(&self) -> Result<(), String> {
        let mut v = Violations::default();
        self.check(&mut v);
        if v.is_empty() {
            Ok(())
        } else {
            Err(v.message())
        }
    }
}

impl Violations {
    /// A policy document (`PolicyType`): 1–131072 characters of tab, line
    /// feed, carriage return and U+0020–U+00FF.
    fn policy(&mut self, policy: Option<&str>) {
        self.len("policy", policy, 1, 131_072);
        if let Some(p) = policy {
            if !p.chars().all(|c| matches!(c, '\u{9}' | '\u{a}' | '\u{d}' | '\u{20}'..='\u{ff}')) {
                // The policy text is not a secret, but it can be long: AWS quotes
                // it; we keep the message readable and leave the value out.
                self.0.push(
                    "Value at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
                        .to_owned(),
                );
            }
        }
    }

    /// A policy name (`PolicyNameType`): 1–128 word characters.
    fn policy_name(&mut self, name: Option<&str>) {
        self.len("policyName", name, 1, 128);
        self.pattern("policyName", name, "[\\w]+", |s| s.chars().all(|c| c.is_alphanumeric() || c == '_'));
    }
}

impl Violations {
    /// `PrincipalIdType`.
    fn principal(&mut self, at: &str, v: Option<&String>) {
        let v = v.map(String::as_str);
        self.len(at, v, 1, 256);
        self.pattern(at, v, "^[\\w+=,.@:/-]+$", |s| s.chars().all(|c| c.is_alphanumeric() || "_+=,.@:/-".contains(c)));
    }

    /// `GrantIdType`.
    fn grant_id(&mut self, v: Option<&String>) {
        self.len("grantId", v.map(String::as_str), 1, 128);
    }

    /// `GrantTokenType`: never quoted.
    fn grant_token(&mut self, v: Option<&String>) {
        self.blob_len("grantToken", v.map(|t| t.chars().count()), 1, 8192);
    }

    /// `ServicePrincipalType`.
    fn service_principal(&mut self, at: &str, v: Option<&String>) {
        self.len(at, v.map(String::as_str), 1, 128);
    }
}

impl Validate for CreateGrantRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.principal("granteePrincipal", self.grantee_principal.as_ref());
        v.principal("retiringPrincipal", self.retiring_principal.as_ref());
        v.required("operations", &self.operations);
        for (i, op) in self.operations.iter().flatten().enumerate() {
            v.enumeration(&format!("operations.{}.member", i + 1), Some(op));
        }
        v.grant_tokens(self.grant_tokens.as_ref());
        v.len("name", self.name.as_deref(), 1, 256);
        v.pattern("name", self.name.as_deref(), ALIAS_PATTERN, alias_chars_ok);
        v.service_principal("granteeServicePrincipal", self.grantee_service_principal.as_ref());
        v.service_principal("retiringServicePrincipal", self.retiring_service_principal.as_ref());
    }
}

impl Validate for ListGrantsRequest {
    fn check(&self, v: &mut Violations) {
        v.range("limit", self.limit, 1, 1000);
        v.marker(self.marker.as_ref());
        v.key_only(self.key_id.as_ref());
        v.grant_id(self.grant_id.as_ref());
        v.principal("granteePrincipal", self.grantee_principal.as_ref());
        v.service_principal("granteeServicePrincipal", self.grantee_service_principal.as_ref());
    }
}

impl Validate for ListRetirableGrantsRequest {
    fn check(&self, v: &mut Violations) {
        v.range("limit", self.limit, 1, 1000);
        v.marker(self.marker.as_ref());
        v.principal("retiringPrincipal", self.retiring_principal.as_ref());
        v.service_principal("retiringServicePrincipal", self.retiring_service_principal.as_ref());
    }
}

impl Validate for RetireGrantRequest {
    fn check(&self, v: &mut Violations) {
        v.grant_token(self.grant_token.as_ref());
        v.key_id("keyId", self.key_id.as_ref());
        v.grant_id(self.grant_id.as_ref());
    }
}

impl Validate for RevokeGrantRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.required("grantId", &self.grant_id);
        v.grant_id(self.grant_id.as_ref());
    }
}

impl Validate for PutKeyPolicyRequest {
    fn check(&self, v: &mut Violations) {
        // The model's member order: PolicyName before Policy.
        v.key_only(self.key_id.as_ref());
        v.policy_name(self.policy_name.as_deref());
        v.required("policy", &self.policy);
        v.policy(self.policy.as_deref());
    }
}

impl Validate for GetKeyPolicyRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.policy_name(self.policy_name.as_deref());
    }
}

impl Validate for ListKeyPoliciesRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.range("limit", self.limit, 1, 1000);
        v.marker(self.marker.as_ref());
    }
}

impl Validate for CreateKeyRequest {
    fn check(&self, v: &mut Violations) {
        v.policy(self.policy.as_deref());
        v.len("description", self.description.as_deref(), 0, 8192);
        v.enumeration("keyUsage", self.key_usage.as_ref());
        v.enumeration("customerMasterKeySpec", self.customer_master_key_spec.as_ref());
        v.enumeration("keySpec", self.key_spec.as_ref());
        v.enumeration("origin", self.origin.as_ref());
        v.len("customKeyStoreId", self.custom_key_store_id.as_deref(), 1, 64);
        v.tags(self.tags.as_ref());
        v.len("xksKeyId", self.xks_key_id.as_deref(), 1, 128);
        v.pattern("xksKeyId", self.xks_key_id.as_deref(), "^[a-zA-Z0-9-_.]+$", |s| {
            s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    }
}

/// The characters after `cluster-` that AWS's `CloudHsmClusterIdType`
/// pattern (`cluster-[2-7a-zA-Z]{11,16}`) allows.
pub fn cluster_id_chars_ok(rest: &str) -> bool {
    rest.bytes().all(|b| b.is_ascii_alphabetic() || (b'2'..=b'7').contains(&b))
}

impl Violations {
    /// The members of CreateCustomKeyStore and UpdateCustomKeyStore that
    /// both have; `KeyStorePasswordType` is sensitive (never quoted).
    fn key_store(&mut self, cluster: Option<&str>, password: Option<&str>) {
        self.len("cloudHsmClusterId", cluster, 19, 24);
        // The length is the rule above: the pattern's own message is kept
        // for the characters.
        self.pattern("cloudHsmClusterId", cluster, "cluster-[2-7a-zA-Z]{11,16}", |c| {
            c.strip_prefix("cluster-").is_some_and(cluster_id_chars_ok)
        });
        self.blob_len("keyStorePassword", password.map(|p| p.chars().count()), 7, 32);
    }
}

impl Validate for CreateCustomKeyStoreRequest {
    fn check(&self, v: &mut Violations) {
        v.required("customKeyStoreName", &self.custom_key_store_name);
        v.len("customKeyStoreName", self.custom_key_store_name.as_deref(), 1, 256);
        v.key_store(self.cloud_hsm_cluster_id.as_deref(), self.key_store_password.as_ref().map(|p| p.expose()));
        v.len("trustAnchorCertificate", self.trust_anchor_certificate.as_deref(), 1, 5000);
        v.enumeration("customKeyStoreType", self.custom_key_store_type.as_ref());
    }
}

impl Validate for DescribeCustomKeyStoresRequest {
    fn check(&self, v: &mut Violations) {
        v.len("customKeyStoreId", self.custom_key_store_id.as_deref(), 1, 64);
        v.len("customKeyStoreName", self.custom_key_store_name.as_deref(), 1, 256);
        v.range("limit", self.limit, 1, 1000);
        v.marker(self.marker.as_ref());
    }
}

impl Validate for CustomKeyStoreIdRequest {
    fn check(&self, v: &mut Violations) {
        v.required("customKeyStoreId", &self.custom_key_store_id);
        v.len("customKeyStoreId", self.custom_key_store_id.as_deref(), 1, 64);
    }
}

impl Validate for UpdateCustomKeyStoreRequest {
    fn check(&self, v: &mut Violations) {
        v.required("customKeyStoreId", &self.custom_key_store_id);
        v.len("customKeyStoreId", self.custom_key_store_id.as_deref(), 1, 64);
        v.len("newCustomKeyStoreName", self.new_custom_key_store_name.as_deref(), 1, 256);
        v.key_store(self.cloud_hsm_cluster_id.as_deref(), self.key_store_password.as_ref().map(|p| p.expose()));
    }
}

impl Violations {
    /// `RegionType`.
    fn region(&mut self, at: &str, v: Option<&String>) {
        let v = v.map(String::as_str);
        self.len(at, v, 1, 32);
        self.pattern(at, v, "^([a-z]+-){2,3}\\d+$", region_ok);
    }
}

/// `^([a-z]+-){2,3}\d+$`: two or three lowercase words, each followed by a
/// hyphen, then digits.
pub fn region_ok(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let Some((last, words)) = parts.split_last() else { return false };
    (2..=3).contains(&words.len())
        && words.iter().all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
}

impl Validate for ReplicateKeyRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.required("replicaRegion", &self.replica_region);
        v.region("replicaRegion", self.replica_region.as_ref());
        v.policy(self.policy.as_deref());
        v.len("description", self.description.as_deref(), 0, 8192);
        v.tags(self.tags.as_ref());
    }
}

impl Validate for UpdatePrimaryRegionRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.required("primaryRegion", &self.primary_region);
        v.region("primaryRegion", self.primary_region.as_ref());
    }
}

impl Validate for DescribeKeyRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

impl Validate for ListKeysRequest {
    fn check(&self, v: &mut Violations) {
        v.range("limit", self.limit, 1, 1000);
        v.marker(self.marker.as_ref());
    }
}

impl Validate for EnableKeyRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
    }
}

impl Validate for DisableKeyRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
    }
}

impl Validate for EncryptRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.required("plaintext", &self.plaintext);
        v.blob_len("plaintext", self.plaintext.as_ref().map(|p| p.len()), 1, 4096);
        v.grant_tokens(self.grant_tokens.as_ref());
        v.enumeration("encryptionAlgorithm", self.encryption_algorithm.as_ref());
    }
}

impl Validate for DecryptRequest {
    fn check(&self, v: &mut Violations) {
        v.ciphertext("ciphertextBlob", self.ciphertext_blob.as_ref());
        v.grant_tokens(self.grant_tokens.as_ref());
        v.key_id("keyId", self.key_id.as_ref());
        v.enumeration("encryptionAlgorithm", self.encryption_algorithm.as_ref());
        v.recipient(self.recipient.as_ref());
        for (i, m) in self.dry_run_modifiers.iter().flatten().enumerate() {
            v.enumeration(&format!("dryRunModifiers.{}.member", i + 1), Some(m));
        }
    }
}

impl Validate for ReEncryptRequest {
    fn check(&self, v: &mut Violations) {
        v.ciphertext("ciphertextBlob", self.ciphertext_blob.as_ref());
        v.key_id("sourceKeyId", self.source_key_id.as_ref());
        v.required("destinationKeyId", &self.destination_key_id);
        v.key_id("destinationKeyId", self.destination_key_id.as_ref());
        v.enumeration("sourceEncryptionAlgorithm", self.source_encryption_algorithm.as_ref());
        v.enumeration("destinationEncryptionAlgorithm", self.destination_encryption_algorithm.as_ref());
        v.grant_tokens(self.grant_tokens.as_ref());
        for (i, m) in self.dry_run_modifiers.iter().flatten().enumerate() {
            v.enumeration(&format!("dryRunModifiers.{}.member", i + 1), Some(m));
        }
    }
}

impl Validate for GenerateDataKeyRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.range("numberOfBytes", self.number_of_bytes, 1, 1024);
        v.data_key_spec(self.key_spec.as_ref());
        v.grant_tokens(self.grant_tokens.as_ref());
        v.recipient(self.recipient.as_ref());
    }
}

impl Validate for GenerateDataKeyWithoutPlaintextRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.data_key_spec(self.key_spec.as_ref());
        v.range("numberOfBytes", self.number_of_bytes, 1, 1024);
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

impl Validate for GenerateRandomRequest {
    fn check(&self, v: &mut Violations) {
        v.range("numberOfBytes", self.number_of_bytes, 1, 1024);
        v.len("customKeyStoreId", self.custom_key_store_id.as_deref(), 1, 64);
        v.recipient(self.recipient.as_ref());
    }
}

impl Validate for CreateAliasRequest {
    fn check(&self, v: &mut Violations) {
        v.required("aliasName", &self.alias_name);
        v.alias_name(self.alias_name.as_ref());
        v.required("targetKeyId", &self.target_key_id);
        v.key_id("targetKeyId", self.target_key_id.as_ref());
    }
}

impl Validate for DeleteAliasRequest {
    fn check(&self, v: &mut Violations) {
        v.required("aliasName", &self.alias_name);
        v.alias_name(self.alias_name.as_ref());
    }
}

impl Validate for UpdateAliasRequest {
    fn check(&self, v: &mut Violations) {
        v.required("aliasName", &self.alias_name);
        v.alias_name(self.alias_name.as_ref());
        v.required("targetKeyId", &self.target_key_id);
        v.key_id("targetKeyId", self.target_key_id.as_ref());
    }
}

impl Validate for ListAliasesRequest {
    fn check(&self, v: &mut Violations) {
        v.key_id("keyId", self.key_id.as_ref());
        v.range("limit", self.limit, 1, 1000);
        v.marker(self.marker.as_ref());
    }
}

/// The characters a KMS tag key or value may hold, as a pattern for the
/// message. The KMS model gives `TagKeyType` and `TagValueType` lengths but
/// no pattern (botocore 1.43's service-2.json); AWS's tag restrictions (the
/// page the model's `Tag` links) allow letters, numbers, spaces and
/// `+ - = . _ : / @`. Trent refuses the control characters (NUL, escape,
/// tab, newline, …) that break logs and exports, in AWS's pattern-violation
/// wording, and narrows no further so existing clients' tags keep working.
pub const KMS_TAG_PATTERN: &str = "[^\\p{Cc}]*";

/// No control character (Unicode `Cc`).
pub fn kms_tag_chars_ok(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

impl Violations {
    fn tags(&mut self, tags: Option<&Vec<crate::ops::Tag>>) {
        for (i, t) in tags.into_iter().flatten().enumerate() {
            let at = |m: &str| format!("tags.{}.member.{m}", i + 1);
            self.required(&at("tagKey"), &t.tag_key);
            self.required(&at("tagValue"), &t.tag_value);
            self.len(&at("tagKey"), t.tag_key.as_deref(), 1, 128);
            self.pattern(&at("tagKey"), t.tag_key.as_deref(), KMS_TAG_PATTERN, kms_tag_chars_ok);
            self.len(&at("tagValue"), t.tag_value.as_deref(), 0, 256);
            self.pattern(&at("tagValue"), t.tag_value.as_deref(), KMS_TAG_PATTERN, kms_tag_chars_ok);
        }
    }

    fn key_only(&mut self, key_id: Option<&String>) {
        self.required("keyId", &key_id);
        self.key_id("keyId", key_id);
    }
}

impl Validate for UpdateKeyDescriptionRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.required("description", &self.description);
        v.len("description", self.description.as_deref(), 0, 8192);
    }
}

impl Validate for TagResourceRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.required("tags", &self.tags);
        v.tags(self.tags.as_ref());
    }
}

impl Validate for UntagResourceRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.required("tagKeys", &self.tag_keys);
        for (i, k) in self.tag_keys.iter().flatten().enumerate() {
            v.len(&format!("tagKeys.{}.member", i + 1), Some(k), 1, 128);
            v.pattern(&format!("tagKeys.{}.member", i + 1), Some(k), KMS_TAG_PATTERN, kms_tag_chars_ok);
        }
    }
}

impl Validate for ListResourceTagsRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.range("limit", self.limit, 1, 1000);
        v.marker(self.marker.as_ref());
    }
}

impl Validate for ScheduleKeyDeletionRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        // The model allows 1–365; the service then accepts only 7–30 (the
        // core checks that, with AWS's own wording).
        v.range("pendingWindowInDays", self.pending_window_in_days, 1, 365);
    }
}

impl Validate for CancelKeyDeletionRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
    }
}

impl Validate for EnableKeyRotationRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.range("rotationPeriodInDays", self.rotation_period_in_days, 90, 2560);
    }
}

impl Validate for DisableKeyRotationRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
    }
}

impl Validate for GetKeyLastUsageRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
    }
}

impl Validate for GetKeyRotationStatusRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
    }
}

impl Validate for RotateKeyOnDemandRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
    }
}

impl Validate for ListKeyRotationsRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.enumeration("includeKeyMaterial", self.include_key_material.as_ref());
        v.range("limit", self.limit, 1, 1000);
        v.marker(self.marker.as_ref());
    }
}

impl Violations {
    fn material_id(&mut self, at: &str, v: Option<&String>) {
        self.len(at, v.map(String::as_str), 64, 64);
        self.pattern(at, v.map(String::as_str), "^[a-f0-9]+$", |s| {
            !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
    }
}

impl Validate for GetParametersForImportRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.required("wrappingAlgorithm", &self.wrapping_algorithm);
        v.enumeration("wrappingAlgorithm", self.wrapping_algorithm.as_ref());
        v.required("wrappingKeySpec", &self.wrapping_key_spec);
        v.enumeration("wrappingKeySpec", self.wrapping_key_spec.as_ref());
    }
}

impl Validate for ImportKeyMaterialRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.required("importToken", &self.import_token);
        v.ciphertext("importToken", self.import_token.as_ref());
        v.required("encryptedKeyMaterial", &self.encrypted_key_material);
        v.ciphertext("encryptedKeyMaterial", self.encrypted_key_material.as_ref());
        v.enumeration("expirationModel", self.expiration_model.as_ref());
        v.enumeration("importType", self.import_type.as_ref());
        v.len("keyMaterialDescription", self.key_material_description.as_deref(), 0, 256);
        v.pattern("keyMaterialDescription", self.key_material_description.as_deref(), "^[a-zA-Z0-9:/_\\s.-]+$", |s| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c.is_whitespace() || matches!(c, ':' | '/' | '_' | '.' | '-'))
        });
        v.material_id("keyMaterialId", self.key_material_id.as_ref());
    }
}

impl Validate for DeleteImportedKeyMaterialRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.material_id("keyMaterialId", self.key_material_id.as_ref());
    }
}

impl Violations {
    fn recipient(&mut self, r: Option<&RecipientInfo>) {
        if let Some(r) = r {
            self.enumeration("recipient.keyEncryptionAlgorithm", r.key_encryption_algorithm.as_ref());
            self.bytes_len(
                "recipient.attestationDocument",
                r.attestation_document.as_ref().map(|b| b.0.len()),
                1,
                262_144,
            );
        }
    }

    fn message_member(&mut self, m: Option<&crate::SensitiveBlob>) {
        self.required("message", &m);
        self.blob_len("message", m.map(crate::SensitiveBlob::len), 1, 4096);
    }

    fn public_key(&mut self, at: &str, b: Option<&crate::Blob>) {
        self.bytes_len(at, b.map(|b| b.0.len()), 1, 8192);
    }
}

impl Validate for SignRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.message_member(self.message.as_ref());
        v.enumeration("messageType", self.message_type.as_ref());
        v.grant_tokens(self.grant_tokens.as_ref());
        v.required("signingAlgorithm", &self.signing_algorithm);
        v.enumeration("signingAlgorithm", self.signing_algorithm.as_ref());
    }
}

impl Validate for VerifyRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.message_member(self.message.as_ref());
        v.enumeration("messageType", self.message_type.as_ref());
        v.required("signature", &self.signature);
        v.ciphertext("signature", self.signature.as_ref());
        v.required("signingAlgorithm", &self.signing_algorithm);
        v.enumeration("signingAlgorithm", self.signing_algorithm.as_ref());
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

impl Validate for GetPublicKeyRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

impl Validate for GenerateMacRequest {
    fn check(&self, v: &mut Violations) {
        v.message_member(self.message.as_ref());
        v.key_only(self.key_id.as_ref());
        v.required("macAlgorithm", &self.mac_algorithm);
        v.enumeration("macAlgorithm", self.mac_algorithm.as_ref());
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

impl Validate for VerifyMacRequest {
    fn check(&self, v: &mut Violations) {
        v.message_member(self.message.as_ref());
        v.key_only(self.key_id.as_ref());
        v.required("macAlgorithm", &self.mac_algorithm);
        v.enumeration("macAlgorithm", self.mac_algorithm.as_ref());
        v.required("mac", &self.mac);
        v.ciphertext("mac", self.mac.as_ref());
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

impl Validate for DeriveSharedSecretRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.required("keyAgreementAlgorithm", &self.key_agreement_algorithm);
        v.enumeration("keyAgreementAlgorithm", self.key_agreement_algorithm.as_ref());
        v.required("publicKey", &self.public_key);
        v.public_key("publicKey", self.public_key.as_ref());
        v.grant_tokens(self.grant_tokens.as_ref());
        v.recipient(self.recipient.as_ref());
    }
}

impl Validate for GenerateDataKeyPairRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.required("keyPairSpec", &self.key_pair_spec);
        v.enumeration("keyPairSpec", self.key_pair_spec.as_ref());
        v.grant_tokens(self.grant_tokens.as_ref());
        v.recipient(self.recipient.as_ref());
    }
}

impl Validate for GenerateDataKeyPairWithoutPlaintextRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.required("keyPairSpec", &self.key_pair_spec);
        v.enumeration("keyPairSpec", self.key_pair_spec.as_ref());
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

impl Validate for EncapsulateRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.required("encapsulationAlgorithm", &self.encapsulation_algorithm);
        v.enumeration("encapsulationAlgorithm", self.encapsulation_algorithm.as_ref());
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

impl Validate for DecapsulateRequest {
    fn check(&self, v: &mut Violations) {
        v.key_only(self.key_id.as_ref());
        v.required("sharedSecretCiphertextBlob", &self.shared_secret_ciphertext_blob);
        v.ciphertext("sharedSecretCiphertextBlob", self.shared_secret_ciphertext_blob.as_ref());
        v.required("encapsulationAlgorithm", &self.encapsulation_algorithm);
        v.enumeration("encapsulationAlgorithm", self.encapsulation_algorithm.as_ref());
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(s: &str) -> T {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn plaintext_too_long_is_worded_as_aws_words_it() {
        let big = "A".repeat(4100 / 3 * 4 + 4);
        let r: EncryptRequest = parse(&format!(r#"{{"KeyId":"alias/x","Plaintext":"{big}"}}"#));
        assert_eq!(
            r.validate().unwrap_err(),
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: \
             Member must have length less than or equal to 4096"
        );
    }

    #[test]
    fn binary_members_are_quoted_as_a_java_buffer_sensitive_ones_not_at_all() {
        let big = "A".repeat(6148 / 3 * 4);
        let r: DecryptRequest = parse(&format!(r#"{{"CiphertextBlob":"{big}"}}"#));
        assert_eq!(
            r.validate().unwrap_err(),
            "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=6147 cap=6147]' at \
             'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144"
        );
        let r: GenerateMacRequest = parse(r#"{"KeyId":"k","Message":"","MacAlgorithm":"HMAC_SHA_256"}"#);
        assert_eq!(
            r.validate().unwrap_err(),
            "1 validation error detected: Value at 'message' failed to satisfy constraint: \
             Member must have length greater than or equal to 1"
        );
    }

    #[test]
    fn put_key_policy_lists_violations_in_the_model_member_order() {
        let r: PutKeyPolicyRequest = parse(r#"{"KeyId":"k","PolicyName":"a-b"}"#);
        let m = r.validate().unwrap_err();
        assert!(m.starts_with("2 validation errors detected: Value 'a-b' at 'policyName'"), "{m}");
        assert!(m.ends_with("Value null at 'policy' failed to satisfy constraint: Member must not be null"), "{m}");
    }

    #[test]
    fn several_violations_are_counted_and_joined() {
        let r: GenerateDataKeyRequest = parse(r#"{"NumberOfBytes":0,"KeySpec":"RSA_2048"}"#);
        assert_eq!(
            r.validate().unwrap_err(),
            "3 validation errors detected: Value null at 'keyId' failed to satisfy constraint: \
             Member must not be null; Value '0' at 'numberOfBytes' failed to satisfy constraint: \
             Member must have value greater than or equal to 1; Value 'RSA_2048' at 'keySpec' failed \
             to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]"
        );
    }

    #[test]
    fn a_data_key_spec_that_is_no_key_spec_is_answered_with_the_key_specs() {
        let r: GenerateDataKeyWithoutPlaintextRequest = parse(r#"{"KeyId":"k","KeySpec":"AES-256"}"#);
        let m = r.validate().unwrap_err();
        assert!(
            m.starts_with(
                "1 validation error detected: Value 'AES-256' at 'keySpec' failed to satisfy constraint: \
                 Member must satisfy enum value set: [RSA_2048, ECC_NIST_P384, ECC_NIST_P256, ECC_NIST_P521, \
                 HMAC_384, RSA_3072, ECC_SECG_P256K1, RSA_4096, SYMMETRIC_DEFAULT, HMAC_256, HMAC_224, HMAC_512"
            ),
            "{m}"
        );
    }

    #[test]
    fn alias_pattern_and_tags() {
        let r: CreateAliasRequest = parse(r#"{"AliasName":"alias/bad name","TargetKeyId":"k"}"#);
        assert!(r.validate().unwrap_err().contains("regular expression pattern: ^[a-zA-Z0-9:/_-]+$"));
        let r: CreateKeyRequest = parse(r#"{"Tags":[{"TagKey":""}]}"#);
        let m = r.validate().unwrap_err();
        assert!(m.contains("Value null at 'tags.1.member.tagValue'"), "{m}");
        assert!(m.contains("at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1"), "{m}");
    }

    #[test]
    fn valid_requests_pass() {
        let r: EncryptRequest = parse(r#"{"KeyId":"alias/x","Plaintext":"aGk="}"#);
        assert!(r.validate().is_ok());
        let r: ListKeysRequest = parse(r#"{"Limit":1000}"#);
        assert!(r.validate().is_ok());
        let r: ListKeysRequest = parse(r#"{"Limit":1001}"#);
        assert!(r.validate().is_err());
    }
}
