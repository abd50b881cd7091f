//! The churn model over HTTP: trained by the `churn_train` job on planted
//! history where leaving depends on failures and tier, versioned, and the
//! open cases ranked by risk × value. The logistic fit itself is checked
//! against scikit-learn in `crates/stats/tests/churn.rs`.

use crate::support::{Backend, TestApp, case_record, create_user, problem, t0, wait_for};
use amends_app::analytics::churn::held_out;
use amends_domain::{CaseId, CaseState, CustomerId, Language, NonEmptyText, Tier, UserId};
use amends_store::{Batch, CaseRecord, NewCustomer};
use chrono::Duration;
use serde_json::{Value, json};

const CUSTOMERS: u32 = 400;

fn customer(n: u32, tier: Tier) -> NewCustomer {
    let at = t0() - Duration::days(400) + Duration::seconds(i64::from(n));
    NewCustomer {
        id: CustomerId::new_at(at, u128::from(n) * 7919 + 1),
        external_id: Some(format!("CH-{n}")),
        account_id: None,
        name: NonEmptyText::parse("name", &format!("Kunde {n}"), 200).expect("name"),
        email: None,
        language: Language::De,
        tier,
        clv_cents: 10_000 + i64::from(n % 7) * 5_000,
        consent_contact: true,
        consent_survey: true,
        created_at: at,
    }
}

fn case(n: u32, c: &NewCustomer, created: chrono::DateTime<chrono::Utc>, agent: UserId, open: bool) -> CaseRecord {
    let id = CaseId::new_at(created, u128::from(n) + 17);
    CaseRecord {
        state: if open {
            CaseState::InProgress
        } else {
            CaseState::Resolved
        },
        assignee_id: Some(agent),
        resolution_due_at: created + Duration::hours(24),
        first_responded_at: Some(created + Duration::hours(2)),
        resolved_at: (!open).then(|| created + Duration::days(2)),
        ..case_record(id, c, created, &format!("Störung {n}"), "Geht nicht")
    }
}

