//! Demo feedback: German and English texts through the real ingest path
//! (analysis, detection rules, cases).

use serde_json::json;

/// (text, rating, language) of demo feedback: praise, neutral remarks and
/// complaints with churn and legal signals, in German and English.
const DEMO_FEEDBACK: &[(&str, Option<i64>, &str)] = &[
    (
        "Super Service, die Kollegin an der Hotline hat mir sofort geholfen. Vielen Dank!",
        Some(5),
        "de",
    ),
    ("Lieferung kam pünktlich und gut verpackt.", Some(5), "de"),
    (
        "Die App ist übersichtlich, nur die Suche könnte schneller sein.",
        Some(4),
        "de",
    ),
    ("Paket ist angekommen.", None, "de"),
    (
        "Die Rechnung wurde doppelt abgebucht und niemand meldet sich. Ich kündige meinen Vertrag!",
        Some(1),
        "de",
    ),
    (
        "Schon wieder eine Lieferverzögerung, das ist jetzt das dritte Mal.",
        Some(2),
        "de",
    ),
    (
        "Wenn das Geld nicht bis Freitag zurück ist, schalte ich meinen Anwalt ein.",
        Some(1),
        "de",
    ),
    (
        "Der Techniker ist nicht gekommen, ich habe umsonst einen Tag Urlaub genommen.",
        Some(1),
        "de",
    ),
    (
        "Über eine Stunde in der Warteschleife, dann aufgelegt. Unmöglich.",
        Some(2),
        "de",
    ),
    (
        "Der Mitarbeiter war unfreundlich und hat mich nicht ausreden lassen.",
        Some(2),
        "de",
    ),
    (
        "Produkt nach zwei Wochen kaputt. Nie wieder bestelle ich hier.",
        Some(1),
        "de",
    ),
    (
        "Danke für die schnelle Erstattung, das hat mich positiv überrascht.",
        Some(5),
        "de",
    ),
    (
        "Great support, my issue was solved within an hour. Thank you!",
        Some(5),
        "en",
    ),
    ("Delivery was on time.", Some(4), "en"),
    (
        "I was charged twice and nobody answers my emails. I will cancel my subscription.",
        Some(1),
        "en",
    ),
    (
        "The app crashes every time I try to pay. Very frustrating.",
        Some(2),
        "en",
    ),
    (
        "My flight was delayed by five hours and nobody told us anything.",
        Some(1),
        "en",
    ),
    (
        "If I do not get a refund this week I will contact my lawyer.",
        Some(1),
        "en",
    ),
    ("The parcel arrived damaged, second time this month.", Some(2), "en"),
    ("Friendly staff, quick answer. Happy customer.", Some(5), "en"),
];

/// Sends demo feedback through the real detection path (text analytics and
/// rules), so the stream and the cases it opens look like production.
pub async fn feedback(state: &amends_app::App, items: usize) -> anyhow::Result<usize> {
    let customers = state
        .store()
        .list_customers(&amends_store::CustomerFilter {
            limit: 200,
            ..amends_store::CustomerFilter::default()
        })
        .await?
        .items;
    let mut rows = Vec::new();
    for i in 0..items {
        let (text, rating, lang) = DEMO_FEEDBACK[i % DEMO_FEEDBACK.len()];
        // Match the customer's language to the text where possible.
        let customer = customers
            .iter()
            .filter(|c| c.language.code() == lang)
            .nth(i % 37)
            .or_else(|| customers.get(i % customers.len().max(1)));
        let Some(customer) = customer else { break };
        let channel = ["widget", "email", "survey", "api", "social"][i % 5];
        rows.push((
            i + 1,
            Ok(amends_app::detection::FeedbackInput {
                customer_id: Some(customer.id.0),
                customer_email: None,
                customer_name: None,
                channel: channel.into(),
                rating,
                text: text.into(),
                language: Some(lang.into()),
                source: Some(json!({"demo": true})),
                case_reference: None,
                component: None,
                whole_text: false,
            }),
        ));
    }
    let out = amends_app::detection::ingest_many(state, rows, None)
        .await
        .map_err(|e| anyhow::anyhow!("demo feedback: {e}"))?;
    Ok(out.items.len())
}
