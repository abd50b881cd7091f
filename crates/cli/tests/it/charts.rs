//! Charts: the vendored ECharts bundle and charts.js are served from the binary.

use crate::support::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chart_assets_are_served_as_javascript() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for (name, needle) in [("echarts.js", "Apache ECharts"), ("charts.js", "figure.chart")] {
        let res = app
            .client
            .get(app.url(&format!("/assets/{name}")))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 200, "{name}");
        assert_eq!(
            res.headers()["content-type"],
            "text/javascript; charset=utf-8",
            "{name}"
        );
        let body = res.text().await.expect("body");
        assert!(body.contains(needle), "{name} is the file it claims to be");
    }
    let res = app
        .client
        .get(app.url("/assets/echarts.min.js"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 404);
}
