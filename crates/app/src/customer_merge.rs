//! Merging duplicate customers: the survivor keeps its id and takes every
//! row of the duplicate (`Store::merge_customers`, one transaction, audited
//! as `customer.merge`); the candidates for a merge; and reading a customer
//! by an id that may have been merged away (answered with the survivor).

use crate::App;
use crate::error::{AppError, AppResult};
use amends_domain::{CustomerId, UserId};
use amends_store::{Customer, CustomerMerge, DuplicatePair, MergeCounts, StoreError};

/// The two customers of a merge and what would move.
#[derive(Debug, Clone)]
pub struct MergePreview {
    pub survivor: Customer,
    pub duplicate: Customer,
    pub counts: MergeCounts,
}

/// A merge into itself is refused before anything is read.
fn distinct(survivor: CustomerId, duplicate: CustomerId) -> AppResult<()> {
    if survivor == duplicate {
        return Err(AppError::validation(
            "duplicate_id",
            "a customer cannot be merged into itself; name the other customer as duplicate_id",
        ));
    }
    Ok(())
}

/// Customer `id`; for an id merged into another, a `NotFound` that names
/// the survivor.
pub async fn customer(state: &App, id: CustomerId) -> AppResult<Customer> {
    match state.store().get_customer(id).await {
        Err(StoreError::NotFound(_)) => Err(not_found(state, id).await),
        other => Ok(other?),
    }
}

/// `NotFound` for customer `id`, naming the survivor if it was merged.
pub async fn not_found(state: &App, id: CustomerId) -> AppError {
    match state.store().merged_into(id).await {
        Ok(Some(to)) => AppError::NotFound(format!(
            "customer {id} (it was merged into customer {to}: GET /api/v1/customers/{to})"
        )),
        Ok(None) => AppError::NotFound("customer".into()),
        Err(e) => e.into(),
    }
}

/// Where customer `id` went, if it was merged into another.
pub async fn survivor_of(state: &App, id: CustomerId) -> AppResult<Option<CustomerId>> {
    Ok(state.store().merged_into(id).await?)
}

/// Both customers and the counts of what a merge of `duplicate` into
/// `survivor` would move.
pub async fn preview(state: &App, survivor: CustomerId, duplicate: CustomerId) -> AppResult<MergePreview> {
    distinct(survivor, duplicate)?;
    Ok(MergePreview {
        survivor: customer(state, survivor).await?,
        duplicate: customer(state, duplicate).await?,
        counts: state.store().merge_preview(duplicate).await?,
    })
}

/// Merges `duplicate` into `survivor`; returns the survivor as it is now
/// and what moved.
pub async fn merge(
    state: &App,
    survivor: CustomerId,
    duplicate: CustomerId,
    actor: UserId,
) -> AppResult<(Customer, MergeCounts)> {
    distinct(survivor, duplicate)?;
    let m = CustomerMerge {
        survivor,
        duplicate,
        actor: Some(actor),
        at: state.now(),
    };
    Ok(state.store().merge_customers(&m).await?)
}

/// Pairs of customers that may be one person (same name, without case),
/// at most `limit`.
pub async fn candidates(state: &App, limit: usize) -> AppResult<Vec<DuplicatePair>> {
    Ok(state.store().duplicate_candidates(limit).await?)
}
