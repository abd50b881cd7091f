//! The page templates, embedded in the binary, and the engine that renders
//! them ([`amends_i18n::Renderer`]: `t()`, dates, money, durations).

pub use amends_i18n::format::{format_money, human_duration};
pub use amends_i18n::renderer::render_error;

/// The renderer of pages.
pub type Ui = amends_i18n::Renderer;

/// The page renderer with every page template, dates shown in `tz`.
pub fn ui(tz: chrono_tz::Tz) -> anyhow::Result<Ui> {
    Ui::new(tz, TEMPLATES)
}

macro_rules! templates {
    ($($name:literal),+ $(,)?) => {
        /// Every template, embedded at compile time.
        pub const TEMPLATES: &[(&str, &str)] = &[$(($name, include_str!(concat!("../templates/", $name)))),+];
    };
}

templates!(
    "base.html",
    "chart.html",
    "macros.html",
    "case_rows.html",
    "login.html",
    "error.html",
    "inbox.html",
    "inbox_confirm.html",
    "case.html",
    "case_new.html",
    "customer.html",
    "customers.html",
    "search.html",
    "customer_form.html",
    "customer_erase.html",
    "case_merge.html",
    "customer_privacy.html",
    "accounts.html",
    "account_form.html",
    "customer_merge.html",
    "customer_duplicates.html",
    "settings.html",
    "users.html",
    "sla.html",
    "sla_report.html",
    "dashboard.html",
    "paradox.html",
    "patterns.html",
    "churn.html",
    "risks.html",
    "insights.html",
    "insight.html",
    "teams.html",
    "analytics_nav.html",
    "roi.html",
    "analytics_filter.html",
    "audit.html",
    "feedback.html",
    "rules.html",
    "survey.html",
    "fair.html",
    "case_fair.html",
    "fairness.html",
    "offer.html",
    "offers.html",
    "panel.html",
    "panel_join.html",
    "jobs.html",
    "webhooks.html",
    "widget_sites.html",
    "approvals.html",
    "ledger.html",
    "goodwill_settings.html",
    "incidents.html",
    "incident.html",
    "templates.html",
    "playbooks.html",
    "playbook_edit.html",
    "solutions.html",
    "solution.html",
    "solution_edit.html",
    "help_settings.html",
    "help.html",
    "routing.html",
    "account.html",
    "training.html",
    "corrections.html",
    "training_case.html",
    "quarantine.html",
    "deflection.html",
);

#[cfg(test)]
mod tests {
    use super::*;
    use amends_domain::Language;
    use amends_i18n::catalog::{DE_FTL, I18n};

    #[test]
    fn every_key_used_in_templates_exists() {
        let i18n = I18n::new().expect("catalogues parse");
        let keys = I18n::keys(DE_FTL);
        for (name, src) in TEMPLATES.iter().chain(amends_app::mail::MAIL_TEMPLATES) {
            // `t("key"` calls, not names that merely end in t (`chart("id"`).
            let calls = src
                .match_indices("t(\"")
                .filter(|(i, _)| !src[..*i].ends_with(|c: char| c.is_alphanumeric() || c == '_'));
            for (i, _) in calls {
                let key = src[i + 3..].split('"').next().unwrap_or_default();
                if key.ends_with('-') {
                    // A dynamic key such as `"state-" ~ s`: some key must have the prefix.
                    assert!(
                        keys.iter().any(|k| k.starts_with(key)),
                        "template {name} uses missing key prefix `{key}`"
                    );
                } else {
                    assert!(
                        keys.iter().any(|k| k == key),
                        "template {name} uses missing key `{key}`"
                    );
                }
            }
        }
        assert_eq!(i18n.t(Language::De, "nav-inbox", &[]), "Eingang");
        assert_eq!(i18n.t(Language::En, "nav-inbox", &[]), "Inbox");
    }

    #[test]
    fn a_chart_label_cannot_end_the_spec_script() {
        let chart_html = TEMPLATES
            .iter()
            .find(|(n, _)| *n == "chart.html")
            .map(|(_, src)| *src)
            .expect("chart.html is registered");
        let page = "{% from \"chart.html\" import chart %}{{ chart(\"c1\", title, spec, headers, rows) }}";
        let ui = Ui::new(chrono_tz::UTC, &[("chart.html", chart_html), ("page.html", page)]).expect("templates parse");
        let evil = "</script><script>alert(1)</script>";
        let html = ui
            .render(
                "page.html",
                minijinja::context! {
                    title => evil,
                    spec => minijinja::context! { kind => "bar", x => vec![evil] },
                    headers => vec![evil],
                    rows => vec![vec![evil]],
                },
            )
            .expect("renders");
        assert_eq!(html.matches("<script").count(), 1, "{html}");
        assert_eq!(html.matches("</script>").count(), 1, "{html}");
        let json = html
            .split("class=\"chart-spec\">")
            .nth(1)
            .and_then(|rest| rest.split("</script>").next())
            .expect("the spec script");
        let spec: serde_json::Value = serde_json::from_str(json).expect("the spec is JSON");
        assert_eq!(spec["x"][0], evil, "the label survives as data");
        assert!(
            html.contains("<figcaption>&lt;&#x2f;script&gt;"),
            "the title is escaped text: {html}"
        );
    }
}
