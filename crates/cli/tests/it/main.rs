//! The one integration-test binary of amends: storage suite, HTTP API,
//! UI over HTTP and CLI — on SQLite and on PostgreSQL.

mod support;

mod analytics;
mod api;
mod attach;
mod auth;
mod backup;
mod charts;
mod churn;
mod cli;
mod concurrency;
mod corrections;
mod crash;
mod customer360;
mod customer_forms;
mod customer_merge;
mod detection;
mod error_pages;
mod followup;
mod german_pages;
mod goodwill;
mod goodwill_reasons;
mod imap;
mod imports;
mod inbox;
mod incidents;
mod mailin;
mod outbound;
mod patterns;
mod playbooks;
mod privacy;
mod quarantine;
mod reliability;
mod retention;
mod routing;
mod search;
mod sla;
mod solutions;
mod storage;
mod templates;
mod tidy;
mod timeline;
mod training;
mod ui;
mod widget;
