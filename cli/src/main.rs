//! The `lazuli` command.

mod inspect;
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
    /// Run WebAssembly spec scripts (.wast files or directories of them, or suite folders).
    Wast(wast_cmd::WastArgs),
    /// Print a module's imports, exports and functions.
    Inspect(inspect::InspectArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Wast(args) => wast_cmd::run(args),
        Command::Inspect(args) => inspect::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
