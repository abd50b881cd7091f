//! Self-service answers: public articles suggested while a widget visitor
//! types (from the solution database's own index, no downloaded model),
//! the deflection events and their report, and automatic answers to
//! inbound mail whose best public article matches with high confidence.

use crate::App;
use crate::analysis::to_text_lang;
use crate::error::{AppError, AppResult};
use crate::jobs::{MailTask, Task};
use crate::mail::OutgoingMail;
use crate::solutions::{excerpt, markdown_text};
use amends_domain::{CaseId, Language, UserId};
use amends_store::{AutoAnswerSetting, DeflectionRow, NewDeflection, SolutionHit, SolutionQuery, new_row_id};
use amends_text::search::query_terms;
use chrono::{DateTime, Duration, Utc};
use minijinja::context;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

/// How many articles a visitor is shown.
pub const SUGGESTIONS: usize = 3;
/// Most characters of a suggestion query.
pub const QUERY_MAX: usize = 500;
/// A suggestion is confident from this score on.
pub const CONFIDENT_SCORE: f64 = 0.6;
/// The threshold of automatic answers when none is saved.
pub const DEFAULT_THRESHOLD: f64 = 0.7;
/// Candidates read from the index before they are scored.
const CANDIDATES: usize = 20;
/// Most query terms of one search (long mails are cut).
const TERMS_MAX: usize = 32;

/// An article suggested to a visitor.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Suggestion {
    pub id: Uuid,
    pub title: String,
    /// The start of the article as plain text.
    pub excerpt: String,
    /// The public page of the article.
    pub url: String,
    #[schema(example = "de")]
    pub language: String,
    /// How well the article answers the text, 0–1 (see docs/ANALYTICS.md).
    pub score: f64,
    /// The score reaches the confidence mark (0.6).
    pub confident: bool,
}

/// The match score of an article for a text's terms: 0.4 × the share of
/// the text's terms found in the article plus 0.6 × the share of the
/// title's terms found in the text, rounded to three places.
#[must_use]
pub fn score(text_terms: &[String], title: &str, body: &str, tags: &[String], lang: Language) -> f64 {
    let l = to_text_lang(lang);
    let text: HashSet<&str> = text_terms.iter().map(String::as_str).collect();
    if text.is_empty() {
        return 0.0;
    }
    let title_terms: HashSet<String> = query_terms(title, l).into_iter().collect();
    let mut article: HashSet<String> = title_terms.clone();
    article.extend(query_terms(&tags.join(" "), l));
    let body_text = markdown_text(body);
    article.extend(query_terms(&body_text, l));
    let found = text.iter().filter(|t| article.contains(**t)).count();
    let in_title = title_terms.iter().filter(|t| text.contains(t.as_str())).count();
    #[allow(clippy::cast_precision_loss)]
    let coverage = found as f64 / text.len() as f64;
    #[allow(clippy::cast_precision_loss)]
    let title_share = if title_terms.is_empty() {
        0.0
    } else {
        in_title as f64 / title_terms.len() as f64
    };
    ((0.4 * coverage + 0.6 * title_share) * 1000.0).round() / 1000.0
}

fn suggestion(app: &App, terms: &[String], h: SolutionHit) -> Suggestion {
    let s = score(terms, &h.title, &h.body, &h.tags.0, h.language);
    Suggestion {
        url: format!("{}/help/articles/{}", app.config().base_url.trim_end_matches('/'), h.id),
        excerpt: excerpt(&h.body, 160),
        id: h.id,
        title: h.title,
        language: h.language.code().into(),
        score: s,
        confident: s >= CONFIDENT_SCORE,
    }
}

/// The best public articles of one language for `text`, best first.
async fn best_in(app: &App, text: &str, lang: Language, limit: usize) -> AppResult<Vec<Suggestion>> {
    let mut terms = query_terms(text, to_text_lang(lang));
    terms.truncate(TERMS_MAX);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let hits = app
        .store()
        .search_solutions(&SolutionQuery {
            language: lang,
            terms: terms.clone(),
            all: false,
            prefix_last: true,
            public_only: true,
            limit: CANDIDATES,
        })
        .await?;
    let mut out: Vec<(f64, Suggestion)> = hits
        .into_iter()
        .map(|h| {
            let rank = h.rank;
            (rank, suggestion(app, &terms, h))
        })
        .collect();
    out.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(b.0.total_cmp(&a.0)));
    Ok(out.into_iter().map(|(_, s)| s).take(limit).collect())
}

