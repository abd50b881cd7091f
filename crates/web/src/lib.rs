//! The web of amends: the REST API, the web UI, authentication, the public
//! pages and the widget — adapters over the use cases of `amends-app` — and
//! the [`Application`] that builds everything from a [`Config`] and serves it.
//!
//! `main` only parses flags and calls [`Application::build`]; tests build
//! the same application on port 0 with their own database.

pub mod api;
pub mod auth;
pub mod dto;
pub mod error;
pub mod health;
pub mod limits;
pub mod metrics;
pub mod query;
pub mod render;
pub mod state;
pub mod ui;
pub mod views;
pub mod vocab;
pub mod widget;
pub mod widget_answers;

pub use amends_app::{App, Clock, Config, Overrides};
pub use state::AppState;

use amends_app::{imap, worker};

use amends_store::Store;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Builds the whole HTTP router for `state`.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(health::router(state.clone()))
        .merge(api::router(state.clone()))
        .merge(widget::router(state.clone()))
        .merge(widget_answers::router(state.clone()))
        .merge(ui::router(state))
        .fallback(not_found)
        .route_layer(axum::middleware::from_fn(metrics::track))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ))
        .layer(CatchPanicLayer::new())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// The base URL of links when none is configured: the address actually
/// bound (an unspecified address such as `0.0.0.0` is named by its loopback).
#[must_use]
pub fn bound_base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        std::net::IpAddr::V6(v6) if v6.is_unspecified() => std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// Unknown paths: problem+json under `/api/`, an HTML page elsewhere.
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        error::ApiError::not_found("route").into_response()
    } else {
        ui::UiError::NotFound.into_response()
    }
}

/// A built application: a bound listener and its state.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects to the database, applies migrations and binds the address.
    pub async fn build(config: Config, clock: Clock) -> anyhow::Result<Self> {
        let store = Store::connect(&config.database_url, config.durability).await?;
        store.migrate().await?;
        Self::build_with_store(config, clock, store).await
    }

    pub async fn build_with_store(mut config: Config, clock: Clock, store: Store) -> anyhow::Result<Self> {
        let addr: SocketAddr = config.bind.parse()?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}; choose another address with --bind"))?;
        if config.base_url_from_bind {
            config.base_url = bound_base_url(listener.local_addr()?);
        }
        let app = App::new(store, clock, config)?;
        metrics::handle();
        app.init_secrets().await?;
        if let Err(e) = amends_app::text_models::sync(&app).await {
            tracing::warn!(error = %e, "cannot load the active text model; using the configured one");
        }
        let state = AppState::new(app)?;
        Ok(Self { listener, state })
    }

    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    #[must_use]
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves (and runs the background job workers and the IMAP poller) until `shutdown`
    /// completes; then lets running jobs finish and closes the database.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let store = self.state.store().clone();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut workers = worker::start(&self.state, &stop_rx);
        workers.extend(imap::start(&self.state, &stop_rx));
        let mut http_stop = stop_rx.clone();
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let app = router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(async move {
                let _ = http_stop.wait_for(|stop| *stop).await;
            })
            .await;
        for w in workers {
            let _ = w.await;
        }
        store.close().await;
        served?;
        Ok(())
    }
}
