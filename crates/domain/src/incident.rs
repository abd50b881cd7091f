//! Incidents: operational failures that affect many customers at once
//! (outage, delay, late delivery, billing error, defective release). Decides
//! whether an incident and the facts known per affected customer are valid,
//! the priority of the cases an incident opens, and how a Prometheus
//! Alertmanager notification maps onto an incident.
//!
//! Severity runs from 1 (minor) to 4 (critical), the same scale as the
//! assessment of a case. The conditions of goodwill rules that react to an
//! incident live in [`crate::goodwill_rule`] (re-exported here).

use crate::Priority;
use crate::case::string_enum;
use crate::error::ValidationError;
use crate::validate::truncate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

string_enum!(
    /// What went wrong.
    IncidentKind, "kind" {
        Outage => "outage",
        Delay => "delay",
        Delivery => "delivery",
        BillingError => "billing_error",
        DefectiveRelease => "defective_release",
        Other => "other",
    }
);

string_enum!(
    /// Where an incident stands.
    IncidentStatus, "status" {
        Open => "open",
        Mitigated => "mitigated",
        Resolved => "resolved",
    }
);

pub const TITLE_MAX: usize = 200;
pub const SUMMARY_MAX: usize = 4000;
pub const LABEL_MAX: usize = 120;

/// Validates a severity: 1 (minor) to 4 (critical).
pub fn parse_severity(value: i64) -> Result<u8, ValidationError> {
    match u8::try_from(value) {
        Ok(s @ 1..=4) => Ok(s),
        _ => Err(ValidationError::new(
            "severity",
            format!("severity must be 1 (minor) to 4 (critical), got {value}"),
        )),
    }
}

/// The priority of the recovery cases an incident opens.
#[must_use]
pub fn priority_for(severity: u8) -> Priority {
    match severity {
        4 => Priority::Urgent,
        3 => Priority::High,
        2 => Priority::Normal,
        _ => Priority::Low,
    }
}

/// A validated incident as entered by a person or a program.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentDraft {
    pub kind: IncidentKind,
    pub title: String,
    pub severity: u8,
    pub controllable: bool,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub component: Option<String>,
    pub release: Option<String>,
    pub summary_de: String,
    pub summary_en: String,
}

impl IncidentDraft {
    /// Checks what fields cannot check alone: the end is not before the start.
    pub fn check(self) -> Result<Self, ValidationError> {
        if let Some(end) = self.ended_at
            && end < self.started_at
        {
            return Err(ValidationError::new(
                "ended_at",
                format!(
                    "ended_at ({}) is before started_at ({})",
                    end.to_rfc3339(),
                    self.started_at.to_rfc3339()
                ),
            ));
        }
        Ok(self)
    }
}

/// Validates a title or label: trimmed, not empty, at most `max` characters.
pub fn required_text(field: &str, raw: &str, max: usize) -> Result<String, ValidationError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(ValidationError::new(field, format!("{field} must not be empty")));
    }
    if t.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    Ok(t.to_string())
}

/// Validates optional text: blank means absent.
pub fn optional_label(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, ValidationError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => required_text(field, s, max).map(Some),
    }
}

/// Parses an RFC 3339 time.
pub fn parse_time(field: &str, raw: &str) -> Result<DateTime<Utc>, ValidationError> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            ValidationError::new(
                field,
                format!(
                    "{field} must be an RFC 3339 time such as `2026-11-24T08:30:00Z`, got `{}` ({e})",
                    truncate(raw, 40)
                ),
            )
        })
}

// ---------------------------------------------------------------- facts

/// One fact about an affected customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Fact {
    Bool(bool),
    Int(i64),
    Num(f64),
    Text(String),
}

impl Fact {
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            #[allow(clippy::cast_precision_loss)]
            Fact::Int(i) => Some(*i as f64),
            Fact::Num(n) => Some(*n),
            Fact::Bool(_) | Fact::Text(_) => None,
        }
    }
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fact::Bool(b) => write!(f, "{b}"),
            Fact::Int(i) => write!(f, "{i}"),
            Fact::Num(n) => write!(f, "{n}"),
            Fact::Text(t) => f.write_str(t),
        }
    }
}

/// The facts of one affected customer, by name.
pub type Facts = BTreeMap<String, Fact>;

