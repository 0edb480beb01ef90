//! Runtime helpers for the few SIMD operators the baseline backend does not emit inline
//! (unsigned and 64-bit-float conversions, one pairwise add, 64-bit signed order without
//! SSE4.2, the relaxed fused and dot operators): each computes one operator lane by lane, with
//! WebAssembly's semantics written out in Rust.
//!
//! Every helper has one signature, `unsafe extern "C" fn(out, a, b, c, x, y) -> u64`: `out` receives the `v128` result; `a`, `b`, `c`
//! point at the `v128` operands (null where unused); `x` and `y` are for scalar operands and
//! immediates, which no remaining helper takes.

/// A `v128` as little-endian bytes.
pub(crate) type V = [u8; 16];

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
    // 64-bit signed order (inline where the host has SSE4.2).
    i64x2_lt_s => |a, b, c, x, y| compare::<i64>(a, b, |p, q| p < q);
    i64x2_gt_s => |a, b, c, x, y| compare::<i64>(a, b, |p, q| p > q);
    i64x2_le_s => |a, b, c, x, y| compare::<i64>(a, b, |p, q| p <= q);
    i64x2_ge_s => |a, b, c, x, y| compare::<i64>(a, b, |p, q| p >= q);

    // i32x4 arithmetic.
    i32x4_extadd_pairwise_i16x8_u => |a, b, c, x, y| pairwise::<u16, u32>(a, |p| p as u32, |p, q| p.wrapping_add(q));

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

    /// The signature shared by every helper.
    type Helper = unsafe extern "C" fn(
        out: *mut V,
        a: *const V,
        b: *const V,
        c: *const V,
        x: u64,
        y: u64,
    ) -> u64;

    fn call(h: Helper, a: V, b: V, x: u64, y: u64) -> V {
        let mut out = [0u8; 16];
        // SAFETY: every pointer is to a live local of 16 bytes.
        unsafe { h(&mut out, &a, &b, std::ptr::null(), x, y) };
        out
    }

    #[test]
    fn unsigned_conversions_saturate() {
        let lanes = |v: [f32; 4]| map4(v.map(f32::to_bits));
        let out = call(
            i32x4_trunc_sat_f32x4_u,
            lanes([-1.5, 3.7, 5e9, f32::NAN]),
            [0; 16],
            0,
            0,
        );
        assert_eq!(get::<u32>(&out, 0), 0);
        assert_eq!(get::<u32>(&out, 1), 3);
        assert_eq!(get::<u32>(&out, 2), u32::MAX);
        assert_eq!(get::<u32>(&out, 3), 0);
        let out = call(
            f32x4_convert_i32x4_u,
            map4([u32::MAX, 1, 0, 7]),
            [0; 16],
            0,
            0,
        );
        assert_eq!(get::<f32>(&out, 0), 4294967296.0);
        assert_eq!(get::<f32>(&out, 3), 7.0);
    }

    /// Four u32 lanes as a vector.
    fn map4(v: [u32; 4]) -> V {
        let mut r = [0; 16];
        for (i, x) in v.into_iter().enumerate() {
            set(&mut r, i, x);
        }
        r
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
