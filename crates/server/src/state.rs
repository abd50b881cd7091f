//! Shared application state handed to every handler.

use crate::auth::throttle::LoginThrottle;
use crate::clock::Clock;
use crate::config::Config;
use crate::ui::render::Ui;
use amends_store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Clock,
    config: Config,
    ui: Ui,
    login_throttle: LoginThrottle,
    analyzer: amends_text::Analyzer,
}

impl AppState {
    pub fn new(store: Store, clock: Clock, config: Config) -> anyhow::Result<Self> {
        let ui = Ui::new(config.tz())?;
        let analyzer = match &config.text_model {
            Some(path) => amends_text::Analyzer::from_model_file(path).map_err(|e| {
                anyhow::anyhow!(
                    "config key `text_model`: cannot load `{}`: {e}; train one with `amends text train`",
                    path.display()
                )
            })?,
            None => amends_text::Analyzer::default_model(),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                clock,
                config,
                ui,
                login_throttle: LoginThrottle::default(),
                analyzer,
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

    #[must_use]
    pub fn ui(&self) -> &Ui {
        &self.inner.ui
    }

    #[must_use]
    pub fn login_throttle(&self) -> &LoginThrottle {
        &self.inner.login_throttle
    }

    /// The text analyser (shared; cheap to use from many requests).
    #[must_use]
    pub fn analyzer(&self) -> &amends_text::Analyzer {
        &self.inner.analyzer
    }
}
