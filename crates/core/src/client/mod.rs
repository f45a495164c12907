//! Typed calls over HTTP, in keypair (HMAC) and webserver (login session) modes.
//!
//! - [`config`]: what a client is built from ([`ClientConfig`], [`Credentials`])
//! - [`api`]: the [`Client`], request signing, version negotiation
//! - [`detect`](mod@detect): API or webserver?
//! - [`sessions`], [`graphql`], [`resources`], [`webserver`]: the calls
//! - [`events`], [`follow`]: session events (SSE) and following a session to RUNNING
//! - [`event_cap`]: the size cap on one event of that stream
//! - [`websocket`]: the signed upgrade request of the app tunnel
//! - [`tls`]: a profile's TLS settings as one rustls config, and TLS failures as [`Error::Tls`](crate::Error::Tls)
//! - [`problem`], [`body`], [`transport`]: error mapping and body limits
//! - [`types`], [`status`], [`name`]: wire types, session statuses, the session-name rule

pub mod api;
pub mod body;
pub mod config;
pub mod detect;
pub mod event_cap;
pub mod events;
pub mod follow;
pub mod graphql;
pub mod listing;
pub mod name;
pub mod problem;
pub mod resources;
pub mod sessions;
pub mod ssh;
pub mod status;
pub mod tls;
mod transport;
pub mod types;
pub mod webserver;
pub mod websocket;

pub use api::{Client, ServerInfo};
pub use config::{ClientConfig, Credentials, FollowOptions, TlsOptions};
pub use detect::{Detected, detect, detect_with};
pub use events::{SessionEvent, SessionEventKind, SessionEventStream, parse_session_events};
pub use follow::{SessionUpdate, SessionUpdateStream, UpdateSource};
pub use graphql::SessionStatusRecord;
pub use listing::{Absence, LIST_PAGE_SIZE, Owner, SessionListing};
pub use name::validate_session_name;
pub use problem::{AuthMode, ErrorContext, Problem, map_error_response};
pub use status::{SessionStatus, StatusPhase};
pub use tls::{rustls_config, tls_failure};
pub use types::*;
pub use webserver::{LoginCheck, LoginOptions, LoginOutcome, login};
pub use websocket::{ProxyKind, WsRequest};
