//! The audit trail for staff: searched and filtered a page at a time, or
//! exported whole (CSV or JSON) as a stream, the export itself audited.

use app::dto::{AuditEventDto, AuditQuery, CurrentStaff, Role};
use app::error::{AppError, FieldErrors};

use super::{require, ConsoleService, R};
use crate::store::{AuditEntry, AuditFilter};

/// Events per page of the audit page and `/api/v1/audit`.
pub const AUDIT_PER_PAGE: u32 = 50;
/// Rows formatted into one chunk of an export.
const CHUNK_ROWS: usize = 500;

/// What an export is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// The start of a UTC day ("2026-12-01") in ms.
fn day_ms(field: &str, value: &str, errors: &mut FieldErrors) -> Option<i64> {
    if value.is_empty() {
        return None;
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(value.trim(), &fmt) {
        Ok(d) => Some(d.midnight().assume_utc().unix_timestamp() * 1000),
        Err(_) => {
            errors.push(field, "must be a day written YYYY-MM-DD");
            None
        }
    }
}

/// The store's filter for a query, or the fields at fault.
pub fn audit_filter(q: &AuditQuery) -> R<AuditFilter> {
    let mut errors = FieldErrors::default();
    let from_ms = day_ms("from", &q.from, &mut errors);
    // "to" is inclusive: up to the end of that day.
    let until_ms = day_ms("to", &q.to, &mut errors).map(|ms| ms + 24 * 3600 * 1000);
    if let (Some(a), Some(b)) = (from_ms, until_ms) {
        if a >= b {
            errors.push("to", "must not be before from");
        }
    }
    let short = |s: &str| s.trim().chars().take(200).collect::<String>();
    errors.into_result()?;
    Ok(AuditFilter {
        words: short(&q.q),
        actor: short(&q.actor),
        action: short(&q.action),
        tenant: short(&q.tenant),
        from_ms,
        until_ms,
    })
}

/// A CSV cell a spreadsheet would run as a formula, made inert.
fn inert(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

fn csv_rows(rows: &[AuditEventDto], header: bool) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    if header {
        let _ = w.write_record([
            "id",
            "at",
            "actor",
            "action",
            "target_kind",
            "target_id",
            "detail",
        ]);
    }
    for e in rows {
        let _ = w.write_record([
            e.id.to_string(),
            crate::store::format_ms(e.at),
            inert(&e.actor),
            inert(&e.action),
            inert(&e.target_kind),
            inert(&e.target_id),
            inert(&e.detail),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

fn json_rows(rows: &[AuditEventDto], first: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, e) in rows.iter().enumerate() {
        out.extend_from_slice(if first && i == 0 { b"[\n" } else { b",\n" });
        out.extend(serde_json::to_vec(e).unwrap_or_default());
    }
    out
}

/// An export whose reader takes nothing for this long is ended.
const EXPORT_IDLE: std::time::Duration = std::time::Duration::from_secs(60);

/// Who is exporting now; one export per person.
pub(super) type Exports = std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>;

/// Held while one person's export runs.
struct ExportGuard {
    exports: Exports,
    who: String,
}

impl ExportGuard {
    fn take(exports: &Exports, who: &str) -> Option<ExportGuard> {
        let mut set = exports.lock().unwrap_or_else(|e| e.into_inner());
        set.insert(who.to_string()).then(|| ExportGuard {
            exports: exports.clone(),
            who: who.to_string(),
        })
    }
}

impl Drop for ExportGuard {
    fn drop(&mut self) {
        self.exports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.who);
    }
}

impl ConsoleService {
    /// The events `q` selects as chunks of CSV or JSON, streamed from the
    /// database through bounded channels (memory stays flat whatever the
    /// trail's size). The export is audited before it starts.
    pub async fn export_audit(
        &self,
        who: &CurrentStaff,
        q: AuditQuery,
        format: ExportFormat,
    ) -> R<tokio::sync::mpsc::Receiver<Vec<u8>>> {
        require(who, Role::Viewer, "export the audit log")?;
        let filter = audit_filter(&q)?;
        // One export per person at a time (in this replica): a second is
        // refused until the first ends or its reader goes idle.
        let running = ExportGuard::take(&self.exports, &who.username).ok_or_else(|| {
            AppError::Conflict(
                "an export of yours is still running: wait until it ends (an idle one stops \
                 after a minute)"
                    .into(),
            )
        })?;
        let what = format!(
            "{} of {}",
            if format == ExportFormat::Csv {
                "CSV"
            } else {
                "JSON"
            },
            if q == AuditQuery::default() {
                "the whole trail".to_string()
            } else {
                format!("{filter:?}")
            }
        );
        self.store
            .write_audit(AuditEntry::new(&who.username, "audit.export", "audit", "").detail(what))
            .await?;
        let (rows_tx, mut rows_rx) = tokio::sync::mpsc::channel::<AuditEventDto>(CHUNK_ROWS);
        let (out_tx, out_rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
        let store = self.store.clone();
        tokio::spawn(async move {
            let _running = running;
            if let Err(e) = store.stream_audit(&filter, rows_tx, EXPORT_IDLE).await {
                tracing::warn!(error = %e, "the audit export stopped early");
            }
        });
        tokio::spawn(async move {
            let mut first = true;
            let mut batch = Vec::with_capacity(CHUNK_ROWS);
            loop {
                let more = rows_rx.recv_many(&mut batch, CHUNK_ROWS).await > 0;
                if !more && !first && format == ExportFormat::Csv {
                    return;
                }
                let chunk = match format {
                    ExportFormat::Csv => csv_rows(&batch, first),
                    ExportFormat::Json if more => json_rows(&batch, first),
                    ExportFormat::Json if first => b"[]\n".to_vec(),
                    ExportFormat::Json => b"\n]\n".to_vec(),
                };
                first = false;
                batch.clear();
                let sent = tokio::time::timeout(EXPORT_IDLE, out_tx.send(chunk)).await;
                if !matches!(sent, Ok(Ok(()))) || !more {
                    return;
                }
            }
        });
        Ok(out_rx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(detail: &str) -> AuditEventDto {
        AuditEventDto {
            id: 1,
            at: 0,
            actor: "=cmd|' /C calc'!A0".into(),
            action: "tenant.update".into(),
            target_kind: "tenant".into(),
            target_id: "acme".into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn formula_cells_are_inert_and_quoting_is_csv() {
        let out = String::from_utf8(csv_rows(
            &[event("+1, \"quoted\"\nline"), event("@SUM(A1)")],
            true,
        ))
        .unwrap();
        let mut r = csv::Reader::from_reader(out.as_bytes());
        let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0][2], "'=cmd|' /C calc'!A0");
        assert_eq!(&rows[0][6], "'+1, \"quoted\"\nline");
        assert_eq!(&rows[1][6], "'@SUM(A1)");
        assert_eq!(inert("-2"), "'-2");
        assert_eq!(inert("plain"), "plain");
    }

    #[test]
    fn days_are_checked_and_to_is_inclusive() {
        let q = AuditQuery {
            from: "2026-12-01".into(),
            to: "2026-12-01".into(),
            ..Default::default()
        };
        let f = audit_filter(&q).unwrap();
        assert_eq!(f.until_ms.unwrap() - f.from_ms.unwrap(), 24 * 3600 * 1000);
        let bad = AuditQuery {
            from: "1 Dec".into(),
            ..Default::default()
        };
        assert!(audit_filter(&bad)
            .unwrap_err()
            .field_message("from")
            .is_some());
        let reversed = AuditQuery {
            from: "2026-12-02".into(),
            to: "2026-12-01".into(),
            ..Default::default()
        };
        assert!(audit_filter(&reversed)
            .unwrap_err()
            .field_message("to")
            .is_some());
    }
}
