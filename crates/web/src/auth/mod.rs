//! Authentication (bearer tokens, login sessions) and authorisation (roles).

pub mod extract;
pub mod permissions;

pub use extract::{Actor, AuthVia, Ctx};
