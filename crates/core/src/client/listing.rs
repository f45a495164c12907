//! "My sessions": the caller's own sessions, every page. The one place that decides whose
//! sessions a list holds and whether it is complete, for the CLI, the app's watcher, tray and
//! session list alike.
//!
//! An admin's unscoped `compute_session_list` holds every user's sessions, so the caller's own
//! list is filtered by their access key. A list is only `complete` when every page was read
//! and the total did not move while reading: a session missing from an incomplete list may
//! simply be on a page that was not read, and must never be taken for ended.

use std::collections::HashSet;

use serde::Serialize;

use super::api::Client;
use super::config::Credentials;
use super::graphql::SessionStatusRecord;
use super::status::StatusPhase;
use super::types::{ListSessions, SessionSummary, StatusFilter};
use crate::error::{Error, Result};

/// Page size of the listing (the manager's and the web UI's usual page).
pub const LIST_PAGE_SIZE: u32 = 50;
/// Past this many pages the listing stops and says it is incomplete.
pub const LIST_MAX_PAGES: u32 = 200;

/// Whose sessions to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The caller's own (filtered by their access key).
    Mine,
    /// Every user's the caller may see (an admin sees everyone's; others only their own).
    AllUsers,
}

/// Sessions from every page of `compute_session_list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionListing {
    pub items: Vec<SessionSummary>,
    /// The server's count for the query.
    pub total_count: u64,
    /// Every page was read and the list did not change while it was read. Only a complete
    /// listing may be used to conclude that a missing session is gone.
    pub complete: bool,
}

impl SessionListing {
    /// The session with this id, if listed.
    pub fn get(&self, id: &str) -> Option<&SessionSummary> {
        self.items.iter().find(|s| s.id == id)
    }

    /// Of the `known` session ids, those this listing no longer holds. Only a complete listing
    /// can tell: an incomplete one answers none (a session may sit on a page not read). Each
    /// one found is still only a candidate: ask the session itself ([`Absence::judge`]).
    pub fn missing<'a>(&self, known: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
        if !self.complete {
            return Vec::new();
        }
        known
            .into_iter()
            .filter(|id| self.get(id).is_none())
            .collect()
    }
}

/// What a session missing from a complete listing turned out to be, from its own status.
#[derive(Debug, Clone, PartialEq)]
pub enum Absence {
    /// Its own status is an end (TERMINATED, CANCELLED, ERROR), or the server no longer knows it.
    Ended,
    /// It is still there, in a status the list did not ask for (e.g. one this client does not
    /// know): keep it, show this status.
    Alive(SessionStatusRecord),
    /// Its status could not be read: conclude nothing, try again later.
    Unsure,
}

impl Absence {
    /// Judge a `compute_session` lookup ([`Client::session_status_record`]).
    pub fn judge(lookup: &Result<SessionStatusRecord>) -> Absence {
        match lookup {
            Ok(rec) if rec.status.phase() == StatusPhase::Ended => Absence::Ended,
            Ok(rec) => Absence::Alive(rec.clone()),
            Err(Error::NotFound { .. }) => Absence::Ended,
            Err(_) => Absence::Unsure,
        }
    }
}

impl Client {
    /// The caller's own sessions, all pages (what `bai sessions`, the app's session list, its
    /// watcher and its tray show).
    pub async fn my_sessions(&self, status: StatusFilter) -> Result<SessionListing> {
        self.list_all_pages(Owner::Mine, status, LIST_PAGE_SIZE)
            .await
    }

    /// Every user's sessions the caller may see, all pages (`bai sessions --all`).
    pub async fn all_users_sessions(&self, status: StatusFilter) -> Result<SessionListing> {
        self.list_all_pages(Owner::AllUsers, status, LIST_PAGE_SIZE)
            .await
    }

    /// The caller's access key: the keypair's own in keypair mode, else the server's answer.
    pub async fn own_access_key(&self) -> Result<String> {
        if let Credentials::Keypair { access_key, .. } = self.credentials() {
            return Ok(access_key.clone());
        }
        Ok(self.current_keypair().await?.access_key)
    }

