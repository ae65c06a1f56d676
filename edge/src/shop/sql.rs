//! The shop object's SQL helpers: statements run synchronously inside the
//! object, so a read and the write that follows it never interleave with
//! another request.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{SqlStorage, SqlStorageValue};

use super::ShopRecords;
use crate::error::EdgeError;

#[derive(Deserialize)]
pub(super) struct Row<T> {
    pub(super) value: T,
}

pub(super) fn text_value(text: impl Into<String>) -> SqlStorageValue {
    SqlStorageValue::String(text.into())
}

pub(super) fn sql_err(err: worker::Error) -> EdgeError {
    EdgeError::Internal(format!("SQL: {err}"))
}

pub(super) fn to_text<T: Serialize>(value: &T) -> Result<String, EdgeError> {
    serde_json::to_string(value).map_err(|err| EdgeError::Internal(format!("serialising: {err}")))
}

impl ShopRecords {
    pub(super) fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    /// Runs a query and reads every row it gives as a `T`.
    pub(super) fn rows<T: DeserializeOwned>(
        &self,
        query: &str,
        bindings: Vec<SqlStorageValue>,
    ) -> Result<Vec<T>, EdgeError> {
        self.sql()
            .exec(query, bindings)
            .and_then(|cursor| cursor.to_array())
            .map_err(sql_err)
    }

    /// Runs a statement; how many rows it wrote.
    pub(super) fn run(
        &self,
        query: &str,
        bindings: Vec<SqlStorageValue>,
    ) -> Result<usize, EdgeError> {
        Ok(self
            .sql()
            .exec(query, bindings)
            .map_err(sql_err)?
            .rows_written())
    }

    pub(super) fn setting(&self, name: &str) -> Result<Option<String>, EdgeError> {
        let rows: Vec<Row<String>> = self.rows(
            "SELECT value FROM settings WHERE name = ?",
            vec![text_value(name)],
        )?;
        Ok(rows.into_iter().next().map(|row| row.value))
    }

    pub(super) fn set_setting(&self, name: &str, value: &str) -> Result<(), EdgeError> {
        self.run(
            "INSERT INTO settings (name, value) VALUES (?, ?)
                 ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            vec![text_value(name), text_value(value)],
        )?;
        Ok(())
    }

    /// `{name: count}` from a query selecting `name` and `n`.
    pub(super) fn counts(&self, query: &str) -> Result<Value, EdgeError> {
        #[derive(Deserialize)]
        struct Count {
            name: String,
            n: i64,
        }
        let rows: Vec<Count> = self.rows(query, Vec::new())?;
        Ok(Value::Object(
            rows.into_iter()
                .map(|row| (row.name, Value::from(row.n)))
                .collect(),
        ))
    }
}
