//! Runtime helpers that baseline code calls for the rarer conversions, where a call is simpler
//! than an inline sequence: float-to-integer truncation (trapping and saturating) and
//! unsigned 64-bit integer to float. Each is an `extern "C"` function whose address is
//! embedded in the code.
//!
//! Trapping truncations return the value in the low 64 bits and a status in the high 64 bits
//! (`rax:rdx`): 0 for success, [`OVERFLOW`] or [`INVALID`].
#![allow(improper_ctypes_definitions)]

/// Status of a truncation whose value is out of the target range.
pub(crate) const OVERFLOW: u64 = 1;
/// Status of a truncation of NaN.
pub(crate) const INVALID: u64 = 2;

/// A successful or failed truncation result.
fn status(x: f64, lower_exclusive: f64, upper_exclusive: f64, value: i64) -> u128 {
    if x.is_nan() {
        (INVALID as u128) << 64
    } else if x <= lower_exclusive || x >= upper_exclusive {
        (OVERFLOW as u128) << 64
    } else {
        value as u64 as u128
    }
}

pub(crate) extern "C" fn i32_trunc_f32_s(x: f32) -> u128 {
    status(
        x as f64,
        -2147483649.0,
        2147483648.0,
        x as i32 as u32 as i64,
    )
}
pub(crate) extern "C" fn i32_trunc_f32_u(x: f32) -> u128 {
    status(x as f64, -1.0, 4294967296.0, x as u32 as i64)
}
pub(crate) extern "C" fn i32_trunc_f64_s(x: f64) -> u128 {
    status(x, -2147483649.0, 2147483648.0, x as i32 as u32 as i64)
}
pub(crate) extern "C" fn i32_trunc_f64_u(x: f64) -> u128 {
    status(x, -1.0, 4294967296.0, x as u32 as i64)
}
pub(crate) extern "C" fn i64_trunc_f32_s(x: f32) -> u128 {
    i64_trunc_f64_s(x as f64)
}
pub(crate) extern "C" fn i64_trunc_f32_u(x: f32) -> u128 {
    i64_trunc_f64_u(x as f64)
}
pub(crate) extern "C" fn i64_trunc_f64_s(x: f64) -> u128 {
    // -2^63 itself is in range; the next double below it is not.
    let lower = if x == -9223372036854775808.0 {
        f64::NEG_INFINITY
    } else {
        -9223372036854775808.0
    };
    status(x, lower, 9223372036854775808.0, x as i64)
}
pub(crate) extern "C" fn i64_trunc_f64_u(x: f64) -> u128 {
    status(x, -1.0, 18446744073709551616.0, x as u64 as i64)
}

// Saturating truncations: Rust's `as` has exactly wasm's semantics (NaN is 0, out-of-range
// values clamp).
pub(crate) extern "C" fn i32_trunc_sat_f32_s(x: f32) -> i64 {
    x as i32 as u32 as i64
}
pub(crate) extern "C" fn i32_trunc_sat_f32_u(x: f32) -> i64 {
    x as u32 as i64
}
pub(crate) extern "C" fn i32_trunc_sat_f64_s(x: f64) -> i64 {
    x as i32 as u32 as i64
}
pub(crate) extern "C" fn i32_trunc_sat_f64_u(x: f64) -> i64 {
    x as u32 as i64
}
pub(crate) extern "C" fn i64_trunc_sat_f32_s(x: f32) -> i64 {
    x as i64
}
pub(crate) extern "C" fn i64_trunc_sat_f32_u(x: f32) -> i64 {
    x as u64 as i64
}
pub(crate) extern "C" fn i64_trunc_sat_f64_s(x: f64) -> i64 {
    x as i64
}
pub(crate) extern "C" fn i64_trunc_sat_f64_u(x: f64) -> i64 {
    x as u64 as i64
}
pub(crate) extern "C" fn f32_convert_i64_u(x: u64) -> f32 {
    x as f32
}
pub(crate) extern "C" fn f64_convert_i64_u(x: u64) -> f64 {
    x as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_bounds() {
        assert_eq!(
            i32_trunc_f64_s(-2147483648.9),
            (-2147483648i32 as u32) as u128
        );
        assert_eq!(i32_trunc_f64_s(2147483648.0) >> 64, OVERFLOW as u128);
        assert_eq!(i32_trunc_f32_u(-0.9), 0);
        assert_eq!(i64_trunc_f64_s(-9223372036854775808.0), 1u128 << 63);
        assert_eq!(i64_trunc_f64_u(f64::NAN) >> 64, INVALID as u128);
        assert_eq!(i64_trunc_f64_u(-1.0) >> 64, OVERFLOW as u128);
    }
}
