//! Demo solution articles (German and English, public and internal),
//! saved through the real indexing path.

use amends_store::Store;
use chrono::{DateTime, Utc};

/// Demo solution articles: German and English, public and internal, so the
/// case page has suggestions and `/help` has content.
const DEMO_SOLUTIONS: &[(&str, &str, &str, &[&str], bool)] = &[
    (
        "Beschädigtes Paket: Ersatz oder Erstattung",
        "Es tut uns leid, dass Ihr **Paket beschädigt** angekommen ist.\n\n\
         1. Fotografieren Sie Verpackung und Inhalt.\n\
         2. Melden Sie den Schaden innerhalb von 14 Tagen in Ihrem Kundenkonto unter *Bestellungen → Problem melden*.\n\
         3. Sie wählen: Ersatzlieferung (kostenlos, Expressversand) oder Erstattung auf das ursprüngliche Zahlungsmittel.\n\n\
         Die Rücksendung ist für Sie kostenlos.",
        "de",
        &["lieferung", "paket", "schaden"],
        true,
    ),
    (
        "Rechnung herunterladen oder ändern",
        "Alle Rechnungen finden Sie im Kundenkonto unter **Konto → Rechnungen** als PDF.\n\n\
         Eine Rechnungsadresse ändern Sie unter *Konto → Adressen*; bereits erstellte Rechnungen korrigieren wir auf Anfrage.",
        "de",
        &["rechnung", "billing"],
        true,
    ),
    (
        "Doppelte Abbuchung erstatten",
        "Wurde ein Betrag **doppelt abgebucht**, prüfen Sie im Zahlungsverlauf, ob beide Buchungen bestätigt sind.\n\n\
         Intern: Erstattung im Zahlungssystem unter *Transaktionen → Rückbuchung* auslösen, dem Kunden die Referenz nennen \
         und eine Kulanz (z. B. Gutschein 10 €) anbieten.",
        "de",
        &["billing", "erstattung"],
        false,
    ),
    (
        "Lieferverzögerung: was Kundinnen und Kunden erwarten dürfen",
        "Bei einer **Lieferverzögerung** von mehr als 3 Werktagen informieren wir proaktiv, nennen einen neuen Termin \
         und erstatten die Versandkosten. Ab 7 Werktagen: kostenlose Stornierung anbieten.",
        "de",
        &["lieferung", "verspätung"],
        true,
    ),
    (
        "Passwort vergessen",
        "Klicken Sie auf der Anmeldeseite auf **Passwort vergessen** und folgen Sie dem Link in der E-Mail. \
         Der Link gilt 30 Minuten.",
        "de",
        &["konto", "login"],
        true,
    ),
    (
        "Störung im Festnetz: Techniker-Termin vereinbaren",
        "Intern: Leitung im Diagnosetool prüfen. Liegt eine **Störung** vor, Techniker-Termin im Kalender buchen \
         und die Gutschrift für die Ausfalltage automatisch anstoßen.",
        "de",
        &["störung", "technik"],
        false,
    ),
    (
        "Damaged parcel: replacement or refund",
        "We are sorry your **parcel arrived damaged**.\n\n\
         1. Take photos of the packaging and the contents.\n\
         2. Report it within 14 days in your account under *Orders → Report a problem*.\n\
         3. Choose a free express replacement or a refund to your original payment method.",
        "en",
        &["delivery", "parcel", "damage"],
        true,
    ),
    (
        "Download or correct an invoice",
        "Every invoice is in your account under **Account → Invoices** as a PDF. Change the billing address under \
         *Account → Addresses*; we correct issued invoices on request.",
        "en",
        &["billing", "invoice"],
        true,
    ),
    (
        "Refund a double charge",
        "If an amount was **charged twice**, check that both payments are confirmed. Internal: trigger the refund under \
         *Transactions → Chargeback*, tell the customer the reference and offer goodwill (e.g. a 10 € voucher).",
        "en",
        &["billing", "refund"],
        false,
    ),
    (
        "Reset your password",
        "On the sign-in page, click **Forgot password** and follow the link in the email. The link is valid for 30 minutes.",
        "en",
        &["account", "login"],
        true,
    ),
];

/// Adds the demo solution articles (as the lead `lena`).
pub async fn solutions(store: &Store, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let author = store.get_user_by_username("lena").await.ok().map(|u| u.id);
    for (title, body, lang, tags, public) in DEMO_SOLUTIONS {
        let tags: Vec<String> = tags.iter().map(|t| (*t).to_string()).collect();
        let draft = amends_domain::solution::SolutionDraft::parse(title, body, lang, &tags, *public)
            .map_err(|e| anyhow::anyhow!("demo article {title}: {e}"))?;
        amends_app::solutions::save(store, None, &draft, author, now).await?;
    }
    Ok(DEMO_SOLUTIONS.len())
}
