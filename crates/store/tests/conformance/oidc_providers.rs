//! The conformance checks of OpenID Connect identity providers: one per
//! (account, URL), the URL compared exactly, listed by URL in byte order,
//! an update changing the client ids, thumbprints and tags only, and every
//! change's events committed with it.

use super::*;

/// Provider `url` of `account`, with two client ids, a thumbprint and tags.
pub(crate) fn oidc_provider(account: &str, url: &str) -> OidcProviderRecord {
    OidcProviderRecord {
        account: AccountId::new_unchecked(account),
        url: url.to_owned(),
        client_ids: vec!["sts.amazonaws.com".to_owned(), format!("app ✓ \"{url}\"")],
        thumbprints: vec!["9e99a48a9960b14926bb7f3b02e22da2b0ab7280".to_owned()],
        tags: vec![("team".into(), format!("{url} ✓ 'q'")), ("a".into(), String::new())],
        created_at: 11,
    }
}

pub(crate) async fn oidc_providers_round_trip(s: Arc<dyn Store>) -> TestResult {
    let (acct, root_key) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
    s.insert_account(&acct, &root_key, &[]).await?;
    let (other, other_root_key) = account("444455556666", "AKIABBBBBBBBBBBBBBBB");
    s.insert_account(&other, &other_root_key, &[]).await?;
    let id = &acct.id;
    let (not_found, exists) = (StoreError::NotFound, StoreError::AlreadyExists);
    assert!(s.oidc_providers(id).await?.is_empty());
    assert_eq!(s.oidc_provider(id, "token.actions.githubusercontent.com").await?, None);

    // Every field as stored, found by its exact URL only.
    let mut prod = oidc_provider("111122223333", "auth.example.com/realms/Prod");
    s.insert_oidc_provider(&prod, &[]).await?;
    assert_eq!(s.oidc_provider(id, &prod.url).await?, Some(prod.clone()));
    for url in ["auth.example.com/realms/prod", "AUTH.EXAMPLE.COM/realms/Prod", "auth.example.com/realms/Prod/"] {
        assert_eq!(s.oidc_provider(id, url).await?, None, "{url}");
    }
    // The same URL again: refused, the stored one kept.
    let again = OidcProviderRecord { client_ids: vec!["other".into()], ..prod.clone() };
    assert_failed("insert_oidc_provider same url", s.insert_oidc_provider(&again, &[]).await, &exists);
    assert_eq!(s.oidc_provider(id, &prod.url).await?, Some(prod.clone()));
    // No thumbprints, no tags, one client id.
    let bare = OidcProviderRecord {
        client_ids: vec!["a".into()],
        thumbprints: Vec::new(),
        tags: Vec::new(),
        ..oidc_provider("111122223333", "accounts.google.com")
    };
    s.insert_oidc_provider(&bare, &[]).await?;
    assert_eq!(s.oidc_provider(id, "accounts.google.com").await?, Some(bare.clone()));

    // Listed by URL in byte order ('/' < ':' < 'P' < 'd' < 't'), each
    // account its own; the same URL in another account is another provider.
    let dev = oidc_provider("111122223333", "auth.example.com/realms/dev");
    let port = oidc_provider("111122223333", "auth.example.com:8443");
    let github = oidc_provider("111122223333", "token.actions.githubusercontent.com");
    let other_github = oidc_provider("444455556666", "token.actions.githubusercontent.com");
    for p in [&github, &dev, &port, &other_github] {
        s.insert_oidc_provider(p, &[]).await?;
    }
    let mine = |prod: &OidcProviderRecord| vec![bare.clone(), prod.clone(), dev.clone(), port.clone(), github.clone()];
    assert_eq!(s.oidc_providers(id).await?, mine(&prod));
    assert_eq!(s.oidc_providers(&other.id).await?, vec![other_github.clone()]);
    assert_eq!(s.oidc_provider(&other.id, &github.url).await?, Some(other_github.clone()));
    assert_eq!(s.oidc_provider(&other.id, &prod.url).await?, None, "another account's provider");
    assert!(s.oidc_providers(&AccountId::new_unchecked("999999999999")).await?.is_empty());

    // An update replaces the client ids, thumbprints and tags (emptied,
    // then set again), and nothing else: the creation time stays.
    for n in 1..=2 {
        prod.client_ids = (0..n).map(|i| format!("client-{i}")).collect();
        prod.thumbprints = if n == 1 { Vec::new() } else { vec!["a".repeat(40), "b".repeat(40)] };
        prod.tags = if n == 1 { Vec::new() } else { vec![("z".into(), "1".into()), ("b".into(), "2".into())] };
        let changed_time = OidcProviderRecord { created_at: 99, ..prod.clone() };
        s.update_oidc_provider(&changed_time, &[]).await?;
        assert_eq!(s.oidc_provider(id, &prod.url).await?, Some(prod.clone()), "update {n}");
        assert_eq!(s.oidc_providers(id).await?, mine(&prod));
    }
    for (what, url, account) in [
        ("other case", "auth.example.com/realms/prod", id),
        ("missing provider", "nobody.example.com", id),
        ("other account", "auth.example.com/realms/Prod", &other.id),
    ] {
        let p = OidcProviderRecord { account: account.clone(), url: url.into(), ..prod.clone() };
        assert_failed(&format!("update_oidc_provider {what}"), s.update_oidc_provider(&p, &[]).await, &not_found);
    }
    assert_eq!(s.oidc_providers(id).await?, mine(&prod));
    assert_eq!(s.oidc_providers(&other.id).await?, vec![other_github.clone()]);

    // Deleted by exact URL, and only that account's.
    assert_failed(
        "delete other case",
        s.delete_oidc_provider(id, "auth.example.com/realms/prod", &[]).await,
        &not_found,
    );
    assert_failed("delete missing", s.delete_oidc_provider(id, "nobody.example.com", &[]).await, &not_found);
    assert_failed("delete other account", s.delete_oidc_provider(&other.id, &prod.url, &[]).await, &not_found);
    s.delete_oidc_provider(id, &github.url, &[]).await?;
    assert_eq!(s.oidc_provider(id, &github.url).await?, None);
    assert_eq!(s.oidc_providers(id).await?, vec![bare.clone(), prod.clone(), dev.clone(), port.clone()]);
    assert_eq!(s.oidc_provider(&other.id, &github.url).await?, Some(other_github.clone()), "the other account's kept");
    assert_failed("delete again", s.delete_oidc_provider(id, &github.url, &[]).await, &not_found);
    assert_failed("update deleted", s.update_oidc_provider(&github, &[]).await, &not_found);

    // The URL is free again.
    let back = OidcProviderRecord { created_at: 12, ..github.clone() };
    s.insert_oidc_provider(&back, &[]).await?;
    assert_eq!(s.oidc_provider(id, &github.url).await?, Some(back));
    Ok(())
}

