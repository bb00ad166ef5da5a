//! The conformance checks of customer managed policies, their versions and
//! their attachments: names unique in an account regardless of case and
//! found in any case, changes by the exact stored names, a version number
//! taken once, a policy's versions and attachments going with it (a
//! user's, role's or group's attachments with it), one permissions
//! boundary per user or role, the attached policies read with their
//! default version's document, and every change's events committed with
//! it.

use super::*;
use AttachmentTarget::{Group, Role, RoleBoundary, User, UserBoundary};

/// Managed policy `name` of `account`, its version 1 the default, with a
/// description and tags.
pub(crate) fn managed_policy(account: &str, name: &str) -> ManagedPolicyRecord {
    ManagedPolicyRecord {
        account: AccountId::new_unchecked(account),
        name: name.to_owned(),
        policy_id: format!("ANPA{}", name.to_uppercase()),
        path: "/teams/".to_owned(),
        description: Some(format!("policy {name} ✓ 'quoted'")),
        default_version: 1,
        next_version: 2,
        created_at: 9,
        updated_at: 9,
        tags: vec![("team".into(), format!("{name} ✓ \"q\"")), ("a".into(), String::new())],
    }
}

/// Version `version` of `policy`.
pub(crate) fn policy_version(policy: &ManagedPolicyRecord, version: u32, document: &str) -> PolicyVersionRecord {
    PolicyVersionRecord {
        account: policy.account.clone(),
        policy_name: policy.name.clone(),
        version,
        document: document.to_owned(),
        created_at: 10 + i64::from(version),
    }
}

/// The attachment of `policy` to entity `entity_name` as `target`.
pub(crate) fn attachment(
    policy: &ManagedPolicyRecord,
    target: AttachmentTarget,
    entity_name: &str,
) -> PolicyAttachmentRecord {
    PolicyAttachmentRecord {
        account: policy.account.clone(),
        policy_name: policy.name.clone(),
        target,
        entity_name: entity_name.to_owned(),
    }
}

/// `policy` as read attached, its default version's document `document`.
fn attached(policy: &ManagedPolicyRecord, document: &str) -> AttachedPolicy {
    AttachedPolicy { policy: policy.clone(), document: document.to_owned() }
}

