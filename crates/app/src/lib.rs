//! The use cases of amends: every action that a person (web UI), a program
//! (REST API), the CLI or a background job takes — open and move cases,
//! ingest feedback and mail, grant goodwill, recover proactively from
//! incidents, follow up, search solutions — with [`AppError`] as their one
//! error type. No HTTP and no page templates: the web crate adapts these
//! functions to routes, the CLI to commands.
//!
//! Every use case takes the [`App`] (store, clock, configuration, text
//! analyser, mailer) as its first argument; time comes from its clock.

pub mod analysis;
pub mod analytics;
pub mod case_merge;
pub mod cases;
pub mod clock;
pub mod config;
pub mod corrections;
pub mod csv_source;
pub mod customer_merge;
pub mod delivery;
pub mod detection;
pub mod detection_rules;
pub mod error;
pub mod fair;
pub mod followup;
pub mod goodwill;
pub mod goodwill_rules;
pub mod imap;
pub mod import;
pub mod incidents;
pub mod insights;
pub mod jobs;
pub mod mail;
pub mod mailin;
pub mod outbound;
pub mod overview;
pub mod panel;
pub mod password;
pub mod playbooks;
pub mod privacy;
pub mod quarantine;
pub mod retention;
pub mod routing;
pub mod search;
pub mod secret;
pub mod self_service;
pub mod service;
pub mod sla;
pub mod solutions;
mod state;
pub mod templates;
pub mod text_models;
pub mod tier_offers;
pub mod training;
pub mod webhooks;
pub mod widget_sites;
pub mod worker;

pub use clock::Clock;
pub use config::{Config, Overrides};
pub use error::{AppError, AppResult};
pub use state::App;
