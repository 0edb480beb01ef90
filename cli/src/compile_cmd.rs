//! `lazuli compile`: compile a module eagerly and write it serialized, to be run or loaded
//! later without compiling.

use std::path::PathBuf;
use std::process::ExitCode;

use lazuli::backend::{OptLevel, Strategy};
use lazuli::{Config, Module};

use crate::load::{progress, read, Contents};

/// Arguments of `lazuli compile`.
#[derive(clap::Args)]
pub struct CompileArgs {
    /// The module: binary (.wasm) or text (.wat).
    file: PathBuf,
    /// Where to write the compiled module.
    #[arg(short, long)]
    output: PathBuf,
    /// Optimization level: 0 (baseline) or 2 (optimized, the default).
    #[arg(long, value_name = "N", default_value_t = 2)]
    opt_level: u8,
    /// Threads that compile (default: the available cores). The output is the same whatever
    /// the number.
    #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    jobs: Option<u32>,
    #[arg(short = 'W', value_name = "FEATURE=y|n", help = crate::features_help())]
    features: Vec<String>,
    /// Reserve each linear memory's 4 GiB index space plus a 2 GiB guard, so that compiled
    /// code skips the bounds checks the guard covers and faults instead (`on`, the default),
    /// or allocate memories as they are and check every access (`off`).
    #[arg(long, value_name = "on|off", default_value = "on", value_parser = crate::parse_switch,
          action = clap::ArgAction::Set)]
    memory_reservations: bool,
    /// A profile of this module (`lazuli run --profile-out FILE`): the functions it found hot
    /// are the ones compiled optimized, and LLVM weighs each branch by how often the run took
    /// it, so the hot paths get the straight-line code.
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// Compile every function with LLVM (at --opt-level) instead of an image with both tiers:
    /// by default LLVM compiles only the functions that pay (those the profile names, or
    /// without one the functions with loops) and the rest get single-pass code, which counts
    /// and tiers up when it runs hot.
    #[arg(long)]
    all_optimized: bool,
}

/// Parse `--opt-level`.
pub fn opt_level(n: u8) -> Result<OptLevel, String> {
    match n {
        0 => Ok(OptLevel::Baseline),
        2 => Ok(OptLevel::Optimized),
        n => Err(format!(
            "unsupported --opt-level {n}: use 0 (baseline) or 2 (optimized)"
        )),
    }
}

/// Compile and write.
pub fn run(args: CompileArgs) -> Result<ExitCode, String> {
    let features = crate::apply_features(Config::default().features, &args.features)?;
    let mut config = Config::default()
        .features(features)
        .memory_reservations(args.memory_reservations)
        .strategy(Strategy::Eager)
        .opt_level(opt_level(args.opt_level)?);
    // The caller compiles too: N jobs are N - 1 workers and this thread.
    config.workers = args.jobs.map(|n| n as usize - 1);
    // --opt-level 0 asks for LLVM's baseline pipeline everywhere: an LLVM-only image too.
    let tiers = if args.all_optimized || args.opt_level != 2 {
        lazuli::Tiers::OptimizingOnly
    } else {
        lazuli::Tiers::Tiered
    };
    let engine = crate::engine(config.tiers(tiers))?;
    let wasm = match read(&args.file)? {
        Contents::Wasm(w) => w,
        Contents::Serialized => return Err(format!("{} is already compiled", args.file.display())),
    };
    let start = std::time::Instant::now();
    let size = wasm.len();
    let module = match &args.profile {
        Some(path) => {
            let profile = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Module::with_profile(&engine, wasm, &profile, &progress(size)).map_err(|e| {
                format!(
                    "{} with profile {}: {e}",
                    args.file.display(),
                    path.display()
                )
            })?
        }
        None => Module::with_progress(&engine, wasm, &progress(size))
            .map_err(|e| format!("{}: {e}", args.file.display()))?,
    };
    let blob = module.serialize().map_err(|e| e.to_string())?;
    std::fs::write(&args.output, &blob).map_err(|e| format!("{}: {e}", args.output.display()))?;
    let stats = module.stats();
    let tiers = match tiers {
        lazuli::Tiers::Tiered => format!(
            " ({} optimized, {} single-pass)",
            stats.optimized,
            module.info().bodies.len() as u32 - stats.optimized
        ),
        _ => String::new(),
    };
    eprintln!(
        "compiled {} functions{tiers} in {:.2} s; wrote {} ({} bytes)",
        module.info().bodies.len(),
        start.elapsed().as_secs_f64(),
        args.output.display(),
        blob.len()
    );
    if stats.partitions > 0 && stats.compile_nanos > 0 {
        let (all, largest) = (
            stats.compile_nanos as f64 / 1e9,
            stats.largest_partition_nanos as f64 / 1e9,
        );
        eprintln!(
            "{} partitions: {all:.2} s of compiling over all threads, the largest {largest:.2} s \
             ({:.1}% of the work): more threads can make it at most {:.1}x faster than one",
            stats.partitions,
            100.0 * largest / all,
            all / largest
        );
    }
    Ok(ExitCode::SUCCESS)
}
