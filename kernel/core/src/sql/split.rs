//! Splitting a request into statements: the shared scanner of `kalamdb-split` (the `kalam`
//! shell uses the same one, so both agree on where a statement ends).

/// The statements of `sql`, trimmed, without empty ones and without the trailing `;`.
pub fn split_statements(sql: &str) -> Vec<String> {
    kalamdb_split::split(sql)
        .into_iter()
        .map(str::to_string)
        .collect()
}
