//! PostgreSQL's JSON operators and functions over JSON text (a `JSON` column, or any text):
//!
//! | SQL | function | result |
//! |---|---|---|
//! | `j -> 'k'`, `j -> 2` | `json_get` | the member or element as JSON |
//! | `j ->> 'k'`, `j ->> 2` | `json_get_text` | the same as text (a JSON string unquoted) |
//! | `j #> '{a,0,b}'` | `json_get_path` | the value at the path as JSON |
//! | `j #>> '{a,0,b}'` | `json_get_path_text` | the same as text |
//! | `j ? 'k'` | `json_has_key` | whether the object has the key (or the array the string) |
//! | `j @> k`, `j <@ k` | `json_contains`, `json_contained_by` | PostgreSQL's jsonb containment |
//! | | `json_extract_path(j, 'a', 'b', ...)`, `json_extract_path_text(...)` | as `#>`, `#>>` |
//! | | `json_typeof(j)` | `object`, `array`, `string`, `number`, `boolean` or `null` |
//! | | `json_array_length(j)` | the number of elements of an array |
//!
//! As in PostgreSQL a missing key, an index past the end, or a key used on an array (an index on
//! an object) gives NULL, not an error; a negative index counts from the end; `->>` of a JSON
//! `null` is SQL NULL while `->` gives the JSON `null`. Text that is not JSON is an error naming
//! it. JSON results carry the `Json` wire type, so clients receive them as JSON values.
//!
//! [`JsonOperators`] is the DataFusion expression planner that turns the operators into these
//! functions; [`json_udfs`] lists the functions to register.

use crate::catalog::schema::META_TYPE;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{DFSchema, Result, exec_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::sql::sqlparser::ast::BinaryOperator;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Get,
    GetText,
    Path,
    PathText,
    HasKey,
    Contains,
    ContainedBy,
    ExtractPath,
    ExtractPathText,
    TypeOf,
    ArrayLength,
}

impl Kind {
    const ALL: [Kind; 11] = [
        Kind::Get,
        Kind::GetText,
        Kind::Path,
        Kind::PathText,
        Kind::HasKey,
        Kind::Contains,
        Kind::ContainedBy,
        Kind::ExtractPath,
        Kind::ExtractPathText,
        Kind::TypeOf,
        Kind::ArrayLength,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Get => "json_get",
            Kind::GetText => "json_get_text",
            Kind::Path => "json_get_path",
            Kind::PathText => "json_get_path_text",
            Kind::HasKey => "json_has_key",
            Kind::Contains => "json_contains",
            Kind::ContainedBy => "json_contained_by",
            Kind::ExtractPath => "json_extract_path",
            Kind::ExtractPathText => "json_extract_path_text",
            Kind::TypeOf => "json_typeof",
            Kind::ArrayLength => "json_array_length",
        }
    }

    fn returns_json(self) -> bool {
        matches!(self, Kind::Get | Kind::Path | Kind::ExtractPath)
    }
}

/// The JSON functions, to register on a session.
pub fn json_udfs() -> Vec<ScalarUDF> {
    Kind::ALL.into_iter().map(udf).collect()
}

fn udf(kind: Kind) -> ScalarUDF {
    ScalarUDF::new_from_impl(JsonFunction::new(kind))
}

/// Plans `->`, `->>`, `#>`, `#>>` and `?` as the JSON functions (`?` only reaches the
/// planner under a dialect that does not read it as a parameter mark).
#[derive(Debug, Default)]
pub struct JsonOperators;

impl ExprPlanner for JsonOperators {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        _schema: &DFSchema,
    ) -> Result<PlannerResult<RawBinaryExpr>> {
        let kind = match &expr.op {
            BinaryOperator::Arrow => Kind::Get,
            BinaryOperator::LongArrow => Kind::GetText,
            BinaryOperator::HashArrow => Kind::Path,
            BinaryOperator::HashLongArrow => Kind::PathText,
            BinaryOperator::Question => Kind::HasKey,
            BinaryOperator::AtArrow => Kind::Contains,
            BinaryOperator::ArrowAt => Kind::ContainedBy,
            // PostgreSQL's lexer ends an operator before a trailing `-` or `+` unless the
            // operator holds one of `~ ! @ # % ^ & | ` ?`, so `doc->>-1` is `doc ->> -1`; the
            // parser's PostgreSQL dialect reads one operator `->>-`, split back here.
            BinaryOperator::Custom(op)
                if op == "->-" || op == "->>-" || op == "->+" || op == "->>+" =>
            {
                let kind = if op.starts_with("->>") {
                    Kind::GetText
                } else {
                    Kind::Get
                };
                let right = if op.ends_with('-') {
                    Expr::Negative(Box::new(expr.right))
                } else {
                    expr.right
                };
                return Ok(PlannerResult::Planned(attach(kind, expr.left, right)));
            }
            _ => return Ok(PlannerResult::Original(expr)),
        };
        Ok(PlannerResult::Planned(attach(kind, expr.left, expr.right)))
    }
}

