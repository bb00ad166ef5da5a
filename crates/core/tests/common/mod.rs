//! Setup shared by the core's scenario test binaries.

use trent_api::ids::{AccessKeyId, AccountId, Region};
use trent_core::Caller;

/// The root principal of `account` calling in `region`, from in process:
/// no source address, no TLS, no audit draft (its calls leave no event).
pub fn root_caller(account: &str, region: &str) -> Caller {
    let account = AccountId::parse(account).expect("a 12-digit account id");
    Caller {
        principal: account.root_arn(),
        account,
        region: Region::parse(region).expect("a region name"),
        access_key_id: AccessKeyId::new_unchecked("AKIAEXAMPLEEXAMPLE00"),
        source_ip: None,
        secure_transport: false,
        audit: Default::default(),
    }
}

/// IAM user `name` of `account` calling in `region`, from in process (the
/// user must exist in the store for its calls to be authorized).
#[allow(dead_code)] // Not every test binary has users.
pub fn user_caller(account: &str, name: &str, region: &str) -> Caller {
    Caller {
        principal: trent_api::ids::PrincipalArn::new_unchecked(format!("arn:aws:iam::{account}:user/{name}")),
        ..root_caller(account, region)
    }
}
