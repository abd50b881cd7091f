//! `/api/v1/cases`: create, read, list, change, transition, assign, notes.

use crate::query::{CaseQuery, parse_cursor};
use amends_app::cases::{self, CasePatch};

use crate::api::json::{ApiJson, Created};
use crate::auth::Ctx;
use crate::dto::{AssignIn, CaseIn, CaseList, CaseOut, CasePatchIn, EventOut, NoteIn, TransitionIn, ViewCountOut};
use crate::error::{ApiError, ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use crate::views::{CaseView, Explicit};
use amends_app::service::{self, CaseInput};
use amends_domain::{CaseId, CaseState, CustomerId, Origin, UserId};
use amends_store::{AssigneeFilter, CaseFilter, CaseSort};
use axum::Json;
use axum::extract::Path;
use chrono::{DateTime, Duration, Utc};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_case, list_cases))
        .routes(routes!(view_counts))
        .routes(routes!(get_case, patch_case))
        .routes(routes!(transition_case))
        .routes(routes!(assign_case))
        .routes(routes!(add_note))
        .routes(routes!(list_events))
}

/// Open a recovery case for a customer. SLA due dates follow from the
/// customer's tier and the priority.
#[utoipa::path(post, path = "/cases", tag = "cases", request_body = CaseIn,
    responses((status = 201, body = CaseOut), (status = 422, body = Problem)))]
async fn create_case(Ctx { state, actor }: Ctx, ApiJson(body): ApiJson<CaseIn>) -> ApiResult<Created<CaseOut>> {
    let input = CaseInput {
        customer_id: Some(body.customer_id),
        subject: body.subject,
        description: body.description,
        channel: body.channel,
        priority: body.priority,
        assignee_id: body.assignee_id,
    };
    let valid = input.validate().map_err(service::first_error)?;
    let case = service::open_case(&state, valid, Origin::Api, Some(actor.user.id)).await?;
    Ok(Created(CaseOut::new(case, state.now())))
}