/// Every provider change appends its events in its own transaction; a
/// change that fails stores none (nor anything else).
pub(crate) async fn oidc_provider_changes_append_their_events_to_the_chain(s: Arc<dyn Store>) -> TestResult {
    let mut ev = Events { next: 600, expected: vec![audit_entry(0)] };
    s.append_audit(ev.expected.clone()).await?;
    let (acct, ak) = account("111122223333", "AKIAAAAAAAAAAAAAAAAA");
    s.insert_account(&acct, &ak, &ev.of(&["CreateAccount"])).await?;
    let id = &acct.id;

    let mut p = oidc_provider("111122223333", "token.actions.githubusercontent.com");
    s.insert_oidc_provider(&p, &ev.of(&["CreateOpenIDConnectProvider"])).await?;
    assert_eq!(s.oidc_provider(id, &p.url).await?, Some(p.clone()));
    ev.check(&*s).await?;
    p.client_ids.push("another".into());
    s.update_oidc_provider(&p, &ev.of(&["AddClientIDToOpenIDConnectProvider"])).await?;
    ev.check(&*s).await?;
    p.thumbprints = vec!["c".repeat(40)];
    p.tags = vec![("k".into(), "v".into())];
    s.update_oidc_provider(&p, &ev.of(&["UpdateOpenIDConnectProviderThumbprint", "TagOpenIDConnectProvider"])).await?;
    assert_eq!(s.oidc_provider(id, &p.url).await?, Some(p.clone()));
    ev.check(&*s).await?;

    // Failed changes: no event, and nothing changed.
    let head = s.audit_head().await?;
    let failing = [change_event("Change", 1)];
    let (not_found, exists) = (StoreError::NotFound, StoreError::AlreadyExists);
    let taken = oidc_provider("111122223333", &p.url);
    assert_failed("insert_oidc_provider taken", s.insert_oidc_provider(&taken, &failing).await, &exists);
    let ghost = oidc_provider("111122223333", "ghost.example.com");
    assert_failed("update_oidc_provider missing", s.update_oidc_provider(&ghost, &failing).await, &not_found);
    assert_failed("delete_oidc_provider missing", s.delete_oidc_provider(id, &ghost.url, &failing).await, &not_found);
    assert_eq!(s.audit_head().await?, head, "no failed change stored an event");
    assert_eq!(s.oidc_providers(id).await?, vec![p.clone()]);

    s.delete_oidc_provider(id, &p.url, &ev.of(&["DeleteOpenIDConnectProvider"])).await?;
    assert_eq!(s.oidc_provider(id, &p.url).await?, None);
    ev.check(&*s).await?;

    let trail = whole_trail(&*s).await?;
    assert_chains(&trail);
    assert_eq!(trail.iter().map(|r| r.entry.clone()).collect::<Vec<_>>(), ev.expected);
    Ok(())
}
