//! Secrets: see the crate description.
