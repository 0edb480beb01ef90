//! `lazuli wast`: run spec scripts and print a line per file and a total.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use lazuli::backend::{OptLevel, Strategy};
use lazuli::Config;
use lazuli_wast::suite;
use lazuli_wast::wast::{Tally, WastRunner};

/// Arguments of `lazuli wast`.
#[derive(clap::Args)]
pub struct WastArgs {
    /// .wast files or directories holding them.
    paths: Vec<PathBuf>,
    /// A folder of the pinned spec suite, e.g. `wasm-v1`, `wasm-v2`, `proposals/simd` (repeatable).
    #[arg(long = "suite", value_name = "FOLDER")]
    suites: Vec<String>,
    /// Print each failure, and the reasons for skips.
    #[arg(short, long)]
    verbose: bool,
    /// Print one markdown table row per path or suite folder after the totals.
    #[arg(long)]
    table: bool,
    /// Only decode and validate: execution directives are skipped.
    #[arg(long)]
    validate_only: bool,
    /// Compile every module eagerly (into one optimized object) instead of lazily.
    #[arg(long)]
    eager: bool,
    /// Compile eagerly, serialize, and run the deserialized module.
    #[arg(long)]
    round_trip: bool,
    /// Optimization level: 0 (baseline) or 2 (optimized); default 0 lazy, 2 eager.
    #[arg(long, value_name = "N")]
    opt_level: Option<u8>,
    /// Tier-up threshold (calls plus loop iterations); 1 recompiles every function optimized
    /// right after its first call, which exercises optimized code.
    #[arg(long, value_name = "N")]
    tier_up: Option<u32>,
    #[arg(short = 'W', value_name = "FEATURE=y|n", help = crate::features_help())]
    features: Vec<String>,
    /// Reserve each linear memory's 4 GiB index space plus a 2 GiB guard, so that compiled
    /// code skips the bounds checks the guard covers and faults instead (`on`, the default),
    /// or allocate memories as they are and check every access (`off`).
    #[arg(long, value_name = "on|off", default_value = "on", value_parser = crate::parse_switch,
          action = clap::ArgAction::Set)]
    memory_reservations: bool,
    /// Code generators: llvm, baseline (single-pass only) or tiered (baseline, then LLVM).
    #[arg(long, value_enum, default_value_t = default_wast_backend())]
    backend: crate::BackendKind,
}

/// LLVM alone where this build has it (the suite's reference mode), else the baseline backend.
fn default_wast_backend() -> crate::BackendKind {
    if cfg!(feature = "llvm") {
        crate::BackendKind::Llvm
    } else {
        crate::BackendKind::Baseline
    }
}

struct Script {
    name: String,
    text: String,
}

/// Run the scripts; exit status 1 if any directive failed.
pub fn run(args: WastArgs) -> Result<ExitCode, String> {
    if args.paths.is_empty() && args.suites.is_empty() {
        return Err(format!(
            "nothing to run: give .wast paths or --suite FOLDER (one of {})",
            suite::FOLDERS.join(", ")
        ));
    }
    let mut groups: Vec<(String, Vec<Script>)> = Vec::new();
    for name in &args.suites {
        let files = suite::folder(name).ok_or_else(|| {
            format!(
                "unknown suite folder `{name}`; known: {}",
                suite::FOLDERS.join(", ")
            )
        })?;
        groups.push((
            name.clone(),
            files
                .into_iter()
                .map(|f| Script {
                    name: f.path,
                    text: f.text.to_string(),
                })
                .collect(),
        ));
    }
    for path in &args.paths {
        let mut scripts = Vec::new();
        collect(path, &mut scripts)?;
        groups.push((path.display().to_string(), scripts));
    }

    let strategy = if args.eager || args.round_trip {
        Strategy::Eager
    } else {
        Strategy::Lazy
    };
    let opt_level = match args.opt_level {
        None => None,
        Some(0) => Some(OptLevel::Baseline),
        Some(2) => Some(OptLevel::Optimized),
        Some(n) => return Err(format!("unsupported --opt-level {n}: use 0 or 2")),
    };
    let engine_for = |config: Config| {
        let mut config = config
            .strategy(strategy)
            .memory_reservations(args.memory_reservations);
        config.opt_level = opt_level;
        if let Some(threshold) = args.tier_up {
            config = config.tier_up(threshold);
        }
        if args.validate_only {
            Ok(lazuli_core::Engine::new(config))
        } else {
            crate::engine(config.tiers(args.backend.into())).map(lazuli_core::Engine::from)
        }
    };
    let mut total = Tally::default();
    let mut rows = Vec::new();
    for (group, scripts) in &groups {
        // A suite folder runs with the features it is written for, other paths with the
        // defaults; `-W` switches change either.
        let features = crate::apply_features(suite::features(group), &args.features)?;
        let engine = engine_for(Config::default().features(features))?;
        let runner = if args.round_trip {
            WastRunner::round_trip(engine)
        } else {
            WastRunner::new(engine)
        };
        let mut group_tally = Tally::default();
        for script in scripts {
            let tally = runner.run_script(&script.text);
            println!(
                "{}: {} passed, {} failed, {} skipped",
                script.name, tally.passed, tally.failed, tally.skipped
            );
            if args.verbose {
                for f in &tally.failures {
                    println!("    FAIL {f}");
                }
            }
            group_tally.add(&tally);
        }
        rows.push((group.clone(), group_tally.clone()));
        total.add(&group_tally);
    }
    if args.verbose && !total.skip_reasons.is_empty() {
        println!("skipped because:");
        for r in &total.skip_reasons {
            println!("    {r}");
        }
    }
    if args.table {
        println!();
        println!("| suite | passed | failed | skipped |");
        println!("|---|---:|---:|---:|");
        for (group, t) in &rows {
            println!("| {group} | {} | {} | {} |", t.passed, t.failed, t.skipped);
        }
        println!();
    }
    println!(
        "{} passed, {} failed, {} skipped",
        total.passed, total.failed, total.skipped
    );
    Ok(if total.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn collect(path: &Path, out: &mut Vec<Script>) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            if entry.is_dir() || entry.extension().is_some_and(|x| x == "wast") {
                collect(&entry, out)?;
            }
        }
        Ok(())
    } else {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        out.push(Script {
            name: path.display().to_string(),
            text,
        });
        Ok(())
    }
}
