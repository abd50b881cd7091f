//! One case as an anonymised case study: the situation, what was done (the
//! timeline in days since the case was opened), the outcome and 2–4
//! questions for discussion chosen by the case's features; as JSON, page
//! and Markdown.

use super::anonymise::{Anonymiser, Words, round_euros};
use super::{TrainingOutcome, classify};
use crate::error::AppResult;
use crate::state::App;
use amends_domain::{CaseId, Language};
use amends_i18n::FluentValue;
use amends_i18n::catalog::I18n;
use amends_i18n::format::human_duration;
use amends_store::{CaseEvent, EventKind, GrantFilter, TrainingFacts};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What failed and how the customer put it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Situation {
    pub channel: String,
    pub tier: String,
    pub severity: Option<i32>,
    pub repeat_failure: bool,
    /// The case's subject, anonymised.
    pub subject: String,
    /// The customer's words (the description and their messages), anonymised.
    pub customer_words: Vec<String>,
}

/// One thing that happened, relative to the opening of the case.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Step {
    /// 1 = the first 24 hours after the case was opened.
    pub day: i64,
    /// "Tag 1, nach 2 h 15 min".
    pub when: String,
    /// A pseudonym ("Agent 1", "Kund:in A") or "System".
    pub who: String,
    pub what: String,
    /// Anonymised text, if the step has one.
    pub text: Option<String>,
}

/// How it ended.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ending {
    pub outcome: Option<TrainingOutcome>,
    /// The outcome in words.
    pub summary: String,
    pub survey_score: Option<i32>,
    pub reopened: bool,
    /// The customer is still a customer (no churn after the case was opened).
    pub retained: bool,
    /// Goodwill granted, rounded (5 € below 100 €, else 10 €).
    pub goodwill_euros: i64,
    /// "ca. 50 €" / "about €50".
    pub goodwill: String,
    /// From opening to resolution, e.g. "2 d 4 h".
    pub resolved_after: String,
    /// The first reply came after its target.
    pub first_reply_late: bool,
}

/// An anonymised case study.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseStudy {
    /// The case (the study's address; the customer is not named anywhere).
    pub id: uuid::Uuid,
    pub title: String,
    pub situation: Situation,
    pub steps: Vec<Step>,
    pub ending: Ending,
    /// 2–4 questions for discussion.
    pub questions: Vec<String>,
}

/// The anonymiser's words from the catalogue.
#[must_use]
pub fn words(i18n: &I18n, lang: Language) -> Words {
    let t = |k: &str| i18n.t(lang, k, &[]);
    Words {
        lang,
        customer: t("training-anon-customer"),
        agent: t("training-anon-agent"),
        email: t("training-anon-email"),
        phone: t("training-anon-phone"),
        link: t("training-anon-link"),
        id: t("training-anon-id"),
        order: t("training-anon-order"),
        date: t("training-anon-date"),
        about: t("training-anon-about"),
    }
}

fn when(i18n: &I18n, lang: Language, start: DateTime<Utc>, at: DateTime<Utc>) -> (i64, String) {
    let secs = (at - start).num_seconds().max(0);
    let day = secs / 86_400 + 1;
    let text = if secs < 60 {
        i18n.t(lang, "training-when-start", &[("day", day.into())])
    } else {
        let elapsed = human_duration(secs);
        i18n.t(
            lang,
            "training-when",
            &[("day", day.into()), ("elapsed", FluentValue::from(elapsed))],
        )
    };
    (day, text)
}

