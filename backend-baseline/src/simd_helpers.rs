//! Runtime helpers for the SIMD operators the baseline backend does not emit inline: each
//! computes one operator lane by lane, with WebAssembly's semantics written out in Rust.
//!
//! Every helper has one signature ([`Helper`]): `out` receives the `v128` result; `a`, `b`, `c`
//! point at the `v128` operands (null where unused); `x` carries a scalar operand (a shift
//! count).

/// A `v128` as little-endian bytes.
pub(crate) type V = [u8; 16];

/// The signature shared by every helper.
pub(crate) type Helper =
    unsafe extern "C" fn(out: *mut V, a: *const V, b: *const V, c: *const V, x: u64, y: u64) -> u64;

/// A lane type: reads and writes itself in little-endian bytes.
trait Lane: Copy {
    const SIZE: usize;
    fn read(bytes: &[u8]) -> Self;
    fn write(self, bytes: &mut [u8]);
}

macro_rules! lane {
    ($($t:ty),*) => {$(
        impl Lane for $t {
            const SIZE: usize = core::mem::size_of::<$t>();
            fn read(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes[..Self::SIZE].try_into().expect("lane bytes"))
            }
            fn write(self, bytes: &mut [u8]) {
                bytes[..Self::SIZE].copy_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
lane!(i8, u8, i16, u16, i32, u32, i64, u64, f32, f64);

fn get<T: Lane>(v: &V, i: usize) -> T {
    T::read(&v[i * T::SIZE..])
}

fn set<T: Lane>(v: &mut V, i: usize, x: T) {
    x.write(&mut v[i * T::SIZE..]);
}

fn count<T: Lane>() -> usize {
    16 / T::SIZE
}

/// Lane-wise `f(a)`.
fn map<T: Lane>(a: &V, f: impl Fn(T) -> T) -> V {
    let mut r = [0; 16];
    for i in 0..count::<T>() {
        set(&mut r, i, f(get(a, i)));
    }
    r
}

/// Lane-wise `f(a, b)`.
fn zip<T: Lane>(a: &V, b: &V, f: impl Fn(T, T) -> T) -> V {
    let mut r = [0; 16];
    for i in 0..count::<T>() {
        set(&mut r, i, f(get(a, i), get(b, i)));
    }
    r
}

/// Lane-wise comparison: all ones where `f` holds.
fn compare<T: Lane>(a: &V, b: &V, f: impl Fn(T, T) -> bool) -> V {
    let mut r = [0; 16];
    for i in 0..count::<T>() {
        if f(get(a, i), get(b, i)) {
            r[i * T::SIZE..(i + 1) * T::SIZE].fill(0xff);
        }
    }
    r
}

/// Lanes `from..from + count::<U>()` of `a` as `T`, widened to `U` by `f`.
fn widen<T: Lane, U: Lane>(a: &V, from: usize, f: impl Fn(T) -> U) -> V {
    let mut r = [0; 16];
    for i in 0..count::<U>() {
        set(&mut r, i, f(get(a, from + i)));
    }
    r
}

fn read(p: *const V) -> V {
    if p.is_null() {
        [0; 16]
    } else {
        // SAFETY: per the helper contract, a non-null operand pointer points at a live v128
        // (a 16-byte slot of the calling frame).
        unsafe { p.read_unaligned() }
    }
}

/// Define helpers with a `v128` result from expressions over `a`, `b`, `c`, `x`, `y`.
macro_rules! vector {
    ($($name:ident => |$a:ident, $b:ident, $c:ident, $x:ident, $y:ident| $body:expr;)*) => {$(
        #[allow(unused_variables)]
        pub(crate) unsafe extern "C" fn $name(
            out: *mut V, a: *const V, b: *const V, c: *const V, $x: u64, $y: u64,
        ) -> u64 {
            #[allow(unused_variables)]
            let ($a, $b, $c) = (&read(a), &read(b), &read(c));
            let r: V = $body;
            // SAFETY: per the helper contract, `out` points at a 16-byte slot of the caller.
            unsafe { out.write_unaligned(r) };
            0
        }
    )*};
}

fn f32_min(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        f32::NAN
    } else if x == y {
        f32::from_bits(x.to_bits() | y.to_bits())
    } else {
        x.min(y)
    }
}
fn f32_max(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        f32::NAN
    } else if x == y {
        f32::from_bits(x.to_bits() & y.to_bits())
    } else {
        x.max(y)
    }
}
fn f64_min(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x == y {
        f64::from_bits(x.to_bits() | y.to_bits())
    } else {
        x.min(y)
    }
}
fn f64_max(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x == y {
        f64::from_bits(x.to_bits() & y.to_bits())
    } else {
        x.max(y)
    }
}

/// Sums of adjacent lane pairs of `a`, widened.
fn pairwise<T: Lane, U: Lane>(a: &V, widen_lane: impl Fn(T) -> U, add: impl Fn(U, U) -> U) -> V {
    let mut r = [0; 16];
    for i in 0..count::<U>() {
        let s = add(widen_lane(get(a, 2 * i)), widen_lane(get(a, 2 * i + 1)));
        set(&mut r, i, s);
    }
    r
}

vector! {

    // Integer comparisons.
    i64x2_lt_s => |a, b, c, x, y| compare::<i64>(a, b, |p, q| p < q);
    i64x2_gt_s => |a, b, c, x, y| compare::<i64>(a, b, |p, q| p > q);
    i64x2_le_s => |a, b, c, x, y| compare::<i64>(a, b, |p, q| p <= q);
    i64x2_ge_s => |a, b, c, x, y| compare::<i64>(a, b, |p, q| p >= q);

    // i8x16 arithmetic.
    i8x16_popcnt => |a, b, c, x, y| map::<u8>(a, |p| p.count_ones() as u8);
    i8x16_shl => |a, b, c, x, y| map::<u8>(a, |p| p << (x & 7));
    i8x16_shr_s => |a, b, c, x, y| map::<i8>(a, |p| p >> (x & 7));
    i8x16_shr_u => |a, b, c, x, y| map::<u8>(a, |p| p >> (x & 7));


    // i32x4 arithmetic.
    i32x4_extadd_pairwise_i16x8_u => |a, b, c, x, y| pairwise::<u16, u32>(a, |p| p as u32, |p, q| p.wrapping_add(q));

    // i64x2 arithmetic.
    i64x2_abs => |a, b, c, x, y| map::<i64>(a, |p| p.wrapping_abs());
    i64x2_shr_s => |a, b, c, x, y| map::<i64>(a, |p| p >> (x & 63));
    i64x2_mul => |a, b, c, x, y| zip::<u64>(a, b, |p, q| p.wrapping_mul(q));

    // Float arithmetic.
    f32x4_min => |a, b, c, x, y| zip::<f32>(a, b, f32_min);
    f32x4_max => |a, b, c, x, y| zip::<f32>(a, b, f32_max);
    f64x2_min => |a, b, c, x, y| zip::<f64>(a, b, f64_min);
    f64x2_max => |a, b, c, x, y| zip::<f64>(a, b, f64_max);

    // Conversions.
    i32x4_trunc_sat_f32x4_u => |a, b, c, x, y| { let mut r = [0; 16]; for i in 0..4 { set(&mut r, i, get::<f32>(a, i) as u32); } r };
    f32x4_convert_i32x4_u => |a, b, c, x, y| { let mut r = [0; 16]; for i in 0..4 { set(&mut r, i, get::<u32>(a, i) as f32); } r };
    i32x4_trunc_sat_f64x2_s_zero => |a, b, c, x, y| { let mut r = [0; 16]; for i in 0..2 { set(&mut r, i, get::<f64>(a, i) as i32); } r };
    i32x4_trunc_sat_f64x2_u_zero => |a, b, c, x, y| { let mut r = [0; 16]; for i in 0..2 { set(&mut r, i, get::<f64>(a, i) as u32); } r };
    f64x2_convert_low_i32x4_u => |a, b, c, x, y| widen::<u32, f64>(a, 0, |p| p as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(h: Helper, a: V, b: V, x: u64, y: u64) -> V {
        let mut out = [0u8; 16];
        // SAFETY: every pointer is to a live local of 16 bytes.
        unsafe { h(&mut out, &a, &b, std::ptr::null(), x, y) };
        out
    }

    #[test]
    fn lanes_shift_modulo_their_width_and_floats_order_zeros() {
        let a = u128::to_le_bytes(0x81);
        // 9 is 1 modulo 8: each byte shifted by one, the bit shifted out lost.
        assert_eq!(call(i8x16_shl, a, [0; 16], 9, 0)[0], 0x02);
        assert_eq!(call(i8x16_shr_s, a, [0; 16], 1, 0)[0], 0xc0);
        let min = call(
            f32x4_min,
            map::<f32>(&[0; 16], |_| 0.0),
            map::<f32>(&[0; 16], |_| -0.0),
            0,
            0,
        );
        assert_eq!(get::<f32>(&min, 0).to_bits(), (-0.0f32).to_bits());
    }
}

/// Lane-wise `f(a, b, c)`.
fn zip3<T: Lane>(a: &V, b: &V, c: &V, f: impl Fn(T, T, T) -> T) -> V {
    let mut r = [0; 16];
    for i in 0..count::<T>() {
        set(&mut r, i, f(get(a, i), get(b, i), get(c, i)));
    }
    r
}

// Relaxed SIMD's operators of their own, with the behaviour `lazuli_backend_api::relaxed`
// documents (the others are lowered as their deterministic equivalents).
vector! {
    f32x4_relaxed_madd => |a, b, c, x, y| zip3::<f32>(a, b, c, |p, q, r| p * q + r);
    f32x4_relaxed_nmadd => |a, b, c, x, y| zip3::<f32>(a, b, c, |p, q, r| r - p * q);
    f64x2_relaxed_madd => |a, b, c, x, y| zip3::<f64>(a, b, c, |p, q, r| p * q + r);
    f64x2_relaxed_nmadd => |a, b, c, x, y| zip3::<f64>(a, b, c, |p, q, r| r - p * q);
    i16x8_relaxed_dot_i8x16_i7x16_s => |a, b, c, x, y| {
        let mut r = [0; 16];
        for i in 0..8 {
            let lo = get::<i8>(a, 2 * i) as i16 * get::<i8>(b, 2 * i) as i16;
            let hi = get::<i8>(a, 2 * i + 1) as i16 * get::<i8>(b, 2 * i + 1) as i16;
            set(&mut r, i, lo.wrapping_add(hi));
        }
        r
    };
    i32x4_relaxed_dot_i8x16_i7x16_add_s => |a, b, c, x, y| {
        let mut r = [0; 16];
        for i in 0..4 {
            let sum = (0..4).fold(get::<i32>(c, i), |acc, k| {
                acc.wrapping_add(get::<i8>(a, 4 * i + k) as i32 * get::<i8>(b, 4 * i + k) as i32)
            });
            set(&mut r, i, sum);
        }
        r
    };
}
