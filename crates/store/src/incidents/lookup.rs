//! Looking up the customers an upload names: who exists (by external id),
//! with their tier, language, reachability and newest open case, and who is
//! affected by the incident already. One query per chunk answers with one
//! JSON value.

use crate::dialect::{BeginRead, Dialect};
use crate::{Store, StoreError, with_pool};
use amends_domain::IncidentId;
use amends_domain::{Language, Tier};
use uuid::Uuid;

/// A customer named by an upload, found by external id.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CustomerRef {
    pub id: Uuid,
    pub external_id: String,
}

/// A pending affected customer with what the fan-out needs to know.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingAffected {
    pub customer_id: Uuid,
    pub facts: String,
    #[sqlx(try_from = "String")]
    pub tier: Tier,
    #[sqlx(try_from = "String")]
    pub language: Language,
    /// The customer has an email address and agreed to be contacted.
    pub reachable: bool,
    /// The customer's newest open case, updated instead of opening another.
    pub open_case_id: Option<Uuid>,
}

/// A customer named by an upload chunk, with what the fan-out needs.
#[derive(Debug, Clone)]
pub(super) struct FoundCustomer {
    /// The index of the row (in the chunk) that named the customer.
    row_index: i64,
    customer_id: Uuid,
    tier: Tier,
    language: Language,
    reachable: bool,
    open_case_id: Option<Uuid>,
    /// Already affected by this incident (a repeated upload).
    known: bool,
}

/// One element of the lookup's JSON array: `[row index, customer id, tier,
/// language, reachable (0/1), newest open case, known (0/1)]`. Ids are hex
/// (SQLite) or UUID text (PostgreSQL); no open case is `null` or `""`.
#[derive(serde::Deserialize)]
struct FoundJson(i64, String, String, String, u8, Option<String>, u8);

impl FoundCustomer {
    /// The customers of the lookup's one JSON value.
    pub(super) fn all_of_json(text: &str) -> Result<Vec<FoundCustomer>, StoreError> {
        let bad = |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Database(sqlx::Error::Decode(e));
        let rows: Vec<FoundJson> = serde_json::from_str(text).map_err(|e| bad(Box::new(e)))?;
        rows.into_iter()
            .map(
                |FoundJson(row_index, id, tier, language, reachable, open_case, known)| {
                    Ok(FoundCustomer {
                        row_index,
                        customer_id: Uuid::try_parse(&id).map_err(|e| bad(Box::new(e)))?,
                        tier: tier
                            .parse()
                            .map_err(|e: amends_domain::ValidationError| bad(Box::new(e)))?,
                        language: language
                            .parse()
                            .map_err(|e: amends_domain::ValidationError| bad(Box::new(e)))?,
                        reachable: reachable != 0,
                        open_case_id: match open_case.as_deref() {
                            None | Some("") => None,
                            Some(c) => Some(Uuid::try_parse(c).map_err(|e| bad(Box::new(e)))?),
                        },
                        known: known != 0,
                    })
                },
            )
            .collect()
    }
}

/// The customers of one upload chunk as looked up.
#[derive(Debug, Clone, Default)]
pub struct UploadLookup {
    /// Indexes (into the chunk) of rows naming no known customer.
    pub unknown: Vec<usize>,
    /// Customers already affected by the incident.
    pub known: u64,
    /// Customers new to the incident, with their facts: to fan out.
    pub pending: Vec<PendingAffected>,
}

impl UploadLookup {
    pub(super) fn of(rows: &[(String, String)], mut found: Vec<FoundCustomer>) -> Self {
        found.sort_by_key(|f| f.row_index);
        let mut named = vec![false; rows.len()];
        let mut out = UploadLookup {
            unknown: Vec::new(),
            known: 0,
            pending: Vec::with_capacity(found.len()),
        };
        for f in found {
            let Some(i) = usize::try_from(f.row_index).ok().filter(|i| *i < rows.len()) else {
                continue;
            };
            named[i] = true;
            if f.known {
                out.known += 1;
                continue;
            }
            out.pending.push(PendingAffected {
                customer_id: f.customer_id,
                facts: rows[i].1.clone(),
                tier: f.tier,
                language: f.language,
                reachable: f.reachable,
                open_case_id: f.open_case_id,
            });
        }
        out.unknown = named.iter().enumerate().filter(|(_, n)| !**n).map(|(i, _)| i).collect();
        // In customer order, the chunk's writes keyed by customer (the
        // affected rows, `cases_customer`, the customer checks of the foreign
        // keys) walk their indexes forwards instead of jumping around, and
        // the new cases' ids (made in this order) rise along with them.
        out.pending.sort_by_key(|p| p.customer_id);
        // One customer named twice (the parser rejects such rows; this keeps
        // a slip from writing one affected row twice): the first counts.
        let before = out.pending.len();
        out.pending.dedup_by_key(|p| p.customer_id);
        out.known += u64::try_from(before - out.pending.len()).unwrap_or(0);
        out
    }
}