/// The checked text of a suggestion query.
///
/// # Errors
/// `q` is longer than [`QUERY_MAX`] characters.
pub fn check_query(q: &str) -> AppResult<&str> {
    if q.chars().count() > QUERY_MAX {
        return Err(AppError::validation(
            "q",
            format!("the question must be at most {QUERY_MAX} characters"),
        ));
    }
    Ok(q.trim())
}

/// Up to [`SUGGESTIONS`] public articles for what a visitor typed: those
/// in `lang` first, then the other language's if fewer were found.
pub async fn suggest(app: &App, q: &str, lang: Language) -> AppResult<Vec<Suggestion>> {
    let q = check_query(q)?;
    let mut out = best_in(app, q, lang, SUGGESTIONS).await?;
    if out.len() < SUGGESTIONS {
        for other in Language::ALL.into_iter().filter(|l| *l != lang) {
            let more = best_in(app, q, other, SUGGESTIONS - out.len()).await?;
            out.extend(more);
        }
    }
    Ok(out)
}

/// What a widget visitor did with a suggested article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeflectionEvent {
    Suggested,
    Clicked,
    SentAnyway,
    ResolvedWithoutSending,
}

impl DeflectionEvent {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suggested => "suggested",
            Self::Clicked => "clicked",
            Self::SentAnyway => "sent_anyway",
            Self::ResolvedWithoutSending => "resolved_without_sending",
        }
    }

    /// The event named `raw`.
    ///
    /// # Errors
    /// A validation error naming `event`.
    pub fn parse(raw: &str) -> AppResult<Self> {
        match raw.trim() {
            "suggested" => Ok(Self::Suggested),
            "clicked" => Ok(Self::Clicked),
            "sent_anyway" => Ok(Self::SentAnyway),
            "resolved_without_sending" => Ok(Self::ResolvedWithoutSending),
            _ => Err(AppError::validation(
                "event",
                "event must be suggested, clicked, sent_anyway or resolved_without_sending",
            )),
        }
    }
}

/// The checked session token of the widget (8–64 letters and digits).
///
/// # Errors
/// A validation error naming `session`.
pub fn check_session(raw: &str) -> AppResult<&str> {
    let s = raw.trim();
    if !(8..=64).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AppError::validation(
            "session",
            "session must be 8 to 64 letters and digits (the widget's session token)",
        ));
    }
    Ok(s)
}

