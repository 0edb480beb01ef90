//! Runtime helpers for the SIMD operators the baseline backend does not emit inline: each
//! computes one operator lane by lane, with WebAssembly's semantics written out in Rust.
//!
//! Every helper has one signature ([`Helper`]): `out` receives a `v128` result; `a`, `b`, `c`
//! point at the `v128` operands (null where unused); `x` and `y` carry a scalar operand or an
//! immediate (lane index, shuffle lanes); a scalar result is returned.

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

/// `a`'s lanes then `b`'s, each narrowed by `f` (to half the width).
fn narrow<T: Lane, U: Lane>(a: &V, b: &V, f: impl Fn(T) -> U) -> V {
    let mut r = [0; 16];
    let n = count::<T>();
    for i in 0..n {
        set(&mut r, i, f(get(a, i)));
        set(&mut r, n + i, f(get(b, i)));
    }
    r
}

/// The most significant bit of each lane, as an integer.
fn bitmask<T: Lane>(a: &V) -> u64 {
    (0..count::<T>())
        .map(|i| ((a[(i + 1) * T::SIZE - 1] >> 7) as u64) << i)
        .sum()
}

fn all_true<T: Lane + PartialEq + Default>(a: &V) -> u64 {
    (0..count::<T>()).all(|i| get::<T>(a, i) != T::default()) as u64
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

/// Define helpers with a scalar result.
macro_rules! scalar {
    ($($name:ident => |$a:ident, $x:ident| $body:expr;)*) => {$(
        #[allow(unused_variables)]
        pub(crate) unsafe extern "C" fn $name(
            _out: *mut V, a: *const V, _b: *const V, _c: *const V, $x: u64, _y: u64,
        ) -> u64 {
            #[allow(unused_variables)]
            let $a = &read(a);
            $body
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

/// A NaN result of rounding is quiet (a signalling NaN operand may come back as it was).
fn quiet_f32(x: f32) -> f32 {
    if x.is_nan() {
        f32::from_bits(x.to_bits() | 0x0040_0000)
    } else {
        x
    }
}
fn quiet_f64(x: f64) -> f64 {
    if x.is_nan() {
        f64::from_bits(x.to_bits() | 0x0008_0000_0000_0000)
    } else {
        x
    }
}

fn sat_i8(x: i16) -> i8 {
    x.clamp(i8::MIN as i16, i8::MAX as i16) as i8
}
fn sat_u8(x: i16) -> u8 {
    x.clamp(0, u8::MAX as i16) as u8
}
fn sat_i16(x: i32) -> i16 {
    x.clamp(i16::MIN as i32, i16::MAX as i32) as i16
}
fn sat_u16(x: i32) -> u16 {
    x.clamp(0, u16::MAX as i32) as u16
}

/// Lane-wise product of lanes `from..` of `a` and `b`, widened first.
fn ext_mul<T: Lane, U: Lane>(
    a: &V,
    b: &V,
    from: usize,
    widen_lane: impl Fn(T) -> U,
    mul: impl Fn(U, U) -> U,
) -> V {
    let mut r = [0; 16];
    for i in 0..count::<U>() {
        let p = mul(widen_lane(get(a, from + i)), widen_lane(get(b, from + i)));
        set(&mut r, i, p);
    }
    r
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
    // Lanes, splats, shuffles.
    i8x16_splat => |a, b, c, x, y| map::<u8>(&[0; 16], |_| x as u8);
    i16x8_splat => |a, b, c, x, y| map::<u16>(&[0; 16], |_| x as u16);
    i32x4_splat => |a, b, c, x, y| map::<u32>(&[0; 16], |_| x as u32);
    i64x2_splat => |a, b, c, x, y| map::<u64>(&[0; 16], |_| x);
    i8x16_replace_lane => |a, b, c, x, y| { let mut r = *a; set(&mut r, y as usize, x as u8); r };
    i16x8_replace_lane => |a, b, c, x, y| { let mut r = *a; set(&mut r, y as usize, x as u16); r };
    i32x4_replace_lane => |a, b, c, x, y| { let mut r = *a; set(&mut r, y as usize, x as u32); r };
    i64x2_replace_lane => |a, b, c, x, y| { let mut r = *a; set(&mut r, y as usize, x); r };
    i8x16_shuffle => |a, b, c, x, y| {
        let lanes = ((y as u128) << 64 | x as u128).to_le_bytes();
        let mut r = [0; 16];
        for (i, l) in lanes.iter().enumerate() {
            r[i] = if *l < 16 { a[*l as usize] } else { b[(*l - 16) as usize] };
        }
        r
    };
    i8x16_swizzle => |a, b, c, x, y| {
        let mut r = [0; 16];
        for i in 0..16 {
            r[i] = if b[i] < 16 { a[b[i] as usize] } else { 0 };
        }
        r
    };
    v128_bitselect => |a, b, c, x, y| zip::<u64>(&zip::<u64>(a, c, |p, m| p & m), &zip::<u64>(b, c, |q, m| q & !m), |p, q| p | q);

    // Integer comparisons.
    i8x16_eq => |a, b, c, x, y| compare::<i8>(a, b, |p, q| p == q);
    i8x16_ne => |a, b, c, x, y| compare::<i8>(a, b, |p, q| p != q);
    i8x16_lt_s => |a, b, c, x, y| compare::<i8>(a, b, |p, q| p < q);
    i8x16_lt_u => |a, b, c, x, y| compare::<u8>(a, b, |p, q| p < q);
    i8x16_gt_s => |a, b, c, x, y| compare::<i8>(a, b, |p, q| p > q);
    i8x16_gt_u => |a, b, c, x, y| compare::<u8>(a, b, |p, q| p > q);
    i8x16_le_s => |a, b, c, x, y| compare::<i8>(a, b, |p, q| p <= q);
    i8x16_le_u => |a, b, c, x, y| compare::<u8>(a, b, |p, q| p <= q);
    i8x16_ge_s => |a, b, c, x, y| compare::<i8>(a, b, |p, q| p >= q);
    i8x16_ge_u => |a, b, c, x, y| compare::<u8>(a, b, |p, q| p >= q);
    i16x8_eq => |a, b, c, x, y| compare::<i16>(a, b, |p, q| p == q);
    i16x8_ne => |a, b, c, x, y| compare::<i16>(a, b, |p, q| p != q);
    i16x8_lt_s => |a, b, c, x, y| compare::<i16>(a, b, |p, q| p < q);
    i16x8_lt_u => |a, b, c, x, y| compare::<u16>(a, b, |p, q| p < q);
    i16x8_gt_s => |a, b, c, x, y| compare::<i16>(a, b, |p, q| p > q);
    i16x8_gt_u => |a, b, c, x, y| compare::<u16>(a, b, |p, q| p > q);
    i16x8_le_s => |a, b, c, x, y| compare::<i16>(a, b, |p, q| p <= q);
    i16x8_le_u => |a, b, c, x, y| compare::<u16>(a, b, |p, q| p <= q);
    i16x8_ge_s => |a, b, c, x, y| compare::<i16>(a, b, |p, q| p >= q);
    i16x8_ge_u => |a, b, c, x, y| compare::<u16>(a, b, |p, q| p >= q);
    i32x4_eq => |a, b, c, x, y| compare::<i32>(a, b, |p, q| p == q);
    i32x4_ne => |a, b, c, x, y| compare::<i32>(a, b, |p, q| p != q);
    i32x4_lt_s => |a, b, c, x, y| compare::<i32>(a, b, |p, q| p < q);
    i32x4_lt_u => |a, b, c, x, y| compare::<u32>(a, b, |p, q| p < q);
    i32x4_gt_s => |a, b, c, x, y| compare::<i32>(a, b, |p, q| p > q);
    i32x4_gt_u => |a, b, c, x, y| compare::<u32>(a, b, |p, q| p > q);
    i32x4_le_s => |a, b, c, x, y| compare::<i32>(a, b, |p, q| p <= q);
    i32x4_le_u => |a, b, c, x, y| compare::<u32>(a, b, |p, q| p <= q);
    i32x4_ge_s => |a, b, c, x, y| compare::<i32>(a, b, |p, q| p >= q);
    i32x4_ge_u => |a, b, c, x, y| compare::<u32>(a, b, |p, q| p >= q);
    i64x2_eq => |a, b, c, x, y| compare::<i64>(a, b, |p, q| p == q);
    i64x2_ne => |a, b, c, x, y| compare::<i64>(a, b, |p, q| p != q);
    i64x2_lt_s => |a, b, c, x, y| compare::<i64>(a, b, |p, q| p < q);
    i64x2_gt_s => |a, b, c, x, y| compare::<i64>(a, b, |p, q| p > q);
    i64x2_le_s => |a, b, c, x, y| compare::<i64>(a, b, |p, q| p <= q);
    i64x2_ge_s => |a, b, c, x, y| compare::<i64>(a, b, |p, q| p >= q);
    f32x4_eq => |a, b, c, x, y| compare::<f32>(a, b, |p, q| p == q);
    f32x4_ne => |a, b, c, x, y| compare::<f32>(a, b, |p, q| p != q);
    f32x4_lt => |a, b, c, x, y| compare::<f32>(a, b, |p, q| p < q);
    f32x4_gt => |a, b, c, x, y| compare::<f32>(a, b, |p, q| p > q);
    f32x4_le => |a, b, c, x, y| compare::<f32>(a, b, |p, q| p <= q);
    f32x4_ge => |a, b, c, x, y| compare::<f32>(a, b, |p, q| p >= q);
    f64x2_eq => |a, b, c, x, y| compare::<f64>(a, b, |p, q| p == q);
    f64x2_ne => |a, b, c, x, y| compare::<f64>(a, b, |p, q| p != q);
    f64x2_lt => |a, b, c, x, y| compare::<f64>(a, b, |p, q| p < q);
    f64x2_gt => |a, b, c, x, y| compare::<f64>(a, b, |p, q| p > q);
    f64x2_le => |a, b, c, x, y| compare::<f64>(a, b, |p, q| p <= q);
    f64x2_ge => |a, b, c, x, y| compare::<f64>(a, b, |p, q| p >= q);

    // i8x16 arithmetic.
    i8x16_abs => |a, b, c, x, y| map::<i8>(a, |p| p.wrapping_abs());
    i8x16_neg => |a, b, c, x, y| map::<i8>(a, |p| p.wrapping_neg());
    i8x16_popcnt => |a, b, c, x, y| map::<u8>(a, |p| p.count_ones() as u8);
    i8x16_narrow_i16x8_s => |a, b, c, x, y| narrow::<i16, i8>(a, b, sat_i8);
    i8x16_narrow_i16x8_u => |a, b, c, x, y| narrow::<i16, u8>(a, b, sat_u8);
    i8x16_shl => |a, b, c, x, y| map::<u8>(a, |p| p << (x & 7));
    i8x16_shr_s => |a, b, c, x, y| map::<i8>(a, |p| p >> (x & 7));
    i8x16_shr_u => |a, b, c, x, y| map::<u8>(a, |p| p >> (x & 7));
    i8x16_add_sat_s => |a, b, c, x, y| zip::<i8>(a, b, |p, q| p.saturating_add(q));
    i8x16_add_sat_u => |a, b, c, x, y| zip::<u8>(a, b, |p, q| p.saturating_add(q));
    i8x16_sub_sat_s => |a, b, c, x, y| zip::<i8>(a, b, |p, q| p.saturating_sub(q));
    i8x16_sub_sat_u => |a, b, c, x, y| zip::<u8>(a, b, |p, q| p.saturating_sub(q));
    i8x16_min_s => |a, b, c, x, y| zip::<i8>(a, b, |p, q| p.min(q));
    i8x16_min_u => |a, b, c, x, y| zip::<u8>(a, b, |p, q| p.min(q));
    i8x16_max_s => |a, b, c, x, y| zip::<i8>(a, b, |p, q| p.max(q));
    i8x16_max_u => |a, b, c, x, y| zip::<u8>(a, b, |p, q| p.max(q));
    i8x16_avgr_u => |a, b, c, x, y| zip::<u8>(a, b, |p, q| ((p as u16 + q as u16 + 1) / 2) as u8);

    // i16x8 arithmetic.
    i16x8_extadd_pairwise_i8x16_s => |a, b, c, x, y| pairwise::<i8, i16>(a, |p| p as i16, |p, q| p.wrapping_add(q));
    i16x8_extadd_pairwise_i8x16_u => |a, b, c, x, y| pairwise::<u8, u16>(a, |p| p as u16, |p, q| p.wrapping_add(q));
    i16x8_abs => |a, b, c, x, y| map::<i16>(a, |p| p.wrapping_abs());
    i16x8_neg => |a, b, c, x, y| map::<i16>(a, |p| p.wrapping_neg());
    i16x8_q15mulr_sat_s => |a, b, c, x, y| zip::<i16>(a, b, |p, q| sat_i16((p as i32 * q as i32 + 0x4000) >> 15));
    i16x8_narrow_i32x4_s => |a, b, c, x, y| narrow::<i32, i16>(a, b, sat_i16);
    i16x8_narrow_i32x4_u => |a, b, c, x, y| narrow::<i32, u16>(a, b, sat_u16);
    i16x8_extend_low_i8x16_s => |a, b, c, x, y| widen::<i8, i16>(a, 0, |p| p as i16);
    i16x8_extend_high_i8x16_s => |a, b, c, x, y| widen::<i8, i16>(a, 8, |p| p as i16);
    i16x8_extend_low_i8x16_u => |a, b, c, x, y| widen::<u8, u16>(a, 0, |p| p as u16);
    i16x8_extend_high_i8x16_u => |a, b, c, x, y| widen::<u8, u16>(a, 8, |p| p as u16);
    i16x8_shl => |a, b, c, x, y| map::<u16>(a, |p| p << (x & 15));
    i16x8_shr_s => |a, b, c, x, y| map::<i16>(a, |p| p >> (x & 15));
    i16x8_shr_u => |a, b, c, x, y| map::<u16>(a, |p| p >> (x & 15));
    i16x8_add_sat_s => |a, b, c, x, y| zip::<i16>(a, b, |p, q| p.saturating_add(q));
    i16x8_add_sat_u => |a, b, c, x, y| zip::<u16>(a, b, |p, q| p.saturating_add(q));
    i16x8_sub_sat_s => |a, b, c, x, y| zip::<i16>(a, b, |p, q| p.saturating_sub(q));
    i16x8_sub_sat_u => |a, b, c, x, y| zip::<u16>(a, b, |p, q| p.saturating_sub(q));
    i16x8_mul => |a, b, c, x, y| zip::<u16>(a, b, |p, q| p.wrapping_mul(q));
    i16x8_min_s => |a, b, c, x, y| zip::<i16>(a, b, |p, q| p.min(q));
    i16x8_min_u => |a, b, c, x, y| zip::<u16>(a, b, |p, q| p.min(q));
    i16x8_max_s => |a, b, c, x, y| zip::<i16>(a, b, |p, q| p.max(q));
    i16x8_max_u => |a, b, c, x, y| zip::<u16>(a, b, |p, q| p.max(q));
    i16x8_avgr_u => |a, b, c, x, y| zip::<u16>(a, b, |p, q| ((p as u32 + q as u32 + 1) / 2) as u16);
    i16x8_extmul_low_i8x16_s => |a, b, c, x, y| ext_mul::<i8, i16>(a, b, 0, |p| p as i16, |p, q| p.wrapping_mul(q));
    i16x8_extmul_high_i8x16_s => |a, b, c, x, y| ext_mul::<i8, i16>(a, b, 8, |p| p as i16, |p, q| p.wrapping_mul(q));
    i16x8_extmul_low_i8x16_u => |a, b, c, x, y| ext_mul::<u8, u16>(a, b, 0, |p| p as u16, |p, q| p.wrapping_mul(q));
    i16x8_extmul_high_i8x16_u => |a, b, c, x, y| ext_mul::<u8, u16>(a, b, 8, |p| p as u16, |p, q| p.wrapping_mul(q));

    // i32x4 arithmetic.
    i32x4_extadd_pairwise_i16x8_s => |a, b, c, x, y| pairwise::<i16, i32>(a, |p| p as i32, |p, q| p.wrapping_add(q));
    i32x4_extadd_pairwise_i16x8_u => |a, b, c, x, y| pairwise::<u16, u32>(a, |p| p as u32, |p, q| p.wrapping_add(q));
    i32x4_abs => |a, b, c, x, y| map::<i32>(a, |p| p.wrapping_abs());
    i32x4_neg => |a, b, c, x, y| map::<i32>(a, |p| p.wrapping_neg());
    i32x4_extend_low_i16x8_s => |a, b, c, x, y| widen::<i16, i32>(a, 0, |p| p as i32);
    i32x4_extend_high_i16x8_s => |a, b, c, x, y| widen::<i16, i32>(a, 4, |p| p as i32);
    i32x4_extend_low_i16x8_u => |a, b, c, x, y| widen::<u16, u32>(a, 0, |p| p as u32);
    i32x4_extend_high_i16x8_u => |a, b, c, x, y| widen::<u16, u32>(a, 4, |p| p as u32);
    i32x4_shl => |a, b, c, x, y| map::<u32>(a, |p| p << (x & 31));
    i32x4_shr_s => |a, b, c, x, y| map::<i32>(a, |p| p >> (x & 31));
    i32x4_shr_u => |a, b, c, x, y| map::<u32>(a, |p| p >> (x & 31));
    i32x4_mul => |a, b, c, x, y| zip::<u32>(a, b, |p, q| p.wrapping_mul(q));
    i32x4_min_s => |a, b, c, x, y| zip::<i32>(a, b, |p, q| p.min(q));
    i32x4_min_u => |a, b, c, x, y| zip::<u32>(a, b, |p, q| p.min(q));
    i32x4_max_s => |a, b, c, x, y| zip::<i32>(a, b, |p, q| p.max(q));
    i32x4_max_u => |a, b, c, x, y| zip::<u32>(a, b, |p, q| p.max(q));
    i32x4_dot_i16x8_s => |a, b, c, x, y| {
        let mut r = [0; 16];
        for i in 0..4 {
            let lo = get::<i16>(a, 2 * i) as i32 * get::<i16>(b, 2 * i) as i32;
            let hi = get::<i16>(a, 2 * i + 1) as i32 * get::<i16>(b, 2 * i + 1) as i32;
            set(&mut r, i, lo.wrapping_add(hi));
        }
        r
    };
    i32x4_extmul_low_i16x8_s => |a, b, c, x, y| ext_mul::<i16, i32>(a, b, 0, |p| p as i32, |p, q| p.wrapping_mul(q));
    i32x4_extmul_high_i16x8_s => |a, b, c, x, y| ext_mul::<i16, i32>(a, b, 4, |p| p as i32, |p, q| p.wrapping_mul(q));
    i32x4_extmul_low_i16x8_u => |a, b, c, x, y| ext_mul::<u16, u32>(a, b, 0, |p| p as u32, |p, q| p.wrapping_mul(q));
    i32x4_extmul_high_i16x8_u => |a, b, c, x, y| ext_mul::<u16, u32>(a, b, 4, |p| p as u32, |p, q| p.wrapping_mul(q));

    // i64x2 arithmetic.
    i64x2_abs => |a, b, c, x, y| map::<i64>(a, |p| p.wrapping_abs());
    i64x2_neg => |a, b, c, x, y| map::<i64>(a, |p| p.wrapping_neg());
    i64x2_extend_low_i32x4_s => |a, b, c, x, y| widen::<i32, i64>(a, 0, |p| p as i64);
    i64x2_extend_high_i32x4_s => |a, b, c, x, y| widen::<i32, i64>(a, 2, |p| p as i64);
    i64x2_extend_low_i32x4_u => |a, b, c, x, y| widen::<u32, u64>(a, 0, |p| p as u64);
    i64x2_extend_high_i32x4_u => |a, b, c, x, y| widen::<u32, u64>(a, 2, |p| p as u64);
    i64x2_shl => |a, b, c, x, y| map::<u64>(a, |p| p << (x & 63));
    i64x2_shr_s => |a, b, c, x, y| map::<i64>(a, |p| p >> (x & 63));
    i64x2_shr_u => |a, b, c, x, y| map::<u64>(a, |p| p >> (x & 63));
    i64x2_mul => |a, b, c, x, y| zip::<u64>(a, b, |p, q| p.wrapping_mul(q));
    i64x2_extmul_low_i32x4_s => |a, b, c, x, y| ext_mul::<i32, i64>(a, b, 0, |p| p as i64, |p, q| p.wrapping_mul(q));
    i64x2_extmul_high_i32x4_s => |a, b, c, x, y| ext_mul::<i32, i64>(a, b, 2, |p| p as i64, |p, q| p.wrapping_mul(q));
    i64x2_extmul_low_i32x4_u => |a, b, c, x, y| ext_mul::<u32, u64>(a, b, 0, |p| p as u64, |p, q| p.wrapping_mul(q));
    i64x2_extmul_high_i32x4_u => |a, b, c, x, y| ext_mul::<u32, u64>(a, b, 2, |p| p as u64, |p, q| p.wrapping_mul(q));

    // Float arithmetic.
    f32x4_ceil => |a, b, c, x, y| map::<f32>(a, |p| quiet_f32(p.ceil()));
    f32x4_floor => |a, b, c, x, y| map::<f32>(a, |p| quiet_f32(p.floor()));
    f32x4_trunc => |a, b, c, x, y| map::<f32>(a, |p| quiet_f32(p.trunc()));
    f32x4_nearest => |a, b, c, x, y| map::<f32>(a, |p| quiet_f32(p.round_ties_even()));
    f32x4_abs => |a, b, c, x, y| map::<f32>(a, f32::abs);
    f32x4_neg => |a, b, c, x, y| map::<f32>(a, |p| -p);
    f32x4_sqrt => |a, b, c, x, y| map::<f32>(a, f32::sqrt);
    f32x4_min => |a, b, c, x, y| zip::<f32>(a, b, f32_min);
    f32x4_max => |a, b, c, x, y| zip::<f32>(a, b, f32_max);
    f32x4_pmin => |a, b, c, x, y| zip::<f32>(a, b, |p, q| if q < p { q } else { p });
    f32x4_pmax => |a, b, c, x, y| zip::<f32>(a, b, |p, q| if p < q { q } else { p });
    f64x2_ceil => |a, b, c, x, y| map::<f64>(a, |p| quiet_f64(p.ceil()));
    f64x2_floor => |a, b, c, x, y| map::<f64>(a, |p| quiet_f64(p.floor()));
    f64x2_trunc => |a, b, c, x, y| map::<f64>(a, |p| quiet_f64(p.trunc()));
    f64x2_nearest => |a, b, c, x, y| map::<f64>(a, |p| quiet_f64(p.round_ties_even()));
    f64x2_abs => |a, b, c, x, y| map::<f64>(a, f64::abs);
    f64x2_neg => |a, b, c, x, y| map::<f64>(a, |p| -p);
    f64x2_sqrt => |a, b, c, x, y| map::<f64>(a, f64::sqrt);
    f64x2_min => |a, b, c, x, y| zip::<f64>(a, b, f64_min);
    f64x2_max => |a, b, c, x, y| zip::<f64>(a, b, f64_max);
    f64x2_pmin => |a, b, c, x, y| zip::<f64>(a, b, |p, q| if q < p { q } else { p });
    f64x2_pmax => |a, b, c, x, y| zip::<f64>(a, b, |p, q| if p < q { q } else { p });

    // Conversions.
    i32x4_trunc_sat_f32x4_s => |a, b, c, x, y| { let mut r = [0; 16]; for i in 0..4 { set(&mut r, i, get::<f32>(a, i) as i32); } r };
    i32x4_trunc_sat_f32x4_u => |a, b, c, x, y| { let mut r = [0; 16]; for i in 0..4 { set(&mut r, i, get::<f32>(a, i) as u32); } r };
    f32x4_convert_i32x4_s => |a, b, c, x, y| { let mut r = [0; 16]; for i in 0..4 { set(&mut r, i, get::<i32>(a, i) as f32); } r };
    f32x4_convert_i32x4_u => |a, b, c, x, y| { let mut r = [0; 16]; for i in 0..4 { set(&mut r, i, get::<u32>(a, i) as f32); } r };
    i32x4_trunc_sat_f64x2_s_zero => |a, b, c, x, y| { let mut r = [0; 16]; for i in 0..2 { set(&mut r, i, get::<f64>(a, i) as i32); } r };
    i32x4_trunc_sat_f64x2_u_zero => |a, b, c, x, y| { let mut r = [0; 16]; for i in 0..2 { set(&mut r, i, get::<f64>(a, i) as u32); } r };
    f64x2_convert_low_i32x4_s => |a, b, c, x, y| widen::<i32, f64>(a, 0, |p| p as f64);
    f64x2_convert_low_i32x4_u => |a, b, c, x, y| widen::<u32, f64>(a, 0, |p| p as f64);
    f32x4_demote_f64x2_zero => |a, b, c, x, y| { let mut r = [0; 16]; for i in 0..2 { set(&mut r, i, get::<f64>(a, i) as f32); } r };
    f64x2_promote_low_f32x4 => |a, b, c, x, y| widen::<f32, f64>(a, 0, |p| p as f64);
}

scalar! {
    v128_any_true => |a, x| (u128::from_le_bytes(*a) != 0) as u64;
    i8x16_all_true => |a, x| all_true::<u8>(a);
    i16x8_all_true => |a, x| all_true::<u16>(a);
    i32x4_all_true => |a, x| all_true::<u32>(a);
    i64x2_all_true => |a, x| all_true::<u64>(a);
    i8x16_bitmask => |a, x| bitmask::<u8>(a);
    i16x8_bitmask => |a, x| bitmask::<u16>(a);
    i32x4_bitmask => |a, x| bitmask::<u32>(a);
    i64x2_bitmask => |a, x| bitmask::<u64>(a);
    i8x16_extract_lane_s => |a, x| get::<i8>(a, x as usize) as i32 as u32 as u64;
    i8x16_extract_lane_u => |a, x| get::<u8>(a, x as usize) as u64;
    i16x8_extract_lane_s => |a, x| get::<i16>(a, x as usize) as i32 as u32 as u64;
    i16x8_extract_lane_u => |a, x| get::<u16>(a, x as usize) as u64;
    i32x4_extract_lane => |a, x| get::<u32>(a, x as usize) as u64;
    i64x2_extract_lane => |a, x| get::<u64>(a, x as usize);
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
    fn lanes_wrap_saturate_and_shuffle() {
        let a = u128::to_le_bytes(0x7f);
        let one = u128::to_le_bytes(1);
        assert_eq!(call(i8x16_add_sat_s, a, one, 0, 0)[0], 0x7f);
        let lanes = (0u8..16).rev().collect::<Vec<_>>();
        let (lo, hi) = (
            u64::from_le_bytes(lanes[..8].try_into().unwrap()),
            u64::from_le_bytes(lanes[8..].try_into().unwrap()),
        );
        let shuffled = call(
            i8x16_shuffle,
            (0u8..16).collect::<Vec<_>>().try_into().unwrap(),
            [0; 16],
            lo,
            hi,
        );
        assert_eq!(shuffled[0], 15);
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
