//! The conformance checks of IAM groups, their inline policies and their
//! members: names unique in an account regardless of case and found in any
//! case, changes by the exact stored names, a group's policies and
//! memberships going with it (a user's memberships with the user), and
//! every change's events committed with it.

use super::*;

/// Group `name` of `account`.
pub(crate) fn group(account: &str, name: &str) -> GroupRecord {
    GroupRecord {
        account: AccountId::new_unchecked(account),
        name: name.to_owned(),
        group_id: format!("AGPA{}", name.to_uppercase()),
        path: "/teams/".to_owned(),
        created_at: 8,
    }
}

/// Inline policy `policy` of `group`.
pub(crate) fn group_policy(group: &GroupRecord, policy: &str, document: &str) -> GroupPolicyRecord {
    GroupPolicyRecord {
        account: group.account.clone(),
        group_name: group.name.clone(),
        policy_name: policy.to_owned(),
        document: document.to_owned(),
    }
}

/// The membership of user `user_name` in `group`.
pub(crate) fn member(group: &GroupRecord, user_name: &str) -> GroupMemberRecord {
    GroupMemberRecord {
        account: group.account.clone(),
        group_name: group.name.clone(),
        user_name: user_name.to_owned(),
    }
}

pub(crate) async fn groups_their_policies_and_members(s: Arc<dyn Store>) -> TestResult {
    let (acct, root_key) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
    s.insert_account(&acct, &root_key, &[]).await?;
    let (other, other_root_key) = account("444455556666", "AKIABBBBBBBBBBBBBBBB");
    s.insert_account(&other, &other_root_key, &[]).await?;
    let id = &acct.id;
    assert!(s.groups(id).await?.is_empty());
    assert_eq!(s.group(id, "Admins").await?, None);
    assert!(s.group_members(id, "Admins").await?.is_empty());
    assert!(s.groups_of_user(id, "Bob").await?.is_empty());
    let (not_found, exists) = (StoreError::NotFound, StoreError::AlreadyExists);

    // Found by name in any case, every field as stored.
    let admins = group("111122223333", "Admins");
    s.insert_group(&admins, &[]).await?;
    for name in ["Admins", "aDMINS", "admins"] {
        assert_eq!(s.group(id, name).await?, Some(admins.clone()), "{name}");
    }
    // The name in another case is taken: refused, the stored one kept.
    let shout = GroupRecord { group_id: "AGPASHOUT".into(), ..group("111122223333", "ADMINS") };
    assert_failed("insert_group name in other case", s.insert_group(&shout, &[]).await, &exists);
    assert_failed("insert_group same name", s.insert_group(&admins, &[]).await, &exists);
    assert_eq!(s.group(id, "ADMINS").await?, Some(admins.clone()));

    // Listed by name (byte order), each account its own; the same name in
    // another account is another group.
    let devs = GroupRecord { path: "/".into(), ..group("111122223333", "devs") };
    let zed = group("111122223333", "Zed");
    let other_admins = group("444455556666", "admins");
    for g in [&devs, &zed, &other_admins] {
        s.insert_group(g, &[]).await?;
    }
    assert_eq!(s.groups(id).await?, vec![admins.clone(), zed.clone(), devs.clone()]);
    assert_eq!(s.groups(&other.id).await?, vec![other_admins.clone()]);
    assert_eq!(s.group(&other.id, "ADMINS").await?, Some(other_admins.clone()));
    assert!(s.groups(&AccountId::new_unchecked("999999999999")).await?.is_empty());

    // Members: users of the account, by their exact stored names.
    let (bob, bob_key) = user("111122223333", "Bob", "AKIAUSERBOB");
    let (alice, alice_key) = user("111122223333", "alice", "AKIAUSERALICE");
    let (other_bob, other_bob_key) = user("444455556666", "bob", "AKIAUSEROTHERBOB");
    for (u, k) in [(&bob, &bob_key), (&alice, &alice_key), (&other_bob, &other_bob_key)] {
        s.insert_user(u, Some(k), &[]).await?;
    }
    for (g, u) in [(&admins, "Bob"), (&admins, "alice"), (&devs, "Bob"), (&zed, "Bob"), (&other_admins, "bob")] {
        s.add_group_member(&member(g, u), &[]).await?;
    }
    assert_eq!(s.groups_of_user(id, "Bob").await?, vec![admins.clone(), zed.clone(), devs.clone()]);
    assert_eq!(s.groups_of_user(id, "alice").await?, vec![admins.clone()]);
    assert_eq!(s.groups_of_user(&other.id, "bob").await?, vec![other_admins.clone()]);
    assert!(s.groups_of_user(id, "bob").await?.is_empty(), "the exact stored name");
    assert_eq!(s.group_members(id, "Admins").await?, ["Bob", "alice"]);
    assert_eq!(s.group_members(id, "devs").await?, ["Bob"]);
    assert!(s.group_members(id, "admins").await?.is_empty(), "the exact stored name");
    assert_eq!(s.group_members(&other.id, "admins").await?, ["bob"]);
    // Adding a member again changes nothing.
    s.add_group_member(&member(&admins, "Bob"), &[]).await?;
    assert_eq!(s.group_members(id, "Admins").await?, ["Bob", "alice"]);
    assert_eq!(s.groups_of_user(id, "Bob").await?, vec![admins.clone(), zed.clone(), devs.clone()]);
    // Only a user and a group of exactly those names in that account.
    for (what, account, group_name, user_name) in [
        ("missing group", id, "nobody", "Bob"),
        ("group in other case", id, "admins", "Bob"),
        ("missing user", id, "Admins", "carol"),
        ("user in other case", id, "Admins", "bob"),
        ("group of another account", &other.id, "Zed", "bob"),
        ("user of another account", &other.id, "admins", "alice"),
    ] {
        let m =
            GroupMemberRecord { account: account.clone(), group_name: group_name.into(), user_name: user_name.into() };
        assert_failed(&format!("add_group_member {what}"), s.add_group_member(&m, &[]).await, &not_found);
    }
    assert_eq!(s.group_members(id, "Admins").await?, ["Bob", "alice"]);
    assert_eq!(s.group_members(&other.id, "admins").await?, ["bob"]);
    assert!(s.groups_of_user(&other.id, "alice").await?.is_empty());

    // Ending a membership, by the exact names.
    s.remove_group_member(&member(&devs, "Bob"), &[]).await?;
    assert_eq!(s.groups_of_user(id, "Bob").await?, vec![admins.clone(), zed.clone()]);
    assert!(s.group_members(id, "devs").await?.is_empty());
    for (what, m) in [
        ("again", member(&devs, "Bob")),
        ("user in other case", member(&admins, "bob")),
        ("group in other case", GroupMemberRecord { group_name: "admins".into(), ..member(&admins, "Bob") }),
        ("never a member", member(&zed, "alice")),
        ("other account", GroupMemberRecord { account: other.id.clone(), ..member(&admins, "Bob") }),
    ] {
        assert_failed(&format!("remove_group_member {what}"), s.remove_group_member(&m, &[]).await, &not_found);
    }
    assert_eq!(s.group_members(id, "Admins").await?, ["Bob", "alice"]);

    // Inline policies: by policy name, a put replaces.
    let write = group_policy(&admins, "write", r#"{"Statement":[{"Effect":"Allow"}]}"#);
    let read = group_policy(&admins, "Read", r#"{"Statement":[]}"#);
    assert!(s.group_policies(id, "Admins").await?.is_empty());
    s.put_group_policy(&write, &[]).await?;
    s.put_group_policy(&read, &[]).await?;
    assert_eq!(s.group_policies(id, "Admins").await?, vec![read.clone(), write.clone()]);
    let read2 = group_policy(&admins, "Read", r#"{"Statement":["replaced"]}"#);
    s.put_group_policy(&read2, &[]).await?;
    assert_eq!(s.group_policies(id, "Admins").await?, vec![read2.clone(), write.clone()]);
    let zed_policy = group_policy(&zed, "read", "{}");
    let other_policy = group_policy(&other_admins, "write", "{}");
    s.put_group_policy(&zed_policy, &[]).await?;
    s.put_group_policy(&other_policy, &[]).await?;
    assert_eq!(s.group_policies(&other.id, "admins").await?, vec![other_policy.clone()]);
    for (what, group_name, account) in
        [("other case", "admins", id), ("missing group", "nobody", id), ("other account", "Zed", &other.id)]
    {
        let p = GroupPolicyRecord { account: account.clone(), group_name: group_name.into(), ..write.clone() };
        assert_failed(&format!("put_group_policy {what}"), s.put_group_policy(&p, &[]).await, &not_found);
        assert!(s.group_policies(account, group_name).await?.is_empty(), "{what}");
    }
    s.delete_group_policy(id, "Admins", "write", &[]).await?;
    assert_eq!(s.group_policies(id, "Admins").await?, vec![read2.clone()]);
    for (what, group_name, policy) in [
        ("again", "Admins", "write"),
        ("case", "Admins", "read"),
        ("group", "nobody", "Read"),
        ("group case", "admins", "Read"),
    ] {
        let r = s.delete_group_policy(id, group_name, policy, &[]).await;
        assert_failed(&format!("delete_group_policy {what}"), r, &not_found);
    }
    s.put_group_policy(&write, &[]).await?;

    // Deleting a group (exact name) takes its policies and memberships,
    // and only its own.
    assert_failed("delete_group other case", s.delete_group(id, "admins", &[]).await, &not_found);
    assert_failed("delete_group missing", s.delete_group(id, "nobody", &[]).await, &not_found);
    assert_failed("delete_group other account", s.delete_group(&other.id, "Zed", &[]).await, &not_found);
    assert_eq!(s.group(id, "Admins").await?, Some(admins.clone()));
    assert_eq!(s.group_members(id, "Admins").await?, ["Bob", "alice"]);
    s.delete_group(id, "Admins", &[]).await?;
    assert_eq!(s.group(id, "admins").await?, None);
    assert_eq!(s.groups(id).await?, vec![zed.clone(), devs.clone()]);
    assert!(s.group_policies(id, "Admins").await?.is_empty());
    assert!(s.group_members(id, "Admins").await?.is_empty());
    assert_eq!(s.groups_of_user(id, "Bob").await?, vec![zed.clone()]);
    assert!(s.groups_of_user(id, "alice").await?.is_empty());
    assert_eq!(s.group_policies(id, "Zed").await?, vec![zed_policy.clone()]);
    assert_eq!(s.groups(&other.id).await?, vec![other_admins.clone()]);
    assert_eq!(s.group_policies(&other.id, "admins").await?, vec![other_policy.clone()]);
    assert_eq!(s.group_members(&other.id, "admins").await?, ["bob"]);
    assert_failed("delete_group again", s.delete_group(id, "Admins", &[]).await, &not_found);
    assert_failed("put_group_policy deleted", s.put_group_policy(&write, &[]).await, &not_found);
    let gone = member(&admins, "alice");
    assert_failed("add_group_member deleted", s.add_group_member(&gone, &[]).await, &not_found);
    assert_failed("remove_group_member deleted", s.remove_group_member(&gone, &[]).await, &not_found);

    // The name is free again, in any case, and the new group has neither
    // policies nor members.
    let again = group("111122223333", "admins");
    s.insert_group(&again, &[]).await?;
    assert_eq!(s.group(id, "ADMINS").await?, Some(again.clone()));
    assert!(s.group_policies(id, "admins").await?.is_empty());
    assert!(s.group_members(id, "admins").await?.is_empty());

    // Deleting a user takes its memberships, and only its own.
    s.add_group_member(&member(&again, "Bob"), &[]).await?;
    s.add_group_member(&member(&zed, "alice"), &[]).await?;
    assert_eq!(s.groups_of_user(id, "Bob").await?, vec![zed.clone(), again.clone()]);
    assert_eq!(s.group_members(id, "Zed").await?, ["Bob", "alice"]);
    s.delete_user(id, "Bob", &[]).await?;
    assert!(s.groups_of_user(id, "Bob").await?.is_empty());
    assert_eq!(s.group_members(id, "Zed").await?, ["alice"]);
    assert!(s.group_members(id, "admins").await?.is_empty());
    assert_eq!(s.groups_of_user(id, "alice").await?, vec![zed.clone()]);
    assert_eq!(s.groups_of_user(&other.id, "bob").await?, vec![other_admins.clone()]);
    // A user of the name again is in no group; the groups are still there.
    let (bob2, bob2_key) = user("111122223333", "Bob", "AKIAUSERBOBAGAIN");
    s.insert_user(&bob2, Some(&bob2_key), &[]).await?;
    assert!(s.groups_of_user(id, "Bob").await?.is_empty());
    assert_eq!(s.groups(id).await?, vec![zed.clone(), again.clone(), devs.clone()]);
    // A group is not a user nor a role: a group may take another's name.
    let (u, k) = user("111122223333", "devs", "AKIAUSERDEVS");
    s.insert_user(&u, Some(&k), &[]).await?;
    s.insert_role(&role("111122223333", "devs"), &[]).await?;
    assert_eq!(s.group(id, "DEVS").await?, Some(devs));
    Ok(())
}

/// Every group change appends its events in its own transaction (adding a
/// member again too, though nothing changes); a change that fails stores
/// none (nor anything else).
pub(crate) async fn group_changes_append_their_events_to_the_chain(s: Arc<dyn Store>) -> TestResult {
    let mut ev = Events { next: 400, expected: vec![audit_entry(0)] };
    s.append_audit(ev.expected.clone()).await?;
    let (acct, ak) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
    s.insert_account(&acct, &ak, &ev.of(&["CreateAccount"])).await?;
    let id = &acct.id;
    let (bob, bob_key) = user("111122223333", "Bob", "AKIAUSERBOB");
    s.insert_user(&bob, Some(&bob_key), &ev.of(&["CreateUser"])).await?;

    let g = group("111122223333", "Admins");
    s.insert_group(&g, &ev.of(&["CreateGroup"])).await?;
    assert_eq!(s.group(id, "admins").await?, Some(g.clone()));
    ev.check(&*s).await?;
    s.add_group_member(&member(&g, "Bob"), &ev.of(&["AddUserToGroup"])).await?;
    assert_eq!(s.groups_of_user(id, "Bob").await?, vec![g.clone()]);
    ev.check(&*s).await?;
    s.add_group_member(&member(&g, "Bob"), &ev.of(&["AddUserToGroup"])).await?;
    assert_eq!(s.group_members(id, "Admins").await?, ["Bob"]);
    ev.check(&*s).await?;
    let policy = group_policy(&g, "read", "{}");
    s.put_group_policy(&policy, &ev.of(&["PutGroupPolicy"])).await?;
    assert_eq!(s.group_policies(id, "Admins").await?, vec![policy.clone()]);
    ev.check(&*s).await?;
    s.delete_group_policy(id, "Admins", "read", &ev.of(&["DeleteGroupPolicy"])).await?;
    assert!(s.group_policies(id, "Admins").await?.is_empty());
    ev.check(&*s).await?;
    s.put_group_policy(&policy, &ev.of(&["PutGroupPolicy"])).await?;
    s.remove_group_member(&member(&g, "Bob"), &ev.of(&["RemoveUserFromGroup"])).await?;
    assert!(s.groups_of_user(id, "Bob").await?.is_empty());
    ev.check(&*s).await?;
    s.add_group_member(&member(&g, "Bob"), &ev.of(&["AddUserToGroup"])).await?;
    ev.check(&*s).await?;

    // Failed changes: no event, and nothing changed.
    let head = s.audit_head().await?;
    let failing = [change_event("Change", 1)];
    let not_found = StoreError::NotFound;
    let shout = group("111122223333", "ADMINS");
    assert_failed("insert_group taken", s.insert_group(&shout, &failing).await, &StoreError::AlreadyExists);
    assert_failed("delete_group other case", s.delete_group(id, "admins", &failing).await, &not_found);
    let ghost = group("111122223333", "ghost");
    let r = s.put_group_policy(&group_policy(&ghost, "p", "{}"), &failing).await;
    assert_failed("put_group_policy missing", r, &not_found);
    let r = s.delete_group_policy(id, "Admins", "missing", &failing).await;
    assert_failed("delete_group_policy missing", r, &not_found);
    assert_failed("add_group_member group", s.add_group_member(&member(&ghost, "Bob"), &failing).await, &not_found);
    assert_failed("add_group_member user", s.add_group_member(&member(&g, "carol"), &failing).await, &not_found);
    let r = s.remove_group_member(&member(&g, "carol"), &failing).await;
    assert_failed("remove_group_member not a member", r, &not_found);
    assert_eq!(s.audit_head().await?, head, "no failed change stored an event");
    assert_eq!(s.groups(id).await?, vec![g.clone()]);
    assert_eq!(s.group_policies(id, "Admins").await?, vec![policy.clone()]);
    assert_eq!(s.group_members(id, "Admins").await?, ["Bob"]);

    // A user's deletion takes its memberships in the same transaction.
    s.delete_user(id, "Bob", &ev.of(&["DeleteUser"])).await?;
    assert!(s.group_members(id, "Admins").await?.is_empty());
    ev.check(&*s).await?;
    s.delete_group(id, "Admins", &ev.of(&["DeleteGroup"])).await?;
    assert_eq!(s.group(id, "Admins").await?, None);
    assert!(s.group_policies(id, "Admins").await?.is_empty());
    ev.check(&*s).await?;

    let trail = whole_trail(&*s).await?;
    assert_chains(&trail);
    assert_eq!(trail.iter().map(|r| r.entry.clone()).collect::<Vec<_>>(), ev.expected);
    Ok(())
}

/// The number in the name of the last group `user` of `account` is in
/// (`g0007`: 7), 0 for none.
async fn last_group_number(s: &dyn Store, account: &AccountId, user: &str) -> u64 {
    let groups = s.groups_of_user(account, user).await.unwrap();
    groups.last().map_or(0, |g| g.name[1..].parse().unwrap())
}

/// Every request of an IAM user reads its groups and their policies: a
/// store that keeps them in memory must serve what the last write that
/// returned left, whether the write was a membership added or removed, a
/// group deleted, or a policy put.
pub(crate) async fn group_reads_racing_writes_end_on_the_last_write(s: Arc<dyn Store>) -> TestResult {
    let (acct, root_key) = account("111122223333", "AKIAROOTROOTROOT0001");
    s.insert_account(&acct, &root_key, &[]).await?;
    let (u, key) = user("111122223333", "Racer", "AKIARACERRACER00001");
    s.insert_user(&u, Some(&key), &[]).await?;
    let groups: Vec<GroupRecord> = (0..=200).map(|n| group("111122223333", &format!("g{n:04}"))).collect();
    for g in &groups {
        s.insert_group(g, &[]).await?;
    }
    s.add_group_member(&member(&groups[0], "Racer"), &[]).await?;

    // Write n: Racer joins group n, then leaves group n - 1.
    let (s2, account) = (s.clone(), u.account.clone());
    let read: VersionRead = Arc::new(move |_| {
        let (s, account) = (s2.clone(), account.clone());
        Box::pin(async move { last_group_number(&*s, &account, "Racer").await })
    });
    reads_racing_writes(read, async |n| {
        let n = usize::try_from(n)?;
        s.add_group_member(&member(&groups[n], "Racer"), &[]).await?;
        s.remove_group_member(&member(&groups[n - 1], "Racer"), &[]).await?;
        assert_eq!(s.groups_of_user(&u.account, "Racer").await?, vec![groups[n].clone()]);
        Ok(())
    })
    .await?;

    // Write n: group n - 1 is deleted, of the groups 0..=199 Racer is in.
    for g in &groups[..200] {
        s.add_group_member(&member(g, "Racer"), &[]).await?;
    }
    let (s2, account) = (s.clone(), u.account.clone());
    let read: VersionRead = Arc::new(move |_| {
        let (s, account) = (s2.clone(), account.clone());
        Box::pin(async move { 201 - s.groups_of_user(&account, "Racer").await.unwrap().len() as u64 })
    });
    reads_racing_writes(read, async |n| {
        let n = usize::try_from(n)?;
        s.delete_group(&u.account, &groups[n - 1].name, &[]).await?;
        assert_eq!(s.groups_of_user(&u.account, "Racer").await?.first(), groups.get(n));
        Ok(())
    })
    .await?;

    let last = &groups[200];
    s.put_group_policy(&group_policy(last, "p", "0"), &[]).await?;
    let (s2, account) = (s.clone(), u.account.clone());
    let read: VersionRead = Arc::new(move |_| {
        let (s, account) = (s2.clone(), account.clone());
        Box::pin(async move { s.group_policies(&account, "g0200").await.unwrap()[0].document.parse().unwrap() })
    });
    reads_racing_writes(read, async |n| {
        s.put_group_policy(&group_policy(last, "p", &n.to_string()), &[]).await?;
        assert_eq!(s.group_policies(&u.account, "g0200").await?, vec![group_policy(last, "p", &n.to_string())]);
        Ok(())
    })
    .await?;
    s.delete_group_policy(&u.account, "g0200", "p", &[]).await?;
    assert!(s.group_policies(&u.account, "g0200").await?.is_empty(), "a deleted policy is gone at once");

    // Read (and kept in memory) before each change: gone at once after it.
    s.put_group_policy(&group_policy(last, "p", "1"), &[]).await?;
    assert_eq!(s.group_policies(&u.account, "g0200").await?.len(), 1);
    assert_eq!(s.groups_of_user(&u.account, "Racer").await?, vec![last.clone()]);
    s.delete_user(&u.account, "Racer", &[]).await?;
    assert!(s.groups_of_user(&u.account, "Racer").await?.is_empty(), "a deleted user's groups are gone at once");
    s.insert_user(&u, Some(&key), &[]).await?;
    s.add_group_member(&member(last, "Racer"), &[]).await?;
    assert_eq!(s.groups_of_user(&u.account, "Racer").await?, vec![last.clone()]);
    s.delete_group(&u.account, "g0200", &[]).await?;
    assert!(s.groups_of_user(&u.account, "Racer").await?.is_empty(), "a deleted group is gone at once");
    assert!(s.group_policies(&u.account, "g0200").await?.is_empty(), "and its policies");
    Ok(())
}