/// The questions for discussion: one about the outcome, then by feature
/// (severe, late first reply, repeat failure, reopened, churn, goodwill or
/// none on a failure), at most 4, at least 2.
#[must_use]
pub fn question_keys(outcome: Option<TrainingOutcome>, f: &TrainingFacts) -> Vec<&'static str> {
    let late = f.first_responded_at.is_some_and(|at| at > f.first_response_due_at);
    let churned = f.churned_at.is_some_and(|at| at >= f.created_at);
    let mut keys = vec![match outcome {
        Some(TrainingOutcome::Best) => "training-q-best",
        Some(TrainingOutcome::Failed) => "training-q-failed",
        None => "training-q-other",
    }];
    let features = [
        (f.severity.is_some_and(|s| s >= 3), "training-q-severe"),
        (late, "training-q-late"),
        (f.repeat_failure == Some(true), "training-q-repeat"),
        (f.reopened > 0, "training-q-reopened"),
        (churned, "training-q-churned"),
        (f.goodwill_cents > 0, "training-q-goodwill"),
        (
            f.goodwill_cents == 0 && outcome == Some(TrainingOutcome::Failed),
            "training-q-no-goodwill",
        ),
    ];
    keys.extend(features.iter().filter(|(on, _)| *on).map(|(_, k)| *k).take(3));
    if keys.len() < 2 {
        keys.push("training-q-explain");
    }
    keys
}

/// The step of one timeline event, if it belongs in a case study.
fn event_step(
    i18n: &I18n,
    lang: Language,
    anon: &Anonymiser,
    who_system: &str,
    start: DateTime<Utc>,
    e: &CaseEvent,
) -> Option<Step> {
    let agent = || {
        e.author_name
            .as_deref()
            .map_or(who_system.to_string(), |n| anon.agent(n))
    };
    let text = e.body.as_deref().filter(|b| !b.trim().is_empty()).map(|b| anon.text(b));
    let label = |k: &str| i18n.t(lang, &format!("event-{k}"), &[]);
    let (who, what, text) = match e.kind {
        EventKind::MessageIn => (anon.customer().to_string(), label("message_in"), text),
        EventKind::MessageOut | EventKind::Note => (agent(), label(e.kind.as_str()), text),
        EventKind::StateChange => {
            let to = e.data_json()["to"].as_str().unwrap_or_default().to_string();
            let what = format!(
                "{}: {}",
                label("state_change"),
                i18n.t(lang, &format!("state-{to}"), &[])
            );
            (agent(), what, text)
        }
        EventKind::Assignment
        | EventKind::Solution
        | EventKind::Sla
        | EventKind::DeliveryFailed
        | EventKind::Split
        | EventKind::Merge
        | EventKind::Playbook => (agent(), label(e.kind.as_str()), None),
        EventKind::SurveyAnswered => {
            let score = e.data_json()["score"].as_i64().unwrap_or_default();
            let what = i18n.t(lang, "training-step-survey", &[("score", score.into())]);
            (anon.customer().to_string(), what, text)
        }
        EventKind::Created
        | EventKind::Update
        | EventKind::FollowUp
        | EventKind::Goodwill
        | EventKind::FairExpectation => return None,
    };
    let (day, when) = when(i18n, lang, start, e.created_at);
    Some(Step {
        day,
        when,
        who,
        what,
        text,
    })
}

