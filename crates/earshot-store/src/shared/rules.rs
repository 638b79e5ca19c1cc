//! Automation rules (in their order) and SLA policies.

use super::*;

use earshot_core::rules::RuleDraft;
use earshot_core::workflow::{RuleRecord, SlaPolicyRecord};

fn rule_record(row: (i64, i64, String, i64, i64)) -> StoreResult<RuleRecord> {
    let (id, position, definition, created, updated) = row;
    Ok(RuleRecord {
        id,
        position,
        rule: serde_json::from_str::<RuleDraft>(&definition)
            .map_err(|_| crate::corrupt("rule", &definition))?,
        created_at: earshot_core::time::from_millis(created),
        updated_at: earshot_core::time::from_millis(updated),
    })
}

pub(crate) async fn create_rule(
    pool: &Pool,
    ws: WorkspaceId,
    position: Option<i64>,
    rule: &RuleDraft,
) -> StoreResult<RuleRecord> {
    let at = to_millis(now());
    let definition = serde_json::to_string(rule).expect("a rule serializes");
    let row: (i64, i64, String, i64, i64) = sqlx::query_as(
        "INSERT INTO rules (workspace_id, position, definition, created_at, updated_at) \
         VALUES ($1, COALESCE($2, (SELECT COALESCE(MAX(position), 0) + 1 FROM rules WHERE workspace_id = $1)), $3, $4, $4) \
         RETURNING id, position, definition, created_at, updated_at",
    )
    .bind(ws.0)
    .bind(position)
    .bind(&definition)
    .bind(at)
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    rule_record(row)
}

pub(crate) async fn list_rules(pool: &Pool, ws: WorkspaceId) -> StoreResult<Vec<RuleRecord>> {
    let rows: Vec<(i64, i64, String, i64, i64)> = sqlx::query_as(
        "SELECT id, position, definition, created_at, updated_at FROM rules WHERE workspace_id = $1 ORDER BY position, id",
    )
    .bind(ws.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.into_iter().map(rule_record).collect()
}

pub(crate) async fn update_rule(
    pool: &Pool,
    ws: WorkspaceId,
    id: i64,
    position: Option<i64>,
    rule: &RuleDraft,
) -> StoreResult<RuleRecord> {
    let definition = serde_json::to_string(rule).expect("a rule serializes");
    let row: Option<(i64, i64, String, i64, i64)> = sqlx::query_as(
        "UPDATE rules SET definition = $1, position = COALESCE($2, position), updated_at = $3 \
         WHERE workspace_id = $4 AND id = $5 RETURNING id, position, definition, created_at, updated_at",
    )
    .bind(&definition)
    .bind(position)
    .bind(to_millis(now()))
    .bind(ws.0)
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    rule_record(row.ok_or(not_found("rule", id))?)
}

pub(crate) async fn delete_rule(pool: &Pool, ws: WorkspaceId, id: i64) -> StoreResult<()> {
    let done = sqlx::query("DELETE FROM rules WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0)
        .bind(id)
        .execute(pool)
        .await
        .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(not_found("rule", id));
    }
    Ok(())
}

pub(crate) async fn create_sla_policy(
    pool: &Pool,
    ws: WorkspaceId,
    policy: &sla::PolicyDraft,
) -> StoreResult<SlaPolicyRecord> {
    policy
        .compile()
        .map_err(|e| store::StoreError::Invalid(e.to_string()))?;
    let definition = serde_json::to_string(policy).expect("a policy serializes");
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO sla_policies (workspace_id, name, definition) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(ws.0)
    .bind(&policy.name)
    .bind(&definition)
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    Ok(SlaPolicyRecord {
        id,
        policy: policy.clone(),
    })
}

pub(crate) async fn list_sla_policies(
    pool: &Pool,
    ws: WorkspaceId,
) -> StoreResult<Vec<SlaPolicyRecord>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, definition FROM sla_policies WHERE workspace_id = $1 ORDER BY id",
    )
    .bind(ws.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.into_iter()
        .map(|(id, d)| {
            Ok(SlaPolicyRecord {
                id,
                policy: serde_json::from_str(&d).map_err(|_| crate::corrupt("SLA policy", &d))?,
            })
        })
        .collect()
}