/// `left OP right` as the function call, with PostgreSQL's precedence restored: the SQL
/// dialect in use ranks `->` and friends below `=`, `LIKE`, `IS`, `IN` and `BETWEEN`, so
/// `doc ->> 's' = 'hi'` arrives as `doc ->> ('s' = 'hi')`. A right side of that shape is
/// rotated back into `(doc ->> 's') = 'hi'` (a comparison is never a sensible key).
fn attach(kind: Kind, left: Expr, right: Expr) -> Expr {
    use datafusion::logical_expr::{Between, BinaryExpr, Like, Operator, expr::InList};
    let call = |key: Expr| {
        Expr::ScalarFunction(ScalarFunction::new_udf(
            Arc::new(udf(kind)),
            vec![left, key],
        ))
    };
    match right {
        Expr::BinaryExpr(BinaryExpr {
            left: key,
            op,
            right: rest,
        }) if matches!(
            op,
            Operator::Eq
                | Operator::NotEq
                | Operator::Lt
                | Operator::LtEq
                | Operator::Gt
                | Operator::GtEq
                | Operator::IsDistinctFrom
                | Operator::IsNotDistinctFrom
        ) =>
        {
            Expr::BinaryExpr(BinaryExpr::new(Box::new(call(*key)), op, rest))
        }
        Expr::Like(like) => Expr::Like(Like {
            expr: Box::new(call(*like.expr)),
            ..like
        }),
        Expr::SimilarTo(like) => Expr::SimilarTo(Like {
            expr: Box::new(call(*like.expr)),
            ..like
        }),
        Expr::Between(between) => Expr::Between(Between {
            expr: Box::new(call(*between.expr)),
            ..between
        }),
        Expr::InList(list) => Expr::InList(InList {
            expr: Box::new(call(*list.expr)),
            ..list
        }),
        Expr::IsNull(key) => Expr::IsNull(Box::new(call(*key))),
        Expr::IsNotNull(key) => Expr::IsNotNull(Box::new(call(*key))),
        Expr::IsTrue(key) => Expr::IsTrue(Box::new(call(*key))),
        Expr::IsFalse(key) => Expr::IsFalse(Box::new(call(*key))),
        Expr::IsNotTrue(key) => Expr::IsNotTrue(Box::new(call(*key))),
        Expr::IsNotFalse(key) => Expr::IsNotFalse(Box::new(call(*key))),
        key => call(key),
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonFunction {
    kind: Kind,
    signature: Signature,
}

impl JsonFunction {
    fn new(kind: Kind) -> Self {
        let signature = match kind {
            Kind::TypeOf | Kind::ArrayLength => Signature::any(1, Volatility::Immutable),
            Kind::ExtractPath | Kind::ExtractPathText => {
                Signature::variadic_any(Volatility::Immutable)
            }
            _ => Signature::any(2, Volatility::Immutable),
        };
        Self { kind, signature }
    }
}

impl ScalarUDFImpl for JsonFunction {
    fn name(&self) -> &str {
        self.kind.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::HasKey | Kind::Contains | Kind::ContainedBy => DataType::Boolean,
            Kind::ArrayLength => DataType::Int64,
            _ => DataType::Utf8,
        })
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        let data_type = self.return_type(&[])?;
        let mut field = Field::new(self.name(), data_type, true);
        if self.kind.returns_json() {
            field = field.with_metadata(HashMap::from([(META_TYPE.to_string(), "Json".into())]));
        }
        Ok(Arc::new(field))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(first) = arrays.first() else {
            return exec_err!("{}() needs a JSON argument", self.name());
        };
        let minimum = match self.kind {
            Kind::TypeOf | Kind::ArrayLength => 1,
            Kind::ExtractPath | Kind::ExtractPathText => 1,
            _ => 2,
        };
        if arrays.len() < minimum {
            return exec_err!("{}() needs {minimum} arguments", self.name());
        }
        let json = cast(first, &DataType::Utf8)?;
        let json = json.as_string::<i32>();
        let steps: Vec<Step> = arrays[1..].iter().map(Step::of).collect::<Result<_>>()?;
        let mut texts: Vec<Option<String>> = Vec::with_capacity(rows);
        let mut flags: Vec<Option<bool>> = Vec::new();
        let mut counts: Vec<Option<i64>> = Vec::new();
        for row in 0..rows {
            if json.is_null(row) {
                texts.push(None);
                flags.push(None);
                counts.push(None);
                continue;
            }
            let text = json.value(row);
            let value: Value = serde_json::from_str(text).map_err(|e| {
                datafusion::error::DataFusionError::Execution(format!(
                    "{}(): invalid JSON {}: {e}",
                    self.name(),
                    short(text)
                ))
            })?;
            match self.kind {
                Kind::Get | Kind::GetText => {
                    let found = steps[0].key(row).and_then(|key| step(&value, &key));
                    texts.push(render(found, self.kind == Kind::GetText));
                }
                Kind::Path | Kind::PathText => {
                    let found = match steps[0].path(row) {
                        Some(path) => walk(&value, &path),
                        None => None,
                    };
                    texts.push(render(found, self.kind == Kind::PathText));
                }
                Kind::ExtractPath | Kind::ExtractPathText => {
                    let path: Option<Vec<Key>> = steps
                        .iter()
                        .map(|s| s.key(row).map(Key::into_text_key))
                        .collect();
                    let found = path.and_then(|p| walk(&value, &p));
                    texts.push(render(found, self.kind == Kind::ExtractPathText));
                }
                Kind::HasKey => flags.push(steps[0].key(row).map(|key| match (&value, key) {
                    (Value::Object(map), Key::Name(name)) => map.contains_key(&name),
                    (Value::Array(items), Key::Name(name)) => {
                        items.iter().any(|v| v.as_str() == Some(name.as_str()))
                    }
                    (Value::Object(map), Key::Index(i)) => map.contains_key(&i.to_string()),
                    _ => false,
                })),
                Kind::Contains | Kind::ContainedBy => {
                    let other = match steps[0].key(row) {
                        None => None,
                        Some(Key::Index(i)) => Some(Value::from(i)),
                        Some(Key::Name(text)) => {
                            Some(serde_json::from_str::<Value>(&text).map_err(|e| {
                                datafusion::error::DataFusionError::Execution(format!(
                                    "{}(): invalid JSON {}: {e}",
                                    self.name(),
                                    short(&text)
                                ))
                            })?)
                        }
                    };
                    flags.push(other.map(|other| match self.kind {
                        Kind::Contains => contains(&value, &other, true),
                        _ => contains(&other, &value, true),
                    }));
                }
                Kind::TypeOf => texts.push(Some(type_name(&value).to_string())),
                Kind::ArrayLength => match &value {
                    Value::Array(items) => counts.push(Some(items.len() as i64)),
                    other => {
                        return exec_err!(
                            "cannot get array length of a {}: {}",
                            if other.is_object() {
                                "non-array (object)"
                            } else {
                                "scalar"
                            },
                            short(text)
                        );
                    }
                },
            }
        }
        let array: ArrayRef = match self.kind {
            Kind::HasKey | Kind::Contains | Kind::ContainedBy => {
                Arc::new(BooleanArray::from(flags))
            }
            Kind::ArrayLength => Arc::new(Int64Array::from(counts)),
            _ => Arc::new(StringArray::from(texts)),
        };
        Ok(ColumnarValue::Array(array))
    }
}

