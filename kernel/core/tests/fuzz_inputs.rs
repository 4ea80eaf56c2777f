//! Property tests over untrusted input (the stable-toolchain stand-in for cargo-fuzz targets,
//! run by every `make test`): the SQL splitter, shape guard and parser never panic on any
//! text; the key codec keeps order and never lets one user's keys fall inside another user's
//! range. `PROPTEST_CASES=100000` runs them longer.

use kalamdb_core::Value;
use kalamdb_core::sql::{parse_statement, split_statements};
use kalamdb_core::store::keys::{decode_i64, encode_i64, user_prefix, user_row_key};
use kalamdb_types::UserId;
use proptest::prelude::*;

/// Pieces of SQL, so random input reaches deep into the grammar rather than failing at the
/// first character.
fn sql_soup() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("SELECT "),
        Just("FROM "),
        Just("WHERE "),
        Just("app.t "),
        Just("("),
        Just(")"),
        Just("'x'"),
        Just("$$d$$"),
        Just("`q`"),
        Just("\"Q\""),
        Just(";"),
        Just(","),
        Just("1"),
        Just("+"),
        Just(" AND "),
        Just(" OR "),
        Just("NOT "),
        Just("INSERT INTO app.t VALUES "),
        Just("CREATE USER TABLE "),
        Just("id BIGINT PRIMARY KEY"),
        Just("UNION ALL "),
        Just("WITH c AS "),
        Just("-- c\n"),
        Just("/* c */"),
        Just("EXECUTE AS USER 'a' "),
        Just("STORAGE FLUSH TABLE "),
        Just("ALTER USER 'a' SET ROLE dba"),
        Just("CREATE FLOW app.f ON INSERT OR DELETE TO app.t "),
        Just("ON SCHEDULE EVERY 5 MINUTE STARTS "),
        Just(" WHERE NEW.id > OLD.id "),
        Just(" DO "),
        Just("BACKUP TO STORAGE 'x'"),
        Just("CLEANUP DELETED ROWS IN app.t OLDER THAN 1 DAY"),
        Just("REPLICATE app.t TO STORAGE 'x'"),
        Just("BACKUP DATABASE TO STORAGE 'x'"),
        Just("RESTORE DATABASE FROM STORAGE 'x'"),
        Just("ALTER FLOW f "),
        Just("NaN"),
        Just("CAST("),
        Just(" AS "),
        Just("::"),
        Just("[1]"),
        Just("\u{0}"),
        Just("é"),
    ];
    proptest::collection::vec(pieces, 0..40).prop_map(|p| p.concat())
}

/// `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), ..ProptestConfig::default() })]

    #[test]
    fn the_parser_never_panics_on_sql_like_text(sql in sql_soup()) {
        for piece in split_statements(&sql) {
            let _ = parse_statement(&piece);
        }
        let _ = parse_statement(&sql);
    }

    #[test]
    fn the_parser_never_panics_on_any_text(sql in any::<String>()) {
        for piece in split_statements(&sql) {
            let _ = parse_statement(&piece);
        }
    }

    #[test]
    fn integer_keys_sort_like_the_numbers(a in any::<i64>(), b in any::<i64>()) {
        prop_assert_eq!(a.cmp(&b), encode_i64(a).cmp(&encode_i64(b)));
        prop_assert_eq!(decode_i64(&encode_i64(a)), Some(a));
    }

    #[test]
    fn no_users_keys_fall_in_another_users_range(
        a in "[a-z0-9_]{0,12}",
        b in "[a-z0-9_]{0,12}",
        pk in any::<i64>(),
        text in ".{0,16}",
    ) {
        prop_assume!(a != b);
        let (ua, ub) = (UserId::new(a), UserId::new(b));
        for value in [Value::Int(pk), Value::Text(text)] {
            let key = user_row_key(&ua, &value).expect("key");
            prop_assert!(key.starts_with(&user_prefix(&ua)));
            prop_assert!(!key.starts_with(&user_prefix(&ub)));
        }
    }
}
