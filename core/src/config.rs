//! [`Config`]: the settings an [`crate::Engine`] is created with.

use lazuli_backend_api::{OptLevel, Strategy};

/// The WebAssembly features modules may use. A module using a disabled feature is rejected at
/// [`crate::Module::new`] with an error naming the feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Features {
    /// Mutable globals may be imported and exported.
    pub mutable_global: bool,
    /// Functions and blocks may have several results.
    pub multi_value: bool,
    /// `i32.extend8_s` and friends.
    pub sign_extension: bool,
    /// `i32.trunc_sat_f32_s` and friends.
    pub saturating_float_to_int: bool,
    /// `memory.copy`, passive segments and friends.
    pub bulk_memory: bool,
    /// `externref`, several tables, `table.get` and friends.
    pub reference_types: bool,
    /// 128-bit SIMD.
    pub simd: bool,
    /// Several memories per module (WebAssembly 3.0).
    pub multi_memory: bool,
    /// `i32/i64.add`, `sub`, `mul` and `global.get` of any immutable global in constant
    /// expressions (WebAssembly 3.0).
    pub extended_const: bool,
    /// Relaxed SIMD (WebAssembly 3.0), with one deterministic behaviour per operator (see
    /// `lazuli_backend_api::relaxed`).
    pub relaxed_simd: bool,
    /// 64-bit memories and tables (memory64, WebAssembly 3.0): `i64` addresses and indices.
    /// Accesses to a 64-bit memory are always bounds-checked explicitly.
    pub memory64: bool,
    /// `return_call` and `return_call_indirect` (tail calls, WebAssembly 3.0): a tail call
    /// replaces its caller's frame, so unbounded tail recursion runs in constant stack.
    pub tail_call: bool,
    /// Typed function references (WebAssembly 3.0): `(ref null? $t)` types, `call_ref`,
    /// `return_call_ref`, `ref.as_non_null`, `br_on_null`, `br_on_non_null`, non-nullable
    /// locals and tables with initializer expressions.
    pub function_references: bool,
    /// Exception handling (WebAssembly 3.0): tags, `throw`, `throw_ref`, `try_table` and
    /// `exnref`.
    pub exceptions: bool,
    /// The legacy exception instructions that older toolchains emit: `try`, `catch`,
    /// `catch_all`, `rethrow` and `delegate` (with `exceptions`).
    pub legacy_exceptions: bool,
}

/// One feature: its name (as `lazuli -W NAME=y|n` and error messages give it), wasmparser's
/// flag for it, and its reader and setter.
struct FeatureEntry {
    name: &'static str,
    flag: wasmparser::WasmFeatures,
    get: fn(&Features) -> bool,
    set: fn(&mut Features, bool),
}

/// The table of [`FeatureEntry`]s, one per `"name" field FLAG`.
macro_rules! feature_entries {
    ($($name:literal $field:ident $flag:ident,)*) => {
        [$(FeatureEntry {
            name: $name,
            flag: wasmparser::WasmFeatures::$flag,
            get: |f| f.$field,
            set: |f, on| f.$field = on,
        },)*]
    };
}

impl Features {
    /// WebAssembly 1.0 (2019): the MVP plus mutable globals.
    pub const WASM1: Features = Features {
        mutable_global: true,
        multi_value: false,
        sign_extension: false,
        saturating_float_to_int: false,
        bulk_memory: false,
        reference_types: false,
        simd: false,
        multi_memory: false,
        extended_const: false,
        relaxed_simd: false,
        memory64: false,
        tail_call: false,
        function_references: false,
        exceptions: false,
        legacy_exceptions: false,
    };

    /// WebAssembly 2.0 (2022): 1.0 plus multi-value, sign extension, saturating conversions,
    /// bulk memory, reference types and SIMD.
    pub const WASM2: Features = Features {
        multi_value: true,
        sign_extension: true,
        saturating_float_to_int: true,
        bulk_memory: true,
        reference_types: true,
        simd: true,
        ..Features::WASM1
    };

    /// The default: WebAssembly 2.0 plus the features of 3.0 Lazuli implements (multi-memory,
    /// extended constant expressions, relaxed SIMD, 64-bit memories and tables, tail calls, typed
    /// function references, exception handling with the legacy instructions).
    pub const DEFAULT: Features = Features {
        multi_memory: true,
        extended_const: true,
        relaxed_simd: true,
        memory64: true,
        tail_call: true,
        function_references: true,
        exceptions: true,
        legacy_exceptions: true,
        ..Features::WASM2
    };

    const ENTRIES: [FeatureEntry; 15] = feature_entries![
        "mutable-global" mutable_global MUTABLE_GLOBAL,
        "multi-value" multi_value MULTI_VALUE,
        "sign-extension" sign_extension SIGN_EXTENSION,
        "saturating-float-to-int" saturating_float_to_int SATURATING_FLOAT_TO_INT,
        "bulk-memory" bulk_memory BULK_MEMORY,
        "reference-types" reference_types REFERENCE_TYPES,
        "simd" simd SIMD,
        "multi-memory" multi_memory MULTI_MEMORY,
        "extended-const" extended_const EXTENDED_CONST,
        "relaxed-simd" relaxed_simd RELAXED_SIMD,
        "memory64" memory64 MEMORY64,
        "tail-call" tail_call TAIL_CALL,
        "function-references" function_references FUNCTION_REFERENCES,
        "exceptions" exceptions EXCEPTIONS,
        "legacy-exceptions" legacy_exceptions LEGACY_EXCEPTIONS,
    ];