pub(crate) async fn managed_policies_their_versions_and_attachments(s: Arc<dyn Store>) -> TestResult {
    let (acct, root_key) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
    s.insert_account(&acct, &root_key, &[]).await?;
    let (other, other_root_key) = account("444455556666", "AKIABBBBBBBBBBBBBBBB");
    s.insert_account(&other, &other_root_key, &[]).await?;
    let id = &acct.id;
    assert!(s.managed_policies(id).await?.is_empty());
    assert_eq!(s.managed_policy(id, "ReadOnly").await?, None);
    assert!(s.policy_versions(id, "ReadOnly").await?.is_empty());
    assert!(s.policy_attachments(id, "ReadOnly").await?.is_empty());
    assert!(s.attached_policies(id, User, "Bob").await?.is_empty());
    let (not_found, exists) = (StoreError::NotFound, StoreError::AlreadyExists);

    // Found by name in any case, every field as stored, with its first
    // version.
    let read_only = managed_policy("111122223333", "ReadOnly");
    let ro1 = policy_version(&read_only, 1, r#"{"Statement":[{"Effect":"Allow","Action":"kms:Describe*"}]}"#);
    s.insert_managed_policy(&read_only, &ro1, &[]).await?;
    for name in ["ReadOnly", "rEADoNLY", "readonly"] {
        assert_eq!(s.managed_policy(id, name).await?, Some(read_only.clone()), "{name}");
    }
    assert_eq!(s.policy_versions(id, "ReadOnly").await?, vec![ro1.clone()]);
    assert!(s.policy_versions(id, "readonly").await?.is_empty(), "the exact stored name");
    // The name in another case is taken: refused with its version, the
    // stored one kept.
    let shout = ManagedPolicyRecord { policy_id: "ANPASHOUT".into(), ..managed_policy("111122223333", "READONLY") };
    let r = s.insert_managed_policy(&shout, &policy_version(&shout, 1, "{}"), &[]).await;
    assert_failed("insert_managed_policy name in other case", r, &exists);
    let r = s.insert_managed_policy(&read_only, &policy_version(&read_only, 1, "{}"), &[]).await;
    assert_failed("insert_managed_policy same name", r, &exists);
    assert_eq!(s.managed_policy(id, "READONLY").await?, Some(read_only.clone()));
    assert!(s.policy_versions(id, "READONLY").await?.is_empty());
    assert_eq!(s.policy_versions(id, "ReadOnly").await?, vec![ro1.clone()]);
    // No description, no tags, the root path.
    let bare = ManagedPolicyRecord {
        description: None,
        tags: Vec::new(),
        path: "/".into(),
        ..managed_policy("111122223333", "alice")
    };
    s.insert_managed_policy(&bare, &policy_version(&bare, 1, "{}"), &[]).await?;
    assert_eq!(s.managed_policy(id, "ALICE").await?, Some(bare.clone()));

    // Listed by name (byte order), each account its own; the same name in
    // another account is another policy.
    let zed = managed_policy("111122223333", "Zed");
    let other_ro = managed_policy("444455556666", "readonly");
    let doc = |p: &ManagedPolicyRecord| format!(r#"{{"p":"{}"}}"#, p.name);
    for p in [&zed, &other_ro] {
        s.insert_managed_policy(p, &policy_version(p, 1, &doc(p)), &[]).await?;
    }
    assert_eq!(s.managed_policies(id).await?, vec![read_only.clone(), zed.clone(), bare.clone()]);
    assert_eq!(s.managed_policies(&other.id).await?, vec![other_ro.clone()]);
    assert_eq!(s.managed_policy(&other.id, "ReadOnly").await?, Some(other_ro.clone()));
    assert!(s.managed_policies(&AccountId::new_unchecked("999999999999")).await?.is_empty());
    assert_eq!(s.policy_versions(&other.id, "readonly").await?, vec![policy_version(&other_ro, 1, &doc(&other_ro))]);

    // A new version made the default, atomically with the record; read
    // back in any case.
    let ro2 = policy_version(&read_only, 2, r#"{"Statement":[{"Effect":"Allow","Action":"kms:*"}]}"#);
    let mut read_only = ManagedPolicyRecord {
        default_version: 2,
        next_version: 3,
        updated_at: 20,
        tags: vec![("z".into(), "last ✓".into())],
        ..read_only
    };
    s.update_managed_policy(&read_only, Some(&ro2), &[]).await?;
    assert_eq!(s.managed_policy(id, "readonly").await?, Some(read_only.clone()));
    assert_eq!(s.policy_versions(id, "ReadOnly").await?, vec![ro1.clone(), ro2.clone()]);
    // A taken version number: refused, and the record is not changed
    // either.
    let taken = ManagedPolicyRecord { next_version: 4, updated_at: 30, ..read_only.clone() };
    let r = s.update_managed_policy(&taken, Some(&policy_version(&read_only, 2, "{}")), &[]).await;
    assert_failed("update_managed_policy taken version", r, &exists);
    assert_eq!(s.managed_policy(id, "ReadOnly").await?, Some(read_only.clone()));
    assert_eq!(s.policy_versions(id, "ReadOnly").await?, vec![ro1.clone(), ro2.clone()]);
    // Without a version: the default moves back.
    read_only = ManagedPolicyRecord { default_version: 1, updated_at: 21, ..read_only };
    s.update_managed_policy(&read_only, None, &[]).await?;
    assert_eq!(s.managed_policy(id, "READONLY").await?, Some(read_only.clone()));
    assert_eq!(s.policy_versions(id, "ReadOnly").await?, vec![ro1.clone(), ro2.clone()]);
    // Only the policy of exactly that name in that account.
    for (what, account, name) in
        [("other case", id, "readonly"), ("missing", id, "nobody"), ("other account", &other.id, "Zed")]
    {
        let p = ManagedPolicyRecord { account: account.clone(), name: name.into(), ..read_only.clone() };
        let r = s.update_managed_policy(&p, Some(&policy_version(&p, 7, "{}")), &[]).await;
        assert_failed(&format!("update_managed_policy {what}"), r, &not_found);
        let r = s.update_managed_policy(&p, None, &[]).await;
        assert_failed(&format!("update_managed_policy {what} without a version"), r, &not_found);
        assert!(s.policy_versions(account, name).await?.iter().all(|v| v.version != 7), "{what}");
    }
    assert_eq!(s.managed_policies(id).await?, vec![read_only.clone(), zed.clone(), bare.clone()]);
    assert_eq!(s.managed_policies(&other.id).await?, vec![other_ro.clone()]);

    // A version goes by its number, of the exact stored name.
    read_only = ManagedPolicyRecord { next_version: 4, updated_at: 22, ..read_only };
    s.update_managed_policy(&read_only, Some(&policy_version(&read_only, 3, "{}")), &[]).await?;
    s.delete_policy_version(id, "ReadOnly", 3, &[]).await?;
    assert_eq!(s.policy_versions(id, "ReadOnly").await?, vec![ro1.clone(), ro2.clone()]);
    for (what, account, name, version) in [
        ("again", id, "ReadOnly", 3),
        ("other case", id, "readonly", 2),
        ("missing version", id, "ReadOnly", 9),
        ("missing policy", id, "nobody", 1),
        ("other account", &other.id, "ReadOnly", 1),
    ] {
        let r = s.delete_policy_version(account, name, version, &[]).await;
        assert_failed(&format!("delete_policy_version {what}"), r, &not_found);
    }
    assert_eq!(s.policy_versions(id, "ReadOnly").await?, vec![ro1.clone(), ro2.clone()]);
    assert_eq!(s.policy_versions(&other.id, "readonly").await?.len(), 1);

    // Attached to users, roles and groups of the account, by their exact
    // stored names; read by policy name, each with its default version's
    // document.
    let (bob, bob_key) = user("111122223333", "Bob", "AKIAUSERBOB");
    let (alice, alice_key) = user("111122223333", "alice", "AKIAUSERALICE");
    let (other_bob, other_bob_key) = user("444455556666", "Bob", "AKIAUSEROTHERBOB");
    for (u, k) in [(&bob, &bob_key), (&alice, &alice_key), (&other_bob, &other_bob_key)] {
        s.insert_user(u, Some(k), &[]).await?;
    }
    s.insert_role(&role("111122223333", "Deployer"), &[]).await?;
    s.insert_group(&group("111122223333", "Admins"), &[]).await?;
    for a in [
        attachment(&read_only, Group, "Admins"),
        attachment(&bare, User, "Bob"),
        attachment(&read_only, User, "Bob"),
        attachment(&zed, User, "Bob"),
        attachment(&read_only, Role, "Deployer"),
        attachment(&read_only, User, "alice"),
        attachment(&other_ro, User, "Bob"),
    ] {
        s.attach_policy(&a, &[]).await?;
    }
    let bobs = vec![attached(&read_only, &ro1.document), attached(&zed, &doc(&zed)), attached(&bare, "{}")];
    assert_eq!(s.attached_policies(id, User, "Bob").await?, bobs);
    assert_eq!(s.attached_policies(id, User, "alice").await?, vec![attached(&read_only, &ro1.document)]);
    assert_eq!(s.attached_policies(id, Role, "Deployer").await?, vec![attached(&read_only, &ro1.document)]);
    assert_eq!(s.attached_policies(id, Group, "Admins").await?, vec![attached(&read_only, &ro1.document)]);
    assert_eq!(s.attached_policies(&other.id, User, "Bob").await?, vec![attached(&other_ro, &doc(&other_ro))]);
    // By the exact stored name, and as the target says.
    for (what, target, entity) in [
        ("user in other case", User, "bob"),
        ("a user's policies are not its boundary", UserBoundary, "Bob"),
        ("a user is not a role", Role, "Bob"),
        ("a role is not a group", Group, "Deployer"),
        ("group in other case", Group, "admins"),
    ] {
        assert!(s.attached_policies(id, target, entity).await?.is_empty(), "{what}");
    }
    // Where a policy is attached: by target (as AttachmentTarget orders
    // them), then entity name.
    let ro_attachments = vec![
        attachment(&read_only, User, "Bob"),
        attachment(&read_only, User, "alice"),
        attachment(&read_only, Role, "Deployer"),
        attachment(&read_only, Group, "Admins"),
    ];
    assert_eq!(s.policy_attachments(id, "ReadOnly").await?, ro_attachments);
    assert!(s.policy_attachments(id, "readonly").await?.is_empty(), "the exact stored name");
    // Attaching again changes nothing.
    s.attach_policy(&attachment(&read_only, User, "Bob"), &[]).await?;
    assert_eq!(s.policy_attachments(id, "ReadOnly").await?, ro_attachments);
    assert_eq!(s.attached_policies(id, User, "Bob").await?, bobs);
    // Only a policy and an entity of exactly those names in that account.
    let other_account = |a: PolicyAttachmentRecord| PolicyAttachmentRecord { account: other.id.clone(), ..a };
    let named = |a: PolicyAttachmentRecord, policy: &str| PolicyAttachmentRecord { policy_name: policy.into(), ..a };
    for (what, a) in [
        ("missing policy", named(attachment(&read_only, User, "Bob"), "nobody")),
        ("policy in other case", named(attachment(&read_only, User, "Bob"), "readonly")),
        ("missing user", attachment(&read_only, User, "carol")),
        ("user in other case", attachment(&read_only, User, "bob")),
        ("a role is not a user", attachment(&read_only, User, "Deployer")),
        ("a user is not a role", attachment(&read_only, Role, "Bob")),
        ("a user is not a group", attachment(&read_only, Group, "Bob")),
        ("group in other case", attachment(&read_only, Group, "admins")),
        ("a user has no role boundary", attachment(&read_only, RoleBoundary, "Bob")),
        ("a role has no user boundary", attachment(&read_only, UserBoundary, "Deployer")),
        ("policy of another account", other_account(attachment(&zed, User, "Bob"))),
        ("entity of another account", other_account(attachment(&other_ro, Role, "Deployer"))),
    ] {
        assert_failed(&format!("attach_policy {what}"), s.attach_policy(&a, &[]).await, &not_found);
    }
    assert_eq!(s.policy_attachments(id, "ReadOnly").await?, ro_attachments);
    assert_eq!(s.policy_attachments(&other.id, "readonly").await?, vec![attachment(&other_ro, User, "Bob")]);
    assert!(s.attached_policies(id, User, "carol").await?.is_empty());

    // Every read follows the default version.
    read_only = ManagedPolicyRecord { default_version: 2, updated_at: 23, ..read_only };
    s.update_managed_policy(&read_only, None, &[]).await?;
    for (target, entity) in [(User, "Bob"), (User, "alice"), (Role, "Deployer"), (Group, "Admins")] {
        let found = s.attached_policies(id, target, entity).await?;
        assert_eq!(found.first(), Some(&attached(&read_only, &ro2.document)), "{entity}");
    }

    // A permissions boundary, one per user or role: a new one replaces it,
    // apart from the entity's permissions policies and from other
    // entities' boundaries.
    s.attach_policy(&attachment(&other_ro, UserBoundary, "Bob"), &[]).await?;
    s.attach_policy(&attachment(&zed, UserBoundary, "Bob"), &[]).await?;
    assert_eq!(s.attached_policies(id, UserBoundary, "Bob").await?, vec![attached(&zed, &doc(&zed))]);
    s.attach_policy(&attachment(&read_only, UserBoundary, "Bob"), &[]).await?;
    let ro_bound = vec![attached(&read_only, &ro2.document)];
    assert_eq!(s.attached_policies(id, UserBoundary, "Bob").await?, ro_bound);
    s.attach_policy(&attachment(&read_only, UserBoundary, "Bob"), &[]).await?;
    assert_eq!(s.attached_policies(id, UserBoundary, "Bob").await?, ro_bound, "attached again");
    assert_eq!(s.policy_attachments(id, "Zed").await?, vec![attachment(&zed, User, "Bob")]);
    assert_eq!(s.attached_policies(id, User, "Bob").await?.len(), 3, "the permissions policies stay");
    assert_eq!(s.attached_policies(&other.id, UserBoundary, "Bob").await?, vec![attached(&other_ro, &doc(&other_ro))]);
    s.attach_policy(&attachment(&zed, RoleBoundary, "Deployer"), &[]).await?;
    assert_eq!(s.attached_policies(id, RoleBoundary, "Deployer").await?, vec![attached(&zed, &doc(&zed))]);
    s.attach_policy(&attachment(&read_only, RoleBoundary, "Deployer"), &[]).await?;
    assert_eq!(s.attached_policies(id, RoleBoundary, "Deployer").await?, ro_bound);
    assert_eq!(s.attached_policies(id, Role, "Deployer").await?, ro_bound, "the role's permissions policy stays");
    assert_eq!(s.policy_attachments(id, "Zed").await?, vec![attachment(&zed, User, "Bob")]);
    let mut ro_attachments = ro_attachments;
    ro_attachments
        .extend([attachment(&read_only, UserBoundary, "Bob"), attachment(&read_only, RoleBoundary, "Deployer")]);
    assert_eq!(s.policy_attachments(id, "ReadOnly").await?, ro_attachments);

    // Detached by the exact names and target.
    s.detach_policy(&attachment(&read_only, User, "Bob"), &[]).await?;
    assert_eq!(s.attached_policies(id, User, "Bob").await?, vec![attached(&zed, &doc(&zed)), attached(&bare, "{}")]);
    assert_eq!(s.attached_policies(id, UserBoundary, "Bob").await?, ro_bound, "the boundary stays");
    for (what, a) in [
        ("again", attachment(&read_only, User, "Bob")),
        ("another target", attachment(&zed, Role, "Bob")),
        ("not the boundary", attachment(&zed, UserBoundary, "Bob")),
        ("entity in other case", attachment(&zed, User, "bob")),
        ("policy in other case", named(attachment(&zed, User, "Bob"), "zed")),
        ("other account", other_account(attachment(&zed, User, "Bob"))),
    ] {
        assert_failed(&format!("detach_policy {what}"), s.detach_policy(&a, &[]).await, &not_found);
    }
    s.detach_policy(&attachment(&read_only, UserBoundary, "Bob"), &[]).await?;
    assert!(s.attached_policies(id, UserBoundary, "Bob").await?.is_empty());
    assert_eq!(s.attached_policies(&other.id, UserBoundary, "Bob").await?.len(), 1);
    assert_eq!(s.attached_policies(id, User, "Bob").await?.len(), 2);

    // Deleting a policy (exact name) takes its versions and attachments,
    // and only its own.
    for (what, account, name) in
        [("other case", id, "zed"), ("missing", id, "nobody"), ("other account", &other.id, "Zed")]
    {
        let r = s.delete_managed_policy(account, name, &[]).await;
        assert_failed(&format!("delete_managed_policy {what}"), r, &not_found);
    }
    assert_eq!(s.managed_policy(id, "zed").await?, Some(zed.clone()));
    s.delete_managed_policy(id, "Zed", &[]).await?;
    assert_eq!(s.managed_policy(id, "zed").await?, None);
    assert!(s.policy_versions(id, "Zed").await?.is_empty());
    assert!(s.policy_attachments(id, "Zed").await?.is_empty());
    assert_eq!(s.attached_policies(id, User, "Bob").await?, vec![attached(&bare, "{}")]);
    assert_eq!(s.managed_policies(id).await?, vec![read_only.clone(), bare.clone()]);
    assert_eq!(s.policy_versions(id, "ReadOnly").await?, vec![ro1.clone(), ro2.clone()]);
    assert_eq!(s.policy_attachments(id, "ReadOnly").await?.len(), 4);
    assert_eq!(s.policy_attachments(&other.id, "readonly").await?.len(), 2);
    assert_failed("delete_managed_policy again", s.delete_managed_policy(id, "Zed", &[]).await, &not_found);
    let r = s.attach_policy(&attachment(&zed, User, "alice"), &[]).await;
    assert_failed("attach_policy deleted", r, &not_found);
    assert_failed("update_managed_policy deleted", s.update_managed_policy(&zed, None, &[]).await, &not_found);
    let r = s.delete_policy_version(id, "Zed", 1, &[]).await;
    assert_failed("delete_policy_version deleted", r, &not_found);

    // The name is free again, in any case, and the new policy has only its
    // own version and is attached to nothing.
    let again = managed_policy("111122223333", "ZED");
    s.insert_managed_policy(&again, &policy_version(&again, 1, "[]"), &[]).await?;
    assert_eq!(s.managed_policy(id, "zed").await?, Some(again.clone()));
    assert_eq!(s.policy_versions(id, "ZED").await?, vec![policy_version(&again, 1, "[]")]);
    assert!(s.policy_attachments(id, "ZED").await?.is_empty());

    // Deleting a user, a role or a group takes its attachments (and
    // boundary), and only its own: a user, a role and a group may share a
    // name.
    let (devs, devs_key) = user("111122223333", "devs", "AKIAUSERDEVS");
    s.insert_user(&devs, Some(&devs_key), &[]).await?;
    s.insert_role(&role("111122223333", "devs"), &[]).await?;
    s.insert_group(&group("111122223333", "devs"), &[]).await?;
    let all = [User, Role, Group, UserBoundary, RoleBoundary];
    for target in all {
        s.attach_policy(&attachment(&again, target, "devs"), &[]).await?;
    }
    s.attach_policy(&attachment(&again, User, "Bob"), &[]).await?;
    let mut left = vec![attachment(&again, User, "Bob")];
    left.extend(all.map(|t| attachment(&again, t, "devs")));
    assert_eq!(s.policy_attachments(id, "ZED").await?, left);
    for target in all {
        assert_eq!(s.attached_policies(id, target, "devs").await?, vec![attached(&again, "[]")], "{target:?}");
    }
    s.delete_group(id, "devs", &[]).await?;
    assert!(s.attached_policies(id, Group, "devs").await?.is_empty());
    left.retain(|a| a.target != Group);
    assert_eq!(s.policy_attachments(id, "ZED").await?, left);
    s.delete_role(id, "devs", &[]).await?;
    assert!(s.attached_policies(id, Role, "devs").await?.is_empty());
    assert!(s.attached_policies(id, RoleBoundary, "devs").await?.is_empty());
    left.retain(|a| ![Role, RoleBoundary].contains(&a.target));
    assert_eq!(s.policy_attachments(id, "ZED").await?, left);
    assert_eq!(s.attached_policies(id, User, "devs").await?, vec![attached(&again, "[]")]);
    s.delete_user(id, "devs", &[]).await?;
    assert!(s.attached_policies(id, User, "devs").await?.is_empty());
    assert!(s.attached_policies(id, UserBoundary, "devs").await?.is_empty());
    assert_eq!(s.policy_attachments(id, "ZED").await?, vec![attachment(&again, User, "Bob")]);
    // Entities of the names again have nothing attached; the others keep
    // theirs.
    s.insert_user(&devs, Some(&devs_key), &[]).await?;
    s.insert_role(&role("111122223333", "devs"), &[]).await?;
    for target in all {
        assert!(s.attached_policies(id, target, "devs").await?.is_empty(), "{target:?}");
    }
    assert_eq!(s.attached_policies(id, RoleBoundary, "Deployer").await?, ro_bound);
    assert_eq!(s.attached_policies(id, User, "Bob").await?, vec![attached(&again, "[]"), attached(&bare, "{}")]);
    assert_eq!(s.attached_policies(&other.id, User, "Bob").await?, vec![attached(&other_ro, &doc(&other_ro))]);
    Ok(())
}

/// Every managed policy change appends its events in its own transaction
/// (attaching again too, though nothing changes); a change that fails
/// stores none (nor anything else).
pub(crate) async fn managed_policy_changes_append_their_events_to_the_chain(s: Arc<dyn Store>) -> TestResult {
    let mut ev = Events { next: 600, expected: vec![audit_entry(0)] };
    s.append_audit(ev.expected.clone()).await?;
    let (acct, ak) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
    s.insert_account(&acct, &ak, &ev.of(&["CreateAccount"])).await?;
    let id = &acct.id;
    let (bob, bob_key) = user("111122223333", "Bob", "AKIAUSERBOB");
    s.insert_user(&bob, Some(&bob_key), &ev.of(&["CreateUser"])).await?;
    s.insert_role(&role("111122223333", "Deployer"), &ev.of(&["CreateRole"])).await?;

    let p = managed_policy("111122223333", "ReadOnly");
    let v1 = policy_version(&p, 1, "{}");
    s.insert_managed_policy(&p, &v1, &ev.of(&["CreatePolicy"])).await?;
    assert_eq!(s.managed_policy(id, "readonly").await?, Some(p.clone()));
    ev.check(&*s).await?;
    let v2 = policy_version(&p, 2, r#"{"Statement":[]}"#);
    let p2 = ManagedPolicyRecord { default_version: 2, next_version: 3, updated_at: 30, ..p.clone() };
    s.update_managed_policy(&p2, Some(&v2), &ev.of(&["CreatePolicyVersion"])).await?;
    assert_eq!(s.policy_versions(id, "ReadOnly").await?, vec![v1.clone(), v2.clone()]);
    ev.check(&*s).await?;
    let p1 = ManagedPolicyRecord { default_version: 1, updated_at: 31, ..p2.clone() };
    s.update_managed_policy(&p1, None, &ev.of(&["SetDefaultPolicyVersion"])).await?;
    assert_eq!(s.managed_policy(id, "ReadOnly").await?, Some(p1.clone()));
    ev.check(&*s).await?;
    s.delete_policy_version(id, "ReadOnly", 2, &ev.of(&["DeletePolicyVersion"])).await?;
    assert_eq!(s.policy_versions(id, "ReadOnly").await?, vec![v1.clone()]);
    ev.check(&*s).await?;
    let to_bob = attachment(&p1, User, "Bob");
    s.attach_policy(&to_bob, &ev.of(&["AttachUserPolicy"])).await?;
    assert_eq!(s.attached_policies(id, User, "Bob").await?, vec![attached(&p1, "{}")]);
    ev.check(&*s).await?;
    s.attach_policy(&to_bob, &ev.of(&["AttachUserPolicy"])).await?;
    assert_eq!(s.policy_attachments(id, "ReadOnly").await?, vec![to_bob.clone()]);
    ev.check(&*s).await?;
    let boundary = attachment(&p1, RoleBoundary, "Deployer");
    s.attach_policy(&boundary, &ev.of(&["PutRolePermissionsBoundary"])).await?;
    assert_eq!(s.attached_policies(id, RoleBoundary, "Deployer").await?, vec![attached(&p1, "{}")]);
    ev.check(&*s).await?;
    s.detach_policy(&to_bob, &ev.of(&["DetachUserPolicy"])).await?;
    assert!(s.attached_policies(id, User, "Bob").await?.is_empty());
    ev.check(&*s).await?;
    s.attach_policy(&to_bob, &ev.of(&["AttachUserPolicy"])).await?;
    ev.check(&*s).await?;

    // Failed changes: no event, and nothing changed.
    let head = s.audit_head().await?;
    let failing = [change_event("Change", 1)];
    let (not_found, exists) = (StoreError::NotFound, StoreError::AlreadyExists);
    let shout = managed_policy("111122223333", "READONLY");
    let r = s.insert_managed_policy(&shout, &policy_version(&shout, 1, "{}"), &failing).await;
    assert_failed("insert_managed_policy taken", r, &exists);
    let ghost = managed_policy("111122223333", "ghost");
    let r = s.update_managed_policy(&ghost, Some(&policy_version(&ghost, 2, "{}")), &failing).await;
    assert_failed("update_managed_policy missing", r, &not_found);
    let r = s.update_managed_policy(&p2, Some(&v1), &failing).await;
    assert_failed("update_managed_policy taken version", r, &exists);
    let r = s.delete_managed_policy(id, "readonly", &failing).await;
    assert_failed("delete_managed_policy other case", r, &not_found);
    let r = s.delete_policy_version(id, "ReadOnly", 2, &failing).await;
    assert_failed("delete_policy_version missing", r, &not_found);
    let r = s.attach_policy(&attachment(&ghost, User, "Bob"), &failing).await;
    assert_failed("attach_policy policy", r, &not_found);
    let r = s.attach_policy(&attachment(&p1, User, "carol"), &failing).await;
    assert_failed("attach_policy entity", r, &not_found);
    let r = s.attach_policy(&attachment(&p1, UserBoundary, "carol"), &failing).await;
    assert_failed("attach_policy boundary entity", r, &not_found);
    let r = s.detach_policy(&attachment(&p1, Role, "Deployer"), &failing).await;
    assert_failed("detach_policy not attached", r, &not_found);
    assert_eq!(s.audit_head().await?, head, "no failed change stored an event");
    assert_eq!(s.managed_policies(id).await?, vec![p1.clone()]);
    assert_eq!(s.policy_versions(id, "ReadOnly").await?, vec![v1.clone()]);
    assert_eq!(s.policy_attachments(id, "ReadOnly").await?, vec![to_bob.clone(), boundary.clone()]);

    // A user's deletion takes its attachments in the same transaction, a
    // policy's its versions and attachments.
    s.delete_user(id, "Bob", &ev.of(&["DeleteUser"])).await?;
    assert_eq!(s.policy_attachments(id, "ReadOnly").await?, vec![boundary.clone()]);
    ev.check(&*s).await?;
    s.delete_managed_policy(id, "ReadOnly", &ev.of(&["DeletePolicy"])).await?;
    assert_eq!(s.managed_policy(id, "ReadOnly").await?, None);
    assert!(s.policy_versions(id, "ReadOnly").await?.is_empty());
    assert!(s.attached_policies(id, RoleBoundary, "Deployer").await?.is_empty());
    ev.check(&*s).await?;

    let trail = whole_trail(&*s).await?;
    assert_chains(&trail);
    assert_eq!(trail.iter().map(|r| r.entry.clone()).collect::<Vec<_>>(), ev.expected);
    Ok(())
}

/// `got` if it is `want`, else an error: the writes of the racing reads
/// below fail by returning it rather than by a panic, which would leave the
/// readers spinning on a stale entry in memory (they never yield) and the
/// test hanging instead of failing.
fn ensure_eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> TestResult {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: read {got:?}, expected {want:?}").into())
    }
}

/// The number in the name of an attached policy (`p0007`: 7).
fn policy_number(a: &AttachedPolicy) -> u64 {
    a.policy.name[1..].parse().unwrap()
}

/// Every request of an IAM user or a role's session reads the policies
/// attached to it and its boundary: a store that keeps them in memory must
/// serve what the last write that returned left, whether the write was a
/// new default version, an attachment (or a boundary replaced) and a
/// detachment, a policy deleted, or the entity deleted.
pub(crate) async fn attached_policy_reads_racing_writes_end_on_the_last_write(s: Arc<dyn Store>) -> TestResult {
    let (acct, root_key) = account("111122223333", "AKIAROOTROOTROOT0001");
    s.insert_account(&acct, &root_key, &[]).await?;
    let (u, key) = user("111122223333", "Racer", "AKIARACERRACER00001");
    s.insert_user(&u, Some(&key), &[]).await?;
    let racer_role = role("111122223333", "Racer");
    s.insert_role(&racer_role, &[]).await?;
    let policies: Vec<ManagedPolicyRecord> =
        (0..=200).map(|n| managed_policy("111122223333", &format!("p{n:04}"))).collect();
    for p in &policies {
        s.insert_managed_policy(p, &policy_version(p, 1, "0"), &[]).await?;
    }
    let account = u.account.clone();
    // What the readers read of Racer's policies as `target`.
    let reader = |target: AttachmentTarget, f: fn(&[AttachedPolicy]) -> u64| -> VersionRead {
        let (s, account) = (s.clone(), account.clone());
        Arc::new(move |_| {
            let (s, account) = (s.clone(), account.clone());
            Box::pin(async move { f(&s.attached_policies(&account, target, "Racer").await.unwrap()) })
        })
    };

    // Write n: version n + 1, its document n, becomes the default.
    let mut current = policies[0].clone();
    s.attach_policy(&attachment(&current, User, "Racer"), &[]).await?;
    reads_racing_writes(reader(User, |a| a[0].document.parse().unwrap()), async |n| {
        let v = u32::try_from(n)? + 1;
        current = ManagedPolicyRecord { default_version: v, next_version: v + 1, ..current.clone() };
        s.update_managed_policy(&current, Some(&policy_version(&current, v, &n.to_string())), &[]).await?;
        let found = s.attached_policies(&account, User, "Racer").await?;
        ensure_eq("the new default version", found, vec![attached(&current, &n.to_string())])
    })
    .await?;

    // Write n: policy n is attached to the role, then policy n - 1
    // detached.
    s.attach_policy(&attachment(&policies[0], Role, "Racer"), &[]).await?;
    reads_racing_writes(reader(Role, |a| a.last().map_or(0, policy_number)), async |n| {
        let n = usize::try_from(n)?;
        s.attach_policy(&attachment(&policies[n], Role, "Racer"), &[]).await?;
        s.detach_policy(&attachment(&policies[n - 1], Role, "Racer"), &[]).await?;
        let found = s.attached_policies(&account, Role, "Racer").await?;
        ensure_eq("the policy attached last", found.iter().map(|a| &a.policy).collect(), vec![&policies[n]])
    })
    .await?;

    // Write n: policy n becomes the user's boundary, replacing policy
    // n - 1.
    s.attach_policy(&attachment(&policies[0], UserBoundary, "Racer"), &[]).await?;
    reads_racing_writes(reader(UserBoundary, |a| a.first().map_or(0, policy_number)), async |n| {
        s.attach_policy(&attachment(&policies[usize::try_from(n)?], UserBoundary, "Racer"), &[]).await?;
        let found = s.attached_policies(&account, UserBoundary, "Racer").await?;
        ensure_eq("the new boundary", found.iter().map(policy_number).collect(), vec![n])
    })
    .await?;

    // Write n: policy n - 1 is deleted, of the policies 0..=200 attached
    // to the user.
    for p in &policies[1..] {
        s.attach_policy(&attachment(p, User, "Racer"), &[]).await?;
    }
    reads_racing_writes(reader(User, |a| 201 - a.len() as u64), async |n| {
        let n = usize::try_from(n)?;
        s.delete_managed_policy(&account, &policies[n - 1].name, &[]).await?;
        let found = s.attached_policies(&account, User, "Racer").await?;
        ensure_eq("the first policy left", found.first().map(|a| &a.policy), policies.get(n))
    })
    .await?;

    // Read (and kept in memory) before each change: gone at once after it.
    let last = &policies[200];
    assert_eq!(s.attached_policies(&account, User, "Racer").await?.len(), 1);
    assert_eq!(s.attached_policies(&account, UserBoundary, "Racer").await?.len(), 1);
    s.delete_user(&account, "Racer", &[]).await?;
    assert!(s.attached_policies(&account, User, "Racer").await?.is_empty(), "a deleted user's policies are gone");
    assert!(s.attached_policies(&account, UserBoundary, "Racer").await?.is_empty(), "and its boundary");
    s.attach_policy(&attachment(last, RoleBoundary, "Racer"), &[]).await?;
    assert_eq!(s.attached_policies(&account, Role, "Racer").await?.len(), 1);
    assert_eq!(s.attached_policies(&account, RoleBoundary, "Racer").await?.len(), 1);
    s.delete_role(&account, "Racer", &[]).await?;
    assert!(s.attached_policies(&account, Role, "Racer").await?.is_empty(), "a deleted role's policies are gone");
    assert!(s.attached_policies(&account, RoleBoundary, "Racer").await?.is_empty(), "and its boundary");
    s.insert_group(&group("111122223333", "Racer"), &[]).await?;
    s.attach_policy(&attachment(last, Group, "Racer"), &[]).await?;
    assert_eq!(s.attached_policies(&account, Group, "Racer").await?.len(), 1);
    s.delete_group(&account, "Racer", &[]).await?;
    assert!(s.attached_policies(&account, Group, "Racer").await?.is_empty(), "a deleted group's policies are gone");
    // A policy whose default version is gone is not read as attached.
    s.insert_role(&racer_role, &[]).await?;
    s.attach_policy(&attachment(last, Role, "Racer"), &[]).await?;
    assert_eq!(s.attached_policies(&account, Role, "Racer").await?, vec![attached(last, "0")]);
    s.delete_policy_version(&account, &last.name, 1, &[]).await?;
    assert!(s.attached_policies(&account, Role, "Racer").await?.is_empty(), "without its default version");
    Ok(())
}
