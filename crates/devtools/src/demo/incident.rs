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
    Ok(store.get_incident(incident.id).await?)
}