/// A fixed pseudo-random number in [0, 1) for customer `n`.
fn uniform(n: u32) -> f64 {
    let mut x = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

struct Planted {
    customers: Vec<NewCustomer>,
    churned: Vec<bool>,
    anna: UserId,
}

/// 400 customers who joined 400 days ago; customer n has (n/4) mod 5
/// failures between 170 and 90 days ago and is standard, standard, premium
/// or enterprise by n mod 4. They leave 75 days ago with probability
/// σ(-2.2 + 0.9·failures - 1.5·[not standard]). Three who stay have an open
/// case: two of anna's, one of ben's.
async fn plant(app: &TestApp) -> Planted {
    let anna = create_user(&app.store, "anna", "agent").await;
    let ben = create_user(&app.store, "ben", "agent").await;
    let tiers = [Tier::Standard, Tier::Standard, Tier::Premium, Tier::Enterprise];
    let mut b = Batch::default();
    let mut churned = Vec::new();
    let mut open = 0;
    for n in 0..CUSTOMERS {
        let tier = tiers[(n % 4) as usize];
        let c = customer(n, tier);
        let failures = (n / 4) % 5;
        for j in 0..failures {
            let at = t0() - Duration::days(170) + Duration::days(i64::from(j) * 15) + Duration::minutes(i64::from(n));
            b.cases.push(case(n * 10 + j, &c, at, anna, false));
        }
        let z = -2.2 + 0.9 * f64::from(failures) - if tier == Tier::Standard { 0.0 } else { 1.5 };
        let leaves = uniform(n) < 1.0 / (1.0 + (-z).exp());
        if leaves {
            b.churned.push((c.id, t0() - Duration::days(75)));
        } else if open < 3 && failures > 0 {
            let agent = if open < 2 { anna } else { ben };
            b.cases
                .push(case(n * 10 + 9, &c, t0() - Duration::days(2), agent, true));
            open += 1;
        }
        churned.push(leaves);
        b.customers.push(c);
    }
    app.store.insert_batch(&b).await.expect("plant");
    Planted {
        customers: b.customers,
        churned,
        anna,
    }
}

async fn model_version(app: &TestApp) -> Option<i64> {
    let r = app.get_json("/api/v1/analytics/churn", &app.admin_token).await;
    r["model"]["version"].as_i64()
}

async fn train_and_wait(app: &TestApp, version: i64) -> Value {
    let res = app
        .post("/api/v1/analytics/churn/train", &app.admin_token, json!({}))
        .await;
    assert_eq!(res.status(), 202);
    let body: Value = res.json().await.expect("json");
    assert!(body["job_id"].is_string(), "{body}");
    wait_for(30, "the churn model to be trained", || async {
        (model_version(app).await >= Some(version)).then_some(())
    })
    .await;
    app.get_json("/api/v1/analytics/churn?limit=10", &app.admin_token).await
}

async fn churn_model_is_trained_versioned_and_ranks_open_cases(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Before any history: no model, a clear empty report.
    let empty = app.get_json("/api/v1/analytics/churn", &app.admin_token).await;
    assert!(empty["model"].is_null(), "{empty}");
    assert_eq!(empty["cases"], json!([]));
    // The week's training queued by the workers at start has run (on no
    // history: no model), so the versions below are ours.
    app.jobs_settled().await;
    assert!(model_version(&app).await.is_none());

    let p = plant(&app).await;
    let r = train_and_wait(&app, 1).await;
    let m = &r["model"];
    assert_eq!(m["version"], 1);
    assert_eq!(m["horizon_days"], 30);

    // Every customer joined before the twelve monthly cut-offs; a leaver
    // drops out of the two after they left. The held-out share by the hash
    // of the id.
    let held: Vec<usize> = (0..p.customers.len())
        .filter(|&i| held_out(p.customers[i].id.0))
        .collect();
    let rows = |ids: &mut dyn Iterator<Item = usize>| ids.map(|i| if p.churned[i] { 10 } else { 12 }).sum::<i64>();
    let n_test = rows(&mut held.iter().copied());
    assert_eq!(m["n_test"].as_i64(), Some(n_test), "{m}");
    assert_eq!(m["n_train"].as_i64(), Some(rows(&mut (0..p.customers.len())) - n_test));
    let cal = m["calibration"].as_array().expect("calibration");
    assert_eq!(cal.len(), 10);
    let sum = |k: &str| cal.iter().map(|b| b[k].as_u64().expect("count")).sum::<u64>();
    assert_eq!(sum("n") as i64, n_test);
    // The held-out leavers: one positive row each (the cut-off 90 days ago).
    assert_eq!(sum("churned") as usize, held.iter().filter(|&&i| p.churned[i]).count());
    for b in cal {
        let (lo, obs, hi) = (
            b["low"].as_f64().expect("number"),
            b["observed"].as_f64().expect("number"),
            b["high"].as_f64().expect("number"),
        );
        assert!(lo <= obs && obs <= hi, "{b}");
    }
    let auc = m["auc"].as_f64().expect("auc");
    assert!(auc > 0.75, "held-out AUC {auc}");
    let coef = |f: &str| {
        m["drivers"]
            .as_array()
            .expect("drivers")
            .iter()
            .find(|d| d["feature"] == f)
            .unwrap_or_else(|| panic!("driver {f}"))
            .clone()
    };
    assert!(coef("failures")["coefficient"].as_f64().expect("number") > 0.0, "{m}");
    assert!(coef("failures")["odds_ratio"].as_f64().expect("number") > 1.0);
    assert!(coef("premium")["coefficient"].as_f64().expect("number") < 0.0, "{m}");
    assert!(coef("enterprise")["coefficient"].as_f64().expect("number") < 0.0, "{m}");
    // In words, in the caller's language (the admin's is German).
    assert!(
        r["auc_statement"].as_str().expect("string").starts_with("AUC 0,"),
        "{r}"
    );
    let words = r["driver_statements"].as_array().expect("statements");
    assert!(
        words
            .iter()
            .any(|s| s.as_str().expect("string").starts_with("Jeder weitere Fehler erhöht")),
        "{words:?}"
    );

    // The open cases, highest risk × value first; the score is that product.
    let cases = r["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 3, "{cases:?}");
    let scores: Vec<f64> = cases.iter().map(|c| c["score"].as_f64().expect("number")).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    for c in cases {
        let expect = c["risk"].as_f64().expect("number") * c["value_cents"].as_f64().expect("number");
        assert!((c["score"].as_f64().expect("number") - expect).abs() < 1e-6, "{c}");
        assert_eq!(c["link"], format!("/cases/{}", c["case_id"].as_str().expect("string")));
    }

    // Agents see only their own cases; only admins may train.
    let anna = amends_app::service::create_token(&app.store, t0(), p.anna, "t", None)
        .await
        .expect("token")
        .1;
    let own = app.get_json("/api/v1/analytics/churn", &anna).await;
    let own = own["cases"].as_array().expect("cases");
    assert_eq!(own.len(), 2);
    assert!(own.iter().all(|c| c["assignee_id"] == json!(p.anna.0)));
    problem(app.post("/api/v1/analytics/churn/train", &anna, json!({})).await, 403).await;
    let lead = app.token_for("lena", "lead").await;
    problem(app.post("/api/v1/analytics/churn/train", &lead, json!({})).await, 403).await;
    problem(app.get("/api/v1/analytics/churn?limit=0", &lead).await, 422).await;

    // The inbox's churn view: the same cases in the same order, one page;
    // agents see their own; the views' count says how many.
    let ids = |v: &Value, key: &str| -> Vec<String> {
        v.as_array()
            .expect("list")
            .iter()
            .map(|c| c[key].as_str().expect("id").to_owned())
            .collect()
    };
    let view = app.get_json("/api/v1/cases?view=churn&limit=10", &lead).await;
    assert_eq!(ids(&view["items"], "id"), ids(&r["cases"], "case_id"), "{view}");
    assert_eq!(view["next_cursor"], Value::Null);
    let top = app.get_json("/api/v1/cases?view=churn&limit=1", &lead).await;
    assert_eq!(ids(&top["items"], "id"), ids(&r["cases"], "case_id")[..1].to_vec());
    let own_view = app.get_json("/api/v1/cases?view=churn", &anna).await;
    assert_eq!(ids(&own_view["items"], "id"), ids(&json!(own), "case_id"));
    let count = |views: Value| {
        views
            .as_array()
            .expect("views")
            .iter()
            .find(|v| v["view"] == "churn")
            .expect("churn view")["count"]
            .clone()
    };
    assert_eq!(count(app.get_json("/api/v1/cases/views", &lead).await), 3);
    assert_eq!(count(app.get_json("/api/v1/cases/views", &anna).await), 2);

    // Training again makes version 2 the active one.
    let r2 = train_and_wait(&app, 2).await;
    assert_eq!(r2["model"]["version"], 2);
    let versions = app.store.list_churn_models(10).await.expect("versions");
    assert_eq!(
        versions.iter().map(|v| (v.version, v.active)).collect::<Vec<_>>(),
        vec![(2, true), (1, false)]
    );
    // Same history, same deterministic fit.
    assert_eq!(r2["model"]["auc"], m["auc"]);
}

/// On the demo's data, the ranking read a page of customers at a time
/// (`GET /api/v1/analytics/churn`) is the ranking of every history read at
/// once (`rank` over `churn_facts`), for the team and for one agent.
async fn the_paged_ranking_is_the_ranking_of_all_histories(backend: Backend) {
    use amends_app::analytics::churn::{RANK_PAGE, StoredModel, rank};
    let app = TestApp::spawn(backend).await;
    app.jobs_settled().await;
    amends_devtools::demo::generate(
        &app.store,
        t0(),
        amends_devtools::demo::DemoOptions {
            stream: 2_000,
            ..amends_devtools::demo::DemoOptions::default()
        },
    )
    .await
    .expect("demo");
    train_and_wait(&app, 1).await;
    let row = app.store.active_churn_model().await.expect("model").expect("a model");
    let model: StoredModel = serde_json::from_str(&row.model).expect("model json");
    let facts = app.store.churn_facts(t0()).await.expect("facts");
    let all = rank(&facts, &model.fit, t0(), None, 500);
    let customers: std::collections::HashSet<_> = all.iter().map(|c| c.customer_id).collect();
    assert!(
        customers.len() > RANK_PAGE,
        "more than one page: {} customers",
        customers.len()
    );
    let compare = |paged: &Value, expected: &[amends_app::analytics::churn::RiskCase]| {
        let paged = paged["cases"].as_array().expect("cases");
        assert_eq!(paged.len(), expected.len());
        for (p, e) in paged.iter().zip(expected) {
            assert_eq!(p["case_id"], e.case_id.to_string());
            let score = p["score"].as_f64().expect("score");
            assert!((score - e.score).abs() <= 1e-9 * e.score.abs().max(1.0), "{p} vs {e:?}");
        }
    };
    compare(
        &app.get_json("/api/v1/analytics/churn?limit=500", &app.admin_token)
            .await,
        &all,
    );
    compare(
        &app.get_json("/api/v1/analytics/churn?limit=7", &app.admin_token).await,
        &all[..7],
    );
    let agent = all.iter().find_map(|c| c.assignee_id).expect("an assigned case");
    let mine = rank(&facts, &model.fit, t0(), Some(agent), 500);
    assert!(!mine.is_empty());
    let token = amends_app::service::create_token(&app.store, t0(), UserId(agent), "t", None)
        .await
        .expect("token")
        .1;
    compare(&app.get_json("/api/v1/analytics/churn?limit=500", &token).await, &mine);
}

/// Trainings that finish at once each get their own version (on
/// PostgreSQL two used to read the same `MAX(version)` and one failed).
async fn trainings_at_once_get_their_own_versions(b: Backend) {
    let app = TestApp::spawn(b).await;
    let model = amends_store::NewChurnModel {
        trained_at: t0(),
        model: "{}".into(),
        n_train: 10,
        n_test: 5,
        auc: Some(0.7),
        calibration: "[]".into(),
    };
    let runs = (0..8).map(|_| app.store.insert_churn_model(&model));
    let mut versions: Vec<i64> = futures_util::future::join_all(runs)
        .await
        .into_iter()
        .map(|r| r.expect("a version").version)
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, (1..=8).collect::<Vec<_>>());
}

crate::both_backends!(
    trainings_at_once_get_their_own_versions,
    churn_model_is_trained_versioned_and_ranks_open_cases,
    the_paged_ranking_is_the_ranking_of_all_histories,
);
