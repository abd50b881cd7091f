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
}

impl AppState {
    pub fn new(store: Store, clock: Clock, config: Config) -> anyhow::Result<Self> {
        let ui = Ui::new(config.tz())?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                clock,
                config,
                ui,
                login_throttle: LoginThrottle::default(),
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
}
