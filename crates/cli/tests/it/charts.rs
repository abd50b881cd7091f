//! Charts: the vendored ECharts bundle and charts.js are served from the
//! binary, and the SLA report draws its per-policy attainment with the
//! `chart` macro (spec JSON plus a table with the same numbers).

use crate::support::{Backend, TestApp, create_user, get_html};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chart_assets_are_served_as_javascript() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for (name, needle) in [("echarts.js", "Apache ECharts"), ("charts.js", "figure.chart")] {
        let res = app.get_anonymous(&format!("/assets/{name}")).await;
        assert_eq!(res.status(), 200, "{name}");
        assert_eq!(
            res.headers()["content-type"],
            "text/javascript; charset=utf-8",
            "{name}"
        );
        let body = res.text().await.expect("body");
        assert!(body.contains(needle), "{name} is the file it claims to be");
    }
    let res = app.get_anonymous("/assets/echarts.min.js").await;
    assert_eq!(res.status(), 404);
}

async fn sla_report_draws_attainment_per_policy(b: Backend) {
    let app = TestApp::spawn(b).await;
    create_user(&app.store, "lead1", "lead").await;
    let customer = app.customer("K-1", "de", "standard").await;
    app.case(&customer, "Paket fehlt").await;
    app.clock.advance(chrono::Duration::hours(9)); // standard/normal: first response within 8 h
    let lead = app.signed_in("lead1").await;
    let (status, html) = get_html(&lead, &app, "/reports/sla?days=30").await;
    assert_eq!(status, 200);
    assert!(html.contains(
        r#"<script src="/assets/echarts.js" defer></script><script src="/assets/charts.js" defer></script>"#
    ));
    assert!(
        html.contains(r#"<figure class="chart" id="sla-by-policy-chart">"#),
        "{html}"
    );
    assert!(html.contains("<figcaption>SLA-Erfüllung je Richtlinie</figcaption>"));
    let json = html
        .split(r#"<script type="application/json" class="chart-spec">"#)
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .expect("the chart spec");
    let spec: serde_json::Value = serde_json::from_str(json).expect("spec is JSON");
    assert_eq!(spec["kind"], "bar");
    assert_eq!(spec["unit"], "percent");
    assert_eq!(spec["decimals"], 1);
    let x = spec["x"].as_array().expect("categories");
    assert!(
        x.iter().any(|l| l.as_str().is_some_and(|l| l.starts_with("standard/"))),
        "{spec}"
    );
    assert_eq!(spec["series"][0]["name"], "Erste Antwort");
    assert_eq!(spec["series"][1]["name"], "Lösung");
    let first = spec["series"][0]["values"].as_array().expect("values");
    assert_eq!(first.len(), x.len());
    assert!(
        first.contains(&serde_json::json!(0.0)),
        "the overdue first response counts as 0 %: {spec}"
    );
    assert!(html.contains(r#"<th scope="col">Richtlinie</th>"#));
    assert!(html.contains("<td>0,0\u{a0}%</td>"), "the table shows German numbers");

    let empty = TestApp::spawn(b).await;
    create_user(&empty.store, "lead1", "lead").await;
    let lead = empty.signed_in("lead1").await;
    let (_, html) = get_html(&lead, &empty, "/reports/sla").await;
    assert!(!html.contains("<figure class=\"chart\""), "no chart without cases");
}

crate::both_backends!(sla_report_draws_attainment_per_policy);
