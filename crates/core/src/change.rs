//! One change and its events, committed together: the transactional outbox. A use case opens a
//! `Change`, writes through `change.conn`, stages its events in `change.out`, and `finish`es.
//! The events are written to the outbox in the change's own transaction, so no committed change
//! can lack them; after the commit the log writer numbers and delivers them
//! (`Realtime::flush`), and if the process dies first, the next writer to run does.

use serde_json::Value;
use switchboard_realtime::{Audience, Event};
use switchboard_store::{AsyncPgConnection, Conn};

use crate::error::{CoreError, CoreResult};
use crate::state::AppState;

/// Events staged by a change, written to the outbox in one statement when it commits.
#[derive(Default)]
pub struct Outbox {
    rows: Vec<(i64, Event, Value, Audience)>,
    /// Set while an automation rule acts: every event staged carries this depth.
    pub automation_depth: i16,
}

impl Outbox {
    pub fn push(&mut self, account_id: i64, event: Event, data: Value, mut audience: Audience) {
        audience.automation_depth = self.automation_depth;
        self.rows.push((account_id, event, data, audience));
    }

    /// How many events are staged (a savepoint's mark, to drop what a failed step staged).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Drops the events staged after `mark`.
    pub fn truncate(&mut self, mark: usize) {
        self.rows.truncate(mark);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the staged events in the caller's transaction; returns how many.
    pub async fn write(&mut self, conn: &mut AsyncPgConnection) -> CoreResult<usize> {
        let audiences: Vec<Value> =
            self.rows.iter().map(|r| serde_json::to_value(&r.3)).collect::<Result<_, _>>().map_err(crate::error::CoreError::caused_by)?;
        let rows: Vec<(i64, &str, &Value, &Value)> = self.rows.iter().zip(&audiences).map(|(r, a)| (r.0, r.1.as_str(), &r.2, a)).collect();
        switchboard_store::events::stage(conn, &rows).await?;
        let n = self.rows.len();
        self.rows.clear();
        Ok(n)
    }
}

/// A transaction on a pooled connection, and the events it stages.
pub struct Change {
    pub conn: Conn,
    pub out: Outbox,
}

impl Change {
    pub async fn begin(state: &AppState) -> CoreResult<Self> {
        let mut conn = state.conn().await?;
        switchboard_store::pool::begin(&mut conn).await?;
        Ok(Self { conn, out: Outbox::default() })
    }

    /// With `Ok`: writes the staged events, commits, and returns once the events are delivered.
    /// With an error: rolls back, and nothing is announced. The caller's error type is kept (a
    /// handler's carries HTTP answers the operations do not know).
    pub async fn finish<T, E: From<CoreError>>(mut self, state: &AppState, result: Result<T, E>) -> Result<T, E> {
        match result {
            Ok(value) => {
                let staged = self.out.write(&mut self.conn).await?;
                switchboard_store::pool::commit(&mut self.conn).await.map_err(CoreError::from)?;
                if staged > 0 {
                    state.realtime.flush().await;
                }
                Ok(value)
            }
            Err(e) => {
                // A failed rollback leaves the transaction open: the pool then discards the
                // connection, and PostgreSQL rolls back when it closes.
                let _ = switchboard_store::pool::rollback(&mut self.conn).await;
                Err(e)
            }
        }
    }
}
