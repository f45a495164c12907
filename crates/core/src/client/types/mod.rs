//! Wire types of the calls (serde), grouped by concern.

pub mod image;
pub mod json_string;
pub mod resource;
pub mod session;
pub mod user;

pub use image::{Image, ImageLabel, ResourceLimit, ServicePortDef};
pub use resource::{CheckPresets, PresetAvailability, ResourceGroup, ResourcePreset, VFolder};
pub use session::{
    AppInfo, CreateSession, CreatedSession, ListSessions, ServicePort, SessionInfo, SessionPage,
    SessionSummary, SessionType, StatusFilter,
};
pub use user::{CurrentKeypair, CurrentUser, ProjectRef, Roles};