    /// Every feature by name, with whether it is on.
    pub fn list(&self) -> impl Iterator<Item = (&'static str, bool)> + '_ {
        Features::ENTRIES
            .iter()
            .map(move |e| (e.name, (e.get)(self)))
    }

    /// Turn the feature called `name` on or off; `false` if there is no such feature.
    pub fn set(&mut self, name: &str, on: bool) -> bool {
        match Features::ENTRIES.iter().find(|e| e.name == name) {
            Some(e) => {
                (e.set)(self, on);
                true
            }
            None => false,
        }
    }

    pub(crate) fn to_wasmparser(self) -> wasmparser::WasmFeatures {
        let mut f = wasmparser::WasmFeatures::MVP;
        for e in &Features::ENTRIES {
            f.set(e.flag, (e.get)(&self));
        }
        f
    }
}

impl Default for Features {
    /// [`Features::DEFAULT`]: WebAssembly 2.0 plus multi-memory, extended constants, relaxed
    /// SIMD, 64-bit memories and tables, tail calls, typed function references and exception
    /// handling.
    fn default() -> Self {
        Features::DEFAULT
    }
}

/// Which code generators compile a module's functions, by role. Core itself compiles nothing
/// and does not read this: the crate that wires an engine together (`lazuli-tests`, the
/// `lazuli` command) builds the backend it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Tiers {
    /// The single-pass baseline compiler first; the optimizing compiler (LLVM) recompiles hot
    /// functions, compiles eagerly and serializes. The default.
    #[default]
    Tiered,
    /// The single-pass baseline compiler alone: lazy only, no serialization.
    BaselineOnly,
    /// The optimizing compiler (LLVM) alone, with its own cheaper pipeline as the first tier.
    OptimizingOnly,
}

/// Engine settings: which features modules may use and how code is generated.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// Enabled WebAssembly features (default: WebAssembly 2.0).
    pub features: Features,
    /// Which code generators (default: tiered).
    pub tiers: Tiers,
    /// Lazy (default) or eager compilation.
    pub strategy: Strategy,
    /// Optimization level; by default baseline for lazy compilation and optimized (like
    /// `-O2`) for eager compilation.
    pub opt_level: Option<OptLevel>,
    /// Worker threads for speculative compilation; `None` leaves the choice to the embedder
    /// (the `lazuli` command uses available cores minus one), 0 turns speculation off.
    pub workers: Option<usize>,
    /// Calls plus loop iterations after which lazily compiled baseline code is recompiled
    /// optimized in the background (tier-up); 0 turns tier-up off. Default 10,000.
    pub tier_up_threshold: u32,
    /// Write a perf map (`/tmp/perf-PID.map`): a line per compiled function, with its address,
    /// size and wasm name, so that `perf report` names the functions of either tier. Off by
    /// default; process-wide once an engine turns it on.
    pub perf_map: bool,
    /// Compiled code checks the engine's epoch at function entries and loop headers, so that
    /// a store's deadline ([`crate::Store::set_epoch_deadline`]) can stop it. Off by default
    /// (it costs a few instructions per loop iteration).
    pub epoch_interruption: bool,
    /// Most bytes of linear memory a store may hold, over all its memories (default 4 GiB, one
    /// full 32-bit memory). A module declaring more fails to instantiate; `memory.grow` past it
    /// returns -1.
    pub max_memory_bytes: u64,
    /// Most table elements a store may hold, over all its tables (default 10,000,000, 80 MB).
    /// A module declaring more fails to instantiate; `table.grow` past it returns -1.
    pub max_table_elements: u64,
    /// Most bytes of live exceptions a store may hold (default 256 MiB, a few million
    /// exceptions). Exceptions nothing refers to any more are freed by a collection at a later
    /// throw, but a module that keeps them (in a table, say) would otherwise grow the store
    /// without bound; a `throw` past the limit ends the call with [`crate::Error::Limit`].
    pub max_exception_bytes: u64,
    /// Linear memories reserve their whole 4 GiB index space plus a guard region where the
    /// platform can (and can turn faults there into traps): memories never move, growing is
    /// cheap, and compiled code skips the bounds checks the guard covers. On by default; off,
    /// memories are ordinary allocations and every access is checked.
    pub memory_reservations: bool,
    /// Bytes of inaccessible guard region after each reserved memory (default 2 GiB): an
    /// access whose static offset plus size fits in it needs no bounds check.
    pub memory_guard_bytes: u64,
    /// Most bytes of address space a store may reserve for its memories and tables together
    /// (default 1 TiB): a reserved memory takes its 4 GiB index space plus its guard
    /// (6 GiB by default), a large table its largest size. Reservations cost no memory, but
    /// address space is finite (and `ulimit -v` bounds it), so a module must not take it all
    /// with declarations alone. A memory past the budget fails to instantiate with
    /// [`crate::Error::Limit`]; a table past it is allocated as it grows instead.
    pub max_reserved_bytes: u64,
}