/// The case study of a case that is no longer open, in `lang`.
pub async fn study(app: &App, i18n: &I18n, lang: Language, id: CaseId) -> AppResult<CaseStudy> {
    let store = app.store();
    let facts = store.training_facts_of(id).await?;
    let case = store.get_case(id).await?;
    let customer = store.get_customer(case.customer_id).await?;
    let events = store.list_events(id).await?;
    let grants = store
        .list_grants(&GrantFilter {
            case_id: Some(id),
            limit: 1_000,
            ..GrantFilter::default()
        })
        .await?;
    let mut agents: Vec<String> = events
        .iter()
        .filter(|e| e.author_id.is_some())
        .filter_map(|e| e.author_name.clone())
        .collect();
    agents.extend(case.assignee_name.clone());
    agents.extend(grants.iter().rev().map(|g| g.requested_by_name.clone()));
    agents.extend(grants.iter().rev().filter_map(|g| g.decided_by_name.clone()));
    let mut anon = Anonymiser::new(words(i18n, lang), &customer.name, &agents);
    let w = anon.words().clone();
    for (secret, with) in [
        (customer.email.as_deref(), &w.email),
        (customer.external_id.as_deref(), &w.id),
    ] {
        if let Some(secret) = secret {
            anon = anon.hide(secret, with);
        }
    }
    let system = i18n.t(lang, "training-who-system", &[]);
    let start = case.created_at;
    let mut steps: Vec<(DateTime<Utc>, Step)> = events
        .iter()
        .filter_map(|e| Some((e.created_at, event_step(i18n, lang, &anon, &system, start, e)?)))
        .collect();
    for g in grants
        .iter()
        .filter(|g| g.granted_at.is_some() || g.decided_at.is_none())
    {
        let at = g.granted_at.unwrap_or(g.created_at);
        let (day, when) = when(i18n, lang, start, at);
        let kind = i18n.t(lang, &format!("goodwill-kind-{}", g.kind.as_str()), &[]);
        let amount = anon.words().amount(round_euros(g.value_cents));
        let key = if g.granted_at.is_some() {
            "training-step-goodwill"
        } else {
            "training-step-goodwill-requested"
        };
        let what = i18n.t(
            lang,
            key,
            &[("kind", FluentValue::from(kind)), ("amount", FluentValue::from(amount))],
        );
        let text = Some(anon.text(&g.reason)).filter(|t| !t.trim().is_empty());
        let who = anon.agent(&g.requested_by_name);
        steps.push((
            at,
            Step {
                day,
                when,
                who,
                what,
                text,
            },
        ));
    }
    steps.sort_by_key(|(at, _)| *at);
    let outcome = classify(&facts);
    let mut customer_words = vec![anon.text(&case.description)];
    customer_words.extend(
        events
            .iter()
            .filter(|e| e.kind == EventKind::MessageIn)
            .filter_map(|e| e.body.as_deref())
            .map(|b| anon.text(b)),
    );
    customer_words.retain(|w| !w.trim().is_empty());
    customer_words.dedup();
    let retained = facts.churned_at.is_none_or(|at| at < facts.created_at);
    let summary_key = match outcome {
        Some(TrainingOutcome::Best) => "training-outcome-best",
        Some(TrainingOutcome::Failed) => "training-outcome-failed",
        None => "training-outcome-other",
    };
    let goodwill_euros = round_euros(facts.goodwill_cents);
    Ok(CaseStudy {
        id: id.0,
        title: super::title(i18n, lang, &facts),
        situation: Situation {
            channel: i18n.t(lang, &format!("channel-{}", facts.channel.as_str()), &[]),
            tier: i18n.t(lang, &format!("tier-{}", facts.tier.as_str()), &[]),
            severity: facts.severity,
            repeat_failure: facts.repeat_failure == Some(true),
            subject: anon.text(&case.subject),
            customer_words,
        },
        steps: steps.into_iter().map(|(_, s)| s).collect(),
        ending: Ending {
            outcome,
            summary: i18n.t(lang, summary_key, &[]),
            survey_score: facts.survey_score,
            reopened: facts.reopened > 0,
            retained,
            goodwill_euros,
            goodwill: anon.words().amount(goodwill_euros),
            resolved_after: human_duration((facts.ended_at - facts.created_at).num_seconds()),
            first_reply_late: facts
                .first_responded_at
                .is_some_and(|at| at > facts.first_response_due_at),
        },
        questions: question_keys(outcome, &facts)
            .into_iter()
            .map(|k| i18n.t(lang, k, &[]))
            .collect(),
    })
}

/// A Markdown line of text: quoted, every line.
fn quote(s: &str) -> String {
    s.lines().map(|l| format!("> {l}\n")).collect()
}