    /// Whether the session (by id) is the caller's own. An admin can see, and could end,
    /// other users' sessions; the app acts only on the caller's own.
    pub async fn is_own_session(&self, session_id: &str) -> Result<bool> {
        let rec = self.session_status_record(session_id).await?;
        let mine = self.own_access_key().await?;
        Ok(rec.access_key.as_deref() == Some(mine.as_str()))
    }

    /// Read every page of a listing (`page_size` per page). When the total moves while the
    /// pages are read (a session started or ended in between), the listing is read once more;
    /// if it moves again, the result says `complete: false`.
    pub async fn list_all_pages(
        &self,
        owner: Owner,
        status: StatusFilter,
        page_size: u32,
    ) -> Result<SessionListing> {
        let access_key = match owner {
            Owner::Mine => Some(self.own_access_key().await?),
            Owner::AllUsers => None,
        };
        let page_size = page_size.max(1);
        let mut last = None;
        for _ in 0..2 {
            let listing = self
                .read_pages(&status, access_key.clone(), page_size)
                .await?;
            if listing.complete {
                return Ok(listing);
            }
            last = Some(listing);
        }
        Ok(last.unwrap_or(SessionListing {
            items: Vec::new(),
            total_count: 0,
            complete: false,
        }))
    }

    async fn read_pages(
        &self,
        status: &StatusFilter,
        access_key: Option<String>,
        page_size: u32,
    ) -> Result<SessionListing> {
        let mut items: Vec<SessionSummary> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut total: Option<u64> = None;
        let mut stable = true;
        let mut offset = 0u32;
        for _ in 0..LIST_MAX_PAGES {
            let page = self
                .list_sessions(&ListSessions {
                    status: status.clone(),
                    limit: page_size,
                    offset,
                    group_id: None,
                    access_key: access_key.clone(),
                })
                .await?;
            if total.is_some_and(|t| t != page.total_count) {
                stable = false;
            }
            total = Some(page.total_count);
            let got = page.items.len();
            for s in page.items {
                if seen.insert(s.id.clone()) {
                    items.push(s);
                }
            }
            offset = offset.saturating_add(page_size);
            if got == 0 || u64::from(offset) >= page.total_count {
                let total_count = page.total_count;
                let complete = stable && items.len() as u64 == total_count;
                return Ok(SessionListing {
                    items,
                    total_count,
                    complete,
                });
            }
        }
        Ok(SessionListing {
            items,
            total_count: total.unwrap_or(0),
            complete: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::SessionStatus;

    fn listing(ids: &[&str], complete: bool) -> SessionListing {
        let items = ids
            .iter()
            .map(|id| {
                serde_json::from_value(
                    serde_json::json!({"id": id, "name": id, "status": "RUNNING"}),
                )
                .expect("summary")
            })
            .collect();
        SessionListing {
            items,
            total_count: 200,
            complete,
        }
    }

    fn record(status: &str) -> Result<SessionStatusRecord> {
        Ok(SessionStatusRecord {
            id: "a".into(),
            name: None,
            status: SessionStatus::parse(status),
            status_info: None,
            access_key: None,
        })
    }

    #[test]
    fn only_a_complete_listing_names_missing_sessions() {
        let known = ["a", "b", "c"];
        assert_eq!(listing(&["a"], true).missing(known), ["b", "c"]);
        assert!(listing(&["a"], false).missing(known).is_empty());
        assert!(listing(&["a", "b", "c"], true).missing(known).is_empty());
    }

    #[test]
    fn a_missing_session_ends_only_by_its_own_status() {
        for ended in ["TERMINATED", "CANCELLED", "ERROR"] {
            assert_eq!(Absence::judge(&record(ended)), Absence::Ended, "{ended}");
        }
        for alive in [
            "PREEMPTED",
            "RESCHEDULING",
            "DEPRIORITIZING",
            "RUNNING_DEGRADED",
            "FROBNICATING",
            "TERMINATING",
        ] {
            assert!(
                matches!(Absence::judge(&record(alive)), Absence::Alive(r) if r.status.as_str() == alive),
                "{alive}"
            );
        }
        let gone = Err(Error::NotFound {
            detail: "no such session".into(),
        });
        assert_eq!(Absence::judge(&gone), Absence::Ended);
        let failed = Err(Error::InvalidResponse {
            detail: "garbled".into(),
        });
        assert_eq!(Absence::judge(&failed), Absence::Unsure);
    }
}
