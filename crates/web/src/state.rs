//! The state every handler gets: the [`App`] of the use cases plus what
//! only the web needs (page renderer, login throttle, widget rate limits).
//! It dereferences to the [`App`], so `state.now()` and use-case calls
//! (`service::open_case(&state, …)`) read as before.

use crate::limits::LoginThrottle;
use crate::limits::RateLimiter;
use crate::render::Ui;
use amends_app::App;
use std::ops::Deref;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    app: App,
    ui: Ui,
    login_throttle: LoginThrottle,
    widget_limiter: RateLimiter,
}

impl AppState {
    pub fn new(app: App) -> anyhow::Result<Self> {
        let ui = crate::render::ui(app.config().timezone)?;
        Ok(Self {
            inner: Arc::new(Inner {
                app,
                ui,
                login_throttle: LoginThrottle::default(),
                widget_limiter: RateLimiter::default(),
            }),
        })
    }

    /// The use cases' application (store, clock, config, mailer …).
    #[must_use]
    pub fn app(&self) -> &App {
        &self.inner.app
    }

    #[must_use]
    pub fn ui(&self) -> &Ui {
        &self.inner.ui
    }

    #[must_use]
    pub fn login_throttle(&self) -> &LoginThrottle {
        &self.inner.login_throttle
    }

    /// Rate limits of the public widget endpoint (per instance).
    #[must_use]
    pub fn widget_limiter(&self) -> &RateLimiter {
        &self.inner.widget_limiter
    }
}

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.inner.app
    }
}
