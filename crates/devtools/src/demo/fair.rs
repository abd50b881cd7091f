//! Demo "what is fair" answers on finished cases (granted above and below
//! what was expected, with the association the report should show), tier
//! offers at every stage, and members of the feature panel.

use amends_app::App;
use amends_domain::fair::{FairAnswer, FairSource};
use amends_domain::tier_offer::{OfferState, TierOfferRule};
use amends_domain::{CaseState, Tier};
use amends_store::{CaseFilter, CustomerPatch, OfferDraft, new_row_id};
use std::collections::{BTreeMap, BTreeSet};

/// What the demo planted: (fair answers, tier offers, panel members).
pub struct FairDemo {
    pub answers: usize,
    pub offers: usize,
    pub members: usize,
}

/// Plants the answers on up to 60 finished cases with a survey answer: a
/// happy customer (4–5) expected at most what was granted, an unhappy one
/// more. Offers go to customers with a finished case (without mail: the
/// demo has no SMTP); some are opened, accepted, declined and converted.
pub async fn fair(app: &App) -> anyhow::Result<FairDemo> {
    let lead = app.store().get_user_by_username("lena").await?.id;
    let now = app.now();
    let finished = app
        .store()
        .list_cases(&CaseFilter {
            states: vec![CaseState::Resolved, CaseState::FollowedUp, CaseState::Closed],
            limit: 400,
            ..CaseFilter::default()
        })
        .await?;
    let mut answers = 0;
    let mut customers = BTreeSet::new();
    for (i, case) in finished.items.iter().enumerate() {
        if answers >= 60 {
            break;
        }
        let Some(score) = app
            .store()
            .list_case_surveys(case.id)
            .await?
            .iter()
            .find_map(|s| s.score)
        else {
            continue;
        };
        let granted = app.store().case_granted_eur_cents(case.id).await?;
        let answer = if score >= 4 {
            if granted == 0 {
                FairAnswer::parse("apology", None, None)?
            } else {
                FairAnswer::parse("voucher", Some(granted - granted % 500), None)?
            }
        } else if i % 3 == 0 {
            FairAnswer::parse("other", None, Some("Ein Anruf und eine ehrliche Erklärung"))?
        } else {
            FairAnswer::parse("refund", Some(granted + 2_000 + 500 * (i as i64 % 4)), None)?
        };
        let source = if i % 4 == 0 {
            FairSource::Agent
        } else {
            FairSource::Customer
        };
        let author = (source == FairSource::Agent).then_some(lead);
        app.store()
            .add_fair_expectation(case.id, &answer, source, author, now)
            .await?;
        answers += 1;
    }
    for case in &finished.items {
        customers.insert(case.customer_id);
    }

    // Offers: a permissive rule so that the demo's history qualifies.
    let rule = TierOfferRule {
        enabled: true,
        upgrades: BTreeMap::from([(Tier::Standard, Tier::Premium), (Tier::Premium, Tier::Enterprise)]),
        min_failures: 1,
        window_days: 730,
        cooldown_days: 180,
    };
    let mut offers = Vec::new();
    for customer in &customers {
        if offers.len() >= 12 {
            break;
        }
        let draft = OfferDraft {
            id: new_row_id(app.now()),
            customer: *customer,
            case: None,
            score: 5,
        };
        if let Ok(o) = app.store().make_tier_offer(&draft, &rule, |_, _| None, now).await? {
            offers.push(o);
        }
    }
    for (i, o) in offers.iter().enumerate() {
        let step = match i % 4 {
            0 => Some(OfferState::Opened),
            1 | 3 => Some(OfferState::Accepted),
            _ if i % 8 == 2 => Some(OfferState::Declined),
            _ => None,
        };
        if let Some(s) = step {
            app.store().step_tier_offer(o.id, s, now).await?;
        }
        if i % 4 == 1 {
            let to: Tier = o.to_tier.parse()?;
            let patch = CustomerPatch {
                tier: Some(to),
                ..CustomerPatch::default()
            };
            amends_app::service::update_customer(app, amends_domain::CustomerId(o.customer_id), &patch, lead).await?;
        }
    }

    // Panel: invite recovered customers the rules allow, and let half join.
    let segment = amends_app::panel::segment(app, &amends_store::PanelFilter::default()).await?;
    let ids: Vec<_> = segment
        .customers
        .iter()
        .filter(|c| c.blocked.is_none())
        .take(12)
        .map(|c| c.customer_id)
        .collect();
    let mut members = 0;
    if !ids.is_empty() {
        let out = amends_app::panel::invite(app, &amends_app::panel::InvitationsIn { customer_ids: ids }, lead).await?;
        for id in out.invited.iter().step_by(2) {
            if amends_app::panel::join(app, amends_domain::CustomerId(*id)).await? {
                members += 1;
            }
        }
    }
    Ok(FairDemo {
        answers,
        offers: offers.len(),
        members,
    })
}
