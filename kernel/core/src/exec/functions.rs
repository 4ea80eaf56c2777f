//! KalamDB's SQL functions: SNOWFLAKE_ID(), UUID_V7(), ULID(), CURRENT_USER(). The same
//! generators serve column defaults.

use crate::store::seq::SeqGenerator;
use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, create_udf,
};
use std::sync::{Arc, OnceLock};

fn snowflake() -> &'static SeqGenerator {
    static GEN: OnceLock<SeqGenerator> = OnceLock::new();
    GEN.get_or_init(|| SeqGenerator::new(2))
}

/// A new snowflake id (time-ordered 64-bit integer).
pub fn snowflake_id() -> i64 {
    snowflake().next()
}

/// A new UUID version 7 (time-ordered), hyphenated.
pub fn uuid_v7() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}

/// A new ULID: 48 bits of milliseconds and 80 random bits, Crockford base32.
pub fn ulid() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let ms = chrono::Utc::now().timestamp_millis().max(0) as u128;
    let random: u128 = rand::random::<u128>() & ((1u128 << 80) - 1);
    let value = (ms << 80) | random;
    let mut out = [0u8; 26];
    for (i, slot) in out.iter_mut().enumerate() {
        let shift = 5 * (25 - i);
        *slot = ALPHABET[((value >> shift) & 0x1f) as usize];
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The functions that do not depend on the caller.
pub fn builtin_udfs() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::new_from_impl(Generator::new(GeneratorKind::Snowflake)),
        ScalarUDF::new_from_impl(Generator::new(GeneratorKind::UuidV7)),
        ScalarUDF::new_from_impl(Generator::new(GeneratorKind::Ulid)),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum GeneratorKind {
    Snowflake,
    UuidV7,
    Ulid,
}

/// A zero-argument id generator as a SQL function. It makes one value per row of the batch
/// it is evaluated for (`INSERT ... SELECT SNOWFLAKE_ID() ...` gives every row its own id),
/// where a plain `create_udf` closure sees no row count and returns one value for the batch.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Generator {
    kind: GeneratorKind,
    signature: Signature,
}

impl Generator {
    fn new(kind: GeneratorKind) -> Self {
        Self {
            kind,
            signature: Signature::exact(vec![], Volatility::Volatile),
        }
    }
}

impl ScalarUDFImpl for Generator {
    fn name(&self) -> &str {
        match self.kind {
            GeneratorKind::Snowflake => "snowflake_id",
            GeneratorKind::UuidV7 => "uuid_v7",
            GeneratorKind::Ulid => "ulid",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> datafusion::common::Result<DataType> {
        Ok(match self.kind {
            GeneratorKind::Snowflake => DataType::Int64,
            GeneratorKind::UuidV7 | GeneratorKind::Ulid => DataType::Utf8,
        })
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::common::Result<ColumnarValue> {
        let n = args.number_rows;
        let array: ArrayRef = match self.kind {
            GeneratorKind::Snowflake => {
                Arc::new(Int64Array::from_iter_values((0..n).map(|_| snowflake_id())))
            }
            GeneratorKind::UuidV7 => {
                Arc::new(StringArray::from_iter_values((0..n).map(|_| uuid_v7())))
            }
            GeneratorKind::Ulid => Arc::new(StringArray::from_iter_values((0..n).map(|_| ulid()))),
        };
        Ok(ColumnarValue::Array(array))
    }
}

/// CURRENT_USER() bound to one caller.
pub fn current_user_udf(user: &str) -> ScalarUDF {
    let user = user.to_string();
    create_udf(
        "current_user",
        vec![],
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(move |_| Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(user.clone()))))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulids_sort_by_time_and_are_26_chars() {
        let a = ulid();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = ulid();
        assert_eq!(a.len(), 26);
        assert!(a < b);
        assert_eq!(uuid_v7().len(), 36);
    }
}
