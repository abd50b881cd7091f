//! A demo incident with affected customers, uploaded through the real
//! fan-out (cases, notices, automatic goodwill).

use chrono::Duration;

/// A demo incident (a late parcel hub) with two automatic goodwill rules,
/// fanned out to the first customers through the real upload path.
pub async fn incident(state: &amends_app::App, affected: usize) -> anyhow::Result<amends_store::Incident> {
    use amends_domain::incident::{IncidentDraft, IncidentKind};
    let store = state.store();
    let now = state.now();
    let lead = store.get_user_by_username("lena").await?.id;
    let catalog = store.list_catalog(true).await?;
    let item = |cents: i64| catalog.iter().find(|c| c.value_cents == cents).map(|c| c.id);
    for (name, condition, cents, position) in [
        (
            "Premium: mehr als 2 Tage verspätet",
            "kind = delivery and delay_minutes > 2880 and tier = premium",
            10_000,
            10,
        ),
        (
            "Mehr als 1 Tag verspätet",
            "kind = delivery and delay_minutes > 1440",
            2_500,
            20,
        ),
        (
            "Verspätete Lieferung",
            "kind = delivery and delay_minutes > 240",
            1_000,
            30,
        ),
    ] {
        let Some(catalog_item_id) = item(cents) else { continue };
        let input = amends_store::GoodwillRuleInput {
            name: name.into(),
            condition: condition.into(),
            catalog_item_id,
            position,
            active: true,
            applies_to: amends_domain::goodwill_rule::RuleScope::Incident,
        };
        store.save_goodwill_rule(None, &input, Some(lead), now).await?;
    }
    let draft = IncidentDraft {
        kind: IncidentKind::Delivery,
        title: "Paketzentrum Hamburg: Zustellungen verspätet".into(),
        severity: 3,
        controllable: true,
        started_at: now - Duration::hours(30),
        ended_at: None,
        component: Some("hub-hamburg".into()),
        release: None,
        summary_de:
            "Wegen eines Ausfalls der Sortieranlage in unserem Paketzentrum Hamburg kommt Ihre Bestellung später an."
                .into(),
        summary_en: "A breakdown of the sorting system in our Hamburg parcel hub delays your order.".into(),
    };
    let incident = store.insert_incident(&draft, "manual", None, lead, now).await?;
    let customers = store
        .list_customers(&amends_store::CustomerFilter {
            limit: affected.min(200),
            ..amends_store::CustomerFilter::default()
        })
        .await?
        .items;
    let mut csv = String::from("customer_external_id,delay_minutes,order_id\n");
    for (i, c) in customers.iter().enumerate() {
        if let Some(ext) = &c.external_id {
            csv.push_str(&format!("{ext},{},A-{}\n", 180 + (i * 97) % 3000, 40_000 + i));
        }
    }
    amends_app::incidents::upload(
        state,
        incident.id,
        amends_app::incidents::UploadFormat::Csv,
        std::io::Cursor::new(csv.into_bytes()),
        lead,
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo incident: {e}"))?;
    replies(state, incident.id.0).await?;
    Ok(store.get_incident(incident.id).await?)
}

/// What affected customers wrote back on their cases (German, English):
/// some thank for the early notice, some complain all the same.
const REPLIES: &[(bool, &str, &str)] = &[
    (
        false,
        "Danke für die frühe Nachricht.",
        "Thanks for letting me know early.",
    ),
    (
        true,
        "Schon wieder zu spät, das ärgert mich.",
        "Late again, this is annoying.",
    ),
    (false, "Gut, dass Sie sich gemeldet haben.", "Good that you told me."),
    (
        true,
        "Ich brauche die Lieferung heute, nicht irgendwann.",
        "I need the delivery today, not some day.",
    ),
    (
        false,
        "Kein Problem, danke für den Gutschein.",
        "No problem, thanks for the voucher.",
    ),
];

/// Replies on the first twelve cases of the incident (the risk register
/// reads the failure rate of an incident kind from them).
async fn replies(state: &amends_app::App, incident: uuid::Uuid) -> anyhow::Result<()> {
    use amends_domain::{Channel, Language};
    let cases = state
        .store()
        .list_cases(&amends_store::CaseFilter {
            incident_id: Some(incident),
            limit: 12,
            ..amends_store::CaseFilter::default()
        })
        .await?
        .items;
    let mut batch = amends_store::Batch::default();
    for (i, c) in cases.iter().enumerate() {
        let (complaint, de, en) = REPLIES[i % REPLIES.len()];
        // Right after the fan-out (its cases are opened now).
        let at = state.now().max(c.created_at);
        let german = c.customer_language == Language::De;
        batch.feedback.push(amends_store::FeedbackRecord {
            id: amends_domain::ids::uuid_v7_at(at, i as u128),
            customer_id: c.customer_id,
            case_id: Some(c.id),
            channel: Channel::Email,
            rating: Some(if complaint { 2 } else { 4 }),
            text: if german { de } else { en }.into(),
            language: if german { Language::De } else { Language::En },
            sentiment: if complaint { "negative" } else { "positive" },
            topics: vec!["delivery".into()],
            component: None,
            created_at: at,
        });
    }
    state.store().insert_batch(&batch).await?;
    Ok(())
}
