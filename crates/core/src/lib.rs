//! `bai-core`: everything the launcher knows about Backend.AI, with no GUI dependency.
//!
//! - [`deep_link`]: `backendai-launcher:` links, read strictly and resolved to a profile
//! - [`endpoint`]: endpoint URLs and the signed host line
//! - [`signing`]: HMAC-SHA256 request signing (client and server side)
//! - [`version`]: API version negotiation
//! - [`client`]: typed calls over HTTP (keypair and webserver modes)
//! - [`error`]: the crate's one error enum, with stable codes
//! - [`private_fs`]: folders (0700) and files (0600) only this user can reach
//! - [`logging`]: the log filter both front ends use, and the app's private log file
//! - [`resources`]: resource amounts (cpu, mem, ...) checked in one place
//! - [`presets`]: resource presets, their fit, and what one asks a create call for
//! - [`text`]: server text made safe to print on a terminal
//! - [`live`]: the session service a running front end follows (watchers, launches, tunnels)
//! - [`offload`]: blocking calls kept off the async runtime

pub mod account;
pub mod client;
pub mod deep_link;
pub mod endpoint;
pub mod error;
pub mod idle;
pub mod launch;
pub mod live;
pub mod logging;
pub mod offload;
pub mod presets;
pub mod private_fs;
pub mod profile;
pub mod resources;
pub mod signing;
pub mod ssh;
pub mod text;
pub mod version;

pub use endpoint::{Endpoint, EndpointKind};
pub use error::{CredentialKind, Error, Result};
pub use version::ApiVersion;