/// The facts as people read them: `delay_minutes: 190, order_id: A-17`.
#[must_use]
pub fn facts_line(facts: &Facts) -> String {
    facts
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub const MAX_FACTS: usize = 20;
pub const FACT_TEXT_MAX: usize = 200;

/// Facts with a fixed type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FactType {
    /// Whole number ≥ 0.
    Count,
    /// Number ≥ 0.
    Amount,
    Text,
}

fn known_type(name: &str) -> Option<FactType> {
    match name {
        "delay_minutes" | "downtime_minutes" | "items" => Some(FactType::Count),
        "amount" => Some(FactType::Amount),
        "order_id" | "flight" | "booking_id" | "invoice_id" => Some(FactType::Text),
        _ => None,
    }
}

pub(crate) fn check_name(name: &str) -> Result<(), ValidationError> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(
            "facts",
            format!(
                "fact name `{}` must be 1–40 characters a–z, 0–9 or _ and start with a letter",
                truncate(name, 40)
            ),
        ))
    }
}

fn typed(name: &str, fact: Fact) -> Result<Fact, ValidationError> {
    let field = format!("facts.{name}");
    let wrong = |what: &str| {
        ValidationError::new(
            field.clone(),
            format!("{field} must be {what}, got `{}`", truncate(&fact.to_string(), 40)),
        )
    };
    let fact = match (known_type(name), &fact) {
        (Some(FactType::Count), Fact::Int(i)) if *i >= 0 => fact,
        (Some(FactType::Count), Fact::Num(n)) if *n >= 0.0 && n.fract() == 0.0 && *n < 9.0e15 =>
        {
            #[allow(clippy::cast_possible_truncation)]
            Fact::Int(*n as i64)
        }
        (Some(FactType::Count), _) => return Err(wrong("a whole number ≥ 0")),
        (Some(FactType::Amount), f) if f.as_f64().is_some_and(|v| v >= 0.0 && v.is_finite()) => fact,
        (Some(FactType::Amount), _) => return Err(wrong("a number ≥ 0")),
        (Some(FactType::Text), Fact::Text(_)) => fact,
        (Some(FactType::Text), Fact::Int(i)) => Fact::Text(i.to_string()),
        (Some(FactType::Text), _) => return Err(wrong("text")),
        (None, Fact::Num(n)) if !n.is_finite() => return Err(wrong("a finite number")),
        (None, _) => fact,
    };
    if let Fact::Text(t) = &fact
        && t.chars().count() > FACT_TEXT_MAX
    {
        return Err(ValidationError::new(
            field.clone(),
            format!("{field} must be at most {FACT_TEXT_MAX} characters"),
        ));
    }
    Ok(fact)
}

/// Validates facts given as a JSON object: names, scalar values, known types.
pub fn facts_from_json(value: &serde_json::Value) -> Result<Facts, ValidationError> {
    let obj = match value {
        serde_json::Value::Null => return Ok(Facts::new()),
        serde_json::Value::Object(o) => o,
        _ => {
            return Err(ValidationError::new(
                "facts",
                "facts must be an object such as {\"delay_minutes\": 190, \"order_id\": \"A-17\"}",
            ));
        }
    };
    if obj.len() > MAX_FACTS {
        return Err(ValidationError::new(
            "facts",
            format!("at most {MAX_FACTS} facts per customer"),
        ));
    }
    let mut out = Facts::new();
    for (name, v) in obj {
        check_name(name)?;
        let fact = match v {
            serde_json::Value::Null => continue,
            serde_json::Value::Bool(b) => Fact::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Fact::Int(i),
                None => Fact::Num(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Fact::Text(s.clone()),
            _ => {
                return Err(ValidationError::new(
                    format!("facts.{name}"),
                    format!("facts.{name} must be a number, text or true/false, not a list or object"),
                ));
            }
        };
        out.insert(name.clone(), typed(name, fact)?);
    }
    Ok(out)
}

/// Validates a fact given as text (a CSV cell); blank means absent.
pub fn fact_from_text(name: &str, raw: &str) -> Result<Option<Fact>, ValidationError> {
    check_name(name)?;
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let fact = match known_type(name) {
        Some(FactType::Text) => Fact::Text(s.to_string()),
        Some(_) => match (s.parse::<i64>(), s.parse::<f64>()) {
            (Ok(i), _) => Fact::Int(i),
            (_, Ok(n)) => Fact::Num(n),
            _ => Fact::Text(s.to_string()),
        },
        None => match (s.parse::<i64>(), s.parse::<f64>(), s) {
            (Ok(i), _, _) => Fact::Int(i),
            (_, Ok(n), _) if n.is_finite() => Fact::Num(n),
            (_, _, "true") => Fact::Bool(true),
            (_, _, "false") => Fact::Bool(false),
            _ => Fact::Text(s.to_string()),
        },
    };
    typed(name, fact).map(Some)
}

// ---------------------------------------------------------------- Alertmanager

/// The webhook body of Prometheus Alertmanager (version 4).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerPayload {
    pub version: String,
    pub group_key: String,
    pub status: String,
    #[serde(default)]
    pub receiver: String,
    #[serde(default)]
    pub group_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_annotations: BTreeMap<String, String>,
    #[serde(default, rename = "externalURL")]
    pub external_url: String,
    pub alerts: Vec<Alert>,
}

