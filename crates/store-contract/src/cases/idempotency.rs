//! Idempotency keys: claim, replay, reuse with another request, expiry,
//! abandonment and races.

use std::sync::Arc;

use futures::future::join_all;
use thunderphone_ports::{IdempotencyStart, StoredResponse};

use crate::TestStore;
use crate::fixtures::{at, tenant};

fn response(status: u16) -> StoredResponse {
    StoredResponse {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("location".into(), "/v1/phone-numbers/7".into()),
        ],
        body: br#"{"id":7}"#.to_vec(),
    }
}

/// Started, then in progress for the same request, then replayed once done.
pub async fn idempotency_claims_then_replays<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let begin = |now| {
        store.begin(
            acme.org_id,
            "k-1",
            "fp-a",
            at(now),
            at(now + 60),
            at(now - 86_400),
        )
    };
    assert_eq!(begin(10).await.unwrap(), IdempotencyStart::Started);
    assert_eq!(begin(11).await.unwrap(), IdempotencyStart::InProgress);
    store
        .complete(acme.org_id, "k-1", "fp-a", response(201))
        .await
        .unwrap();
    assert_eq!(
        begin(12).await.unwrap(),
        IdempotencyStart::Replay(response(201))
    );
    assert_eq!(
        begin(13).await.unwrap(),
        IdempotencyStart::Replay(response(201)),
        "replays do not consume it"
    );
}

/// Another request (method, path or body) under a used key is refused,
/// while the first runs and after it completed.
pub async fn idempotency_key_reused_for_another_request<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let begin = |fp: &'static str| store.begin(acme.org_id, "k", fp, at(10), at(70), at(-86_390));
    assert_eq!(begin("fp-a").await.unwrap(), IdempotencyStart::Started);
    assert_eq!(begin("fp-b").await.unwrap(), IdempotencyStart::KeyReused);
    store
        .complete(acme.org_id, "k", "fp-b", response(200))
        .await
        .unwrap();
    assert_eq!(
        begin("fp-a").await.unwrap(),
        IdempotencyStart::InProgress,
        "another fingerprint cannot complete it"
    );
    store
        .complete(acme.org_id, "k", "fp-a", response(200))
        .await
        .unwrap();
    assert_eq!(begin("fp-b").await.unwrap(), IdempotencyStart::KeyReused);
}

/// Keys belong to an org: the same key in two orgs is two keys.
pub async fn idempotency_keys_are_scoped_to_the_org<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    for org in [acme.org_id, globex.org_id] {
        assert_eq!(
            store
                .begin(org, "shared", "fp", at(1), at(61), at(-86_399))
                .await
                .unwrap(),
            IdempotencyStart::Started
        );
    }
}

/// After 24 h a key starts afresh, whatever it held.
pub async fn idempotency_expired_keys_start_again<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    assert_eq!(
        store
            .begin(acme.org_id, "k", "fp-a", at(0), at(60), at(-86_400))
            .await
            .unwrap(),
        IdempotencyStart::Started
    );
    store
        .complete(acme.org_id, "k", "fp-a", response(201))
        .await
        .unwrap();
    let day_later = 86_401;
    let again = store
        .begin(
            acme.org_id,
            "k",
            "fp-b",
            at(day_later),
            at(day_later + 60),
            at(day_later - 86_400),
        )
        .await
        .unwrap();
    assert_eq!(again, IdempotencyStart::Started);
}

