//! `bai-secrets`: where the launcher keeps secret keys, passwords and login-session ids.
//!
//! Secrets live only in a [`SecretStore`] (the OS keyring in the app and CLI) and in memory as
//! [`Secret`], a type that redacts itself everywhere it could be printed or serialized.

pub mod error;
pub mod keyring_store;
pub mod memory;
pub mod secret;
pub mod store;

pub use error::Error;
pub use keyring_store::KeyringStore;
pub use memory::MemoryStore;
pub use secret::{MASK, REDACTED, Secret};
pub use store::{SecretKind, SecretRef, SecretStore};