/// Records one deflection event of site `site_id`, once per session,
/// article and event; `true` when it was new.
pub async fn record(
    app: &App,
    site_id: Uuid,
    session: &str,
    article_id: Uuid,
    event: DeflectionEvent,
    language: Language,
) -> AppResult<bool> {
    let session = check_session(session)?;
    let new = app
        .store()
        .record_deflection(&NewDeflection {
            site_id,
            session,
            article_id,
            event: event.as_str(),
            language,
            at: app.now(),
        })
        .await;
    match new {
        Ok(n) => Ok(n),
        Err(amends_store::StoreError::NotFound(_)) => Err(AppError::validation(
            "article_id",
            "article_id must name a public article",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Counts of one group of the deflection report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct DeflectionCounts {
    /// Sessions (or, per article, session × article) shown a suggestion.
    pub suggested: u64,
    pub clicked: u64,
    pub sent_anyway: u64,
    /// Clicked (or left as resolved) and not sent.
    pub deflected: u64,
    /// `deflected / suggested`; `None` without suggestions.
    pub rate: Option<f64>,
    /// Wilson 95 % interval of the rate.
    pub rate_low: Option<f64>,
    pub rate_high: Option<f64>,
}

impl DeflectionCounts {
    fn finish(mut self) -> Self {
        if self.suggested > 0 {
            #[allow(clippy::cast_precision_loss)]
            let rate = self.deflected as f64 / self.suggested as f64;
            self.rate = Some(rate);
            if let Some(i) = amends_stats::wilson(self.deflected, self.suggested, 0.95) {
                self.rate_low = Some(i.low);
                self.rate_high = Some(i.high);
            }
        }
        self
    }
}

/// One article's line of the report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ArticleDeflection {
    pub article_id: Uuid,
    pub title: String,
    #[serde(flatten)]
    pub counts: DeflectionCounts,
}

/// One language's line of the report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LanguageDeflection {
    #[schema(example = "de")]
    pub language: String,
    #[serde(flatten)]
    pub counts: DeflectionCounts,
}

/// The deflection report of a period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeflectionReport {
    pub days: i64,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Counted per widget session.
    pub total: DeflectionCounts,
    pub per_language: Vec<LanguageDeflection>,
    /// Most suggested first.
    pub per_article: Vec<ArticleDeflection>,
}

/// Per session: shown, clicked, sent anyway, deflected.
fn session_flags(rows: &[DeflectionRow]) -> BTreeMap<&str, (bool, bool, bool, bool, &str)> {
    let mut s: BTreeMap<&str, (bool, bool, bool, bool, &str)> = BTreeMap::new();
    for r in rows {
        let e = s
            .entry(r.session.as_str())
            .or_insert((false, false, false, false, r.language.as_str()));
        e.0 |= r.suggested;
        e.1 |= r.clicked;
        e.2 |= r.sent_anyway;
        e.3 |= r.clicked || r.resolved;
    }
    s
}

fn count(c: &mut DeflectionCounts, suggested: bool, clicked: bool, sent: bool, helped: bool) {
    c.suggested += u64::from(suggested);
    c.clicked += u64::from(suggested && clicked);
    c.sent_anyway += u64::from(suggested && sent);
    c.deflected += u64::from(suggested && helped && !sent);
}

/// The report of `rows` (see [`amends_store::Store::deflection_rows`]): a
/// session counts as deflected when its visitor clicked a suggested
/// article (or left saying it helped) and did not send; per article, the
/// same for the session × article, with "sent" meaning the session sent.
#[must_use]
pub fn summarise(rows: &[DeflectionRow], days: i64, from: DateTime<Utc>, to: DateTime<Utc>) -> DeflectionReport {
    let sessions = session_flags(rows);
    let mut total = DeflectionCounts::default();
    let mut langs: BTreeMap<&str, DeflectionCounts> = BTreeMap::new();
    for (suggested, clicked, sent, helped, lang) in sessions.values() {
        count(&mut total, *suggested, *clicked, *sent, *helped);
        count(langs.entry(*lang).or_default(), *suggested, *clicked, *sent, *helped);
    }
    let mut articles: BTreeMap<Uuid, (String, DeflectionCounts)> = BTreeMap::new();
    for r in rows {
        let sent = sessions.get(r.session.as_str()).is_some_and(|s| s.2);
        let a = articles
            .entry(r.article_id)
            .or_insert_with(|| (r.title.clone(), DeflectionCounts::default()));
        count(&mut a.1, r.suggested, r.clicked, sent, r.clicked || r.resolved);
    }
    let mut per_article: Vec<ArticleDeflection> = articles
        .into_iter()
        .map(|(article_id, (title, c))| ArticleDeflection {
            article_id,
            title,
            counts: c.finish(),
        })
        .collect();
    per_article.sort_by(|a, b| b.counts.suggested.cmp(&a.counts.suggested).then(a.title.cmp(&b.title)));
    DeflectionReport {
        days,
        from,
        to,
        total: total.finish(),
        per_language: langs
            .into_iter()
            .map(|(l, c)| LanguageDeflection {
                language: l.to_string(),
                counts: c.finish(),
            })
            .collect(),
        per_article,
    }
}

/// The deflection report of the last `days` days (1–366).
pub async fn report(app: &App, days: i64) -> AppResult<DeflectionReport> {
    if !(1..=366).contains(&days) {
        return Err(AppError::validation("days", "days must be between 1 and 366"));
    }
    let to = app.now();
    let from = to - Duration::days(days);
    let rows = app.store().deflection_rows(from, to + Duration::seconds(1)).await?;
    Ok(summarise(&rows, days, from, to))
}

/// The automatic answer setting of one language as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoAnswer {
    #[schema(value_type = String, pattern = "^(de|en)$", example = "de")]
    pub language: Language,
    pub enabled: bool,
    /// The least score (0–1) the best public article needs.
    #[schema(minimum = 0.0, maximum = 1.0, example = 0.7)]
    pub threshold: f64,
}