/// The external ids of an upload chunk as one JSON array (the lookup's
/// single parameter).
pub(super) fn external_ids_json(rows: &[(String, String)]) -> String {
    serde_json::to_string(&rows.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

crate::backend_trait! {
    /// The upload lookup inside a read or write transaction.
    pub(super) trait UploadLookups {
        /// Runs the upload lookup ([`upload_lookup_sql`], after the plan hint
        /// if the backend has one) in this transaction and decodes its answer.
        async fn look_up_chunk(
            &mut self,
            hint: Option<&'static str>,
            lookup: String,
            incident: IncidentId,
            ids: String,
        ) -> Result<Vec<FoundCustomer>, StoreError> {
            if let Some(hint) = hint {
                sqlx::query(hint).execute(&mut *self).await?;
            }
            let found: String = sqlx::query_scalar(sqlx::AssertSqlSafe(lookup))
                .bind(incident.0)
                .bind(ids)
                .fetch_one(&mut *self)
                .await?;
            FoundCustomer::all_of_json(&found)
        }
    }
}

/// The plan hint of the fan-out's lookups (see
/// [`Dialect::no_seq_scans_in_transaction`]): on PostgreSQL it keeps them
/// on their indexes for the rest of the transaction. Statistics taken while
/// `cases` and `incident_affected` were empty (a new installation, or
/// `ANALYZE` right before a big upload) make sequential scans look free
/// (PostgreSQL 14+ believes an analysed empty table), and the lookups run
/// once per affected customer: at 100,000 that was 190 s instead of 2 until
/// autovacuum analysed again. SQLite plans without such statistics.
pub(super) fn lookup_plan_hint(d: Dialect) -> Option<&'static str> {
    d.no_seq_scans_in_transaction()
}

/// A scalar subquery: the newest open case of the customer `customer` (an
/// SQL expression). It must read the customer's cases through
/// `cases_customer`. A planner without statistics for fresh rows (SQLite
/// always; PostgreSQL analysed before a big upload) otherwise likes to walk
/// all open cases newest first until one is the customer's: once per
/// affected customer, quadratic (at 100,000 on PostgreSQL: 190 s instead of
/// 2). SQLite is told the index; PostgreSQL gets no `LIMIT` to be tempted by
/// (the greatest id is an aggregate, [`Dialect::max_uuid`]).
pub(super) fn newest_open_case(d: Dialect, customer: &str) -> String {
    format!(
        "SELECT {} FROM cases c{} WHERE c.customer_id = {customer} AND c.open = TRUE",
        d.max_uuid("c.id"),
        d.indexed_by("cases_customer")
    )
}

/// The upload lookup: the customers named by the JSON array of external ids
/// bound as `$2` (one parameter per chunk instead of one per row), each with
/// the index of its row, whether a notice may go to them, their newest open
/// case and whether they are affected by the incident `$1` already, as one
/// JSON array ([`FoundJson`]). One value instead of a row per customer: the
/// driver's per-row cost was three quarters of the lookup's time.
pub(super) fn upload_lookup_sql(d: Dialect) -> String {
    let open_case = newest_open_case(d, "cu.id");
    let known = "CAST(EXISTS (SELECT 1 FROM incident_affected a WHERE a.incident_id = $1 \
                 AND a.customer_id = cu.id) AS INTEGER)";
    let reachable = "CAST((cu.email IS NOT NULL AND cu.consent_contact) AS INTEGER)";
    let found = format!(
        "{}, {}, cu.tier, cu.language, {reachable}, {}, {known}",
        d.json_element_index("j"),
        d.uuid_in_json("cu.id"),
        d.uuid_in_json(&format!("({open_case})"))
    );
    format!(
        "SELECT {} FROM {} JOIN customers cu ON cu.external_id = j.value",
        d.json_array_of_rows(&found),
        d.json_array_elements("$2", "j")
    )
}

impl Store {
    /// Finds customers by external id (the ones that exist).
    pub async fn customers_by_external_ids(&self, ids: &[String]) -> Result<Vec<CustomerRef>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(crate::bulk::CHUNK) {
            with_pool!(self, |pool| {
                let mut q = sqlx::QueryBuilder::new("SELECT id, external_id FROM customers WHERE external_id IN (");
                let mut sep = q.separated(", ");
                for id in chunk {
                    sep.push_bind(id.clone());
                }
                q.push(")");
                out.extend(q.build_query_as::<CustomerRef>().fetch_all(pool).await?);
            });
        }
        Ok(out)
    }

    /// Looks up the customers of one upload chunk (`rows`: external id and
    /// facts as JSON) outside any write transaction, so it can run while the
    /// previous chunk is written: who exists, with their newest open case,
    /// and who is already affected by the incident.
    pub async fn lookup_upload(
        &self,
        incident: IncidentId,
        rows: &[(String, String)],
    ) -> Result<UploadLookup, StoreError> {
        let (lookup, hint) = (upload_lookup_sql(self.dialect()), lookup_plan_hint(self.dialect()));
        let ids = external_ids_json(rows);
        let found = with_pool!(self, |pool| {
            let mut tx = pool.begin_read().await?;
            let found = tx.look_up_chunk(hint, lookup, incident, ids).await?;
            tx.commit().await?;
            found
        });
        Ok(UploadLookup::of(rows, found))
    }
}

