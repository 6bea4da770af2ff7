//! The SQL the two delivery queues (`notifications`, `webhook_deliveries`) share: queueing
//! rows once per target, event and message, and leasing the due ones.

/// Leases up to `$4` pending rows of `table` due by `$3` whose lease is free or ran out to
/// `$1` until `$2`, returning `columns`.
pub(crate) fn claim_due(table: &str, columns: &str, skip_locked: &str) -> String {
    format!(
        "UPDATE {table} SET lease_holder = $1, lease_expires_at = $2 WHERE id IN ( \
           SELECT id FROM {table} WHERE state = 'pending' AND due_at <= $3 \
           AND (lease_expires_at IS NULL OR lease_expires_at < $3) ORDER BY due_at LIMIT $4 {skip_locked} \
         ) RETURNING {columns}"
    )
}

/// `enqueue_rows(pool, table, target_column, rows)` for `$db`, beside its stores: queues
/// `rows` in one transaction, each row's target in `target_column`; a row already queued for
/// the same target, event and message is kept.
macro_rules! enqueue_rows {
    ($db:ty) => {
        async fn enqueue_rows(
            pool: &sqlx::Pool<<$db as $crate::db::sql::Dialect>::Engine>,
            table: &str,
            target_column: &str,
            rows: &[$crate::db::queue::Queued<'_>],
        ) -> sqlx::Result<()> {
            let now = $crate::domain::timestamp(chrono::Utc::now());
            let insert = format!(
                "INSERT INTO {table} (id, {target_column}, event, clip_id, reply_id, actor_id, created_at, due_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING"
            );
            let mut tx = pool
                .begin_with(<$db as $crate::db::sql::Dialect>::BEGIN_WRITE)
                .await?;
            for row in rows {
                sqlx::query(&insert)
                    .bind(&row.id)
                    .bind(row.target)
                    .bind(row.event.as_str())
                    .bind(row.clip_id)
                    .bind(row.reply_id)
                    .bind(row.actor_id)
                    .bind(&now)
                    .bind($crate::domain::timestamp(row.due_at))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }
    };
}
pub(crate) use enqueue_rows;
