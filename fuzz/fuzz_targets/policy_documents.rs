//! Key policy documents: parsing never panics, and a document that parses
//! evaluates without panicking for a request with and without context.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use trent_core::policy::{Context, Policy, PolicyKind, Request};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for kind in [PolicyKind::Key, PolicyKind::Identity] {
        if let Ok(policy) = Policy::parse(text, kind) {
            let mut context = HashMap::new();
            context.insert("kms:encryptioncontextkeys".to_owned(), vec!["a".to_owned(), "b".to_owned()]);
            context.insert("aws:sourceip".to_owned(), vec!["203.0.113.7".to_owned()]);
            context.insert("aws:currenttime".to_owned(), vec!["2026-12-01T10:00:00Z".to_owned()]);
            let (context, empty) = (Context::of(context), Context::of(HashMap::new()));
            for ctx in [&context, &empty] {
                let req = Request {
                    principal_arn: "arn:aws:iam::111122223333:root",
                    principal_account: "111122223333",
                    action: "kms:Encrypt",
                    resource: "arn:aws:kms:us-east-1:111122223333:key/k",
                    context: ctx,
                };
                let _ = policy.evaluate(&req);
                let _ = policy.evaluate_key(&req);
            }
            let _ = policy.allows_unconditionally(
                "arn:aws:iam::111122223333:root",
                "111122223333",
                "kms:PutKeyPolicy",
                "k",
            );
        }
    }
});
