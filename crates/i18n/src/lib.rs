//! Language of amends: the Fluent catalogues (de, en), numbers, money and
//! durations per locale, and the template engine that pages and mails share.
//! No I/O beyond the catalogues and templates embedded at compile time.

pub mod catalog;
pub mod format;
pub mod reasons;
pub mod renderer;

pub use catalog::I18n;
pub use fluent_bundle::FluentValue;
pub use renderer::Renderer;
