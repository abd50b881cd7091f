//! Goodwill reasons (why a grant waits, why it was refused, why a rule
//! granted it) in the reader's language, from their codes.

use crate::catalog::I18n;
use crate::format::format_money;
use amends_domain::Language;
use amends_domain::goodwill::{ApprovalReason, AutomaticReason, BudgetBreach, LimitBreach, Refusal};
use fluent_bundle::FluentValue;

fn money(cents: i64, lang: Language) -> FluentValue<'static> {
    FluentValue::from(format_money(cents, lang))
}

/// "über der Grenze je Fall von 100,00 € (50,00 € in diesem Fall schon gewährt)".
#[must_use]
pub fn limit_text(i18n: &I18n, lang: Language, b: &LimitBreach) -> String {
    match *b {
        LimitBreach::PerGrant { max } => i18n.t(lang, "why-limit-per-grant", &[("max", money(max, lang))]),
        LimitBreach::PerCase { max, spent } => i18n.t(
            lang,
            "why-limit-per-case",
            &[("max", money(max, lang)), ("spent", money(spent, lang))],
        ),
        LimitBreach::PerMonth { max, spent } => i18n.t(
            lang,
            "why-limit-per-month",
            &[("max", money(max, lang)), ("spent", money(spent, lang))],
        ),
    }
}

/// "das Monatsbudget von 5.000,00 € würde überschritten (4.980,00 € ausgegeben)".
#[must_use]
pub fn budget_text(i18n: &I18n, lang: Language, b: &BudgetBreach) -> String {
    i18n.t(
        lang,
        "why-budget",
        &[
            ("amount", money(b.amount_cents, lang)),
            ("spent", money(b.spent_cents, lang)),
        ],
    )
}

/// Why a grant waits for approval.
#[must_use]
pub fn approval_text(i18n: &I18n, lang: Language, r: &ApprovalReason) -> String {
    let value = ("value", money(r.value_cents, lang));
    let limit = r.limit.as_ref().map(|l| limit_text(i18n, lang, l));
    let budget = r.budget.as_ref().map(|b| budget_text(i18n, lang, b));
    match (limit, budget) {
        (Some(l), Some(b)) => i18n.t(
            lang,
            "why-approval-limit-and-budget",
            &[value, ("limit", l.into()), ("budget", b.into())],
        ),
        (Some(l), None) => i18n.t(lang, "why-approval-limit", &[value, ("limit", l.into())]),
        (None, Some(b)) => i18n.t(lang, "why-approval-budget", &[value, ("budget", b.into())]),
        (None, None) => i18n.t(lang, "why-approval", &[value]),
    }
}

/// Why a grant or an approval was refused.
#[must_use]
pub fn refusal_text(i18n: &I18n, lang: Language, r: &Refusal) -> String {
    match r {
        Refusal::NegativeValue { .. } => i18n.t(lang, "why-refused-negative", &[]),
        Refusal::OwnRequest => i18n.t(lang, "why-refused-own", &[]),
        Refusal::NotAnApprover => i18n.t(lang, "why-refused-not-approver", &[]),
        Refusal::ApproverLimit { breach } => i18n.t(
            lang,
            "why-refused-approver-limit",
            &[("limit", limit_text(i18n, lang, breach).into())],
        ),
        Refusal::Budget { breach } => i18n.t(
            lang,
            "why-refused-budget",
            &[("budget", budget_text(i18n, lang, breach).into())],
        ),
        Refusal::RuleAlreadyGranted => i18n.t(lang, "why-refused-rule-once", &[]),
    }
}

/// Why a rule granted goodwill.
#[must_use]
pub fn automatic_text(i18n: &I18n, lang: Language, r: &AutomaticReason) -> String {
    match r {
        AutomaticReason::IncidentRule { rule, incident } => i18n.t(
            lang,
            "why-automatic-incident",
            &[("rule", rule.clone().into()), ("incident", incident.clone().into())],
        ),
        AutomaticReason::CaseRule { rule, condition } => i18n.t(
            lang,
            "why-automatic-case",
            &[("rule", rule.clone().into()), ("condition", condition.clone().into())],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_in_each_language() {
        let i18n = I18n::new().expect("catalogues");
        let r = ApprovalReason::limit(90_000, LimitBreach::PerGrant { max: 5_000 });
        assert_eq!(
            approval_text(&i18n, Language::De, &r),
            "900,00 € braucht die Freigabe einer Teamleitung: mehr als die Grenze je Gewährung von 50,00 €"
        );
        assert_eq!(
            approval_text(&i18n, Language::En, &r),
            "€900.00 needs approval by a lead: above the limit per grant of €50.00"
        );
        let both = r.and_budget(BudgetBreach {
            amount_cents: 500_000,
            spent_cents: 498_000,
            currency: "EUR".into(),
        });
        let de = approval_text(&i18n, Language::De, &both);
        assert!(
            de.contains("Monatsbudget von 5.000,00 €") && de.contains("4.980,00 €"),
            "{de}"
        );
        for refusal in [
            Refusal::OwnRequest,
            Refusal::NotAnApprover,
            Refusal::NegativeValue { value_cents: -1 },
            Refusal::RuleAlreadyGranted,
            Refusal::ApproverLimit {
                breach: LimitBreach::PerMonth { max: 1, spent: 1 },
            },
        ] {
            let de = refusal_text(&i18n, Language::De, &refusal);
            let en = refusal_text(&i18n, Language::En, &refusal);
            assert!(!de.starts_with("why-") && de != en, "{de} / {en}");
        }
        let a = AutomaticReason::IncidentRule {
            rule: "Ausfall".into(),
            incident: "Login gestört".into(),
        };
        assert_eq!(
            automatic_text(&i18n, Language::De, &a),
            "Automatische Kulanz „Ausfall“ für die Störung „Login gestört“"
        );
    }
}