/// A key or index argument, per row.
enum Step {
    Text(StringArray),
    Int(Int64Array),
}

#[derive(Clone, Debug, PartialEq)]
enum Key {
    Name(String),
    Index(i64),
}

impl Key {
    /// `json_extract_path` takes text keys; an integer-looking one also indexes arrays.
    fn into_text_key(self) -> Key {
        match self {
            Key::Index(i) => Key::Name(i.to_string()),
            other => other,
        }
    }
}

impl Step {
    fn of(array: &ArrayRef) -> Result<Step> {
        if array.data_type().is_integer() {
            let ints = cast(array, &DataType::Int64)?;
            return Ok(Step::Int(ints.as_primitive().clone()));
        }
        let text = cast(array, &DataType::Utf8)?;
        Ok(Step::Text(text.as_string::<i32>().clone()))
    }

    fn key(&self, row: usize) -> Option<Key> {
        match self {
            Step::Int(ints) => (!ints.is_null(row)).then(|| Key::Index(ints.value(row))),
            Step::Text(texts) => (!texts.is_null(row)).then(|| Key::Name(texts.value(row).into())),
        }
    }

    /// A PostgreSQL text-array path, `{a,0,"b c"}`.
    fn path(&self, row: usize) -> Option<Vec<Key>> {
        match self.key(row)? {
            Key::Name(text) => parse_path(&text),
            Key::Index(i) => Some(vec![Key::Index(i)]),
        }
    }
}