/// Default of [`Config::max_memory_bytes`]: 4 GiB.
pub const DEFAULT_MAX_MEMORY_BYTES: u64 = 4 << 30;
/// Default of [`Config::memory_guard_bytes`]: 2 GiB.
pub const DEFAULT_MEMORY_GUARD_BYTES: u64 = 2 << 30;
/// Largest [`Config::memory_guard_bytes`]: 4 GiB (with the index space, 8 GiB per memory).
pub const MAX_MEMORY_GUARD_BYTES: u64 = 4 << 30;
/// Default of [`Config::max_table_elements`].
pub const DEFAULT_MAX_TABLE_ELEMENTS: u64 = 10_000_000;
/// Default of [`Config::max_reserved_bytes`]: 1 TiB, 1/128 of x86-64's user address space.
pub const DEFAULT_MAX_RESERVED_BYTES: u64 = 1 << 40;
/// Default of [`Config::max_exception_bytes`]: 256 MiB.
pub const DEFAULT_MAX_EXCEPTION_BYTES: u64 = 256 << 20;

impl Default for Config {
    fn default() -> Self {
        Config {
            features: Features::default(),
            tiers: Tiers::default(),
            strategy: Strategy::default(),
            opt_level: None,
            workers: None,
            tier_up_threshold: 10_000,
            perf_map: false,
            epoch_interruption: false,
            max_memory_bytes: DEFAULT_MAX_MEMORY_BYTES,
            max_table_elements: DEFAULT_MAX_TABLE_ELEMENTS,
            max_exception_bytes: DEFAULT_MAX_EXCEPTION_BYTES,
            memory_reservations: true,
            memory_guard_bytes: DEFAULT_MEMORY_GUARD_BYTES,
            max_reserved_bytes: DEFAULT_MAX_RESERVED_BYTES,
        }
    }
}

impl Config {
    /// Writes a perf map of compiled functions ([`Config::perf_map`]).
    pub fn perf_map(mut self, on: bool) -> Self {
        self.perf_map = on;
        self
    }

    /// Sets the enabled features.
    pub fn features(mut self, features: Features) -> Self {
        self.features = features;
        self
    }

    /// Sets which code generators compile (see [`Tiers`]).
    pub fn tiers(mut self, tiers: Tiers) -> Self {
        self.tiers = tiers;
        self
    }

    /// Sets the compilation strategy.
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Sets the optimization level.
    pub fn opt_level(mut self, opt_level: OptLevel) -> Self {
        self.opt_level = Some(opt_level);
        self
    }

    /// Sets the tier-up threshold (0: off; 1: every function is recompiled optimized right
    /// after its first call, a test mode that exercises optimized code).
    pub fn tier_up(mut self, threshold: u32) -> Self {
        self.tier_up_threshold = threshold;
        self
    }

    /// Turns epoch interruption on or off (see [`Config::epoch_interruption`]).
    pub fn epoch_interruption(mut self, enabled: bool) -> Self {
        self.epoch_interruption = enabled;
        self
    }

    /// Sets the most bytes of linear memory a store may hold (see [`Config::max_memory_bytes`]).
    pub fn max_memory_bytes(mut self, bytes: u64) -> Self {
        self.max_memory_bytes = bytes;
        self
    }

    /// Sets the most address space a store may reserve for memories and tables (see
    /// [`Config::max_reserved_bytes`]).
    pub fn max_reserved_bytes(mut self, bytes: u64) -> Self {
        self.max_reserved_bytes = bytes;
        self
    }

    /// Sets the most table elements a store may hold (see [`Config::max_table_elements`]).
    pub fn max_table_elements(mut self, elements: u64) -> Self {
        self.max_table_elements = elements;
        self
    }

    /// Sets the most bytes of exceptions a store may hold (see
    /// [`Config::max_exception_bytes`]).
    pub fn max_exception_bytes(mut self, bytes: u64) -> Self {
        self.max_exception_bytes = bytes;
        self
    }

    /// Turns memory reservations and the bounds-check elision they allow on or off (see
    /// [`Config::memory_reservations`]).
    pub fn memory_reservations(mut self, enabled: bool) -> Self {
        self.memory_reservations = enabled;
        self
    }

    /// Sets the guard region after each reserved memory, in bytes (see
    /// [`Config::memory_guard_bytes`]; at most [`MAX_MEMORY_GUARD_BYTES`], rounded up to
    /// whole pages).
    pub fn memory_guard_bytes(mut self, bytes: u64) -> Self {
        self.memory_guard_bytes = bytes;
        self
    }

    /// Sets the number of worker threads for speculative compilation (0: off).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = Some(workers);
        self
    }

    /// The optimization level code is generated with.
    pub fn effective_opt_level(&self) -> OptLevel {
        self.opt_level.unwrap_or(match self.strategy {
            Strategy::Lazy => OptLevel::Baseline,
            Strategy::Eager => OptLevel::Optimized,
        })
    }
}
