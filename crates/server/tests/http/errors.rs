//! AWS's error answers, pinned: for each condition, the operation, the
//! `__type`, the HTTP status and the exact `message` (or its absence) that
//! AWS sends. Each row says where AWS's wording comes from: the issue that
//! recorded it (real AWS answers), the botocore model, or a public capture
//! (LocalStack's recorded snapshots, issues of AWS SDKs and Terraform's AWS
//! provider). A change of wording must change this table.

use crate::common::{TestServer, ACCOUNT};
use crate::protocol::{send, Req};
use base64::Engine as _;
use serde_json::{json, Value};

const REGION: &str = "us-east-1";

async fn call(s: &TestServer, op: &str, body: &Value) -> (u16, String, Value) {
    send(s, Req::new(&format!("TrentService.{op}"), &body.to_string()).signed()).await
}

async fn ok(s: &TestServer, op: &str, body: Value) -> Value {
    let (status, ty, v) = call(s, op, &body).await;
    assert_eq!((status, ty.as_str()), (200, ""), "{op} {body}: {v}");
    v
}

async fn key(s: &TestServer, spec: &str, usage: Option<&str>) -> String {
    let mut body = json!({ "KeySpec": spec });
    if let Some(u) = usage {
        body["KeyUsage"] = json!(u);
    }
    let v = ok(s, "CreateKey", body).await;
    v["KeyMetadata"]["Arn"].as_str().unwrap().to_owned()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// One row: an operation, the condition in words, the request, and AWS's
/// answer (`None`: no `message` member at all).
struct Row {
    op: &'static str,
    condition: &'static str,
    body: Value,
    code: &'static str,
    message: Option<String>,
}

#[tokio::test]
async fn every_pinned_error_is_answered_as_aws_answers_it() {
    let s = TestServer::builder().build().await;
    let sym = key(&s, "SYMMETRIC_DEFAULT", None).await;
    let hmac224 = key(&s, "HMAC_224", Some("GENERATE_VERIFY_MAC")).await;
    let disabled_hmac = key(&s, "HMAC_256", Some("GENERATE_VERIFY_MAC")).await;
    ok(&s, "DisableKey", json!({ "KeyId": disabled_hmac })).await;
    let rsa_enc = key(&s, "RSA_2048", Some("ENCRYPT_DECRYPT")).await;
    let rsa_sign = key(&s, "RSA_2048", Some("SIGN_VERIFY")).await;
    let ecc_sign = key(&s, "ECC_NIST_P256", Some("SIGN_VERIFY")).await;
    let external =
        ok(&s, "CreateKey", json!({ "Origin": "EXTERNAL" })).await["KeyMetadata"]["Arn"].as_str().unwrap().to_owned();
    let disabled = key(&s, "SYMMETRIC_DEFAULT", None).await;
    ok(&s, "DisableKey", json!({ "KeyId": disabled })).await;
    let deleting = key(&s, "SYMMETRIC_DEFAULT", None).await;
    ok(&s, "ScheduleKeyDeletion", json!({ "KeyId": deleting, "PendingWindowInDays": 7 })).await;
    let peer = ok(&s, "GetPublicKey", json!({ "KeyId": ecc_sign })).await["PublicKey"].clone();
    let ct = ok(&s, "Encrypt", json!({ "KeyId": sym, "Plaintext": b64(b"x") })).await["CiphertextBlob"].clone();
    let mrk = "mrk-1234abcd12ab34cd56ef1234567890ab";
    let other_region = format!("arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    let incorrect_key = "The key ID in the request does not identify a CMK that can perform this operation.";
    let tags = |n: usize| (0..n).map(|i| json!({ "TagKey": format!("k{i}"), "TagValue": "v" })).collect::<Vec<_>>();
    let msg = |m: &str| Some(m.to_owned());

    let rows = vec![
        // (b) Decrypt and ReEncrypt's source with a key that cannot decrypt.
        Row {
            op: "Decrypt",
            condition: "KeyId names an HMAC key",
            body: json!({ "KeyId": hmac224, "CiphertextBlob": ct }),
            code: "IncorrectKeyException",
            message: msg(incorrect_key),
        },
        Row {
            op: "Decrypt",
            condition: "KeyId names a signing key",
            body: json!({ "KeyId": rsa_sign, "CiphertextBlob": b64(&[1u8; 256]), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
            code: "IncorrectKeyException",
            message: msg(incorrect_key),
        },
        Row {
            op: "ReEncrypt",
            condition: "SourceKeyId names an HMAC key",
            body: json!({ "CiphertextBlob": ct, "SourceKeyId": hmac224, "DestinationKeyId": sym }),
            code: "IncorrectKeyException",
            message: msg(incorrect_key),
        },
        Row {
            op: "Decrypt",
            condition: "KeyId names another symmetric key than the ciphertext's",
            body: json!({ "KeyId": key(&s, "SYMMETRIC_DEFAULT", None).await, "CiphertextBlob": ct }),
            code: "IncorrectKeyException",
            message: msg(incorrect_key),
        },
        // (b) The key state is checked before the spec.
        Row {
            op: "RotateKeyOnDemand",
            condition: "a disabled HMAC key",
            body: json!({ "KeyId": disabled_hmac }),
            code: "DisabledException",
            message: Some(format!("{disabled_hmac} is disabled.")),
        },
        Row {
            op: "RotateKeyOnDemand",
            condition: "an enabled HMAC key",
            body: json!({ "KeyId": hmac224 }),
            code: "UnsupportedOperationException",
            message: Some(format!("{hmac224} key spec is HMAC_224 which is not valid for this operation.")),
        },
        // (b) DryRunOperationException is a 400 (checked below with the status).
        Row {
            op: "Encrypt",
            condition: "DryRun with every check passing",
            body: json!({ "KeyId": sym, "Plaintext": b64(b"x"), "DryRun": true }),
            code: "DryRunOperationException",
            message: msg("The request would have succeeded, but the DryRun option is set."),
        },
        // (b) Alias names.
        Row {
            op: "CreateAlias",
            condition: "a ':' in the name (terraform-provider-aws issue 12891)",
            body: json!({ "AliasName": "alias/Service:Test", "TargetKeyId": sym }),
            code: "ValidationException",
            message: msg("alias/Service:Test contains invalid characters for an alias"),
        },
        Row {
            op: "CreateAlias",
            condition: "no alias/ prefix (aws-controllers-k8s issue 1878)",
            body: json!({ "AliasName": "no-prefix", "TargetKeyId": sym }),
            code: "ValidationException",
            message: msg(
                "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
            ),
        },
        Row {
            op: "UpdateAlias",
            condition: "no alias/ prefix",
            body: json!({ "AliasName": "no-prefix", "TargetKeyId": sym }),
            code: "ValidationException",
            message: msg(
                "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
            ),
        },
        // (c) No message at all where AWS sends none.
        Row {
            op: "Decrypt",
            condition: "a ciphertext that is not one",
            body: json!({ "CiphertextBlob": b64(&[7u8; 64]) }),
            code: "InvalidCiphertextException",
            message: None,
        },
        Row {
            op: "Verify",
            condition: "a signature that does not verify",
            body: json!({ "KeyId": ecc_sign, "Message": b64(b"m"), "Signature": b64(&[1u8; 70]), "SigningAlgorithm": "ECDSA_SHA_256" }),
            code: "KMSInvalidSignatureException",
            message: None,
        },
        Row {
            op: "VerifyMac",
            condition: "a MAC that does not verify",
            body: json!({ "KeyId": hmac224, "Message": b64(b"m"), "Mac": b64(&[1u8; 28]), "MacAlgorithm": "HMAC_SHA_224" }),
            code: "KMSInvalidMacException",
            message: None,
        },
        // (c) Messages as AWS words them.
        Row {
            op: "Encrypt",
            condition: "plaintext over the OAEP limit, SHA-1",
            body: json!({ "KeyId": rsa_enc, "Plaintext": b64(&[1u8; 215]), "EncryptionAlgorithm": "RSAES_OAEP_SHA_1" }),
            code: "ValidationException",
            message: msg("Algorithm RSAES_OAEP_SHA_1 and key spec RSA_2048 cannot encrypt data larger than 214 bytes."),
        },
        Row {
            op: "Encrypt",
            condition: "plaintext over the OAEP limit, SHA-256",
            body: json!({ "KeyId": rsa_enc, "Plaintext": b64(&[1u8; 191]), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
            code: "ValidationException",
            message: msg("Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes."),
        },
        Row {
            op: "DeriveSharedSecret",
            condition: "a SIGN_VERIFY key",
            body: json!({ "KeyId": ecc_sign, "KeyAgreementAlgorithm": "ECDH", "PublicKey": peer }),
            code: "InvalidKeyUsageException",
            message: Some(format!("{ecc_sign} key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret.")),
        },
        Row {
            op: "Encrypt",
            condition: "a SIGN_VERIFY key",
            body: json!({ "KeyId": rsa_sign, "Plaintext": b64(b"x"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
            code: "InvalidKeyUsageException",
            message: Some(format!("{rsa_sign} key usage is SIGN_VERIFY which is not valid for Encrypt.")),
        },
        Row {
            op: "GenerateMac",
            condition: "an ENCRYPT_DECRYPT key",
            body: json!({ "KeyId": sym, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_256" }),
            code: "InvalidKeyUsageException",
            message: Some(format!("{sym} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.")),
        },
        Row {
            op: "GenerateMac",
            condition: "an algorithm of another HMAC spec",
            body: json!({ "KeyId": hmac224, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_256" }),
            code: "InvalidKeyUsageException",
            message: msg("Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224."),
        },
        Row {
            op: "GenerateMac",
            condition: "an unknown MacAlgorithm (LocalStack's recorded order of the set)",
            body: json!({ "KeyId": hmac224, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_1" }),
            code: "ValidationException",
            message: msg(
                "1 validation error detected: Value 'HMAC_SHA_1' at 'macAlgorithm' failed to satisfy constraint: \
                 Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]",
            ),
        },
        Row {
            op: "CreateKey",
            condition: "51 tags",
            body: json!({ "Tags": tags(51) }),
            code: "TagException",
            message: msg("Too many tags"),
        },
        Row {
            op: "CreateKey",
            condition: "a tag key twice",
            body: json!({ "Tags": [{ "TagKey": "a", "TagValue": "1" }, { "TagKey": "a", "TagValue": "2" }] }),
            code: "TagException",
            message: msg("Duplicate tag keys"),
        },
        Row {
            op: "CreateKey",
            condition: "an asymmetric spec without KeyUsage",
            body: json!({ "KeySpec": "RSA_2048" }),
            code: "ValidationException",
            message: msg("You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."),
        },
        Row {
            op: "CreateKey",
            condition: "KeySpec and CustomerMasterKeySpec",
            body: json!({ "KeySpec": "RSA_2048", "CustomerMasterKeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY" }),
            code: "ValidationException",
            message: msg(
                "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.",
            ),
        },
        Row {
            op: "GenerateRandom",
            condition: "no NumberOfBytes",
            body: json!({}),
            code: "ValidationException",
            message: msg("NumberOfBytes is required."),
        },
        Row {
            op: "GenerateDataKey",
            condition: "neither KeySpec nor NumberOfBytes",
            body: json!({ "KeyId": sym }),
            code: "ValidationException",
            message: msg("Please specify either number of bytes or key spec."),
        },
        Row {
            op: "DescribeKey",
            condition: "a multi-Region key id that does not exist",
            body: json!({ "KeyId": mrk }),
            code: "NotFoundException",
            message: Some(format!("Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/{mrk}' does not exist")),
        },
        Row {
            op: "DescribeKey",
            condition: "a key ARN of another region (openssl-engine-kms issue 1)",
            body: json!({ "KeyId": other_region }),
            code: "NotFoundException",
            message: msg("Invalid arn us-west-2"),
        },
        Row {
            op: "DescribeKey",
            condition: "a key id that does not exist",
            body: json!({ "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab" }),
            code: "NotFoundException",
            message: Some(format!(
                "Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist"
            )),
        },
        Row {
            op: "Encrypt",
            condition: "an alias that does not exist",
            body: json!({ "KeyId": "alias/missing", "Plaintext": b64(b"x") }),
            code: "NotFoundException",
            message: Some(format!("Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/missing is not found.")),
        },
        Row {
            op: "GenerateMac",
            condition: "a disabled key",
            body: json!({ "KeyId": disabled_hmac, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_256" }),
            code: "DisabledException",
            message: Some(format!("{disabled_hmac} is disabled.")),
        },
        Row {
            op: "Encrypt",
            condition: "a disabled key",
            body: json!({ "KeyId": disabled, "Plaintext": b64(b"x") }),
            code: "DisabledException",
            message: Some(format!("{disabled} is disabled.")),
        },
        Row {
            op: "Encrypt",
            condition: "a key pending deletion",
            body: json!({ "KeyId": deleting, "Plaintext": b64(b"x") }),
            code: "KMSInvalidStateException",
            message: Some(format!("{deleting} is pending deletion.")),
        },
        Row {
            op: "CancelKeyDeletion",
            condition: "a key not pending deletion",
            body: json!({ "KeyId": disabled }),
            code: "KMSInvalidStateException",
            message: Some(format!("{disabled} is not pending deletion.")),
        },
        Row {
            op: "Encrypt",
            condition: "a key pending import",
            body: json!({ "KeyId": external, "Plaintext": b64(b"x") }),
            code: "KMSInvalidStateException",
            message: Some(format!("{external} is pending import.")),
        },
        Row {
            op: "ImportKeyMaterial",
            condition: "neither ExpirationModel nor ValidTo (the default model expires)",
            body: json!({ "KeyId": external, "ImportToken": b64(b"t"), "EncryptedKeyMaterial": b64(b"m") }),
            code: "ValidationException",
            message: msg("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"),
        },
        Row {
            op: "ImportKeyMaterial",
            condition: "ValidTo with KEY_MATERIAL_DOES_NOT_EXPIRE",
            body: json!({ "KeyId": external, "ImportToken": b64(b"t"), "EncryptedKeyMaterial": b64(b"m"),
                          "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE", "ValidTo": 4_102_444_800u64 }),
            code: "ValidationException",
            message: msg("A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE"),
        },
    ];

    let mut failures = Vec::new();
    for row in &rows {
        let (status, ty, body) = call(&s, row.op, &row.body).await;
        let message = body.get("message").map(|m| m.as_str().unwrap_or("<not a string>").to_owned());
        if (status, ty.as_str(), &message) != (400, row.code, &row.message) {
            failures.push(format!(
                "{} ({}): got {status} {ty} {message:?}, want 400 {} {:?}",
                row.op, row.condition, row.code, row.message
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} rows differ:\n{}", failures.len(), rows.len(), failures.join("\n"));
    s.stop().await;
}

/// Key material ids appear only for symmetric encryption keys.
#[tokio::test]
async fn key_material_ids_are_shown_for_symmetric_encryption_keys_only() {
    let s = TestServer::builder().build().await;
    let sym = key(&s, "SYMMETRIC_DEFAULT", None).await;
    let hmac = key(&s, "HMAC_256", Some("GENERATE_VERIFY_MAC")).await;
    let rsa = key(&s, "RSA_2048", Some("ENCRYPT_DECRYPT")).await;
    for (k, shown) in [(&sym, true), (&hmac, false), (&rsa, false)] {
        let md = ok(&s, "DescribeKey", json!({ "KeyId": k })).await;
        assert_eq!(md["KeyMetadata"].get("CurrentKeyMaterialId").is_some(), shown, "{k}: {md}");
    }
    let rsa_ct =
        ok(&s, "Encrypt", json!({ "KeyId": rsa, "Plaintext": b64(b"x"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }))
            .await["CiphertextBlob"]
            .clone();
    let sym_ct = ok(&s, "Encrypt", json!({ "KeyId": sym, "Plaintext": b64(b"x") })).await["CiphertextBlob"].clone();
    // RSA to symmetric: only the destination's id.
    let r = ok(
        &s,
        "ReEncrypt",
        json!({ "CiphertextBlob": rsa_ct, "SourceKeyId": rsa, "SourceEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "DestinationKeyId": sym }),
    )
    .await;
    assert!(r.get("SourceKeyMaterialId").is_none() && r.get("DestinationKeyMaterialId").is_some(), "{r}");
    // Symmetric to RSA: only the source's id.
    let r = ok(
        &s,
        "ReEncrypt",
        json!({ "CiphertextBlob": sym_ct, "DestinationKeyId": rsa, "DestinationEncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
    )
    .await;
    assert!(r.get("SourceKeyMaterialId").is_some() && r.get("DestinationKeyMaterialId").is_none(), "{r}");
    let d = ok(
        &s,
        "Decrypt",
        json!({ "KeyId": rsa, "CiphertextBlob": rsa_ct, "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
    )
    .await;
    assert!(d.get("KeyMaterialId").is_none(), "{d}");
    let d = ok(&s, "Decrypt", json!({ "CiphertextBlob": sym_ct })).await;
    assert!(d.get("KeyMaterialId").is_some(), "{d}");
    s.stop().await;
}
