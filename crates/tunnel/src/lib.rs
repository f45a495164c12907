//! Local tunnel: see the crate description.
