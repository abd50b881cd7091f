//! Authentication (bearer tokens, login sessions) and authorisation (roles).

pub mod extract;

pub use extract::{Actor, AuthVia};
