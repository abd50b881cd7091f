//! The inbox's saved views: what each one means as a case filter, and the
//! capped count of each (shared by the inbox page and the API).

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use amends_domain::{CaseState, Permission, Tier, UserId};
use amends_store::{AssigneeFilter, Case, CaseFilter, CaseSort, StoreError, User};
use chrono::{DateTime, Duration, Utc};

/// Counts stop here: the inbox shows "1,000+" beyond it, so a count reads
/// at most this many index entries however large the table is.
pub const COUNT_CAP: i64 = 1000;

/// A saved view of the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseView {
    /// Every open case, due first (the inbox's default).
    Open,
    /// My open cases, due first.
    Mine,
    /// Open cases without assignee, due first.
    Unassigned,
    /// Open cases not yet overdue whose resolution is due within the SLA
    /// warning window.
    Soon,
    /// Open cases whose resolution is overdue, longest overdue first.
    Overdue,
    /// Open cases of premium customers, due first.
    Premium,
    /// Open cases of enterprise customers, due first.
    Enterprise,
    /// Every case, open or not, newest first.
    All,
    /// Open cases ranked by churn risk × customer value (agents: their
    /// own); one ranked page, see [`churn_cases`].
    Churn,
}

impl CaseView {
    /// The views in the order the inbox lists them.
    pub const ALL: [CaseView; 9] = [
        CaseView::Open,
        CaseView::Mine,
        CaseView::Unassigned,
        CaseView::Soon,
        CaseView::Overdue,
        CaseView::Premium,
        CaseView::Enterprise,
        CaseView::Churn,
        CaseView::All,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CaseView::Open => "open",
            CaseView::Mine => "mine",
            CaseView::Unassigned => "unassigned",
            CaseView::Soon => "soon",
            CaseView::Overdue => "overdue",
            CaseView::Premium => "premium",
            CaseView::Enterprise => "enterprise",
            CaseView::All => "all",
            CaseView::Churn => "churn",
        }
    }

    /// Reads the `view` query parameter.
    pub fn parse(raw: &str) -> ApiResult<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == raw.trim()).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
            ApiError::validation("view", format!("view must be one of {}, got `{raw}`", names.join(", ")))
        })
    }

    /// Narrows `f` to this view. The view's state, assignee, tier and sort
    /// apply where the query left them open (`explicit` says which it set);
    /// its due window always applies.
    pub fn apply(self, f: &mut CaseFilter, explicit: Explicit, me: UserId, now: DateTime<Utc>, warn: Duration) {
        let open: Vec<CaseState> = CaseState::ALL.iter().copied().filter(|s| s.is_open()).collect();
        if !explicit.state && self != CaseView::All {
            f.states = open;
        }
        if !explicit.assignee {
            match self {
                CaseView::Mine => f.assignee = Some(AssigneeFilter::User(me)),
                CaseView::Unassigned => f.assignee = Some(AssigneeFilter::Unassigned),
                _ => {}
            }
        }
        if !explicit.tier {
            match self {
                CaseView::Premium => f.tier = Some(Tier::Premium),
                CaseView::Enterprise => f.tier = Some(Tier::Enterprise),
                _ => {}
            }
        }
        if !explicit.sort {
            f.sort = if self == CaseView::All {
                CaseSort::Newest
            } else {
                CaseSort::Due
            };
        }
        match self {
            CaseView::Soon => {
                f.due_from = Some(f.due_from.map_or(now, |d| d.max(now)));
                let end = now + warn;
                f.due_before = Some(f.due_before.map_or(end, |d| d.min(end)));
            }
            CaseView::Overdue => {
                f.due_before = Some(f.due_before.map_or(now, |d| d.min(now)));
            }
            _ => {}
        }
    }
}

/// Which parts of a filter the query set itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Explicit {
    pub state: bool,
    pub assignee: bool,
    pub tier: bool,
    pub sort: bool,
}

/// The capped count of each view for `user` (no further filters). The
/// churn view counts the open cases it ranks (agents: their own; none
/// without a churn model).
pub async fn view_counts(state: &AppState, user: &User) -> Result<Vec<(CaseView, i64)>, StoreError> {
    let now = state.now();
    let warn = state.config().sla_warn_before;
    let mut out = Vec::with_capacity(CaseView::ALL.len());
    for v in CaseView::ALL {
        let mut f = CaseFilter::default();
        v.apply(&mut f, Explicit::default(), user.id, now, warn);
        if v == CaseView::Churn {
            if state.store().active_churn_model().await?.is_none() {
                out.push((v, 0));
                continue;
            }
            f.assignee = churn_owner(user).map(|me| AssigneeFilter::User(UserId(me)));
        }
        out.push((v, state.store().count_cases(&f, COUNT_CAP).await?));
    }
    Ok(out)
}

/// Whose cases the churn view ranks: agents their own (as on
/// `/analytics/churn`), leads and admins everyone's (`None`).
#[must_use]
pub fn churn_owner(user: &User) -> Option<uuid::Uuid> {
    (!user.role.can(Permission::ReadAudit)).then_some(user.id.0)
}

/// The churn view's cases: open cases by churn risk × customer value, at
/// most `limit` (1–200), one page.
pub async fn churn_cases(state: &AppState, user: &User, limit: usize) -> ApiResult<Vec<Case>> {
    Ok(amends_app::analytics::churn::open_cases_by_risk(state, churn_owner(user), limit.clamp(1, 200)).await?)
}
