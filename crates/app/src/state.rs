//! The application: store, clock, configuration, text analyser, mailer
//! and the other shared parts that every use case is handed. Cheap to
//! clone (one `Arc`).

use crate::clock::Clock;
use crate::config::Config;
use amends_i18n::Renderer;
use amends_store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Clock,
    config: Config,
    mail_renderer: Renderer,
    /// The analyser of the configuration (the shipped model or `text_model`).
    base_analyzer: amends_text::Analyzer,
    /// The analyser in use and the company model version it holds (none:
    /// `base_analyzer`); swapped by `text_models::sync`.
    analyzer: std::sync::RwLock<InUse>,
    mailer: crate::mail::Mailer,
    http: reqwest::Client,
    job_notify: Arc<tokio::sync::Notify>,
    survey_key: std::sync::OnceLock<Vec<u8>>,
    imap_status: crate::imap::StatusCell,
}

/// The analyser in use and its company model version.
struct InUse {
    version: Option<i64>,
    analyzer: amends_text::Analyzer,
}

impl App {
    pub fn new(store: Store, clock: Clock, config: Config) -> anyhow::Result<Self> {
        let mail_renderer = crate::mail::renderer(config.timezone)?;
        let analyzer = match &config.text_model {
            Some(path) => amends_text::Analyzer::from_model_file(path).map_err(|e| {
                anyhow::anyhow!(
                    "config key `text_model`: cannot load `{}`: {e}; train one with `amends text train`",
                    path.display()
                )
            })?,
            None => amends_text::Analyzer::default_model(),
        };
        let mailer = crate::mail::Mailer::new(config.smtp.url.as_deref(), &config.smtp.from, &config.base_url)?;
        let http = reqwest::Client::builder()
            .timeout(config.webhook_timeout.to_std().unwrap_or_default())
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(crate::outbound::GuardedResolver::new(config.webhook_allow.clone()))
            .build()?;
        let imap_status = crate::imap::StatusCell::new(config.imap_url.as_deref());
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                clock,
                config,
                mail_renderer,
                base_analyzer: analyzer.clone(),
                analyzer: std::sync::RwLock::new(InUse {
                    version: None,
                    analyzer,
                }),
                mailer,
                http,
                job_notify: Arc::new(tokio::sync::Notify::new()),
                survey_key: std::sync::OnceLock::new(),
                imap_status,
            }),
        })
    }

    #[must_use]
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    #[must_use]
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    #[must_use]
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    #[must_use]
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The engine of outgoing mails (`mail.txt`, `mail.html`).
    #[must_use]
    pub fn mail_renderer(&self) -> &Renderer {
        &self.inner.mail_renderer
    }

    /// The text analyser in use (a cheap clone of shared parts): the active
    /// company model's, else the configuration's.
    #[must_use]
    pub fn analyzer(&self) -> amends_text::Analyzer {
        self.in_use().analyzer.clone()
    }

    /// The company model version the analyser uses (none: the configuration's model).
    #[must_use]
    pub fn text_model_version(&self) -> Option<i64> {
        self.in_use().version
    }

    fn in_use(&self) -> std::sync::RwLockReadGuard<'_, InUse> {
        self.inner
            .analyzer
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Uses company model `version` with `model` from now on, or (`None`)
    /// the configuration's analyser again.
    pub fn use_text_model(&self, version: Option<(i64, amends_text::TrainedModel)>) {
        let next = match version {
            Some((version, model)) => InUse {
                version: Some(version),
                analyzer: self.inner.base_analyzer.clone().with_model(model),
            },
            None => InUse {
                version: None,
                analyzer: self.inner.base_analyzer.clone(),
            },
        };
        *self
            .inner
            .analyzer
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = next;
    }

    /// What the IMAP poller of this instance did last.
    #[must_use]
    pub fn imap_status(&self) -> &crate::imap::StatusCell {
        &self.inner.imap_status
    }

    #[must_use]
    pub fn mailer(&self) -> &crate::mail::Mailer {
        &self.inner.mailer
    }

    /// The HTTP client for webhooks (timeout from `webhook_timeout`, no redirects).
    #[must_use]
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Wakes this instance's idle job workers (other instances poll).
    pub fn wake_workers(&self) {
        self.inner.job_notify.notify_waiters();
    }

    #[must_use]
    pub fn job_notify(&self) -> Arc<tokio::sync::Notify> {
        self.inner.job_notify.clone()
    }

    /// Loads (or creates) the server-wide secrets kept in the database.
    pub async fn init_secrets(&self) -> anyhow::Result<()> {
        use base64::Engine;
        use rand::RngCore;
        let mut candidate = [0u8; 32];
        rand::rng().fill_bytes(&mut candidate);
        let candidate = base64::engine::general_purpose::STANDARD.encode(candidate);
        let v = self.store().secret("survey_key", &candidate, self.now()).await?;
        let key = base64::engine::general_purpose::STANDARD.decode(v)?;
        let _ = self.inner.survey_key.set(key);
        Ok(())
    }

    /// The key of survey link tokens ([`App::init_secrets`] sets it).
    #[must_use]
    pub fn survey_key(&self) -> &[u8] {
        self.inner
            .survey_key
            .get()
            .map_or(b"amends-uninitialised", Vec::as_slice)
    }
}
