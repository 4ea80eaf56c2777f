//! The codec conformance suite: every value kind, nulls, unicode, large values, non-finite
//! floats and catalog records must round-trip unchanged, and damaged bytes must decode to an
//! error, never a panic.

use crate::codec::{Codec, decode, decode_row, encode, encode_row};
use crate::value::{StoredRow, Value};
use kalamdb_types::NamespaceId;
use serde::{Deserialize, Serialize};

/// The shapes the kernel's catalog records have: a struct with an id and a number, optional and
/// nested fields, and an enum with newtype and unit variants. A codec must carry all of them.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct RecordShape {
    namespace_id: NamespaceId,
    created_at: i64,
    description: Option<String>,
    absent: Option<String>,
    columns: Vec<(u32, String)>,
    defaults: Vec<DefaultShape>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum DefaultShape {
    Literal(Value),
    Now,
    Named { name: String },
}

fn round_trip<T>(codec: &dyn Codec, value: &T) -> Result<(), String>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let bytes = encode(codec, value).map_err(|e| format!("encode {value:?}: {e}"))?;
    let back: T = decode(codec, &bytes).map_err(|e| format!("decode {value:?}: {e}"))?;
    if &back != value {
        return Err(format!("{value:?} came back as {back:?}"));
    }
    Ok(())
}

/// A row through the codec's row fast path and the erased path, all four ways.
fn row_paths_agree(codec: &dyn Codec, row: &StoredRow) -> Result<(), String> {
    let erased = encode(codec, row).map_err(|e| format!("encode {row:?}: {e}"))?;
    let fast = encode_row(codec, row).map_err(|e| format!("encode_row {row:?}: {e}"))?;
    for bytes in [&erased, &fast] {
        let a = decode_row(codec, bytes).map_err(|e| format!("decode_row {row:?}: {e}"))?;
        let b: StoredRow = decode(codec, bytes).map_err(|e| format!("decode {row:?}: {e}"))?;
        if &a != row || &b != row {
            return Err(format!("{row:?} came back as {a:?} / {b:?}"));
        }
    }
    Ok(())
}

/// Runs the suite; the error names the first value that did not round-trip.
pub fn run(codec: &dyn Codec) -> Result<(), String> {
    if codec.name().is_empty() || codec.content_type().is_empty() {
        return Err("a codec needs a name and a content type".into());
    }
    let values = vec![
        Value::Null,
        Value::Bool(true),
        Value::Bool(false),
        Value::Int(0),
        Value::Int(i64::MIN),
        Value::Int(i64::MAX),
        Value::Float(-1.5e300),
        Value::Float(0.1),
        Value::Decimal("-12345678901234567890.123456789".into()),
        Value::Text(String::new()),
        Value::Text("héllo wörld — 你好 🚀 \"quoted\" \\ \n\t".into()),
        Value::Text("x".repeat(1 << 20)),
        Value::Bytes(vec![0, 1, 2, 255, 254]),
        Value::Bytes(vec![7; 100_000]),
        Value::Timestamp(1_700_000_000_123_456),
        Value::Timestamp(-1),
        Value::Date(19_000),
        Value::Time(86_399_999_999),
    ];
    for v in &values {
        round_trip(codec, v)?;
    }
    let row = StoredRow {
        seq: 123_456_789_012,
        deleted: false,
        cells: values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u32, v.clone()))
            .collect(),
    };
    round_trip(codec, &row)?;
    row_paths_agree(codec, &row)?;
    round_trip(
        codec,
        &StoredRow {
            seq: 1,
            deleted: true,
            cells: vec![(0, Value::Int(5))],
        },
    )?;
    round_trip(
        codec,
        &RecordShape {
            namespace_id: NamespaceId::new("app"),
            created_at: 42,
            description: Some("notes".into()),
            absent: None,
            columns: vec![(1, "id".into()), (2, "body".into())],
            defaults: vec![
                DefaultShape::Literal(Value::Text("d".into())),
                DefaultShape::Now,
                DefaultShape::Named { name: "x".into() },
            ],
        },
    )?;
    round_trip(codec, &DefaultShape::Literal(Value::Text("d".into())))?;
    non_finite_floats_survive(codec)?;
    damaged_bytes_never_panic(codec, &row)?;
    Ok(())
}

/// NaN and ±Infinity round-trip (NaN is compared by kind: it equals nothing).
fn non_finite_floats_survive(codec: &dyn Codec) -> Result<(), String> {
    let row = StoredRow {
        seq: 9,
        deleted: false,
        cells: vec![
            (0, Value::Float(f64::NAN)),
            (1, Value::Float(f64::INFINITY)),
            (2, Value::Float(f64::NEG_INFINITY)),
        ],
    };
    for bytes in [
        encode(codec, &row).map_err(|e| format!("encode non-finite floats: {e}"))?,
        encode_row(codec, &row).map_err(|e| format!("encode_row non-finite floats: {e}"))?,
    ] {
        let back = decode_row(codec, &bytes).map_err(|e| format!("decode non-finite: {e}"))?;
        let ok = matches!(back.get(0), Some(Value::Float(f)) if f.is_nan())
            && back.get(1) == Some(&Value::Float(f64::INFINITY))
            && back.get(2) == Some(&Value::Float(f64::NEG_INFINITY));
        if !ok {
            return Err(format!("non-finite floats came back as {back:?}"));
        }
    }
    Ok(())
}

/// Every truncation and many single-byte corruptions of an encoded row decode to a value or an
/// error, never a panic: a damaged value on disk must be a skippable error.
fn damaged_bytes_never_panic(codec: &dyn Codec, row: &StoredRow) -> Result<(), String> {
    let small = StoredRow {
        cells: row.cells.iter().take(10).cloned().collect(),
        ..row.clone()
    };
    let bytes = encode_row(codec, &small).map_err(|e| format!("encode_row: {e}"))?;
    let mut damaged: Vec<Vec<u8>> = (0..bytes.len()).map(|n| bytes[..n].to_vec()).collect();
    for i in (0..bytes.len()).step_by(3) {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= flip;
            damaged.push(b);
        }
    }
    for b in &damaged {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = decode_row(codec, b);
            let _ = decode::<StoredRow>(codec, b);
        }));
        if caught.is_err() {
            return Err(format!("decoding {} damaged bytes panicked", b.len()));
        }
    }
    Ok(())
}
