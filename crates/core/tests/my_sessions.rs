//! "My sessions" and status semantics against the testkit: an admin sees only their own
//! sessions (keypair and webserver mode), every page is read, the all-users list is explicit,
//! and 26.x statuses (and unknown ones) arrive as they are, classified in one place.

mod common;

use std::collections::BTreeMap;

use bai_core::EndpointKind;
use bai_core::client::{
    Client, CreateSession, Credentials, LIST_PAGE_SIZE, Owner, SessionStatus, StatusFilter,
    StatusPhase,
};
use bai_testkit::{USER_ACCESS_KEY, USER_SECRET_KEY};
use common::*;
use serde_json::json;

fn user_client(kit: &bai_testkit::TestKit) -> Client {
    Client::new(
        config(&kit.manager_url(), EndpointKind::Api),
        Credentials::keypair(USER_ACCESS_KEY, USER_SECRET_KEY),
    )
    .expect("client")
}

async fn create(client: &Client, prefix: &str) -> String {
    let mut req = CreateSession::new(name(prefix), IMAGE);
    req.resources = BTreeMap::from([("cpu".into(), json!(1)), ("mem".into(), json!("1g"))]);
    client
        .create_session(&req)
        .await
        .expect("create")
        .session_id
}

#[tokio::test]
async fn an_admin_sees_only_their_own_sessions_unless_asking_for_all_users() {
    let kit = kit().await;
    let admin = keypair_client(&kit);
    let user = user_client(&kit);
    let mine = create(&admin, "admin").await;
    let theirs = create(&user, "user").await;

    let listing = admin.my_sessions(StatusFilter::Active).await.expect("mine");
    assert!(listing.complete);
    assert!(listing.get(&mine).is_some(), "{listing:?}");
    assert!(
        listing.get(&theirs).is_none(),
        "another user's session: {listing:?}"
    );

    // The webserver-mode admin (no access key in hand) gets the same answer.
    let web = webserver_client(&kit).await;
    let listing = web.my_sessions(StatusFilter::Active).await.expect("mine");
    assert!(listing.get(&mine).is_some() && listing.get(&theirs).is_none());

    // The explicit all-users list holds both; a plain user still sees only their own.
    let all = admin
        .all_users_sessions(StatusFilter::All)
        .await
        .expect("all");
    assert!(all.get(&mine).is_some() && all.get(&theirs).is_some());
    let users = user
        .my_sessions(StatusFilter::Active)
        .await
        .expect("user's");
    assert!(users.get(&theirs).is_some() && users.get(&mine).is_none());
}

#[tokio::test]
async fn every_page_is_read_and_the_listing_says_it_is_complete() {
    let kit = kit().await;
    let admin = keypair_client(&kit);
    let first = create(&admin, "many").await;
    assert_eq!(kit.control().add_copies(&first, 119).len(), 119);
    // Another user's sessions in between must not count.
    let user = user_client(&kit);
    let other = create(&user, "other").await;
    kit.control().add_copies(&other, 30);

    kit.control().clear_requests();
    let listing = admin.my_sessions(StatusFilter::Active).await.expect("mine");
    assert_eq!(LIST_PAGE_SIZE, 50);
    assert_eq!(listing.items.len(), 120, "all three pages");
    assert_eq!(listing.total_count, 120);
    assert!(listing.complete);
    let ids: std::collections::HashSet<_> = listing.items.iter().map(|s| &s.id).collect();
    assert_eq!(ids.len(), 120, "no duplicates");
    let gql_calls = kit
        .control()
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/admin/gql"))
        .count();
    assert!(gql_calls >= 3, "{gql_calls} GraphQL calls for three pages");

    // A smaller page size reads more pages and finds the same sessions.
    let small = admin
        .list_all_pages(Owner::Mine, StatusFilter::Active, 7)
        .await
        .expect("small pages");
    assert_eq!(small.items.len(), 120);
    assert!(small.complete);
}

#[tokio::test]
async fn statuses_of_26x_and_unknown_ones_arrive_as_they_are() {
    let kit = kit().await;
    let admin = keypair_client(&kit);
    let id = create(&admin, "status").await;
    for (status, phase) in [
        ("PREEMPTED", StatusPhase::Transitional),
        ("RESCHEDULING", StatusPhase::Transitional),
        ("DEPRIORITIZING", StatusPhase::Transitional),
        ("RUNNING_DEGRADED", StatusPhase::Running),
        ("FROBNICATING", StatusPhase::Unknown),
    ] {
        assert!(kit.control().report_status(&id, Some(status)));
        // Every status, unknown ones included, is listed without a status filter.
        let all = admin
            .all_users_sessions(StatusFilter::All)
            .await
            .expect("list");
        let s = all.get(&id).expect("listed");
        assert_eq!(s.status.as_str(), status);
        assert_eq!(s.status.phase(), phase, "{status}");
        // The session's own status says the same.
        let rec = admin.session_status_record(&id).await.expect("record");
        assert_eq!(rec.status.as_str(), status);
        assert!(rec.status.phase().is_alive(), "{status} is not an end");
        if phase != StatusPhase::Unknown {
            // Known 26.x statuses are in the active list too.
            let mine = admin.my_sessions(StatusFilter::Active).await.expect("mine");
            assert_eq!(mine.get(&id).expect("active").status.as_str(), status);
        }
    }
    assert_eq!(
        SessionStatus::parse("FROBNICATING"),
        SessionStatus::Unknown("FROBNICATING".into())
    );
}
