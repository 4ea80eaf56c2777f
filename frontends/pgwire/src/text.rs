//! Cells whose text form must read exactly as PostgreSQL prints it: floats (shortest
//! round-trip digits, exponent outside PostgreSQL's fixed range: `2`, `0.5`, `1e+20`,
//! `1.5e-07`, `NaN`, `Infinity`) and times and timestamps (fractional seconds only when
//! there are any, trailing zeros trimmed: `10:11:12`, `10:11:12.5`). Binary forms are
//! PostgreSQL's wire forms.

use bytes::{BufMut, BytesMut};
use pgwire::api::Type;
use pgwire::types::ToSqlText;
use pgwire::types::format::FormatOptions;
use postgres_types::{IsNull, ToSql};
use std::error::Error;

type BoxError = Box<dyn Error + Sync + Send>;

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// `digits` × 10^`exp` (the first digit's exponent) as PostgreSQL's float output writes it;
/// fixed notation while `-4 <= exp < fixed_below`.
fn float_text(v: f64, shortest: &str, fixed_below: i32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // `shortest` is Rust's `{:e}`: [-]d[.ddd]e[-]x, the shortest digits that read back.
    let (mantissa, exp) = shortest.split_once('e').unwrap_or((shortest, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if digits.chars().all(|c| c == '0') {
        return format!("{sign}0");
    }
    if (-4..fixed_below).contains(&exp) {
        let body = if exp >= 0 {
            let int_len = (exp + 1) as usize;
            if digits.len() <= int_len {
                format!("{digits}{}", "0".repeat(int_len - digits.len()))
            } else {
                format!("{}.{}", &digits[..int_len], &digits[int_len..])
            }
        } else {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        };
        return format!("{sign}{body}");
    }
    let mantissa = if digits.len() > 1 {
        format!("{}.{}", &digits[..1], &digits[1..])
    } else {
        digits
    };
    let exp_sign = if exp < 0 { '-' } else { '+' };
    format!("{sign}{mantissa}e{exp_sign}{:02}", exp.abs())
}

/// A `float8` cell.
#[derive(Debug)]
pub(crate) struct Float8(pub Option<f64>);

/// A `float4` cell.
#[derive(Debug)]
pub(crate) struct Float4(pub Option<f32>);

/// A `time` cell: microseconds since midnight.
#[derive(Debug)]
pub(crate) struct Time(pub Option<i64>);

/// A `timestamp` cell: microseconds since the Unix epoch; `utc` adds PostgreSQL's `+00`
/// (a `timestamptz` shown in UTC).
#[derive(Debug)]
pub(crate) struct Timestamp {
    pub micros: Option<i64>,
    pub utc: bool,
}

fn clock(micros_of_day: i64) -> String {
    let (base, frac) = kalamdb_core::exec::result::clock(micros_of_day);
    if frac == 0 {
        base
    } else {
        let digits = format!("{frac:06}");
        format!("{base}.{}", digits.trim_end_matches('0'))
    }
}

pub(crate) fn timestamp_text(micros: i64) -> String {
    let days = micros.div_euclid(86_400_000_000);
    let of_day = micros.rem_euclid(86_400_000_000);
    let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_signed(chrono::Duration::days(days)));
    match date {
        Some(d) => format!("{} {}", d.format("%Y-%m-%d"), clock(of_day)),
        None => micros.to_string(),
    }
}

fn put(out: &mut BytesMut, text: &str) -> Result<IsNull, BoxError> {
    out.put_slice(text.as_bytes());
    Ok(IsNull::No)
}

macro_rules! binary_and_text {
    ($t:ty, |$s:ident, $out:ident| binary $bin:block, |$v:ident| text $text:block) => {
        impl ToSql for $t {
            fn to_sql(&self, _ty: &Type, $out: &mut BytesMut) -> Result<IsNull, BoxError> {
                let $s = self;
                $bin
            }

            fn accepts(_: &Type) -> bool {
                true
            }

            postgres_types::to_sql_checked!();
        }

        impl ToSqlText for $t {
            fn to_sql_text(
                &self,
                _ty: &Type,
                out: &mut BytesMut,
                _options: &FormatOptions,
            ) -> Result<IsNull, BoxError> {
                let $v = self;
                match $text {
                    Some(text) => put(out, &text),
                    None => Ok(IsNull::Yes),
                }
            }
        }
    };
}

binary_and_text!(Float8, |s, out| binary {
    match s.0 {
        Some(v) => { out.put_f64(v); Ok(IsNull::No) }
        None => Ok(IsNull::Yes),
    }
}, |v| text { v.0.map(|x| float_text(x, &format!("{x:e}"), 15)) });

binary_and_text!(Float4, |s, out| binary {
    match s.0 {
        Some(v) => { out.put_f32(v); Ok(IsNull::No) }
        None => Ok(IsNull::Yes),
    }
}, |v| text { v.0.map(|x| float_text(f64::from(x), &format!("{x:e}"), 6)) });

binary_and_text!(Time, |s, out| binary {
    match s.0 {
        Some(v) => { out.put_i64(v); Ok(IsNull::No) }
        None => Ok(IsNull::Yes),
    }
}, |v| text { v.0.map(clock) });

binary_and_text!(Timestamp, |s, out| binary {
    match s.micros {
        Some(v) => { out.put_i64(v - PG_EPOCH_MICROS); Ok(IsNull::No) }
        None => Ok(IsNull::Yes),
    }
}, |v| text {
    v.micros.map(|m| {
        let text = timestamp_text(m);
        if v.utc { format!("{text}+00") } else { text }
    })
});

#[cfg(test)]
mod tests {
    use super::*;

    fn f8(v: f64) -> String {
        float_text(v, &format!("{v:e}"), 15)
    }

    #[test]
    fn floats_print_as_postgresql_prints_them() {
        assert_eq!(f8(2.0), "2");
        assert_eq!(f8(0.5), "0.5");
        assert_eq!(f8(-1.25), "-1.25");
        assert_eq!(f8(1e20), "1e+20");
        assert_eq!(f8(1.5e-7), "1.5e-07");
        assert_eq!(f8(0.0001), "0.0001");
        assert_eq!(f8(123456789012345.0), "123456789012345");
        assert_eq!(f8(1234567890123456.0), "1.234567890123456e+15");
        assert_eq!(f8(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(f8(0.0), "0");
        assert_eq!(f8(f64::NAN), "NaN");
        assert_eq!(f8(f64::NEG_INFINITY), "-Infinity");
        let x = 1.1f32;
        assert_eq!(float_text(f64::from(x), &format!("{x:e}"), 6), "1.1");
        let big = 1234567.0f32;
        assert_eq!(
            float_text(f64::from(big), &format!("{big:e}"), 6),
            "1.234567e+06"
        );
    }

    #[test]
    fn times_trim_their_fraction() {
        assert_eq!(clock(36_672_000_000), "10:11:12");
        assert_eq!(clock(36_672_500_000), "10:11:12.5");
        assert_eq!(clock(36_672_000_001), "10:11:12.000001");
        assert_eq!(timestamp_text(0), "1970-01-01 00:00:00");
        assert_eq!(timestamp_text(-1), "1969-12-31 23:59:59.999999");
    }
}
