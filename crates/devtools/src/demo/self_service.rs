//! Demo self-service answers: a widget site, deflection events over the
//! demo period (articles shown, opened, sent anyway) in both languages, and
//! automatic answers to German mail switched on.

use amends_app::App;
use amends_app::widget_sites::{self, SiteFields};
use amends_domain::Language;
use amends_store::{NewDeflection, SolutionFilter};
use chrono::Duration;

/// Days of demo widget sessions before now.
const DAYS: i64 = 60;

/// Adds the demo site, its sessions' deflection events and the German
/// auto-answer setting; returns the number of sessions.
pub async fn self_service(app: &App) -> anyhow::Result<usize> {
    let store = app.store();
    let now = app.now();
    let admin = store.get_user_by_username("admin").await?.id;
    let fields = SiteFields {
        name: Some("Demo-Shop".into()),
        allowed_origins: Some(vec![app.config().base_url.trim_end_matches('/').to_string()]),
        language: Some("de".into()),
        enabled: Some(true),
        ..SiteFields::default()
    };
    let site = widget_sites::create_site(app, fields, admin).await?;
    let mut sessions = 0;
    for lang in Language::ALL {
        let articles = store
            .list_solutions(&SolutionFilter {
                language: Some(lang),
                public_only: true,
                tag: None,
                cursor: None,
                limit: 20,
            })
            .await?
            .items;
        if articles.is_empty() {
            continue;
        }
        let per_day = if lang == Language::De { 4 } else { 2 };
        for day in 0..DAYS {
            for i in 0..per_day {
                let n = usize::try_from(day * 7 + i * 3).unwrap_or(0);
                let at = now - Duration::days(DAYS - day) + Duration::minutes(i * 97 + 30);
                let session = format!("demo{}{day:03}{i:02}", lang.code());
                let shown: Vec<_> = (0..2).map(|k| &articles[(n + k) % articles.len()]).collect();
                // About half open an article; a third of those send anyway, as do
                // a quarter of those who open none.
                let clicked = n % 2 == 0;
                let sent = if clicked { n % 3 == 0 } else { n % 4 != 0 };
                let mut events = Vec::new();
                for a in &shown {
                    events.push(("suggested", a.id));
                }
                if clicked {
                    events.push(("clicked", shown[0].id));
                }
                if sent {
                    for a in &shown {
                        events.push(("sent_anyway", a.id));
                    }
                } else if clicked {
                    events.push(("resolved_without_sending", shown[0].id));
                }
                for (k, (event, article_id)) in events.into_iter().enumerate() {
                    store
                        .record_deflection(&NewDeflection {
                            site_id: site.id,
                            session: &session,
                            article_id,
                            event,
                            language: lang,
                            at: at + Duration::seconds(i64::try_from(k).unwrap_or(0) * 20),
                        })
                        .await?;
                }
                sessions += 1;
            }
        }
    }
    store.set_auto_answer(Language::De, true, 0.7, Some(admin), now).await?;
    Ok(sessions)
}