/// An abandoned key (a 5xx) may be retried; so may one whose request died
/// and whose lock passed.
pub async fn idempotency_abandoned_and_dead_claims_free_the_key<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let begin = |key: &'static str, now| {
        store.begin(
            acme.org_id,
            key,
            "fp",
            at(now),
            at(now + 60),
            at(now - 86_400),
        )
    };
    assert_eq!(begin("a", 0).await.unwrap(), IdempotencyStart::Started);
    store.abandon(acme.org_id, "a", "fp").await.unwrap();
    assert_eq!(begin("a", 1).await.unwrap(), IdempotencyStart::Started);
    assert_eq!(begin("b", 0).await.unwrap(), IdempotencyStart::Started);
    assert_eq!(begin("b", 59).await.unwrap(), IdempotencyStart::InProgress);
    assert_eq!(
        begin("b", 61).await.unwrap(),
        IdempotencyStart::Started,
        "the lock passed: taken over"
    );
    store
        .complete(acme.org_id, "b", "fp", response(201))
        .await
        .unwrap();
    store.abandon(acme.org_id, "b", "fp").await.unwrap();
    assert_eq!(
        begin("b", 62).await.unwrap(),
        IdempotencyStart::Replay(response(201)),
        "completed keys are not abandoned"
    );
}

/// Of many concurrent claims of one key, exactly one starts.
pub async fn idempotency_concurrent_claims_start_once<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let results = join_all((0..16).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .begin(acme.org_id, "race", "fp", at(5), at(65), at(-86_395))
                .await
                .unwrap()
        })
    }))
    .await;
    let started = results
        .iter()
        .filter(|r| matches!(r.as_ref().unwrap(), IdempotencyStart::Started))
        .count();
    assert_eq!(started, 1);
    assert!(results.iter().all(|r| matches!(
        r.as_ref().unwrap(),
        IdempotencyStart::Started | IdempotencyStart::InProgress
    )));
}

/// The purge deletes the records created before the cut-off, and only
/// them: a purged key is gone (it starts afresh even for a caller that
/// would still treat it as live), a newer one still replays.
pub async fn idempotency_purge_deletes_expired_records<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let day = 86_400;
    // Two records a day and more ago (one completed, one whose request
    // died), one from just now.
    for (key, created) in [("old-done", 0), ("old-dead", 10), ("new", day + 100)] {
        assert_eq!(
            store
                .begin(
                    acme.org_id,
                    key,
                    "fp",
                    at(created),
                    at(created + 60),
                    at(created - day)
                )
                .await
                .unwrap(),
            IdempotencyStart::Started
        );
    }
    for key in ["old-done", "new"] {
        store
            .complete(acme.org_id, key, "fp", response(201))
            .await
            .unwrap();
    }
    let now = day + 200;
    assert_eq!(
        store.purge_expired(at(now - day), 100).await.unwrap(),
        2,
        "the two records older than a day"
    );
    assert_eq!(store.purge_expired(at(now - day), 100).await.unwrap(), 0);
    // A cut-off far in the past would still count the old records as live
    // (another fingerprint: `KeyReused`): `Started` shows they are gone.
    let long_ago = at(-100 * day);
    for key in ["old-done", "old-dead"] {
        assert_eq!(
            store
                .begin(acme.org_id, key, "fp-2", at(now), at(now + 60), long_ago)
                .await
                .unwrap(),
            IdempotencyStart::Started,
            "{key} was deleted"
        );
    }
    assert_eq!(
        store
            .begin(
                acme.org_id,
                "new",
                "fp",
                at(now),
                at(now + 60),
                at(now - day)
            )
            .await
            .unwrap(),
        IdempotencyStart::Replay(response(201)),
        "a live record survives the purge"
    );
}

/// The purge deletes at most `limit` records a call, across orgs, and
/// reports each batch's count until none are left.
pub async fn idempotency_purge_works_in_batches<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    for i in 0..5 {
        let org = if i % 2 == 0 {
            acme.org_id
        } else {
            globex.org_id
        };
        let key = format!("k-{i}");
        store
            .begin(org, &key, "fp", at(i), at(i + 60), at(i - 86_400))
            .await
            .unwrap();
    }
    let cut_off = at(1_000);
    let mut batches = Vec::new();
    for _ in 0..4 {
        batches.push(store.purge_expired(cut_off, 2).await.unwrap());
    }
    assert_eq!(batches, [2, 2, 1, 0]);
}
