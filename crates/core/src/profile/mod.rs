//! Profiles: one per Backend.AI account on an endpoint. Stored without secrets (those live in
//! the OS keyring, keyed by the profile's stable id) in a versioned TOML file.
//!
//! - [`model`]: the profile record and its parts
//! - [`file`]: the on-disk format, tolerant of one bad entry
//! - [`store`]: locked, atomic reads and writes of the file
//! - [`paths`]: where the file lives
//! - [`edit`]: what an edit keeps and what it clears (both front ends)
//! - [`orphans`]: which keyring secrets no profile in any known config dir uses
//! - [`transfer`]: import from the official client's files and variables; the export document

pub mod edit;
pub mod file;
pub mod model;
pub mod orphans;
pub mod paths;
pub mod store;
pub mod transfer;

pub use edit::{Edited, ProfilePatch, edit_profile};
pub use file::LoadReport;
pub use model::{LaunchPreset, Profile, ProfileDraft, TlsSettings, normalize_name};
pub use orphans::{KnownDirs, OrphanReport, SecretUser, clean_orphans, find_orphans};
pub use paths::config_dir;
pub use store::ProfileStore;
