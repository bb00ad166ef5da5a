//! The HTTP integration binary: the real server on `127.0.0.1:0`, driven by
//! the AWS SDK for Rust (and, for signature checks, by raw signed requests).

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod asymmetric;
mod at_rest;
mod audit;
mod common;
mod console;
mod custom_key_stores;
mod errors;
mod hardening;
mod iam_oidc;
mod iam_policies;
mod iam_query;
mod iam_users;
mod imported;
mod key_policies;
mod lifecycle;
mod multi_region;
mod multi_site;
mod multinode;
mod protocol;
mod row_macs;
mod sdk;
mod sts;
mod tls;
mod web_identity;