#[utoipa::path(get, path = "/cases/{id}", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = CaseOut), (status = 404, body = Problem)))]
async fn get_case(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<CaseOut>> {
    let case = state.store().get_case(CaseId(id)).await?;
    Ok(Json(CaseOut::new(case, state.now())))
}

/// Change subject, description or priority.
#[utoipa::path(patch, path = "/cases/{id}", tag = "cases", params(("id" = Uuid, Path)), request_body = CasePatchIn,
    responses((status = 200, body = CaseOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn patch_case(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<CasePatchIn>,
) -> ApiResult<Json<CaseOut>> {
    let patch = CasePatch {
        subject: body.subject,
        description: body.description,
        priority: body.priority,
    };
    let case = cases::update(&state, CaseId(id), patch, actor.user.id).await?;
    Ok(Json(CaseOut::new(case, state.now())))
}

/// Move a case to another state. Invalid transitions are 409 and name the allowed ones.
#[utoipa::path(post, path = "/cases/{id}/transitions", tag = "cases", params(("id" = Uuid, Path)), request_body = TransitionIn,
    responses((status = 200, body = CaseOut), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn transition_case(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<TransitionIn>,
) -> ApiResult<Json<CaseOut>> {
    let case = cases::transition(&state, CaseId(id), &body.to, body.note.as_deref(), actor.user.id).await?;
    Ok(Json(CaseOut::new(case, state.now())))
}

/// Assign the case to a user, or unassign it with `null`.
#[utoipa::path(post, path = "/cases/{id}/assign", tag = "cases", params(("id" = Uuid, Path)), request_body = AssignIn,
    responses((status = 200, body = CaseOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn assign_case(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<AssignIn>,
) -> ApiResult<Json<CaseOut>> {
    let case = cases::assign(&state, CaseId(id), body.assignee_id.map(UserId), actor.user.id).await?;
    Ok(Json(CaseOut::new(case, state.now())))
}

/// Add an internal note to the case timeline.
#[utoipa::path(post, path = "/cases/{id}/notes", tag = "cases", params(("id" = Uuid, Path)), request_body = NoteIn,
    responses((status = 201, body = EventOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn add_note(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<NoteIn>,
) -> ApiResult<Created<EventOut>> {
    let e = cases::add_note(&state, CaseId(id), &body.body, actor.user.id).await?;
    Ok(Created(e.into()))
}

/// How many cases each saved view of the inbox holds for the caller
/// (counted up to 1,000; `more` says there are more).
#[utoipa::path(get, path = "/cases/views", tag = "cases",
    responses((status = 200, body = Vec<ViewCountOut>)))]
async fn view_counts(Ctx { state, actor }: Ctx) -> ApiResult<Json<Vec<ViewCountOut>>> {
    let counts = crate::views::view_counts(&state, &actor.user).await?;
    Ok(Json(
        counts
            .into_iter()
            .map(|(v, n)| ViewCountOut::new(v.as_str(), n))
            .collect(),
    ))
}

/// The case timeline, oldest first. Outgoing messages are on it from the
/// moment they are queued; `delivery` tells whether each is queued, sent or
/// failed (with the reason).
#[utoipa::path(get, path = "/cases/{id}/events", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<EventOut>), (status = 404, body = Problem)))]
async fn list_events(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<Vec<EventOut>>> {
    state.store().get_case(CaseId(id)).await?;
    Ok(Json(EventOut::timeline(state.app(), CaseId(id)).await?))
}

impl CaseQuery {
    /// Turns the query into a store filter; `me` is the calling user, `now`
    /// and `warn` (the SLA warning window) place the view's due window.
    pub fn to_filter(&self, me: UserId, now: DateTime<Utc>, warn: Duration) -> ApiResult<CaseFilter> {
        let mut f = self.plain_filter(me)?;
        if let Some(v) = self.view.as_deref().filter(|v| !v.trim().is_empty()) {
            let given = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
            let explicit = Explicit {
                state: given(&self.state),
                assignee: given(&self.assignee),
                tier: given(&self.tier),
                sort: given(&self.sort),
            };
            CaseView::parse(v)?.apply(&mut f, explicit, me, now, warn);
        }
        Ok(f)
    }

    /// Whether the query asks for the churn view (one ranked page).
    #[must_use]
    pub fn is_churn_view(&self) -> bool {
        self.view.as_deref().map(str::trim) == Some(CaseView::Churn.as_str())
    }

    /// The filter of the query's parameters without its view.
    fn plain_filter(&self, me: UserId) -> ApiResult<CaseFilter> {
        let states = match self.state.as_deref().map(str::trim) {
            None | Some("") | Some("all") => Vec::new(),
            Some("open") => CaseState::ALL.iter().copied().filter(|s| s.is_open()).collect(),
            Some(list) => list
                .split(',')
                .map(|s| s.parse::<CaseState>())
                .collect::<Result<Vec<_>, _>>()?,
        };
        let assignee = match self.assignee.as_deref().map(str::trim) {
            None | Some("") | Some("all") => None,
            Some("me") => Some(AssigneeFilter::User(me)),
            Some("none") => Some(AssigneeFilter::Unassigned),
            Some(id) => Some(AssigneeFilter::User(UserId(id.parse().map_err(|_| {
                ApiError::validation(
                    "assignee",
                    format!("assignee must be a user id, `me` or `none`, got `{id}`"),
                )
            })?))),
        };
        let sort = match self.sort.as_deref().map(str::trim) {
            None | Some("") | Some("newest") => CaseSort::Newest,
            Some("due") => CaseSort::Due,
            Some(other) => {
                return Err(ApiError::validation(
                    "sort",
                    format!("sort must be `newest` or `due`, got `{other}`"),
                ));
            }
        };
        let empty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Ok(CaseFilter {
            states,
            assignee,
            customer_id: self.customer_id.map(CustomerId),
            tier: empty(&self.tier).map(|t| t.parse()).transpose()?,
            origin: empty(&self.origin).map(|o| o.parse()).transpose()?,
            incident_id: self.incident_id,
            created_from: self.created_from,
            created_to: self.created_to,
            due_before: self.due_before,
            due_from: None,
            sort,
            cursor: parse_cursor(self.cursor.as_deref())?,
            limit: self.limit.unwrap_or(50),
        })
    }
}

/// List cases with filters, by cursor pagination.
#[utoipa::path(get, path = "/cases", tag = "cases", params(CaseQuery),
    responses((status = 200, body = CaseList), (status = 422, body = Problem)))]
async fn list_cases(Ctx { state, actor }: Ctx, ApiQuery(q): ApiQuery<CaseQuery>) -> ApiResult<Json<CaseList>> {
    let filter = q.to_filter(actor.user.id, state.now(), state.config().sla_warn_before)?;
    let page = if q.is_churn_view() {
        amends_store::Page {
            items: crate::views::churn_cases(&state, &actor.user, filter.limit).await?,
            next_cursor: None,
        }
    } else {
        state.store().list_cases(&filter).await?
    };
    let now = state.now();
    Ok(Json(CaseList {
        items: page.items.into_iter().map(|c| CaseOut::new(c, now)).collect(),
        next_cursor: page.next_cursor,
    }))
}
