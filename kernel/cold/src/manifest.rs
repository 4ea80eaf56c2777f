//! `manifest.json`: the list of Parquet segments in one folder. It is the source of truth: a
//! Parquet file not listed here is ignored (a flush that crashed before committing it).

use kalamdb_plugin_api::value::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const MANIFEST_FILE: &str = "manifest.json";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub segments: Vec<Segment>,
    /// `created_at` of the table that wrote it: a table dropped and created again under the
    /// same name never reads the old one's files. Absent in manifests of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_created_at: Option<i64>,
    /// When a flush last committed a segment here (microseconds since the Unix epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_flush_micros: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// File name inside the folder.
    pub file: String,
    pub rows: usize,
    pub bytes: usize,
    pub min_seq: i64,
    pub max_seq: i64,
    pub min_pk: Option<Value>,
    pub max_pk: Option<Value>,
    pub schema_version: u32,
    /// Per column, the live rows that hold a value in it (statistics; absent in segments of
    /// older versions).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub filled: BTreeMap<String, u64>,
}

fn cmp(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

impl Manifest {
    /// Roughly what the manifest takes in memory (for `system.caches`).
    pub fn approx_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self
                .segments
                .iter()
                .map(|s| std::mem::size_of::<Segment>() + s.file.len() + 16)
                .sum::<usize>()
    }
}

impl Segment {
    /// False only when the segment certainly holds no row with this primary key.
    pub fn may_contain_pk(&self, pk: &Value) -> bool {
        let above_min = match &self.min_pk {
            Some(min) => cmp(pk, min).is_none_or(|o| o.is_ge()),
            None => true,
        };
        let below_max = match &self.max_pk {
            Some(max) => cmp(pk, max).is_none_or(|o| o.is_le()),
            None => true,
        };
        above_min && below_max
    }

    /// False only when every row of the segment has `_seq <= after`.
    pub fn may_have_seq_after(&self, after: i64) -> bool {
        self.max_seq > after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips_and_prunes() {
        let seg = Segment {
            file: "a.parquet".into(),
            rows: 2,
            bytes: 10,
            min_seq: 5,
            max_seq: 9,
            min_pk: Some(Value::Int(10)),
            max_pk: Some(Value::Int(20)),
            schema_version: 1,
            filled: BTreeMap::new(),
        };
        let m = Manifest {
            segments: vec![seg.clone()],
            table_created_at: Some(1),
            last_flush_micros: None,
        };
        let text = serde_json::to_string(&m).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Manifest>(&text).ok(), Some(m));
        assert!(seg.may_contain_pk(&Value::Int(15)));
        assert!(!seg.may_contain_pk(&Value::Int(21)));
        assert!(!seg.may_have_seq_after(9));
        assert!(seg.may_have_seq_after(8));
    }

    #[test]
    fn reads_a_manifest_written_before_incarnations_were_recorded() {
        let old = r#"{"segments":[{"file":"seg-1.parquet","rows":1,"bytes":9,"min_seq":1,"max_seq":1,"min_pk":{"Int":1},"max_pk":{"Int":1},"schema_version":1}]}"#;
        let m: Manifest = serde_json::from_str(old).unwrap_or_default();
        assert_eq!(m.segments.len(), 1);
        assert_eq!(m.table_created_at, None);
    }
}
