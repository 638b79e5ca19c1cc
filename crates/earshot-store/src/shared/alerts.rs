//! Emerging-issue alerts (`emerging_alerts`): raised once per series and hour by the timer
//! worker, acknowledged and closed by people.

use super::*;

use earshot_core::store::{AlertState, NewAlert, StoredAlert};
use earshot_core::time::{from_millis, Timestamp};

const COLUMNS: &str =
    "id, dimension, series_key, name, hour, severity, observed, expected, surprise, state, \
     acknowledged_by, acknowledged_at, closed_by, closed_at, raised_at, updated_at, detail";

fn alert_row(r: &DbRow) -> StoreResult<StoredAlert> {
    let at = |i: usize| opt_time(r, i);
    let state: String = r.try_get(9).map_err(db_err)?;
    let detail: String = r.try_get(16).map_err(db_err)?;
    Ok(StoredAlert {
        id: r.try_get(0).map_err(db_err)?,
        dimension: r.try_get(1).map_err(db_err)?,
        series_key: r.try_get(2).map_err(db_err)?,
        name: r.try_get(3).map_err(db_err)?,
        hour: from_millis(r.try_get(4).map_err(db_err)?),
        severity: r.try_get(5).map_err(db_err)?,
        observed: r.try_get(6).map_err(db_err)?,
        expected: r.try_get(7).map_err(db_err)?,
        surprise: r.try_get(8).map_err(db_err)?,
        state: state
            .parse()
            .map_err(|_| crate::corrupt("alert state", &state))?,
        acknowledged_by: r.try_get(10).map_err(db_err)?,
        acknowledged_at: at(11)?,
        closed_by: r.try_get(12).map_err(db_err)?,
        closed_at: at(13)?,
        raised_at: from_millis(r.try_get(14).map_err(db_err)?),
        updated_at: from_millis(r.try_get(15).map_err(db_err)?),
        detail: serde_json::from_str(&detail)
            .map_err(|_| crate::corrupt("alert detail", &detail))?,
    })
}

#[async_trait::async_trait]
impl earshot_core::store::AlertStore for Backend {
    async fn record_alerts(
        &self,
        ws: WorkspaceId,
        alerts: &[NewAlert],
    ) -> StoreResult<Vec<(i64, bool)>> {
        let mut tx = self.writer().begin().await.map_err(db_err)?;
        let at = to_millis(now());
        let mut out = Vec::with_capacity(alerts.len());
        for a in alerts {
            let hour = to_millis(a.hour);
            let existing: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM emerging_alerts WHERE workspace_id = $1 AND dimension = $2 AND series_key = $3 AND hour = $4",
            )
            .bind(ws.0)
            .bind(&a.dimension)
            .bind(&a.series_key)
            .bind(hour)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            match existing {
                Some((id,)) => {
                    // The hour goes on: its figures grow (a severity never drops).
                    sqlx::query(
                        "UPDATE emerging_alerts SET observed = $1, expected = $2, surprise = $3, \
                         severity = CASE WHEN severity = 'critical' THEN 'critical' ELSE $4 END, \
                         name = $5, detail = $6, updated_at = $7 WHERE id = $8 AND observed <= $1",
                    )
                    .bind(a.observed)
                    .bind(a.expected)
                    .bind(a.surprise)
                    .bind(&a.severity)
                    .bind(&a.name)
                    .bind(a.detail.to_string())
                    .bind(at)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    out.push((id, false));
                }
                None => {
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO emerging_alerts (workspace_id, dimension, series_key, name, hour, severity, observed, \
                         expected, surprise, state, detail, raised_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $11) RETURNING id",
                    )
                    .bind(ws.0)
                    .bind(&a.dimension)
                    .bind(&a.series_key)
                    .bind(&a.name)
                    .bind(hour)
                    .bind(&a.severity)
                    .bind(a.observed)
                    .bind(a.expected)
                    .bind(a.surprise)
                    .bind(a.detail.to_string())
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    out.push((id, true));
                }
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn list_alerts(
        &self,
        ws: WorkspaceId,
        state: Option<AlertState>,
        limit: u32,
    ) -> StoreResult<Vec<StoredAlert>> {
        let mut sql = crate::queries::Sql::new(&format!(
            "SELECT {COLUMNS} FROM emerging_alerts WHERE workspace_id = "
        ));
        sql.bind(Bind::I64(ws.0));
        if let Some(s) = state {
            sql.push(" AND state = ")
                .bind(Bind::Text(s.as_str().to_string()));
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .bind(Bind::I64(i64::from(limit.clamp(1, 500))));
        let rows = bind_all(sqlx::query(&sql.text), &sql.binds)
            .fetch_all(self.reader())
            .await
            .map_err(db_err)?;
        rows.iter().map(alert_row).collect()
    }

    async fn set_alert_state(
        &self,
        ws: WorkspaceId,
        id: i64,
        state: AlertState,
        by: &str,
    ) -> StoreResult<StoredAlert> {
        let at = to_millis(now());
        let sql = match state {
            AlertState::Acknowledged => {
                "UPDATE emerging_alerts SET state = 'acknowledged', acknowledged_by = $1, acknowledged_at = $2, \
                 updated_at = $2 WHERE workspace_id = $3 AND id = $4"
            }
            AlertState::Closed => {
                "UPDATE emerging_alerts SET state = 'closed', closed_by = $1, closed_at = $2, updated_at = $2 \
                 WHERE workspace_id = $3 AND id = $4"
            }
            AlertState::Open => {
                return Err(StoreError::Invalid(
                    "an alert is acknowledged or closed; the worker raises a new one if it rises again".into(),
                ))
            }
        };
        let done = sqlx::query(sql)
            .bind(by)
            .bind(at)
            .bind(ws.0)
            .bind(id)
            .execute(self.writer())
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "alert", id });
        }
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM emerging_alerts WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(ws.0)
        .bind(id)
        .fetch_one(self.writer())
        .await
        .map_err(db_err)?;
        alert_row(&row)
    }

    async fn workspaces_active_since(&self, since: Timestamp) -> StoreResult<Vec<WorkspaceId>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT w.id FROM workspaces w WHERE EXISTS \
             (SELECT 1 FROM messages m WHERE m.workspace_id = w.id AND m.sent_at >= $1) ORDER BY w.id",
        )
        .bind(to_millis(since))
        .fetch_all(self.reader())
        .await
        .map_err(db_err)?;
        Ok(rows.into_iter().map(|r| WorkspaceId(r.0)).collect())
    }
}
