//! Lazuli's cross-crate integration tests (in `tests/tests/`), differential testing against the
//! wasmi interpreter ([`diff`]), and the engine constructors they share.

pub mod diff;
pub mod generated;
pub use lazuli_wast::{suite, wast};

use lazuli_core::{Config, Engine, Tiers};

/// Which code generators an engine uses, by the names the tests and the command line give
/// them (see [`Tiers`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// LLVM alone: every function compiled by LLVM (baseline or optimized pipeline).
    Llvm,
    /// The single-pass baseline backend alone (lazy only: no eager compilation or serialization).
    Baseline,
    /// Baseline first, LLVM at O2 for hot functions, for what the baseline cannot compile, and
    /// for eager compilation and serialization.
    Tiered,
}

impl From<BackendKind> for Tiers {
    fn from(kind: BackendKind) -> Tiers {
        match kind {
            BackendKind::Llvm => Tiers::OptimizingOnly,
            BackendKind::Baseline => Tiers::BaselineOnly,
            BackendKind::Tiered => Tiers::Tiered,
        }
    }
}

/// An engine that compiles with the LLVM backend and runs with the std platform, with
/// `config.workers` speculation workers (default: available cores minus one).
#[cfg(feature = "llvm")]
pub fn llvm_engine(config: Config) -> Engine {
    engine(config.tiers(Tiers::OptimizingOnly)).expect("this build has LLVM")
}

/// An engine with the code generators `config.tiers` names, on the std platform (the `lazuli`
/// crate's [`lazuli::Engine::new`]).
pub fn engine(config: Config) -> Result<Engine, String> {
    lazuli::Engine::new(&config)
        .map(Engine::from)
        .map_err(|e| e.to_string())
}

/// A tiered engine with one optimizing worker that tiers a function up after `threshold` calls
/// or loop iterations: what tier-up, OSR and saved-code tests run on.
pub fn tiered_engine(threshold: u32) -> Engine {
    engine(
        Config::default()
            .workers(1)
            .tiers(Tiers::Tiered)
            .tier_up(threshold),
    )
    .expect("this build has both tiers")
}

/// Every way code gets compiled, as (name, config): the baseline backend alone, LLVM lazy,
/// LLVM with tier-up forced, tiered with tier-up forced, and LLVM eager.
pub fn modes() -> Vec<(&'static str, Config)> {
    let tiers = |kind: BackendKind| Config::default().tiers(kind.into());
    vec![
        ("baseline", tiers(BackendKind::Baseline)),
        ("llvm lazy", tiers(BackendKind::Llvm)),
        ("llvm lazy, tier-up 1", tiers(BackendKind::Llvm).tier_up(1)),
        ("tiered, tier-up 1", tiers(BackendKind::Tiered).tier_up(1)),
        (
            "llvm eager",
            tiers(BackendKind::Llvm).strategy(lazuli_core::backend::Strategy::Eager),
        ),
    ]
}

/// Assert that a run of spec-style scripts (`what`) failed nothing, skipped nothing, and
/// passed at least `at_least` directives; a failure lists every failed directive.
pub fn assert_clean(tally: &wast::Tally, what: &str, at_least: usize) {
    assert!(
        tally.failures.is_empty(),
        "{what}: {} failed:\n{}",
        tally.failed,
        tally.failures.join("\n")
    );
    assert_eq!(
        tally.skipped, 0,
        "{what}: skipped because {:?}",
        tally.skip_reasons
    );
    assert!(
        tally.passed >= at_least,
        "{what}: only {} directives passed",
        tally.passed
    );
}
