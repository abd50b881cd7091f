//! Solution articles: saving them (each change a new version, with the
//! search index and the audit entry in the same transaction), reading and
//! listing them, their versions, links to cases, statistics, and the help
//! center's theme.
//!
//! - `index`: the search index rows and the typo-correction vocabulary,
//!   written in the transaction of each change;
//! - `search`: full-text search, vocabulary look-ups and the resolved cases
//!   "similar cases" compares with.

mod index;
mod search;

pub use index::IndexTerms;
pub use search::{ResolvedCase, SolutionHit, SolutionQuery};

use crate::audit::{Audit, CommitAudited};
use crate::dialect::BeginWrite;
use crate::outbox::Outbox;
use crate::page::{Cursor, Page};
use crate::rows::Exists;
use crate::{EventKind, NewEvent, Store, StoreError, with_pool};
use amends_domain::solution::{HelpTheme, SolutionDraft, SolutionStats};
use amends_domain::{CaseId, Language, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

use index::SolutionIndex;

/// An article as stored (the newest version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Solution {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    #[sqlx(try_from = "String")]
    pub language: Language,
    #[sqlx(try_from = "String")]
    #[serde(serialize_with = "tags_as_list")]
    pub tags: Tags,
    pub public: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub updated_by_name: Option<String>,
}

/// Tags, stored as a JSON array.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags(pub Vec<String>);

impl TryFrom<String> for Tags {
    type Error = serde_json::Error;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Ok(Self(serde_json::from_str(&s)?))
    }
}

pub(super) fn tags_as_list<S: serde::Serializer>(t: &Tags, s: S) -> Result<S::Ok, S::Error> {
    t.0.serialize(s)
}

/// One saved state of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SolutionVersion {
    pub version: i32,
    pub title: String,
    pub body: String,
    #[sqlx(try_from = "String")]
    pub language: Language,
    #[sqlx(try_from = "String")]
    #[serde(serialize_with = "tags_as_list")]
    pub tags: Tags,
    pub public: bool,
    pub edited_by_name: Option<String>,
    pub edited_at: DateTime<Utc>,
}

/// Which articles to list.
#[derive(Debug, Clone, Default)]
pub struct SolutionFilter {
    pub language: Option<Language>,
    pub public_only: bool,
    pub tag: Option<String>,
    pub cursor: Option<Cursor>,
    pub limit: usize,
}

/// An article linked to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LinkedSolution {
    pub id: Uuid,
    pub title: String,
    #[sqlx(try_from = "String")]
    pub language: Language,
    pub public: bool,
    pub linked_at: DateTime<Utc>,
    pub linked_by_name: Option<String>,
}

const SELECT: &str = "SELECT s.id, s.title, s.body, s.language, s.tags, s.public, s.version, s.created_at, \
     s.updated_at, u.display_name AS updated_by_name FROM solutions s LEFT JOIN users u ON u.id = s.updated_by";

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

crate::backend_trait! {
    /// An article's rows inside its transaction.
    trait SolutionWrites {
        /// Inserts version 1 of a new article in this transaction.
        async fn insert_new_solution(
            &mut self,
            id: Uuid,
            d: &SolutionDraft,
            tags: &str,
            actor: Option<UserId>,
            now: DateTime<Utc>,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO solutions (id, title, body, language, tags, public, version, created_by, \
                 updated_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8, $8)",
            )
            .bind(id)
            .bind(&d.title)
            .bind(&d.body)
            .bind(d.language.code())
            .bind(tags)
            .bind(d.public)
            .bind(actor.map(|u| u.0))
            .bind(now)
            .execute(&mut *self)
            .await?;
            Ok(())
        }

        /// Records a saved state of an article in `solution_versions` in this transaction.
        async fn insert_version(
            &mut self,
            id: Uuid,
            version: i32,
            d: &SolutionDraft,
            tags: &str,
            actor: Option<UserId>,
            now: DateTime<Utc>,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO solution_versions (solution_id, version, title, body, language, tags, public, \
                 edited_by, edited_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(version)
            .bind(&d.title)
            .bind(&d.body)
            .bind(d.language.code())
            .bind(tags)
            .bind(d.public)
            .bind(actor.map(|u| u.0))
            .bind(now)
            .execute(&mut *self)
            .await?;
            Ok(())
        }
    }
}

/// What a save or delete read of the article before its write transaction:
/// the version and the vocabulary worked out from it (empty and 0 for a
/// new article). The write is refused if the article is at another version.
#[derive(Debug, Clone, Copy)]
pub struct ReadVersion<'a> {
    pub version: i32,
    pub vocabulary: &'a [String],
}

/// An article changed between the read its old vocabulary was worked out
/// from and the write (a concurrent edit): the caller reads again and
/// retries, so the vocabulary counts (typo suggestions) stay exact.
fn changed_meanwhile() -> StoreError {
    StoreError::Conflict {
        field: Some("version"),
        detail: "the article was changed by someone else at the same moment; try again".into(),
    }
}

