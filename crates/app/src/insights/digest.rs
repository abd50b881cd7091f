//! What a team hears about its insights outside amends: the digest mail
//! to its members (daily: the insights of the day before; weekly, on
//! Mondays: of the week before; each member in their language, once per
//! period — the mail job's deduplication key names team, period and
//! member) and the post to its channel webhook (Slack/Teams-compatible
//! `{"text": …}`) when an insight is made or fixed, retried like any job.

use crate::App;
use crate::jobs::{DomainEvent, Failure, MailTask, Task};
use amends_domain::insight::Digest;
use amends_domain::validate::Language;
use amends_i18n::FluentValue;
use amends_store::{InsightFilter, JobEffects};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use std::str::FromStr;
use uuid::Uuid;

/// The period a digest of `digest` covers on `today` (UTC): its key and
/// its start; the period ends where `today` starts. `None`: no digest today.
#[must_use]
pub fn period(digest: Digest, today: NaiveDate) -> Option<(String, NaiveDate)> {
    match digest {
        Digest::Off => None,
        Digest::Daily => {
            let day = today.pred_opt()?;
            Some((format!("day-{day}"), day))
        }
        Digest::Weekly if today.weekday() == Weekday::Mon => {
            let start = today - Duration::days(7);
            let w = start.iso_week();
            Some((format!("week-{}-W{:02}", w.year(), w.week()), start))
        }
        Digest::Weekly => None,
    }
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or_default()
}

/// The day's digest job: first files again what the last two days'
/// feedback routing left out ([`super::refile_recent_feedback`]), then one
/// mail job per member of each team whose period ended, listing the
/// insights made in it (none: no mail).
pub async fn sweep(state: &App) -> Result<JobEffects, Failure> {
    let refiled = super::refile_recent_feedback(state)
        .await
        .map_err(|e| Failure::new(e.to_string()))?;
    if refiled > 0 {
        tracing::info!(insights = refiled, "feedback left out of the inboxes filed again");
    }
    let now = state.now();
    let today = now.date_naive();
    let mut fx = JobEffects::default();
    for team in state.store().list_teams().await? {
        let Ok(digest) = Digest::parse(&team.digest) else {
            continue;
        };
        let Some((key, start)) = period(digest, today) else {
            continue;
        };
        let (since, until) = (start_of(start), start_of(today));
        let new: Vec<_> = state
            .store()
            .list_insights(&InsightFilter {
                team_id: Some(team.id),
                state: None,
                created_since: Some(since),
                limit: 200,
            })
            .await?
            .into_iter()
            .filter(|i| i.created_at < until)
            .collect();
        if new.is_empty() {
            continue;
        }
        for member in state.store().team_members(Some(team.id)).await? {
            let Some(to) = member.email.clone().filter(|e| !e.trim().is_empty()) else {
                continue;
            };
            let lang = Language::from_str(&member.language).unwrap_or_default();
            let i18n = state.mail_renderer().i18n();
            let mut body = i18n.t(
                lang,
                "ins-digest-intro",
                &[
                    ("team", FluentValue::from(team.name.clone())),
                    ("count", FluentValue::from(new.len())),
                ],
            );
            for i in &new {
                body.push_str("\n- ");
                body.push_str(&i18n.t(
                    lang,
                    "ins-digest-line",
                    &[
                        (
                            "cause",
                            FluentValue::from(super::cause_phrase(i18n, lang, &i.cause_key)),
                        ),
                        ("reports", FluentValue::from(i.reports)),
                        ("customers", FluentValue::from(i.customers)),
                    ],
                ));
            }
            let subject = i18n.t(
                lang,
                "ins-digest-subject",
                &[
                    ("team", FluentValue::from(team.name.clone())),
                    ("count", FluentValue::from(new.len())),
                ],
            );
            let mail = super::letter(state, lang, (to, member.name.clone()), subject, body).map_err(|e| Failure {
                error: e,
                permanent: true,
                fx: JobEffects::default(),
            })?;
            let task = Task::Mail(MailTask {
                case_id: None,
                purpose: "insight_digest".into(),
                author_id: None,
                mail,
                recorded: false,
            });
            let dedupe = format!("insight-digest:{}:{key}:{}", team.id, member.user_id);
            fx.jobs.push(task.job(state, now, Some(dedupe), None));
        }
    }
    Ok(fx)
}

