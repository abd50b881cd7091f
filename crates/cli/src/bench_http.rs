//! `amends bench http`: the request figures of docs/BENCHMARKS.md over
//! real HTTP. Starts `amends serve` (this binary) on a scratch database,
//! drives it over loopback with `concurrency` client tasks on keep-alive
//! connections for `seconds` per figure, and runs the disk's plain speed
//! (one-row commits on one connection) in the same run for the ratio.

use amends_app::service::{self, UserInput};
use amends_devtools::percentile;
use amends_store::{Durability, Store, scratch};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How hard and how long to drive each figure.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub concurrency: usize,
    pub seconds: f64,
}

/// One figure: a request shape, its target on each backend.
struct Figure {
    name: &'static str,
    target_sqlite: &'static str,
    target_postgres: &'static str,
}

const FIGURES: [Figure; 4] = [
    Figure {
        name: "POST /api/v1/cases",
        target_sqlite: "≥ 5,000 req/s, p99 < 25 ms",
        target_postgres: "≥ 2,500 req/s",
    },
    Figure {
        name: "POST /api/v1/feedback",
        target_sqlite: "≥ 4,000 req/s",
        target_postgres: "≥ 2,000 req/s",
    },
    Figure {
        name: "GET /api/v1/cases/{id}",
        target_sqlite: "≥ 20,000 req/s",
        target_postgres: "—",
    },
    Figure {
        name: "GET /api/v1/cases?state=new&limit=50",
        target_sqlite: "≥ 8,000 req/s",
        target_postgres: "—",
    },
];

/// What one figure measured.
#[derive(Debug, Clone)]
pub struct Measured {
    pub name: &'static str,
    pub requests: u64,
    pub errors: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Feedback texts the analyser reads as complaints and as praise.
const TEXTS: [&str; 4] = [
    "Die Lieferung kam zwei Wochen zu spät und die Vase war kaputt. Niemand antwortet, ich kündige!",
    "The parcel arrived damaged and nobody answers my emails. I want a refund.",
    "Vielen Dank, der Austausch ging schnell und freundlich.",
    "Great service, the replacement arrived the next day.",
];

/// Runs every figure against a scratch database next to `base_url` and
/// prints the table.
pub async fn run(base_url: &str, load: Load) -> anyhow::Result<()> {
    let backend = if base_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let url = scratch::create(base_url, "amends_bench_http").await?;
    let measured = measure(&url, load).await;
    scratch::drop(base_url, "amends_bench_http", &url).await?;
    let measured = measured?;

    let baseline_url = scratch::create(base_url, "amends_bench_baseline").await?;
    let baseline = scratch::one_row_commits(&baseline_url, load.seconds).await;
    scratch::drop(base_url, "amends_bench_baseline", &baseline_url).await?;
    let baseline = baseline?;

    println!(
        "amends bench http on {backend}: {} client tasks on keep-alive connections, {:.1} s per figure",
        load.concurrency, load.seconds
    );
    println!("| figure | requests | req/s | p50 ms | p99 ms | errors | target | req/s ÷ baseline |");
    println!("|---|---:|---:|---:|---:|---:|---|---:|");
    for (m, f) in measured.iter().zip(FIGURES.iter()) {
        let target = if backend == "SQLite" {
            f.target_sqlite
        } else {
            f.target_postgres
        };
        println!(
            "| `{}` | {} | {:.0} | {:.1} | {:.1} | {} | {} | {:.3} |",
            m.name,
            m.requests,
            m.per_second,
            m.p50_ms,
            m.p99_ms,
            m.errors,
            target,
            m.per_second / baseline.max(1.0)
        );
    }
    println!(
        "baseline: {baseline:.0} plain one-row commits/s on one connection, same disk, same run{}",
        if backend == "SQLite" {
            " (WAL, synchronous=NORMAL)"
        } else {
            ""
        }
    );
    if measured.iter().any(|m| m.errors > 0) {
        anyhow::bail!("some requests failed; see the errors column");
    }
    Ok(())
}

/// Seeds a user, a token, a customer and cases, starts the server and
/// drives each figure in turn.
async fn measure(url: &str, load: Load) -> anyhow::Result<Vec<Measured>> {
    let token = seed(url).await?;
    let mut server = Server::start(url).await?;
    let result = drive_all(&server.base, &token, load).await;
    server.stop().await;
    result
}

async fn seed(url: &str) -> anyhow::Result<String> {
    let store = Store::connect(url, Durability::Normal).await?;
    store.migrate().await?;
    let now = amends_app::Clock::System.now();
    let input = UserInput {
        username: "bench".into(),
        display_name: None,
        email: None,
        role: "admin".into(),
        language: None,
        password: "bench-password-1".into(),
    };
    let user = service::create_user(&store, now, input, None)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.for_operator()))?;
    let (_, token) = service::create_token(&store, now, user.id, "bench", None)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.for_operator()))?;
    store.close().await;
    Ok(token)
}

