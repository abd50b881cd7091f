//! Demo teams (product, logistics, billing) with rules, saved through the
//! real path before the demo feedback arrives (so it is routed into their
//! inboxes), and the "fixed in release" loop on the logistics insight with
//! its reporters told.

use amends_app::App;
use amends_app::insights::notify;
use amends_app::insights::{self, FixedIn, RuleIn, TeamIn};

/// Name, digest, rules `(kind, value)`, member usernames.
type Team = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

const TEAMS: &[Team] = &[
    (
        "Produkt",
        "weekly",
        &[
            ("topic", "product_defect"),
            ("component", "app"),
            ("incident_kind", "defective_release"),
        ],
        &["lena"],
    ),
    (
        "Logistik",
        "daily",
        &[("topic", "delivery"), ("incident_kind", "delivery")],
        &["lena"],
    ),
    (
        "Abrechnung",
        "weekly",
        &[("topic", "billing"), ("signal", "legal_threat")],
        &["lena"],
    ),
];

/// Saves the demo teams as the lead `lena`. Gives how many.
pub async fn teams(app: &App) -> anyhow::Result<usize> {
    let lead = app.store().get_user_by_username("lena").await?;
    for (name, digest, rules, members) in TEAMS {
        let mut ids = Vec::new();
        for m in *members {
            ids.push(app.store().get_user_by_username(m).await?.id.0);
        }
        let body = TeamIn {
            name: (*name).into(),
            digest: Some((*digest).into()),
            language: Some("de".into()),
            webhook_url: None,
            members: ids,
            rules: rules
                .iter()
                .map(|(k, v)| RuleIn {
                    kind: (*k).into(),
                    value: (*v).into(),
                })
                .collect(),
        };
        insights::create_team(app, &body, lead.id).await?;
    }
    Ok(TEAMS.len())
}

/// Marks the logistics team's largest insight fixed in release 2.4.1 and
/// tells its reporters. Gives (insights, customers told).
pub async fn fixed_loop(app: &App) -> anyhow::Result<(usize, u32)> {
    let lead = app.store().get_user_by_username("lena").await?.id;
    let all = insights::list(app, None, None, 200).await?;
    let Some(target) = all
        .iter()
        .filter(|i| i.team_name == "Logistik")
        .max_by_key(|i| i.customers)
    else {
        return Ok((all.len(), 0));
    };
    insights::fixed(
        app,
        target.id,
        &FixedIn {
            release: "2.4.1".into(),
            summary_de: Some("verspätete und beschädigte Lieferungen".into()),
            summary_en: Some("late and damaged deliveries".into()),
        },
        lead,
    )
    .await?;
    let told = notify::notify_reporters(app, target.id, lead).await?;
    Ok((all.len(), told.notified))
}
