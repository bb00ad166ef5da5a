//! Every symmetric operation through `aws-sdk-kms`, as a user would call it.

use crate::common::{TestServer, ACCESS_KEY, ACCOUNT, SECRET_KEY};
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, EncryptionAlgorithmSpec, KeySpec, KeyState, KeyUsageType, Tag};

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_owned()
}

#[tokio::test]
async fn key_lifecycle_and_crypto_through_the_sdk() {
    let s = TestServer::builder().build().await;
    let kms = s.client();

    let created = kms
        .create_key()
        .description("sdk test key")
        .tags(Tag::builder().tag_key("team").tag_value("payments").build().unwrap())
        .send()
        .await
        .unwrap();
    let md = created.key_metadata().unwrap();
    let key_id = md.key_id().to_owned();
    let arn = md.arn().unwrap().to_owned();
    assert_eq!(md.aws_account_id(), Some(ACCOUNT));
    assert_eq!(arn, format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{key_id}"));
    assert_eq!(md.key_spec(), Some(&KeySpec::SymmetricDefault));
    assert_eq!(md.key_usage(), Some(&KeyUsageType::EncryptDecrypt));
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));
    assert_eq!(md.encryption_algorithms(), &[EncryptionAlgorithmSpec::SymmetricDefault]);
    assert!(md.creation_date().is_some());
    assert_eq!(md.description(), Some("sdk test key"));

    let d = kms.describe_key().key_id(&arn).send().await.unwrap();
    assert_eq!(d.key_metadata().unwrap().key_id(), key_id);

    let enc = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(b"hello trent".to_vec()))
        .encryption_context("purpose", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(enc.key_id(), Some(arn.as_str()));
    assert_eq!(enc.encryption_algorithm(), Some(&EncryptionAlgorithmSpec::SymmetricDefault));
    let blob = enc.ciphertext_blob().unwrap().clone();

    let dec = kms.decrypt().ciphertext_blob(blob.clone()).encryption_context("purpose", "test").send().await.unwrap();
    assert_eq!(dec.plaintext().unwrap().as_ref(), b"hello trent");
    assert_eq!(dec.key_id(), Some(arn.as_str()));

    let e = kms.decrypt().ciphertext_blob(blob.clone()).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidCiphertextException", "context is required");

    let mut tampered = blob.clone().into_inner();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let e = kms
        .decrypt()
        .ciphertext_blob(Blob::new(tampered))
        .encryption_context("purpose", "test")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidCiphertextException");

    let gdk = kms.generate_data_key().key_id(&key_id).key_spec(DataKeySpec::Aes256).send().await.unwrap();
    assert_eq!(gdk.plaintext().unwrap().as_ref().len(), 32);
    let back = kms.decrypt().ciphertext_blob(gdk.ciphertext_blob().unwrap().clone()).send().await.unwrap();
    assert_eq!(back.plaintext().unwrap().as_ref(), gdk.plaintext().unwrap().as_ref());

    let gdk_np = kms.generate_data_key_without_plaintext().key_id(&key_id).number_of_bytes(64).send().await.unwrap();
    let back = kms.decrypt().ciphertext_blob(gdk_np.ciphertext_blob().unwrap().clone()).send().await.unwrap();
    assert_eq!(back.plaintext().unwrap().as_ref().len(), 64);

    let other = kms.create_key().send().await.unwrap().key_metadata().unwrap().arn().unwrap().to_owned();
    let re = kms
        .re_encrypt()
        .ciphertext_blob(blob)
        .source_encryption_context("purpose", "test")
        .destination_key_id(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(re.source_key_id(), Some(arn.as_str()));
    assert_eq!(re.key_id(), Some(other.as_str()));
    let dec = kms.decrypt().ciphertext_blob(re.ciphertext_blob().unwrap().clone()).send().await.unwrap();
    assert_eq!(dec.plaintext().unwrap().as_ref(), b"hello trent");

    kms.create_alias().alias_name("alias/payments").target_key_id(&key_id).send().await.unwrap();
    let e = kms.create_alias().alias_name("alias/payments").target_key_id(&other).send().await.unwrap_err();
    assert_eq!(code(&e), "AlreadyExistsException");
    let via_alias = kms.encrypt().key_id("alias/payments").plaintext(Blob::new(b"a".to_vec())).send().await.unwrap();
    assert_eq!(via_alias.key_id(), Some(arn.as_str()));
    let listed = kms.list_aliases().key_id(&key_id).send().await.unwrap();
    assert_eq!(listed.aliases().len(), 1);
    assert_eq!(listed.aliases()[0].alias_name(), Some("alias/payments"));
    assert_eq!(listed.aliases()[0].target_key_id(), Some(key_id.as_str()));
    kms.update_alias().alias_name("alias/payments").target_key_id(&other).send().await.unwrap();
    let d = kms.describe_key().key_id("alias/payments").send().await.unwrap();
    assert_eq!(d.key_metadata().unwrap().arn(), Some(other.as_str()));
    kms.delete_alias().alias_name("alias/payments").send().await.unwrap();
    let e = kms.delete_alias().alias_name("alias/payments").send().await.unwrap_err();
    assert_eq!(code(&e), "NotFoundException");

    kms.disable_key().key_id(&key_id).send().await.unwrap();
    let e = kms.encrypt().key_id(&key_id).plaintext(Blob::new(b"x".to_vec())).send().await.unwrap_err();
    assert_eq!(code(&e), "DisabledException");
    assert_eq!(e.message(), Some(format!("{arn} is disabled.").as_str()));
    kms.enable_key().key_id(&key_id).send().await.unwrap();

    let keys = kms.list_keys().send().await.unwrap();
    assert_eq!(keys.keys().len(), 2);
    assert!(!keys.truncated());
    let page = kms.list_keys().limit(1).send().await.unwrap();
    assert!(page.truncated());
    let page2 = kms.list_keys().limit(1).marker(page.next_marker().unwrap()).send().await.unwrap();
    assert_ne!(page.keys()[0].key_id(), page2.keys()[0].key_id());

    let r = kms.generate_random().number_of_bytes(1024).send().await.unwrap();
    assert_eq!(r.plaintext().unwrap().as_ref().len(), 1024);
    s.stop().await;
}

#[tokio::test]
async fn validation_and_lookup_errors_are_worded_as_aws_words_them() {
    let s = TestServer::builder().build().await;
    let kms = s.client();
    let key = kms.create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();

    let e = kms.encrypt().key_id(&key).plaintext(Blob::new(vec![0u8; 4097])).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    assert_eq!(
        e.message(),
        Some("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096")
    );
    let e = kms.generate_random().number_of_bytes(1025).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let e = kms.generate_data_key().key_id(&key).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let e = kms.describe_key().key_id("alias/missing").send().await.unwrap_err();
    assert_eq!(code(&e), "NotFoundException");
    assert_eq!(
        e.message(),
        Some(format!("Alias arn:aws:kms:us-east-1:{ACCOUNT}:alias/missing is not found.").as_str())
    );
    let missing = "00000000-0000-4000-8000-000000000000";
    let e = kms.describe_key().key_id(missing).send().await.unwrap_err();
    assert_eq!(
        e.message(),
        Some(format!("Key 'arn:aws:kms:us-east-1:{ACCOUNT}:key/{missing}' does not exist").as_str())
    );
    let e = kms.create_alias().alias_name("no-prefix").target_key_id(&key).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let e = kms.create_key().key_spec(KeySpec::from("AES_999")).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    assert!(e.message().unwrap().contains("Member must satisfy enum value set: [RSA_2048"), "{:?}", e.message());
    s.stop().await;
}

#[tokio::test]
async fn authentication_failures() {
    let s = TestServer::builder().build().await;
    let e = s.client_with("us-east-1", "AKIAUNKNOWNUNKNOWN00", SECRET_KEY).list_keys().send().await.unwrap_err();
    assert_eq!(code(&e), "UnrecognizedClientException");
    assert_eq!(e.message(), Some("The security token included in the request is invalid."));
    let e = s.client_with("us-east-1", ACCESS_KEY, "wrong-secret-wrong-secret").list_keys().send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidSignatureException");
    s.stop().await;
}

#[tokio::test]
async fn regions_are_separate_namespaces() {
    let s = TestServer::builder().regions(&["us-east-1", "eu-west-1"]).build().await;
    let east = s.client();
    let west = s.client_with("eu-west-1", ACCESS_KEY, SECRET_KEY);
    let key = east.create_key().send().await.unwrap().key_metadata().unwrap().arn().unwrap().to_owned();
    let blob = east.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await.unwrap();
    let e = west.describe_key().key_id(&key).send().await.unwrap_err();
    assert_eq!(code(&e), "NotFoundException");
    let e = west.decrypt().ciphertext_blob(blob.ciphertext_blob().unwrap().clone()).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidCiphertextException");
    assert!(west.list_keys().send().await.unwrap().keys().is_empty());
    let wkey = west.create_key().send().await.unwrap().key_metadata().unwrap().arn().unwrap().to_owned();
    assert!(wkey.starts_with("arn:aws:kms:eu-west-1:"));
    s.stop().await;
}

#[tokio::test]
async fn keys_and_ciphertexts_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = TestServer::builder().data_dir(&data).build().await;
    let kms = s.client();
    let key = kms.create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    kms.create_alias().alias_name("alias/keep").target_key_id(&key).send().await.unwrap();
    let blob = kms.encrypt().key_id("alias/keep").plaintext(Blob::new(b"persist".to_vec())).send().await.unwrap();
    s.stop().await;

    let s = TestServer::builder().data_dir(&data).build().await;
    let kms = s.client();
    let dec = kms.decrypt().ciphertext_blob(blob.ciphertext_blob().unwrap().clone()).send().await.unwrap();
    assert_eq!(dec.plaintext().unwrap().as_ref(), b"persist");
    assert_eq!(kms.describe_key().key_id("alias/keep").send().await.unwrap().key_metadata().unwrap().key_id(), key);
    s.stop().await;
}
