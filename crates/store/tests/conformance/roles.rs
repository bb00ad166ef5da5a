//! The conformance checks of IAM roles and their inline policies: names
//! unique in an account regardless of case and found in any case, changes
//! by the exact stored name, a role's policies going with it, and every
//! change's events committed with it.

use super::*;

/// Role `name` of `account`, with a description and tags.
pub(crate) fn role(account: &str, name: &str) -> RoleRecord {
    RoleRecord {
        account: AccountId::new_unchecked(account),
        name: name.to_owned(),
        role_id: format!("AROA{}", name.to_uppercase()),
        path: "/app/".to_owned(),
        trust_policy: format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
        ),
        description: Some(format!("role {name} ✓ 'quoted'")),
        max_session_duration: 3_600,
        created_at: 7,
        tags: vec![("team".into(), format!("{name} ✓ \"q\"")), ("a".into(), String::new())],
    }
}

/// Inline policy `policy` of `role`.
pub(crate) fn role_policy(role: &RoleRecord, policy: &str, document: &str) -> RolePolicyRecord {
    RolePolicyRecord {
        account: role.account.clone(),
        role_name: role.name.clone(),
        policy_name: policy.to_owned(),
        document: document.to_owned(),
    }
}

pub(crate) async fn roles_and_their_policies(s: Arc<dyn Store>) -> TestResult {
    let (acct, root_key) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
    s.insert_account(&acct, &root_key, &[]).await?;
    let (other, other_root_key) = account("444455556666", "AKIABBBBBBBBBBBBBBBB");
    s.insert_account(&other, &other_root_key, &[]).await?;
    let id = &acct.id;
    assert!(s.roles(id).await?.is_empty());
    assert_eq!(s.role(id, "Deployer").await?, None);
    let (not_found, exists) = (StoreError::NotFound, StoreError::AlreadyExists);

    // Found by name in any case, every field as stored.
    let mut deployer = role("111122223333", "Deployer");
    s.insert_role(&deployer, &[]).await?;
    for name in ["Deployer", "dEPLOYER", "deployer"] {
        assert_eq!(s.role(id, name).await?, Some(deployer.clone()), "{name}");
    }
    // The name in another case is taken: refused, the stored one kept.
    let shout = RoleRecord { role_id: "AROASHOUT".into(), ..role("111122223333", "DEPLOYER") };
    assert_failed("insert_role name in other case", s.insert_role(&shout, &[]).await, &exists);
    assert_failed("insert_role same name", s.insert_role(&deployer, &[]).await, &exists);
    assert_eq!(s.role(id, "DEPLOYER").await?, Some(deployer.clone()));
    // No description, no tags, the longest session, the root path.
    let bare = RoleRecord {
        description: None,
        tags: Vec::new(),
        max_session_duration: 43_200,
        path: "/".into(),
        ..role("111122223333", "alice")
    };
    s.insert_role(&bare, &[]).await?;
    assert_eq!(s.role(id, "ALICE").await?, Some(bare.clone()));

    // Listed by name (byte order), each account its own; the same name in
    // another account is another role.
    let zed = role("111122223333", "Zed");
    let other_deployer = role("444455556666", "deployer");
    s.insert_role(&zed, &[]).await?;
    s.insert_role(&other_deployer, &[]).await?;
    assert_eq!(s.roles(id).await?, vec![deployer.clone(), zed.clone(), bare.clone()]);
    assert_eq!(s.roles(&other.id).await?, vec![other_deployer.clone()]);
    assert_eq!(s.role(&other.id, "DEPLOYER").await?, Some(other_deployer.clone()));
    assert!(s.roles(&AccountId::new_unchecked("999999999999")).await?.is_empty());

    // Updated whole, by the exact stored name; read back in any case.
    for (n, description) in [(1u32, None), (2, Some("back ✓".to_owned()))] {
        deployer.trust_policy = format!(r#"{{"Statement":[],"n":{n}}}"#);
        deployer.description = description;
        deployer.max_session_duration = 3_600 * (n + 1);
        deployer.tags = if n == 1 { Vec::new() } else { vec![("z".into(), "1".into()), ("b".into(), "2".into())] };
        assert!(s.role(id, "deployer").await?.is_some(), "read before the update");
        s.update_role(&deployer, &[]).await?;
        assert_eq!(s.role(id, "DEPLOYER").await?, Some(deployer.clone()));
        assert_eq!(s.role(id, "Deployer").await?, Some(deployer.clone()));
        assert_eq!(s.roles(id).await?, vec![deployer.clone(), zed.clone(), bare.clone()]);
    }
    for (what, name, account) in
        [("other case", "deployer", id), ("missing role", "nobody", id), ("other account", "Zed", &other.id)]
    {
        let r = RoleRecord { account: account.clone(), name: name.into(), ..deployer.clone() };
        assert_failed(&format!("update_role {what}"), s.update_role(&r, &[]).await, &not_found);
    }
    assert_eq!(s.roles(id).await?, vec![deployer.clone(), zed.clone(), bare.clone()]);
    assert_eq!(s.roles(&other.id).await?, vec![other_deployer.clone()]);

    // Inline policies: by policy name, a put replaces.
    let write = role_policy(&deployer, "write", r#"{"Statement":[{"Effect":"Allow"}]}"#);
    let read = role_policy(&deployer, "Read", r#"{"Statement":[]}"#);
    assert!(s.role_policies(id, "Deployer").await?.is_empty());
    s.put_role_policy(&write, &[]).await?;
    s.put_role_policy(&read, &[]).await?;
    assert_eq!(s.role_policies(id, "Deployer").await?, vec![read.clone(), write.clone()]);
    let read2 = role_policy(&deployer, "Read", r#"{"Statement":["replaced"]}"#);
    s.put_role_policy(&read2, &[]).await?;
    assert_eq!(s.role_policies(id, "Deployer").await?, vec![read2.clone(), write.clone()]);
    let zed_policy = role_policy(&zed, "read", "{}");
    let other_policy = role_policy(&other_deployer, "write", "{}");
    s.put_role_policy(&zed_policy, &[]).await?;
    s.put_role_policy(&other_policy, &[]).await?;
    assert_eq!(s.role_policies(&other.id, "deployer").await?, vec![other_policy.clone()]);
    // Only for a role of exactly that name in that account.
    for (what, role_name, account) in
        [("other case", "deployer", id), ("missing role", "nobody", id), ("other account", "Zed", &other.id)]
    {
        let p = RolePolicyRecord { account: account.clone(), role_name: role_name.into(), ..write.clone() };
        assert_failed(&format!("put_role_policy {what}"), s.put_role_policy(&p, &[]).await, &not_found);
        assert!(s.role_policies(account, role_name).await?.is_empty(), "{what}");
    }
    s.delete_role_policy(id, "Deployer", "write", &[]).await?;
    assert_eq!(s.role_policies(id, "Deployer").await?, vec![read2.clone()]);
    assert_failed("delete_role_policy again", s.delete_role_policy(id, "Deployer", "write", &[]).await, &not_found);
    assert_failed("delete_role_policy case", s.delete_role_policy(id, "Deployer", "read", &[]).await, &not_found);
    assert_failed("delete_role_policy role", s.delete_role_policy(id, "nobody", "Read", &[]).await, &not_found);
    assert_failed("delete_role_policy role case", s.delete_role_policy(id, "deployer", "Read", &[]).await, &not_found);
    s.put_role_policy(&write, &[]).await?;
    // An update of the role leaves its policies.
    s.update_role(&deployer, &[]).await?;
    assert_eq!(s.role_policies(id, "Deployer").await?, vec![read2.clone(), write.clone()]);

    // Deleting a role (exact name) takes its policies, and only its own.
    assert_failed("delete_role other case", s.delete_role(id, "deployer", &[]).await, &not_found);
    assert_failed("delete_role missing", s.delete_role(id, "nobody", &[]).await, &not_found);
    assert_failed("delete_role other account", s.delete_role(&other.id, "Zed", &[]).await, &not_found);
    assert_eq!(s.role(id, "Deployer").await?, Some(deployer.clone()));
    assert_eq!(s.role_policies(id, "Deployer").await?, vec![read2.clone(), write.clone()]);
    s.delete_role(id, "Deployer", &[]).await?;
    assert_eq!(s.role(id, "deployer").await?, None);
    assert_eq!(s.role(id, "Deployer").await?, None);
    assert_eq!(s.roles(id).await?, vec![zed.clone(), bare.clone()]);
    assert!(s.role_policies(id, "Deployer").await?.is_empty());
    assert_eq!(s.role_policies(id, "Zed").await?, vec![zed_policy]);
    assert_eq!(s.role_policies(&other.id, "deployer").await?, vec![other_policy]);
    assert_eq!(s.roles(&other.id).await?, vec![other_deployer]);
    assert_failed("delete_role again", s.delete_role(id, "Deployer", &[]).await, &not_found);
    assert_failed("update_role deleted", s.update_role(&deployer, &[]).await, &not_found);
    assert_failed("put_role_policy deleted", s.put_role_policy(&write, &[]).await, &not_found);

    // The name is free again, in any case, and the new role has no policies.
    let again = role("111122223333", "deployer");
    s.insert_role(&again, &[]).await?;
    assert_eq!(s.role(id, "DEPLOYER").await?, Some(again));
    assert!(s.role_policies(id, "deployer").await?.is_empty());
    // Roles and users are apart: a user of a role's name is another principal.
    let (u, k) = user("111122223333", "Zed", "AKIAUSERZED");
    s.insert_user(&u, Some(&k), &[]).await?;
    assert_eq!(s.role(id, "zed").await?, Some(zed));
    Ok(())
}

/// Every role change appends its events in its own transaction; a change
/// that fails stores none (nor anything else).
pub(crate) async fn role_changes_append_their_events_to_the_chain(s: Arc<dyn Store>) -> TestResult {
    let mut ev = Events { next: 300, expected: vec![audit_entry(0)] };
    s.append_audit(ev.expected.clone()).await?;
    let (acct, ak) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
    s.insert_account(&acct, &ak, &ev.of(&["CreateAccount"])).await?;
    let id = &acct.id;

    let mut r = role("111122223333", "Deployer");
    s.insert_role(&r, &ev.of(&["CreateRole"])).await?;
    assert_eq!(s.role(id, "deployer").await?, Some(r.clone()));
    ev.check(&*s).await?;
    r.description = None;
    r.tags = vec![("k".into(), "v".into())];
    s.update_role(&r, &ev.of(&["UpdateRole", "TagRole"])).await?;
    assert_eq!(s.role(id, "DEPLOYER").await?, Some(r.clone()));
    ev.check(&*s).await?;
    let policy = role_policy(&r, "read", "{}");
    s.put_role_policy(&policy, &ev.of(&["PutRolePolicy"])).await?;
    assert_eq!(s.role_policies(id, "Deployer").await?, vec![policy.clone()]);
    ev.check(&*s).await?;
    s.delete_role_policy(id, "Deployer", "read", &ev.of(&["DeleteRolePolicy"])).await?;
    assert!(s.role_policies(id, "Deployer").await?.is_empty());
    ev.check(&*s).await?;
    s.put_role_policy(&policy, &ev.of(&["PutRolePolicy"])).await?;
    ev.check(&*s).await?;

    // Failed changes: no event, and nothing changed.
    let head = s.audit_head().await?;
    let failing = [change_event("Change", 1)];
    let (not_found, exists) = (StoreError::NotFound, StoreError::AlreadyExists);
    let shout = role("111122223333", "DEPLOYER");
    assert_failed("insert_role taken", s.insert_role(&shout, &failing).await, &exists);
    let ghost = role("111122223333", "ghost");
    assert_failed("update_role missing", s.update_role(&ghost, &failing).await, &not_found);
    let other_case = RoleRecord { name: "deployer".into(), description: Some("x".into()), ..r.clone() };
    assert_failed("update_role other case", s.update_role(&other_case, &failing).await, &not_found);
    assert_failed("delete_role other case", s.delete_role(id, "deployer", &failing).await, &not_found);
    assert_failed(
        "put_role_policy missing",
        s.put_role_policy(&role_policy(&ghost, "p", "{}"), &failing).await,
        &not_found,
    );
    let missing = s.delete_role_policy(id, "Deployer", "missing", &failing).await;
    assert_failed("delete_role_policy missing", missing, &not_found);
    assert_eq!(s.audit_head().await?, head, "no failed change stored an event");
    assert_eq!(s.roles(id).await?, vec![r.clone()]);
    assert_eq!(s.role_policies(id, "Deployer").await?, vec![policy.clone()]);

    s.delete_role(id, "Deployer", &ev.of(&["DeleteRole"])).await?;
    assert_eq!(s.role(id, "Deployer").await?, None);
    assert!(s.role_policies(id, "Deployer").await?.is_empty());
    ev.check(&*s).await?;

    let trail = whole_trail(&*s).await?;
    assert_chains(&trail);
    assert_eq!(trail.iter().map(|r| r.entry.clone()).collect::<Vec<_>>(), ev.expected);
    Ok(())
}

/// Every request of a role's session reads its role and policies: a store
/// that keeps them in memory must serve what the last write that returned
/// left, whatever case a read names the role in.
pub(crate) async fn role_reads_racing_writes_end_on_the_last_write(s: Arc<dyn Store>) -> TestResult {
    let (acct, root_key) = account("111122223333", "AKIAROOTROOTROOT0001");
    s.insert_account(&acct, &root_key, &[]).await?;
    let mut r = role("111122223333", "Racer");
    r.max_session_duration = 0;
    s.insert_role(&r, &[]).await?;
    let (s2, account) = (s.clone(), r.account.clone());
    let read: VersionRead = Arc::new(move |i| {
        let (s, account) = (s2.clone(), account.clone());
        let name = ["racer", "RACER", "Racer", "rAcEr"][i % 4];
        Box::pin(async move { u64::from(s.role(&account, name).await.unwrap().unwrap().max_session_duration) })
    });
    reads_racing_writes(read, async |n| {
        r.max_session_duration = u32::try_from(n)?;
        s.update_role(&r, &[]).await?;
        let read = s.role(&r.account, if n % 2 == 0 { "racer" } else { "RACER" }).await?;
        if read.as_ref() != Some(&r) {
            return Err(format!("after writing version {n} a read returned {read:?}").into());
        }
        Ok(())
    })
    .await?;

    s.put_role_policy(&role_policy(&r, "p", "0"), &[]).await?;
    let (s2, account) = (s.clone(), r.account.clone());
    let read: VersionRead = Arc::new(move |_| {
        let (s, account) = (s2.clone(), account.clone());
        Box::pin(async move { s.role_policies(&account, "Racer").await.unwrap()[0].document.parse().unwrap() })
    });
    reads_racing_writes(read, async |n| {
        s.put_role_policy(&role_policy(&r, "p", &n.to_string()), &[]).await?;
        assert_eq!(s.role_policies(&r.account, "Racer").await?, vec![role_policy(&r, "p", &n.to_string())]);
        Ok(())
    })
    .await?;
    s.delete_role(&r.account, "Racer", &[]).await?;
    assert_eq!(s.role(&r.account, "racer").await?, None, "a deleted role is gone at once");
    assert!(s.role_policies(&r.account, "Racer").await?.is_empty(), "and its policies");
    Ok(())
}
