//! Demo playbooks (late delivery, defective goods, billing error, outage),
//! saved through the real path, and progress on some demo cases.

use amends_app::App;
use amends_app::playbooks::{self, ChecklistItem, PlaybookIn, StepIn};
use amends_domain::CaseState;
use amends_store::CaseFilter;
use uuid::Uuid;

/// Seeded by migrations 0005 and 0009.
const APOLOGY_DE: &str = "0194a000-0000-7000-8000-000000000103";
const VOUCHER_10: &str = "0194a000-0000-7000-8000-000000000001";
const REFUND_20: &str = "0194a000-0000-7000-8000-000000000005";
const SHIPPING_WAIVED: &str = "0194a000-0000-7000-8000-000000000007";
const SLA_CREDIT: &str = "0194a000-0000-7000-8000-000000000008";

type Step = (
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
    Option<&'static str>,
    i64,
);

/// Names (de, en), owner team, topic, incident kind, lowest severity, steps.
type Demo = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    i64,
    &'static [Step],
);

const PLAYBOOKS: &[Demo] = &[
    (
        "Lieferverzug",
        "Late delivery",
        "Logistik",
        Some("delivery"),
        None,
        1,
        &[
            (
                "Sendung prüfen und neuen Termin klären",
                "Track the parcel and get a new date",
                &["Sendungsnummer im Carrier-Portal prüfen", "Neuen Liefertermin notieren"],
                None,
                None,
                60,
            ),
            (
                "Entschuldigen und Termin nennen",
                "Apologise and give the new date",
                &["Vorlage „Entschuldigung“ verwenden"],
                Some(APOLOGY_DE),
                None,
                120,
            ),
            (
                "Versandkosten erlassen",
                "Waive the shipping fee",
                &[],
                None,
                Some(SHIPPING_WAIVED),
                240,
            ),
            (
                "Zustellung bestätigen lassen",
                "Confirm the delivery",
                &["Kunde nach Erhalt fragen"],
                None,
                None,
                72 * 60,
            ),
        ],
    ),
    (
        "Defekte Ware",
        "Defective goods",
        "Qualität",
        Some("product_defect"),
        None,
        1,
        &[
            (
                "Fotos und Seriennummer anfordern",
                "Ask for photos and the serial number",
                &["Fotos liegen vor", "Seriennummer notiert"],
                None,
                None,
                120,
            ),
            (
                "Ersatz oder Erstattung anbieten",
                "Offer a replacement or a refund",
                &["Kostenloses Rücksendeetikett senden"],
                Some(APOLOGY_DE),
                Some(REFUND_20),
                8 * 60,
            ),
            (
                "Defekt an die Qualität melden",
                "Report the defect to quality",
                &["Charge und Fehlerbild angeben"],
                None,
                None,
                24 * 60,
            ),
        ],
    ),
    (
        "Abrechnungsfehler",
        "Billing error",
        "Buchhaltung",
        Some("billing"),
        None,
        1,
        &[
            (
                "Buchung prüfen",
                "Check the booking",
                &["Doppelte Abbuchung?", "Falscher Tarif?"],
                None,
                None,
                60,
            ),
            (
                "Rückbuchung auslösen",
                "Start the refund",
                &["Referenz dem Kunden nennen"],
                None,
                None,
                4 * 60,
            ),
            (
                "Entschuldigen und Gutschein anbieten",
                "Apologise and offer a voucher",
                &[],
                Some(APOLOGY_DE),
                Some(VOUCHER_10),
                8 * 60,
            ),
        ],
    ),
    (
        "Ausfall (schwer)",
        "Outage (severe)",
        "Betrieb",
        None,
        Some("outage"),
        3,
        &[
            (
                "Betroffenheit bestätigen",
                "Confirm the customer is affected",
                &["Statusseite verlinken"],
                None,
                None,
                30,
            ),
            (
                "Proaktiv informieren",
                "Inform proactively",
                &[],
                Some(APOLOGY_DE),
                None,
                60,
            ),
            (
                "SLA-Gutschrift gewähren",
                "Grant the SLA credit",
                &["Vertrag prüfen: SLA-Stufe"],
                None,
                Some(SLA_CREDIT),
                24 * 60,
            ),
            (
                "Ursache und Vorbeugung erklären",
                "Explain cause and prevention",
                &[],
                None,
                None,
                5 * 24 * 60,
            ),
        ],
    ),
];

fn uuid(s: Option<&str>) -> Option<Uuid> {
    s.and_then(|s| s.parse().ok())
}

/// Saves the demo playbooks as the lead `lena` and checks off steps on up
/// to 30 finished cases they fit (all steps) and 12 open ones (the first). Gives (playbooks, cases with progress).
pub async fn playbooks(app: &App) -> anyhow::Result<(usize, usize)> {
    let lead = app.store().get_user_by_username("lena").await?.id;
    for (name_de, name_en, team, topic, kind, severity_min, steps) in PLAYBOOKS {
        let input = PlaybookIn {
            name_de: (*name_de).into(),
            name_en: (*name_en).into(),
            owner_team: (*team).into(),
            topic: topic.map(str::to_string),
            incident_kind: kind.map(str::to_string),
            severity_min: Some(*severity_min),
            severity_max: Some(4),
            steps: steps
                .iter()
                .map(|(de, en, checks, template, goodwill, due)| StepIn {
                    title_de: (*de).into(),
                    title_en: (*en).into(),
                    checklist: checks.iter().map(|c| ChecklistItem((*c).into())).collect(),
                    template_id: uuid(*template),
                    goodwill_item_id: uuid(*goodwill),
                    due_minutes: *due,
                })
                .collect(),
        };
        playbooks::create(app, &input.draft()?, lead).await?;
    }
    // Finished cases first (their figures fill the effectiveness table), then open ones.
    let finished = [CaseState::Resolved, CaseState::FollowedUp, CaseState::Closed];
    let mut worked = 0;
    for (states, limit) in [(finished.to_vec(), 30), (Vec::new(), 12)] {
        let cases = app
            .store()
            .list_cases(&CaseFilter {
                states,
                limit: 300,
                ..CaseFilter::default()
            })
            .await?;
        let mut here = 0;
        for case in cases.items {
            if here >= limit {
                break;
            }
            if !case.state.is_open() && limit == 12 {
                continue;
            }
            let Some(pb) = playbooks::for_case(app, case.id).await? else {
                continue;
            };
            if pb.started_at.is_some() {
                continue;
            }
            let steps = if case.state.is_open() { 1 } else { pb.total };
            for step in 1..=steps {
                playbooks::mark_step(app, case.id, i32::try_from(step)?, true, lead).await?;
            }
            here += 1;
        }
        worked += here;
    }
    Ok((PLAYBOOKS.len(), worked))
}