/// The case study as Markdown, headings in `lang`.
#[must_use]
pub fn markdown(i18n: &I18n, lang: Language, s: &CaseStudy) -> String {
    let t = |k: &str| i18n.t(lang, k, &[]);
    let yes_no = |b: bool| t(if b { "yes" } else { "no" });
    let mut out = format!(
        "# {}\n\n*{}*\n\n## {}\n\n",
        s.title,
        s.ending.summary,
        t("training-situation")
    );
    out.push_str(&format!("- {}: {}\n", t("training-channel"), s.situation.channel));
    out.push_str(&format!("- {}: {}\n", t("training-tier"), s.situation.tier));
    if let Some(sev) = s.situation.severity {
        out.push_str(&format!("- {}: {sev}\n", t("training-severity-label")));
    }
    out.push_str(&format!(
        "- {}: {}\n- {}: {}\n\n",
        t("training-repeat"),
        yes_no(s.situation.repeat_failure),
        t("training-subject"),
        s.situation.subject
    ));
    for w in &s.situation.customer_words {
        out.push_str(&quote(w));
        out.push('\n');
    }
    out.push_str(&format!("## {}\n\n", t("training-done")));
    for step in &s.steps {
        out.push_str(&format!("- **{}** — {}: {}\n", step.when, step.who, step.what));
        if let Some(text) = &step.text {
            for l in text.lines() {
                out.push_str(&format!("  > {l}\n"));
            }
        }
    }
    let e = &s.ending;
    out.push_str(&format!("\n## {}\n\n", t("training-ending")));
    let score = e.survey_score.map_or_else(|| "—".to_string(), |v| format!("{v}/5"));
    out.push_str(&format!("- {}: {score}\n", t("training-survey")));
    out.push_str(&format!("- {}: {}\n", t("training-reopened"), yes_no(e.reopened)));
    out.push_str(&format!("- {}: {}\n", t("training-retained"), yes_no(e.retained)));
    out.push_str(&format!("- {}: {}\n", t("training-goodwill"), e.goodwill));
    out.push_str(&format!("- {}: {}\n", t("training-resolved-after"), e.resolved_after));
    out.push_str(&format!("\n## {}\n\n", t("training-questions")));
    for (i, q) in s.questions.iter().enumerate() {
        out.push_str(&format!("{}. {q}\n", i + 1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn facts() -> TrainingFacts {
        let f = crate::training::test_facts();
        TrainingFacts {
            first_responded_at: Some(f.created_at + Duration::hours(1)),
            first_response_due_at: f.created_at + Duration::hours(4),
            severity: Some(2),
            repeat_failure: Some(false),
            ..f
        }
    }

    #[test]
    fn questions_follow_the_features_two_to_four() {
        let plain = facts();
        assert_eq!(
            question_keys(Some(TrainingOutcome::Best), &plain),
            ["training-q-best", "training-q-explain"]
        );
        let f = TrainingFacts {
            severity: Some(4),
            first_responded_at: Some(plain.created_at + Duration::hours(9)),
            reopened: 1,
            churned_at: Some(plain.created_at + Duration::days(20)),
            ..facts()
        };
        assert_eq!(
            question_keys(Some(TrainingOutcome::Failed), &f),
            [
                "training-q-failed",
                "training-q-severe",
                "training-q-late",
                "training-q-reopened"
            ]
        );
        let g = TrainingFacts {
            goodwill_cents: 2_000,
            ..facts()
        };
        assert_eq!(
            question_keys(Some(TrainingOutcome::Best), &g),
            ["training-q-best", "training-q-goodwill"]
        );
        let n = TrainingFacts {
            survey_score: Some(1),
            ..facts()
        };
        assert_eq!(
            question_keys(Some(TrainingOutcome::Failed), &n),
            ["training-q-failed", "training-q-no-goodwill"]
        );
    }

    #[test]
    fn catalogue_words_are_the_builtin_words_and_times_are_relative() {
        let i18n = I18n::new().expect("catalogues");
        for lang in [Language::De, Language::En] {
            assert_eq!(words(&i18n, lang), Words::builtin(lang));
        }
        let start = facts().created_at;
        assert_eq!(
            when(&i18n, Language::De, start, start),
            (1, "Tag 1, bei Eingang".to_string())
        );
        assert_eq!(
            when(&i18n, Language::De, start, start + Duration::minutes(26 * 60 + 5)),
            (2, "Tag 2, nach 1 d 2 h".to_string())
        );
        assert_eq!(
            when(&i18n, Language::En, start, start + Duration::minutes(135)),
            (1, "day 1, after 2 h 15 min".to_string())
        );
    }
}
