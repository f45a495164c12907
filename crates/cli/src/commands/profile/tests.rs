//! In-process tests of every profile command.
