//! Authentication (bearer tokens, login sessions) and authorisation (roles).

pub mod extract;
pub mod password;
pub mod secret;
pub mod throttle;

pub use extract::{Actor, AuthVia};