async fn drive_all(base: &str, token: &str, load: Load) -> anyhow::Result<Vec<Measured>> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(load.concurrency)
        .tcp_nodelay(true)
        .build()?;
    let api = Api {
        client,
        base: base.to_owned(),
        token: token.to_owned(),
    };
    let customer = api
        .post(
            "/api/v1/customers",
            json!({"name": "Erika Muster", "email": "erika@example.de"}),
        )
        .await?;
    let customer_id = customer["id"].as_str().unwrap_or_default().to_owned();
    let mut case_ids = Vec::new();
    for i in 0..200 {
        let case = api
            .post(
                "/api/v1/cases",
                json!({"customer_id": customer_id, "subject": format!("Vorlauf {i}"), "channel": "email"}),
            )
            .await?;
        case_ids.push(case["id"].as_str().unwrap_or_default().to_owned());
    }
    let api = Arc::new(api);
    let customer_id: Arc<str> = customer_id.into();
    let case_ids: Arc<[String]> = case_ids.into();

    let mut out = Vec::new();
    for (k, figure) in FIGURES.iter().enumerate() {
        let customer_id = customer_id.clone();
        let case_ids = case_ids.clone();
        let request = move |api: &Api, i: u64| -> reqwest::RequestBuilder {
            match k {
                0 => api.client.post(api.url("/api/v1/cases")).json(&json!({
                    "customer_id": &*customer_id,
                    "subject": format!("Lieferung {i} zu spät"),
                    "description": TEXTS[usize::try_from(i % 4).unwrap_or(0)],
                    "channel": "email",
                })),
                1 => api.client.post(api.url("/api/v1/feedback")).json(&json!({
                    "customer_email": format!("kunde-{}@example.de", i % 5_000),
                    "channel": "web",
                    "rating": 1 + i % 5,
                    "text": TEXTS[usize::try_from(i % 4).unwrap_or(0)],
                })),
                2 => api.client.get(api.url(&format!(
                    "/api/v1/cases/{}",
                    case_ids[usize::try_from(i).unwrap_or(0) % case_ids.len()]
                ))),
                _ => api.client.get(api.url("/api/v1/cases?state=new&limit=50")),
            }
            .bearer_auth(&api.token)
        };
        out.push(drive(figure.name, &api, load, request).await);
    }
    Ok(out)
}

/// `concurrency` tasks send `request(i)` with the next `i` until the time
/// is up; each request's latency is kept.
async fn drive<F>(name: &'static str, api: &Arc<Api>, load: Load, request: F) -> Measured
where
    F: Fn(&Api, u64) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let next = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs_f64(load.seconds.max(0.1));
    let started = Instant::now();
    let tasks: Vec<_> = (0..load.concurrency.max(1))
        .map(|_| {
            let (api, request, next) = (api.clone(), request.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                while Instant::now() < until {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let sent = Instant::now();
                    let ok = match request(&api, i).send().await {
                        Ok(res) => {
                            let ok = res.status().is_success();
                            // Read the body: the request is done when it is.
                            res.bytes().await.is_ok() && ok
                        }
                        Err(_) => false,
                    };
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    if !ok {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            latencies.extend(l);
            errors += e;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    Measured {
        name,
        requests: latencies.len() as u64,
        errors,
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
    }
}

struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let res = self
            .client
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            anyhow::bail!("seeding: POST {path} answered {status}: {body}");
        }
        Ok(body)
    }
}

/// `amends serve` on the scratch database, bound to a free loopback port.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(url: &str) -> anyhow::Result<Self> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--database-url", url, "serve", "--bind", "127.0.0.1:0"])
            // The server's log filter; `AMENDS_BENCH_SERVER_LOG=warn,sqlx::query=debug`
            // writes every statement and its time to stderr (a profile).
            .env(
                "AMENDS_LOG",
                std::env::var("AMENDS_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".to_owned()),
            )
            .env_remove("AMENDS_DATABASE_URL")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout of amends serve"))?;
        let mut lines = BufReader::new(stdout).lines();
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(addr) = line.split("listening on ").nth(1) {
                    return Ok(addr.trim().to_owned());
                }
            }
            anyhow::bail!("amends serve ended before it listened")
        })
        .await
        .map_err(|_| anyhow::anyhow!("amends serve did not listen within 60 s"))??;
        // Keep reading its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { child, base })
    }

    async fn stop(&mut self) {
        let _ = self.child.kill().await;
    }
}