/// The settings of both languages (a language never saved is off, at the default threshold).
pub async fn settings(app: &App) -> AppResult<Vec<AutoAnswer>> {
    let saved = app.store().auto_answer_settings().await?;
    Ok(Language::ALL
        .iter()
        .map(|l| {
            saved.iter().find(|s| s.language == l.code()).map_or(
                AutoAnswer {
                    language: *l,
                    enabled: false,
                    threshold: DEFAULT_THRESHOLD,
                },
                |s: &AutoAnswerSetting| AutoAnswer {
                    language: *l,
                    enabled: s.enabled,
                    threshold: s.threshold,
                },
            )
        })
        .collect())
}

/// Saves the given languages' settings (audited), all checked before any is saved.
pub async fn save_settings(app: &App, items: &[AutoAnswer], actor: UserId) -> AppResult<Vec<AutoAnswer>> {
    for (i, s) in items.iter().enumerate() {
        if !s.threshold.is_finite() || !(0.0..=1.0).contains(&s.threshold) {
            return Err(AppError::validation(
                format!("[{i}].threshold"),
                "threshold must be between 0 and 1",
            ));
        }
    }
    let now = app.now();
    for s in items {
        app.store()
            .set_auto_answer(s.language, s.enabled, s.threshold, Some(actor), now)
            .await?;
    }
    settings(app).await
}

/// Why an inbound mail got no automatic answer (or `Sent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoAnswerOutcome {
    Sent,
    Off,
    LegalSignal,
    ChurnRisk,
    NoConfidentArticle,
    NoAddress,
    AnsweredBefore,
}

/// Churn risk from this value on keeps a mail from automatic answers.
const HIGH_CHURN_RISK: f32 = 0.7;

