//! Pages of tenants: searched, filtered and sorted, each sort read from
//! its index (migration 0007), with how many match.

use std::collections::HashMap;

use app::dto::{Page, TenantDto, TenantQuery, TenantSort};

use super::tenants::{TenantRow, SELECT};
use super::{like_pattern, Backend, Store};
use crate::error::Result;

/// The ORDER BY of each sort, ties broken by the columns of its index
/// (migration 0007), so the first page reads a page of index entries.
fn order_by(sort: TenantSort, desc: bool) -> String {
    let dir = if desc { "DESC" } else { "ASC" };
    let columns: &[&str] = match sort {
        TenantSort::Created => &["t.created_at", "t.id"],
        TenantSort::Company => &["LOWER(t.company_name)", "t.id"],
        TenantSort::Id => &["t.id"],
        TenantSort::State => &["t.state", "t.created_at", "t.id"],
        // Within one template (see `list_by_template`).
        TenantSort::Template => &["t.created_at", "t.id"],
    };
    columns
        .iter()
        .map(|c| format!("{c} {dir}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value bound to a filter's placeholder.
#[derive(Clone)]
enum Arg {
    Text(String),
    Int(i64),
}

/// The WHERE clause of a tenant query and its values: only the filters
/// asked for, so an unfiltered page needs no condition at all.
fn filter(q: &TenantQuery, backend: Backend) -> (Vec<String>, Vec<Arg>) {
    let mut conds = vec![];
    let mut args = vec![];
    if !q.q.is_empty() {
        args.push(Arg::Text(like_pattern(&q.q)));
        let n = args.len();
        // SQLite's LIKE ignores ASCII case already (as its LOWER is ASCII
        // only); PostgreSQL's ILIKE ignores case.
        let like = match backend {
            Backend::Sqlite => "LIKE",
            Backend::Postgres => "ILIKE",
        };
        conds.push(format!(
            "(t.id {like} ${n} ESCAPE '\\' OR t.company_name {like} ${n} ESCAPE '\\' \
             OR t.owner_email {like} ${n} ESCAPE '\\' OR t.owner_name {like} ${n} ESCAPE '\\')"
        ));
    }
    if let Some(t) = q.template_id {
        args.push(Arg::Int(t));
        conds.push(format!("t.template_id = ${}", args.len()));
    }
    if let Some(s) = q.state {
        args.push(Arg::Text(s.as_str().into()));
        conds.push(format!("t.state = ${}", args.len()));
    }
    if let Some(h) = q.health {
        args.push(Arg::Text(h.as_str().into()));
        conds.push(format!("t.health = ${}", args.len()));
    }
    (conds, args)
}

fn where_clause(conds: &[String]) -> String {
    if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    }
}

fn bind_all<'q, O>(
    mut query: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    args: &[Arg],
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
    for a in args {
        query = match a {
            Arg::Text(s) => query.bind(s.clone()),
            Arg::Int(i) => query.bind(*i),
        };
    }
    query
}

impl Store {
    /// One page of tenants: searched, filtered (health as last recorded
    /// from the cluster index), sorted; and how many match.
    pub async fn list_tenants(&self, query: &TenantQuery) -> Result<Page<TenantDto>> {
        let q = query.clone().normalised();
        let (conds, args) = filter(&q, self.backend);
        if q.sort == TenantSort::Template {
            return self.list_by_template(&q, conds, args).await;
        }
        let clause = where_clause(&conds);
        let count_sql = format!("SELECT COUNT(*) FROM tenants t {clause}");
        let total = bind_all(sqlx::query_as::<_, (i64,)>(&count_sql), &args)
            .fetch_one(&self.pool)
            .await?
            .0;
        let offset = i64::from(q.page - 1) * i64::from(q.per_page);
        let items = self
            .tenant_rows(
                &clause,
                &args,
                order_by(q.sort, q.desc),
                (i64::from(q.per_page), offset),
            )
            .await?;
        Ok(Page {
            items,
            total,
            page: q.page,
            per_page: q.per_page,
        })
    }

    /// Tenants sorted by template: templates are few, so the page is found
    /// by walking them in name order with each one's count, and read from
    /// the (template, created) index of the ones it spans.
    async fn list_by_template(
        &self,
        q: &TenantQuery,
        conds: Vec<String>,
        args: Vec<Arg>,
    ) -> Result<Page<TenantDto>> {
        let mut names = sqlx::query_as::<_, (i64, String)>(
            "SELECT t.id, LOWER(v.name) FROM templates t JOIN template_versions v \
             ON v.template_id = t.id AND v.version = t.current_version",
        )
        .fetch_all(&self.pool)
        .await?;
        names.sort_by(|a, b| (&a.1, a.0).cmp(&(&b.1, b.0)));
        if q.desc {
            names.reverse();
        }
        let count_sql = format!(
            "SELECT t.template_id, COUNT(*) FROM tenants t {} GROUP BY t.template_id",
            where_clause(&conds)
        );
        let counts: HashMap<i64, i64> =
            bind_all(sqlx::query_as::<_, (i64, i64)>(&count_sql), &args)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .collect();
        let mut skip = i64::from(q.page - 1) * i64::from(q.per_page);
        let mut want = i64::from(q.per_page);
        let mut items = vec![];
        for (template, _) in names {
            let here = counts.get(&template).copied().unwrap_or(0);
            if want == 0 || skip >= here {
                skip = (skip - here).max(0);
                continue;
            }
            let mut conds = conds.clone();
            let mut args_here = args.clone();
            args_here.push(Arg::Int(template));
            conds.push(format!("t.template_id = ${}", args_here.len()));
            let rows = self
                .tenant_rows(
                    &where_clause(&conds),
                    &args_here,
                    order_by(q.sort, q.desc),
                    (want, skip),
                )
                .await?;
            want -= rows.len() as i64;
            skip = 0;
            items.extend(rows);
        }
        Ok(Page {
            items,
            total: counts.values().sum(),
            page: q.page,
            per_page: q.per_page,
        })
    }

    /// The rows of one page: `(limit, offset)` in `order`.
    async fn tenant_rows(
        &self,
        clause: &str,
        args: &[Arg],
        order: String,
        (limit, offset): (i64, i64),
    ) -> Result<Vec<TenantDto>> {
        let n = args.len();
        let sql = format!(
            "{SELECT} {clause} ORDER BY {order} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let rows = bind_all(sqlx::query_as::<_, TenantRow>(&sql), args)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
