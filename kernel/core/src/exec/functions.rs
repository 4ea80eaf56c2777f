//! KalamDB's SQL functions: SNOWFLAKE_ID(), UUID_V7(), ULID(), CURRENT_USER(). The same
//! generators serve column defaults.

use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, create_udf,
};
use std::sync::Arc;

pub use kalamdb_base::ids::{snowflake_id, ulid, uuid_v7};

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