/// After an inbound mail became feedback `feedback` (and perhaps opened or
/// joined a case): answers it automatically with the best public articles
/// in the customer's language when that language's setting is on, the
/// best article reaches its threshold, the analysis shows no legal signal
/// and the churn risk is not high; once per case (the outbox
/// deduplicates). A mail that opened no case opens one, so that an agent
/// can follow up; the answer is on its timeline.
pub async fn after_inbound_mail(
    app: &App,
    feedback: amends_domain::FeedbackId,
    in_reply_to: Option<String>,
) -> AppResult<AutoAnswerOutcome> {
    let fb = app.store().get_feedback(feedback).await?;
    let lang = fb.language;
    let Some(setting) = settings(app)
        .await?
        .into_iter()
        .find(|s| s.language == lang && s.enabled)
    else {
        return Ok(AutoAnswerOutcome::Off);
    };
    if fb.signal_list().iter().any(|s| s == "legal_threat") {
        return Ok(AutoAnswerOutcome::LegalSignal);
    }
    let articles = best_in(app, &fb.text, lang, SUGGESTIONS).await?;
    if articles.first().is_none_or(|a| a.score < setting.threshold) {
        return Ok(AutoAnswerOutcome::NoConfidentArticle);
    }
    let case = match fb.case_id {
        Some(c) => CaseId(c),
        None => crate::detection::open_case_for(app, feedback, None).await?,
    };
    let (_, assessed) = crate::goodwill::assess(app, case).await?;
    if assessed.churn_risk >= HIGH_CHURN_RISK {
        return Ok(AutoAnswerOutcome::ChurnRisk);
    }
    let articles: Vec<Suggestion> = articles
        .into_iter()
        .filter(|a| a.score >= setting.threshold.min(CONFIDENT_SCORE))
        .collect();
    let c = app.store().get_case(case).await?;
    let customer = app.store().get_customer(c.customer_id).await?;
    let Some(to) = customer.email.clone().filter(|_| customer.consent_contact) else {
        return Ok(AutoAnswerOutcome::NoAddress);
    };
    let renderer = app.mail_renderer();
    let subject = renderer.t(lang, "ss-mail-subject");
    let ctx = context! { lang => lang.code(), purpose => "auto_answer", subject => subject.clone(),
    name => customer.name.clone(), articles => &articles, reference => c.id.short() };
    let text = renderer
        .render("mail.txt", ctx.clone())
        .map_err(|e| AppError::internal(format!("mail template: {e:#}")))?;
    let html = renderer
        .render("mail.html", ctx)
        .map_err(|e| AppError::internal(format!("mail template: {e:#}")))?;
    let now = app.now();
    let mail = OutgoingMail {
        to,
        subject: format!("{subject} [#{}]", c.id.short()),
        text,
        html,
        message_id: app.mailer().new_message_id(new_row_id(now)),
        in_reply_to,
    };
    let (_, mut event) = crate::followup::message_out(case, None, &mail, "auto_answer");
    event.at = now;
    event.data["articles"] = serde_json::json!(articles.iter().map(|a| a.id).collect::<Vec<_>>());
    let task = Task::Mail(MailTask {
        case_id: Some(case),
        purpose: "auto_answer".into(),
        author_id: None,
        mail,
        recorded: true,
    });
    let job = task.job(app, now, Some(format!("auto_answer:{case}")), Some(case));
    let queued = app.store().enqueue_message(&job, case, &event, now).await?;
    app.wake_workers();
    Ok(if queued.is_some() {
        AutoAnswerOutcome::Sent
    } else {
        AutoAnswerOutcome::AnsweredBefore
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(session: &str, article: u128, events: [bool; 4]) -> DeflectionRow {
        DeflectionRow {
            session: session.into(),
            article_id: Uuid::from_u128(article),
            title: format!("A{article}"),
            language: "de".into(),
            suggested: events[0],
            clicked: events[1],
            sent_anyway: events[2],
            resolved: events[3],
        }
    }

    #[test]
    fn a_click_without_sending_is_a_deflection_and_a_send_is_not() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        let rows = vec![
            row("s1", 1, [true, true, false, false]),
            row("s1", 2, [true, false, false, false]),
            row("s2", 1, [true, true, true, false]),
            row("s3", 2, [true, false, false, false]),
            row("s4", 2, [true, false, false, true]),
        ];
        let r = summarise(&rows, 30, t, t);
        assert_eq!(
            (
                r.total.suggested,
                r.total.clicked,
                r.total.sent_anyway,
                r.total.deflected
            ),
            (4, 2, 1, 2)
        );
        assert_eq!(r.total.rate, Some(0.5));
        // Wilson 95 % for 2 of 4: 0.150 … 0.850 (scipy binomtest ci method wilson).
        assert!((r.total.rate_low.unwrap_or(0.0) - 0.1500).abs() < 1e-3);
        assert!((r.total.rate_high.unwrap_or(0.0) - 0.8500).abs() < 1e-3);
        let a1 = r.per_article.iter().find(|a| a.title == "A1").map(|a| a.counts.clone());
        assert_eq!(
            a1.map(|c| (c.suggested, c.clicked, c.sent_anyway, c.deflected)),
            Some((2, 2, 1, 1))
        );
    }

    #[test]
    fn the_title_weighs_more_than_the_body() {
        let terms = query_terms("reset my password please", amends_text::Language::En);
        let title = score(&terms, "Reset your password", "Open the login page.", &[], Language::En);
        let body = score(
            &terms,
            "Login help",
            "To reset the password open the page.",
            &[],
            Language::En,
        );
        assert!(title > body, "{title} vs {body}");
        assert!(title >= CONFIDENT_SCORE);
    }
}