/// One alert of an Alertmanager notification.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub status: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub starts_at: String,
    #[serde(default)]
    pub ends_at: String,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: String,
    #[serde(default)]
    pub fingerprint: String,
}

/// An incident derived from an Alertmanager notification.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertIncident {
    /// Alertmanager's `groupKey`: repeated notifications of one group update one incident.
    pub group_key: String,
    pub draft: IncidentDraft,
    /// `resolved` notifications mark the incident mitigated; people resolve it.
    pub firing: bool,
}

/// The Alertmanager `severity` label as 1–4.
fn severity_label(s: Option<&String>) -> u8 {
    match s.map(|s| s.to_ascii_lowercase()).as_deref() {
        Some("critical" | "page" | "emergency") => 4,
        Some("warning" | "warn" | "minor") => 2,
        Some("info" | "informational" | "none") => 1,
        _ => 3,
    }
}

/// Maps an Alertmanager notification onto an incident (see docs/INCIDENTS.md).
pub fn from_alertmanager(p: &AlertmanagerPayload) -> Result<AlertIncident, ValidationError> {
    if p.version != "4" {
        return Err(ValidationError::new(
            "version",
            format!(
                "expected an Alertmanager webhook payload of version \"4\", got \"{}\"",
                truncate(&p.version, 20)
            ),
        ));
    }
    let group_key = required_text("groupKey", &p.group_key, 1000)?;
    let firing = match p.status.as_str() {
        "firing" => true,
        "resolved" => false,
        other => {
            return Err(ValidationError::new(
                "status",
                format!("status must be `firing` or `resolved`, got `{}`", truncate(other, 20)),
            ));
        }
    };
    if p.alerts.is_empty() {
        return Err(ValidationError::new("alerts", "alerts must list at least one alert"));
    }
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    for (i, a) in p.alerts.iter().enumerate() {
        starts.push(parse_time(&format!("alerts[{i}].startsAt"), &a.starts_at)?);
        // Alertmanager sends 0001-01-01T00:00:00Z for "no end yet".
        if !a.ends_at.is_empty()
            && let Ok(t) = parse_time(&format!("alerts[{i}].endsAt"), &a.ends_at)
            && t.timestamp() > 0
        {
            ends.push(t);
        }
    }
    let label = |k: &str| {
        p.common_labels
            .get(k)
            .or_else(|| p.group_labels.get(k))
            .or_else(|| p.alerts.first().and_then(|a| a.labels.get(k)))
    };
    let annotation = |k: &str| {
        p.common_annotations
            .get(k)
            .or_else(|| p.alerts.first().and_then(|a| a.annotations.get(k)))
            .filter(|s| !s.trim().is_empty())
    };
    let kind = match label("incident_kind") {
        Some(k) => k.parse::<IncidentKind>()?,
        None => IncidentKind::Outage,
    };
    let title_src = annotation("summary")
        .or_else(|| label("alertname"))
        .cloned()
        .unwrap_or_else(|| "Alert".to_string());
    let title = truncate(title_src.trim(), TITLE_MAX);
    let description = annotation("description").cloned().unwrap_or_default();
    let summary_en = annotation("summary_en").cloned().unwrap_or(description);
    let summary_de = annotation("summary_de").cloned().unwrap_or_default();
    let started_at = starts.iter().min().copied().unwrap_or_default();
    let ended_at = if firing { None } else { ends.iter().max().copied() };
    let component = label("component").or_else(|| label("service")).or_else(|| label("job"));
    let draft = IncidentDraft {
        kind,
        title: required_text("title", &title, TITLE_MAX)?,
        severity: severity_label(label("severity")),
        controllable: label("controllable").is_none_or(|v| v != "false"),
        started_at,
        ended_at: ended_at.filter(|e| *e >= started_at),
        component: optional_label("component", component.map(String::as_str), LABEL_MAX)?,
        release: optional_label("release", label("release").map(String::as_str), LABEL_MAX)?,
        summary_de: truncate(summary_de.trim(), SUMMARY_MAX),
        summary_en: truncate(summary_en.trim(), SUMMARY_MAX),
    };
    Ok(AlertIncident {
        group_key,
        draft,
        firing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_typed() {
        let f =
            facts_from_json(&serde_json::json!({"delay_minutes": 190, "order_id": 17, "gate": "B4"})).expect("valid");
        assert_eq!(f["delay_minutes"], Fact::Int(190));
        assert_eq!(f["order_id"], Fact::Text("17".into()));
        assert_eq!(facts_line(&f), "delay_minutes: 190, gate: B4, order_id: 17");
        let e = facts_from_json(&serde_json::json!({"delay_minutes": "late"})).expect_err("text");
        assert_eq!(e.field, "facts.delay_minutes");
        assert!(facts_from_json(&serde_json::json!({"delay_minutes": -5})).is_err());
        assert!(facts_from_json(&serde_json::json!({"x": [1]})).is_err());
        assert!(facts_from_json(&serde_json::json!([1])).is_err());
        assert_eq!(
            fact_from_text("delay_minutes", " 200 ").expect("ok"),
            Some(Fact::Int(200))
        );
        assert_eq!(fact_from_text("amount", "12.50").expect("ok"), Some(Fact::Num(12.5)));
        assert_eq!(fact_from_text("amount", "").expect("ok"), None);
        assert!(fact_from_text("delay_minutes", "3h").is_err());
        assert!(fact_from_text("amount", "-1").is_err());
    }

    fn alert_payload(status: &str) -> AlertmanagerPayload {
        serde_json::from_value(serde_json::json!({
            "version": "4",
            "groupKey": "{}:{alertname=\"CheckoutDown\"}",
            "status": status,
            "receiver": "amends",
            "groupLabels": {"alertname": "CheckoutDown"},
            "commonLabels": {"alertname": "CheckoutDown", "severity": "critical", "service": "checkout"},
            "commonAnnotations": {"summary": "Checkout unavailable", "summary_de": "Der Checkout war nicht erreichbar."},
            "externalURL": "http://alertmanager:9093",
            "alerts": [{
                "status": status,
                "labels": {"alertname": "CheckoutDown"},
                "annotations": {},
                "startsAt": "2026-11-24T08:00:00Z",
                "endsAt": if status == "resolved" { "2026-11-24T09:30:00Z" } else { "0001-01-01T00:00:00Z" },
                "generatorURL": "http://prometheus/graph",
                "fingerprint": "abc"
            }]
        }))
        .expect("payload")
    }

    #[test]
    fn alertmanager_maps_onto_an_incident() {
        let a = from_alertmanager(&alert_payload("firing")).expect("valid");
        assert!(a.firing);
        assert_eq!(a.draft.title, "Checkout unavailable");
        assert_eq!(a.draft.severity, 4);
        assert_eq!(a.draft.kind, IncidentKind::Outage);
        assert_eq!(a.draft.component.as_deref(), Some("checkout"));
        assert_eq!(a.draft.ended_at, None);
        assert_eq!(a.draft.summary_de, "Der Checkout war nicht erreichbar.");
        let r = from_alertmanager(&alert_payload("resolved")).expect("valid");
        assert!(!r.firing);
        assert_eq!(r.group_key, a.group_key);
        assert!(r.draft.ended_at.is_some());
        let mut bad = alert_payload("firing");
        bad.version = "3".into();
        assert_eq!(from_alertmanager(&bad).expect_err("v3").field, "version");
        let mut bad = alert_payload("firing");
        bad.alerts.clear();
        assert_eq!(from_alertmanager(&bad).expect_err("none").field, "alerts");
        let mut bad = alert_payload("firing");
        bad.alerts[0].starts_at = "yesterday".into();
        assert_eq!(from_alertmanager(&bad).expect_err("time").field, "alerts[0].startsAt");
    }

    #[test]
    fn severity_and_priority() {
        assert!(parse_severity(0).is_err());
        assert!(parse_severity(5).is_err());
        assert_eq!(priority_for(parse_severity(4).expect("ok")), Priority::Urgent);
        assert_eq!(priority_for(1), Priority::Low);
    }
}