impl Store {
    /// Creates (`id` = None) or updates an article: a new version, the
    /// search index and the vocabulary in one transaction with the audit
    /// entry. `old_vocabulary`: the vocabulary terms of the version being
    /// replaced (the caller computes them from the stored text).
    pub async fn save_solution(
        &self,
        id: Option<Uuid>,
        draft: &SolutionDraft,
        terms: &IndexTerms,
        read: ReadVersion<'_>,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Solution, StoreError> {
        let solution_id = id.unwrap_or_else(|| crate::audit::new_id(now));
        let tags = tags_json(&draft.tags);
        let dialect = self.dialect();
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let version: i32 = if let Some(id) = id {
                let old: Option<(i32, String)> =
                    sqlx::query_as("SELECT version, language FROM solutions WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let (old_version, old_lang) = old.ok_or(StoreError::NotFound("solution"))?;
                if old_version != read.version {
                    return Err(changed_meanwhile());
                }
                tx.unindex_solution(id, &old_lang, read.vocabulary).await?;
                sqlx::query(
                    "UPDATE solutions SET title = $1, body = $2, language = $3, tags = $4, public = $5, \
                     version = $6, updated_by = $7, updated_at = $8 WHERE id = $9",
                )
                .bind(&draft.title)
                .bind(&draft.body)
                .bind(draft.language.code())
                .bind(&tags)
                .bind(draft.public)
                .bind(old_version + 1)
                .bind(actor.map(|u| u.0))
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                old_version + 1
            } else {
                tx.insert_new_solution(solution_id, draft, &tags, actor, now).await?;
                1
            };
            tx.insert_version(solution_id, version, draft, &tags, actor, now)
                .await?;
            tx.index_solution(dialect, solution_id, draft.language, draft.public, terms)
                .await?;
            tx.commit_audited(Audit {
                actor,
                action: if id.is_some() {
                    "solution.update"
                } else {
                    "solution.create"
                },
                entity: "solution",
                entity_id: solution_id.to_string(),
                detail: json!({"title": draft.title, "language": draft.language.code(),
                        "public": draft.public, "version": version}),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_solution(solution_id).await
    }

    /// Adds many new articles in one transaction (benchmarks, imports):
    /// the same rows as [`Store::save_solution`], vocabulary counted in memory.
    pub async fn insert_solutions_bulk(
        &self,
        rows: &[(SolutionDraft, IndexTerms)],
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let dialect = self.dialect();
        let mut vocab: HashMap<(Language, &str), i64> = HashMap::new();
        for (d, t) in rows {
            for term in &t.vocabulary {
                *vocab.entry((d.language, term.as_str())).or_default() += 1;
            }
        }
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            for (draft, terms) in rows {
                let id = crate::audit::new_id(now);
                let tags = tags_json(&draft.tags);
                tx.insert_new_solution(id, draft, &tags, actor, now).await?;
                tx.insert_version(id, 1_i32, draft, &tags, actor, now).await?;
                let no_vocab = IndexTerms {
                    vocabulary: Vec::new(),
                    ..terms.clone()
                };
                tx.index_solution(dialect, id, draft.language, draft.public, &no_vocab)
                    .await?;
            }
            tx.add_vocabulary_counts(&vocab).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn get_solution(&self, id: Uuid) -> Result<Solution, StoreError> {
        self.row_by(&format!("{SELECT} WHERE s.id = $1"), id, "solution").await
    }

    /// Articles, newest first, by keyset pagination.
    pub async fn list_solutions(&self, f: &SolutionFilter) -> Result<Page<Solution>, StoreError> {
        let limit = f.limit.clamp(1, 200);
        let rows = with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(SELECT);
            q.push(" WHERE 1 = 1");
            if let Some(l) = f.language {
                q.push(" AND s.language = ").push_bind(l.code());
            }
            if f.public_only {
                q.push(" AND s.public = TRUE");
            }
            if let Some(tag) = &f.tag {
                q.push(" AND s.tags LIKE ").push_bind(format!("%\"{tag}\"%"));
            }
            if let Some(c) = &f.cursor {
                q.push(" AND s.id < ").push_bind(c.id);
            }
            q.push(" ORDER BY s.id DESC LIMIT ")
                .push_bind(i64::try_from(limit + 1).unwrap_or(201));
            q.build_query_as::<Solution>().fetch_all(pool).await?
        });
        Ok(Page::from_rows(rows, limit, |s| Cursor { id: s.id, at: None }))
    }

    /// Every version of an article, newest first.
    pub async fn solution_versions(&self, id: Uuid) -> Result<Vec<SolutionVersion>, StoreError> {
        self.rows_by(
            "SELECT v.version, v.title, v.body, v.language, v.tags, v.public, u.display_name AS edited_by_name, \
                 v.edited_at FROM solution_versions v LEFT JOIN users u ON u.id = v.edited_by \
                 WHERE v.solution_id = $1 ORDER BY v.version DESC",
            id,
        )
        .await
    }

    /// Deletes an article with its versions, links and index entries.
    pub async fn delete_solution(
        &self,
        id: Uuid,
        read: ReadVersion<'_>,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let old: Option<(String, String, i32)> =
                sqlx::query_as("SELECT title, language, version FROM solutions WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (title, lang, version) = old.ok_or(StoreError::NotFound("solution"))?;
            if version != read.version {
                return Err(changed_meanwhile());
            }
            tx.unindex_solution(id, &lang, read.vocabulary).await?;
            for sql in [
                "DELETE FROM case_solutions WHERE solution_id = $1",
                "DELETE FROM solution_versions WHERE solution_id = $1",
                "DELETE FROM solutions WHERE id = $1",
            ] {
                sqlx::query(sql).bind(id).execute(&mut *tx).await?;
            }
            tx.commit_audited(Audit {
                actor,
                action: "solution.delete",
                entity: "solution",
                entity_id: id.to_string(),
                detail: json!({"title": title}),
                at: now,
            })
            .await?;
            Ok(())
        })
    }

    /// Links an article to a case (once), with a timeline event and audit entry.
    /// Returns false when it was linked already.
    pub async fn link_solution(
        &self,
        case: CaseId,
        solution: &Solution,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.require_row("SELECT id FROM cases WHERE id = $1", case.0, "case")
                .await?;
            let done = sqlx::query(
                "INSERT INTO case_solutions (case_id, solution_id, linked_by, linked_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (case_id, solution_id) DO NOTHING",
            )
            .bind(case.0)
            .bind(solution.id)
            .bind(actor.map(|u| u.0))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            let ev = NewEvent {
                kind: EventKind::Solution,
                author: actor,
                body: Some(solution.title.clone()),
                data: json!({"solution_id": solution.id, "version": solution.version}),
                at: now,
            };
            tx.insert_event(case.0, &ev).await?;
            tx.commit_audited(Audit {
                actor,
                action: "solution.link",
                entity: "case",
                entity_id: case.0.to_string(),
                detail: json!({"solution_id": solution.id, "title": solution.title}),
                at: now,
            })
            .await?;
            Ok(true)
        })
    }

    /// The articles linked to a case, in the order they were linked.
    pub async fn case_solutions(&self, case: CaseId) -> Result<Vec<LinkedSolution>, StoreError> {
        self.rows_by(
            "SELECT s.id, s.title, s.language, s.public, l.linked_at, u.display_name AS linked_by_name \
                 FROM case_solutions l JOIN solutions s ON s.id = l.solution_id \
                 LEFT JOIN users u ON u.id = l.linked_by WHERE l.case_id = $1 ORDER BY l.linked_at, s.id",
            case.0,
        )
        .await
    }

    /// How an article did on the cases it was linked to: times used, cases
    /// resolved (or later) that were not reopened after the link, and the
    /// mean CSAT of their answered surveys.
    pub async fn solution_stats(&self, id: Uuid) -> Result<SolutionStats, StoreError> {
        with_pool!(self, |pool| {
            let (used, resolved): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN c.state IN ('resolved', 'followed_up', 'closed') \
                 AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.kind = 'state_change' \
                 AND e.data LIKE '%\"to\":\"reopened\"%' AND e.created_at >= l.linked_at) THEN 1 ELSE 0 END), 0) \
                 FROM case_solutions l JOIN cases c ON c.id = l.case_id WHERE l.solution_id = $1",
            )
            .bind(id)
            .fetch_one(pool)
            .await?;
            let (sum, answers): (i64, i64) = sqlx::query_as(
                "SELECT COALESCE(SUM(sv.score), 0), COUNT(sv.score) FROM case_solutions l \
                 JOIN surveys sv ON sv.case_id = l.case_id WHERE l.solution_id = $1 AND sv.score IS NOT NULL",
            )
            .bind(id)
            .fetch_one(pool)
            .await?;
            Ok(SolutionStats::new(used, resolved, sum, answers))
        })
    }

    /// The help center's look.
    pub async fn help_theme(&self) -> Result<HelpTheme, StoreError> {
        with_pool!(self, |pool| {
            let row: Option<(String, String, String, String, String)> = sqlx::query_as(
                "SELECT title_de, title_en, logo_url, primary_color, background_color FROM help_center WHERE id = 1",
            )
            .fetch_optional(pool)
            .await?;
            Ok(row.map_or_else(
                HelpTheme::default,
                |(title_de, title_en, logo_url, primary_color, background_color)| HelpTheme {
                    title_de,
                    title_en,
                    logo_url,
                    primary_color,
                    background_color,
                },
            ))
        })
    }

    pub async fn save_help_theme(
        &self,
        t: &HelpTheme,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<HelpTheme, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO help_center (id, title_de, title_en, logo_url, primary_color, background_color, updated_at) \
                 VALUES (1, $1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET title_de = $1, title_en = $2, \
                 logo_url = $3, primary_color = $4, background_color = $5, updated_at = $6",
            )
            .bind(&t.title_de)
            .bind(&t.title_en)
            .bind(&t.logo_url)
            .bind(&t.primary_color)
            .bind(&t.background_color)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit_audited(Audit {
                actor,
                action: "help_center.update",
                entity: "help_center",
                entity_id: "1".into(),
                detail: serde_json::to_value(t).unwrap_or_default(),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.help_theme().await
    }
}
