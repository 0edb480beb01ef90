//! Absolute addresses in single-pass code. Each is an 8-byte immediate recorded as a
//! relocation and written when the code is placed ([`super::FunctionCode::bind`]), so that the
//! same bytes run in the process that lowered them and, saved in an image, in another one.

use std::sync::atomic::AtomicU32;

use lazuli_backend_api::CompileError;

/// What an immediate holds the address of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// Branch-profile slot `n` of the function's counters.
    Slot(u32),
    /// The function's call counter.
    Counter,
    /// The tier-up request function.
    Request,
    /// The first argument of the request and OSR functions (the module's lazy driver).
    Context,
    /// The OSR poll function.
    OsrPoll,
    /// Runtime helper `n` ([`HelperFn::index`]).
    Helper(u32),
}

impl Target {
    /// The target as a kind number and an argument, for saving.
    pub(crate) fn encode(self) -> (u8, u32) {
        match self {
            Target::Slot(n) => (0, n),
            Target::Counter => (1, 0),
            Target::Request => (2, 0),
            Target::Context => (3, 0),
            Target::OsrPoll => (4, 0),
            Target::Helper(n) => (5, n),
        }
    }

    /// The target [`Target::encode`] made `(kind, argument)` of, if any.
    pub(crate) fn decode(kind: u8, argument: u32) -> Option<Target> {
        Some(match kind {
            0 => Target::Slot(argument),
            1 => Target::Counter,
            2 => Target::Request,
            3 => Target::Context,
            4 => Target::OsrPoll,
            5 => Target::Helper(argument),
            _ => return None,
        })
    }
}

/// An 8-byte immediate in a function's code and what it is to hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Relocation {
    /// Offset of the byte after the immediate.
    pub end: u32,
    pub target: Target,
}

/// What relocations resolve to for one function in this process.
pub(crate) struct Targets<'a> {
    /// The function's branch counters (empty in code that does not count).
    pub counters: &'a [AtomicU32],
    /// Its call counter.
    pub counter: usize,
    pub request: usize,
    pub context: usize,
    pub osr_poll: usize,
}

impl Targets<'_> {
    /// The address `target` resolves to; an error for a slot or helper that does not exist.
    pub(crate) fn address(&self, target: Target) -> Result<usize, CompileError> {
        Ok(match target {
            Target::Slot(n) => {
                let slot = self.counters.get(n as usize).ok_or_else(|| {
                    CompileError::new(format!("code refers to branch counter {n}, which it lacks"))
                })?;
                slot as *const AtomicU32 as usize
            }
            Target::Counter => self.counter,
            Target::Request => self.request,
            Target::Context => self.context,
            Target::OsrPoll => self.osr_poll,
            Target::Helper(n) => HelperFn::ALL
                .get(n as usize)
                .ok_or_else(|| CompileError::new(format!("code calls unknown helper {n}")))?
                .address(),
        })
    }
}

/// Define [`HelperFn`]: every runtime helper single-pass code may call. Code names a helper by
/// its position in this list (part of the saved format: append only); a function pointer is
/// taken only here, since the same function's address may differ between the places Rust takes
/// it.
macro_rules! helpers {
    ($($name:ident => $path:path,)*) => {
        /// A runtime helper single-pass code calls.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(non_camel_case_types)]
        pub(crate) enum HelperFn {
            $(
                #[doc = concat!("`", stringify!($path), "`.")]
                $name,
            )*
        }

        impl HelperFn {
            /// Every helper, in order.
            const ALL: &'static [HelperFn] = &[$(HelperFn::$name,)*];

            /// The helper's address in this process.
            fn address(self) -> usize {
                match self {
                    $(HelperFn::$name => $path as *const () as usize,)*
                }
            }
        }
    };
}

helpers! {
    i32_trunc_f32_s => crate::helpers::i32_trunc_f32_s,
    i32_trunc_f32_u => crate::helpers::i32_trunc_f32_u,
    i32_trunc_f64_s => crate::helpers::i32_trunc_f64_s,
    i32_trunc_f64_u => crate::helpers::i32_trunc_f64_u,
    i64_trunc_f32_s => crate::helpers::i64_trunc_f32_s,
    i64_trunc_f32_u => crate::helpers::i64_trunc_f32_u,
    i64_trunc_f64_s => crate::helpers::i64_trunc_f64_s,
    i64_trunc_f64_u => crate::helpers::i64_trunc_f64_u,
    i32_trunc_sat_f32_s => crate::helpers::i32_trunc_sat_f32_s,
    i32_trunc_sat_f32_u => crate::helpers::i32_trunc_sat_f32_u,
    i32_trunc_sat_f64_s => crate::helpers::i32_trunc_sat_f64_s,
    i32_trunc_sat_f64_u => crate::helpers::i32_trunc_sat_f64_u,
    i64_trunc_sat_f32_s => crate::helpers::i64_trunc_sat_f32_s,
    i64_trunc_sat_f32_u => crate::helpers::i64_trunc_sat_f32_u,
    i64_trunc_sat_f64_s => crate::helpers::i64_trunc_sat_f64_s,
    i64_trunc_sat_f64_u => crate::helpers::i64_trunc_sat_f64_u,
    f32_convert_i64_u => crate::helpers::f32_convert_i64_u,
    f64_convert_i64_u => crate::helpers::f64_convert_i64_u,
    i64x2_lt_s => crate::simd_helpers::i64x2_lt_s,
    i64x2_gt_s => crate::simd_helpers::i64x2_gt_s,
    i64x2_le_s => crate::simd_helpers::i64x2_le_s,
    i64x2_ge_s => crate::simd_helpers::i64x2_ge_s,
    i32x4_extadd_pairwise_i16x8_u => crate::simd_helpers::i32x4_extadd_pairwise_i16x8_u,
    i32x4_trunc_sat_f32x4_u => crate::simd_helpers::i32x4_trunc_sat_f32x4_u,
    f32x4_convert_i32x4_u => crate::simd_helpers::f32x4_convert_i32x4_u,
    i32x4_trunc_sat_f64x2_s_zero => crate::simd_helpers::i32x4_trunc_sat_f64x2_s_zero,
    i32x4_trunc_sat_f64x2_u_zero => crate::simd_helpers::i32x4_trunc_sat_f64x2_u_zero,
    f64x2_convert_low_i32x4_u => crate::simd_helpers::f64x2_convert_low_i32x4_u,
    f32x4_relaxed_madd => crate::simd_helpers::f32x4_relaxed_madd,
    f32x4_relaxed_nmadd => crate::simd_helpers::f32x4_relaxed_nmadd,
    f64x2_relaxed_madd => crate::simd_helpers::f64x2_relaxed_madd,
    f64x2_relaxed_nmadd => crate::simd_helpers::f64x2_relaxed_nmadd,
    i16x8_relaxed_dot_i8x16_i7x16_s => crate::simd_helpers::i16x8_relaxed_dot_i8x16_i7x16_s,
    i32x4_relaxed_dot_i8x16_i7x16_add_s => crate::simd_helpers::i32x4_relaxed_dot_i8x16_i7x16_add_s,
}

impl HelperFn {
    /// The helper's number in code.
    pub(crate) fn index(self) -> u32 {
        self as u32
    }
}
