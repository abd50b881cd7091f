//! The inbox's saved views: what each one means as a case filter, and the
//! capped count of each (shared by the inbox page and the API).

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use amends_domain::{CaseState, Tier, UserId};
use amends_store::{AssigneeFilter, CaseFilter, CaseSort, StoreError};
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
}

impl CaseView {
    /// The views in the order the inbox lists them.
    pub const ALL: [CaseView; 8] = [
        CaseView::Open,
        CaseView::Mine,
        CaseView::Unassigned,
        CaseView::Soon,
        CaseView::Overdue,
        CaseView::Premium,
        CaseView::Enterprise,
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

/// The capped count of each view for user `me` (no further filters).
pub async fn view_counts(state: &AppState, me: UserId) -> Result<Vec<(CaseView, i64)>, StoreError> {
    let now = state.now();
    let warn = state.config().sla_warn_before;
    let mut out = Vec::with_capacity(CaseView::ALL.len());
    for v in CaseView::ALL {
        let mut f = CaseFilter::default();
        v.apply(&mut f, Explicit::default(), me, now, warn);
        out.push((v, state.store().count_cases(&f, COUNT_CAP).await?));
    }
    Ok(out)
}