/// PostgreSQL's jsonb containment: equal scalars; an object holding every key of the other
/// with a containing value; an array holding, for each element of the other, one that contains
/// it (order and duplicates aside); at the top level an array also contains a scalar it holds.
fn contains(outer: &Value, inner: &Value, top: bool) -> bool {
    match (outer, inner) {
        (Value::Object(a), Value::Object(b)) => b
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| contains(av, v, false))),
        (Value::Array(a), Value::Array(b)) => b
            .iter()
            .all(|bv| a.iter().any(|av| contains(av, bv, false))),
        (Value::Array(a), scalar) if top && !scalar.is_object() => a.iter().any(|av| av == scalar),
        (a, b) => !a.is_array() && !a.is_object() && a == b,
    }
}

/// `{a,b,"c,d"}` into its elements; `None` when it is not an array literal.
fn parse_path(text: &str) -> Option<Vec<Key>> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut keys = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => current.extend(chars.next()),
            ',' if !quoted => keys.push(Key::Name(std::mem::take(&mut current).trim().into())),
            _ => current.push(c),
        }
    }
    if !inner.trim().is_empty() {
        keys.push(Key::Name(current.trim().into()));
    }
    Some(keys)
}

/// One step into `value`; text keys that are integers index arrays (as in a path).
fn step<'a>(value: &'a Value, key: &Key) -> Option<&'a Value> {
    match (value, key) {
        (Value::Object(map), Key::Name(name)) => map.get(name),
        (Value::Array(items), Key::Index(i)) => index(items, *i),
        _ => None,
    }
}

fn walk<'a>(value: &'a Value, path: &[Key]) -> Option<&'a Value> {
    let mut current = value;
    for key in path {
        current = match (current, key) {
            (Value::Array(items), Key::Name(name)) => index(items, name.parse().ok()?)?,
            _ => step(current, key)?,
        };
    }
    Some(current)
}

fn index(items: &[Value], i: i64) -> Option<&Value> {
    let len = i64::try_from(items.len()).ok()?;
    let at = if i < 0 { len + i } else { i };
    usize::try_from(at).ok().and_then(|at| items.get(at))
}

/// JSON text of the value, or as text: strings unquoted, JSON null as SQL NULL.
fn render(value: Option<&Value>, as_text: bool) -> Option<String> {
    match (value?, as_text) {
        (Value::Null, true) => None,
        (Value::String(s), true) => Some(s.clone()),
        (other, _) => Some(other.to_string()),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Null => "null",
    }
}

fn short(text: &str) -> String {
    let mut cut: String = text.chars().take(40).collect();
    if cut.len() < text.len() {
        cut.push_str("...");
    }
    format!("'{cut}'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn steps_follow_postgresql() {
        let doc = json!({"a": {"b": [10, 20, {"c": "x"}]}, "n": null, "s": "hi"});
        assert_eq!(step(&doc, &Key::Name("s".into())), Some(&json!("hi")));
        assert_eq!(step(&doc, &Key::Name("missing".into())), None);
        assert_eq!(step(&doc, &Key::Index(0)), None, "an index on an object");
        let path = parse_path("{a,b,-1,c}").unwrap_or_default();
        assert_eq!(walk(&doc, &path), Some(&json!("x")));
        assert_eq!(walk(&doc, &parse_path("{a,b,5}").unwrap_or_default()), None);
        assert_eq!(render(step(&doc, &Key::Name("n".into())), true), None);
        assert_eq!(
            render(step(&doc, &Key::Name("n".into())), false).as_deref(),
            Some("null")
        );
        assert_eq!(
            render(step(&doc, &Key::Name("s".into())), false).as_deref(),
            Some("\"hi\"")
        );
        assert_eq!(
            parse_path(r#"{"a,b", c}"#),
            Some(vec![Key::Name("a,b".into()), Key::Name("c".into())])
        );
        assert_eq!(parse_path("{}"), Some(vec![]));
        assert_eq!(parse_path("a,b"), None);
    }
}
