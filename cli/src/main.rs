//! The `lazuli` command.

mod cache;
mod compile_cmd;
mod inspect;
mod load;
mod run_cmd;
mod timeout;
mod wast_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Lazuli: a WebAssembly runtime that compiles with LLVM, lazily or eagerly.
#[derive(Parser)]
#[command(name = "lazuli", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a module eagerly and write it serialized (.lzc), to run without compiling.
    Compile(compile_cmd::CompileArgs),
    /// Run a module: call an exported function and print its results.
    Run(run_cmd::RunArgs),
    /// Run WebAssembly spec scripts (.wast files or directories of them, or suite folders).
    Wast(wast_cmd::WastArgs),
    /// Print a module's imports, exports and functions.
    Inspect(inspect::InspectArgs),
}

/// Stack for the thread that runs wasm: deep recursion in wasm is a trap long before this runs
/// out, and lazy compilation (LLVM) runs on the same stack.
const STACK_SIZE: usize = 256 << 20;

/// The subcommands and flags that `lazuli` takes before a subcommand; any other first argument
/// means `run` (`lazuli app.wasm` is `lazuli run app.wasm`).
const LEADING: &[&str] = &[
    "compile",
    "run",
    "wast",
    "inspect",
    "help",
    "-h",
    "--help",
    "-V",
    "--version",
];

fn main() -> ExitCode {
    let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if argv
        .get(1)
        .is_some_and(|first| !LEADING.iter().any(|l| first == *l))
    {
        argv.insert(1, "run".into());
    }
    let cli = Cli::parse_from(argv);
    match std::thread::Builder::new()
        .stack_size(STACK_SIZE)
        .spawn(move || run(cli))
        .map(|t| t.join())
    {
        Ok(Ok(code)) => code,
        Ok(Err(_)) => ExitCode::from(101),
        Err(e) => {
            eprintln!("error: cannot start the runtime thread: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Compile(args) => compile_cmd::run(args),
        Command::Run(args) => run_cmd::run(args),
        Command::Wast(args) => wast_cmd::run(args),
        Command::Inspect(args) => inspect::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            load::end_progress_line();
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Parse an `on`/`off` switch (also `true`/`false`, `yes`/`no`, `y`/`n`, `1`/`0`).
pub(crate) fn parse_switch(text: &str) -> Result<bool, String> {
    match text {
        "on" | "true" | "yes" | "y" | "1" => Ok(true),
        "off" | "false" | "no" | "n" | "0" => Ok(false),
        other => Err(format!("`{other}`: use on or off")),
    }
}

/// Which code generators an engine uses, as the command line names them (see [`lazuli::Tiers`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum BackendKind {
    /// LLVM alone: every function compiled by LLVM (baseline or optimized pipeline).
    Llvm,
    /// The single-pass baseline backend alone (lazy only: no eager compilation or serialization).
    Baseline,
    /// Baseline first, LLVM at O2 for hot functions, for what the baseline cannot compile, and
    /// for eager compilation and serialization.
    Tiered,
}

impl Default for BackendKind {
    /// Tiered, or the baseline backend alone in a build without LLVM.
    fn default() -> Self {
        if cfg!(feature = "llvm") {
            BackendKind::Tiered
        } else {
            BackendKind::Baseline
        }
    }
}

impl From<BackendKind> for lazuli::Tiers {
    fn from(kind: BackendKind) -> lazuli::Tiers {
        match kind {
            BackendKind::Llvm => lazuli::Tiers::OptimizingOnly,
            BackendKind::Baseline => lazuli::Tiers::BaselineOnly,
            BackendKind::Tiered => lazuli::Tiers::Tiered,
        }
    }
}

impl From<lazuli::Tiers> for BackendKind {
    fn from(tiers: lazuli::Tiers) -> BackendKind {
        match tiers {
            lazuli::Tiers::OptimizingOnly => BackendKind::Llvm,
            lazuli::Tiers::BaselineOnly => BackendKind::Baseline,
            lazuli::Tiers::Tiered => BackendKind::Tiered,
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BackendKind::Llvm => "llvm",
            BackendKind::Baseline => "baseline",
            BackendKind::Tiered => "tiered",
        })
    }
}

/// The engine for `config`, with an error message for the command line.
pub(crate) fn engine(config: lazuli::Config) -> Result<lazuli::Engine, String> {
    let tiers = config.tiers;
    lazuli::Engine::new(&config).map_err(|e| match tiers {
        lazuli::Tiers::BaselineOnly => e.to_string(),
        _ if !cfg!(feature = "llvm") => format!(
            "this lazuli was built without LLVM, so the {} backend is not available: use \
             --backend baseline",
            BackendKind::from(tiers)
        ),
        _ => e.to_string(),
    })
}

/// `features` with the `-W NAME=y|n` switches applied.
/// The help of `-W`, naming every feature (`Features::list`) and whether it is on by default.
pub(crate) fn features_help() -> String {
    let features: Vec<String> = lazuli::Features::default()
        .list()
        .map(|(name, on)| format!("{name} ({})", if on { "on" } else { "off" }))
        .collect();
    format!(
        "Turn a WebAssembly feature on or off, e.g. `-W multi-memory=n` (repeatable); the \
         features, with their defaults: {}",
        features.join(", ")
    )
}

pub(crate) fn apply_features(
    mut features: lazuli::Features,
    switches: &[String],
) -> Result<lazuli::Features, String> {
    for switch in switches {
        let (name, value) = switch.split_once('=').unwrap_or((switch.as_str(), "y"));
        let on = parse_switch(value).map_err(|e| format!("-W {switch}: {e}"))?;
        if !features.set(name, on) {
            let names: Vec<&str> = features.list().map(|(n, _)| n).collect();
            return Err(format!(
                "-W {switch}: unknown feature `{name}`; the features are {}",
                names.join(", ")
            ));
        }
    }
    Ok(features)
}