/// The day key of the digest sweep (one job per day across instances).
#[must_use]
pub fn day_key(now: DateTime<Utc>) -> String {
    format!("insight-digest-sweep:{}", now.date_naive())
}

/// After `insight.created` or `insight.fixed`: the post to the team's
/// channel, when it has one.
pub async fn channel_post(state: &App, job_id: Uuid, e: &DomainEvent) -> Result<Option<amends_store::NewJob>, Failure> {
    let Some(id) = e
        .data
        .get("insight_id")
        .and_then(|v| v.as_str())
        .and_then(|v| v.parse::<Uuid>().ok())
    else {
        return Ok(None);
    };
    let insight = state.store().get_insight(id).await?;
    let team = state.store().get_team(insight.team_id).await?;
    if team.webhook_url.is_none() {
        return Ok(None);
    }
    let lang = Language::from_str(&team.language).unwrap_or_default();
    let cause = super::cause_phrase(state.mail_renderer().i18n(), lang, &insight.cause_key);
    let args = [
        ("team", FluentValue::from(team.name.clone())),
        ("cause", FluentValue::from(cause)),
        (
            "release",
            FluentValue::from(insight.release.clone().unwrap_or_default()),
        ),
        ("customers", FluentValue::from(insight.customers)),
    ];
    let key = if e.kind == "insight.fixed" {
        "ins-post-fixed"
    } else {
        "ins-post-created"
    };
    let text = state.mail_renderer().i18n().t(lang, key, &args);
    let task = Task::TeamPost { team_id: team.id, text };
    Ok(Some(task.job(
        state,
        state.now(),
        Some(format!("team-post:{job_id}")),
        None,
    )))
}

/// Posts `{"text": …}` to the team's channel; a refused address fails for
/// good, any other failure is retried with the job.
pub async fn post(state: &App, team_id: Uuid, text: &str) -> Result<JobEffects, Failure> {
    let team = state.store().get_team(team_id).await?;
    let Some(url) = team.webhook_url else {
        return Ok(JobEffects::default());
    };
    let checked = reqwest::Url::parse(&url)
        .map_err(|e| e.to_string())
        .and_then(|u| crate::outbound::check_url(&u, &state.config().webhook_allow));
    if let Err(err) = checked {
        return Err(Failure {
            error: err,
            permanent: true,
            fx: JobEffects::default(),
        });
    }
    let res = state
        .http()
        .post(&url)
        .header("content-type", "application/json")
        .header("user-agent", "amends-webhooks/1")
        .body(serde_json::json!({ "text": text }).to_string())
        .send()
        .await;
    match res {
        Ok(r) if r.status().is_success() => Ok(JobEffects::default()),
        Ok(r) => Err(Failure::new(format!(
            "the channel answered HTTP {}",
            r.status().as_u16()
        ))),
        Err(e) => Err(Failure::new(format!("request failed: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_end_where_the_day_starts() {
        let mon = NaiveDate::from_ymd_opt(2026, 11, 30).expect("valid");
        let tue = NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid");
        assert_eq!(period(Digest::Daily, tue), Some(("day-2026-11-30".into(), mon)));
        assert_eq!(period(Digest::Weekly, tue), None);
        assert_eq!(
            period(Digest::Weekly, mon),
            Some((
                "week-2026-W48".into(),
                NaiveDate::from_ymd_opt(2026, 11, 23).expect("valid")
            ))
        );
        assert_eq!(period(Digest::Off, mon), None);
    }
}