#[cfg(test)]
mod tests {
    use super::{FoundCustomer, UploadLookup};
    use amends_domain::{Language, Tier};
    use uuid::Uuid;

    fn found(row_index: i64, customer: u128, known: bool) -> FoundCustomer {
        FoundCustomer {
            row_index,
            customer_id: Uuid::from_u128(customer),
            tier: Tier::Standard,
            language: Language::De,
            reachable: true,
            open_case_id: None,
            known,
        }
    }

    #[test]
    fn lookup_json_of_both_backends_decodes() {
        let sqlite = r#"[[3,"0000000000000000000000000000002A","premium","en",1,"",0],
                         [0,"0000000000000000000000000000002B","standard","de",0,"0000000000000000000000000000000C",1]]"#;
        let postgres = r#"[[3,"00000000-0000-0000-0000-00000000002a","premium","en",1,null,0],
                           [0,"00000000-0000-0000-0000-00000000002b","standard","de",0,"00000000-0000-0000-0000-00000000000c",1]]"#;
        for text in [sqlite, postgres] {
            let found = FoundCustomer::all_of_json(text).expect("decodes");
            assert_eq!(found.len(), 2);
            assert_eq!((found[0].row_index, found[0].customer_id.as_u128()), (3, 42));
            assert_eq!((found[0].tier, found[0].language), (Tier::Premium, Language::En));
            assert!(found[0].reachable && !found[0].known && found[0].open_case_id.is_none());
            assert!(!found[1].reachable && found[1].known);
            assert_eq!(found[1].open_case_id.map(|c| c.as_u128()), Some(12));
        }
        assert!(FoundCustomer::all_of_json("[]").expect("empty").is_empty());
        assert!(FoundCustomer::all_of_json(r#"[[0,"not a uuid","standard","de",1,"",0]]"#).is_err());
    }

    #[test]
    fn lookup_maps_rows_by_index_and_writes_each_customer_once() {
        let rows: Vec<(String, String)> = ["K-1", "K-2", "K-3", "K-4", "K-5"]
            .iter()
            .enumerate()
            .map(|(i, e)| ((*e).to_string(), format!("{{\"n\":{i}}}")))
            .collect();
        // Row 1 names nobody, row 2 is known already, rows 3 and 4 name the
        // same customer (the first counts), an index out of range is ignored.
        let out = UploadLookup::of(
            &rows,
            vec![
                found(4, 7, false),
                found(0, 9, false),
                found(2, 5, true),
                found(3, 7, false),
                found(99, 1, false),
            ],
        );
        assert_eq!(out.unknown, vec![1]);
        assert_eq!(out.known, 2);
        let pending: Vec<(u128, &str)> = out
            .pending
            .iter()
            .map(|p| (p.customer_id.as_u128(), p.facts.as_str()))
            .collect();
        assert_eq!(pending.len(), 2);
        assert_eq!(pending[1], (9, "{\"n\":0}"));
        assert_eq!(pending[0], (7, "{\"n\":3}"));
    }
}
