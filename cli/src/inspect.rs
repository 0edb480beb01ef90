//! `lazuli inspect`: decode and validate a module and print what it imports and exports.

use std::path::PathBuf;
use std::process::ExitCode;

use lazuli_core::{Config, Engine, Module};

/// Arguments of `lazuli inspect`.
#[derive(clap::Args)]
pub struct InspectArgs {
    /// A module: binary (.wasm) or text (.wat), told apart by content.
    file: PathBuf,
}

/// Read a module from a file: binary if it starts with the wasm magic, text otherwise.
pub fn load_module(engine: &Engine, file: &PathBuf) -> Result<Module, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let module = if bytes.starts_with(b"\0asm") {
        Module::new(engine, bytes)
    } else {
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("{}: neither a wasm binary nor UTF-8 text", file.display()))?;
        Module::from_wat(engine, &text)
    };
    module.map_err(|e| format!("{}: {e}", file.display()))
}

/// Print the module's description.
pub fn run(args: InspectArgs) -> Result<ExitCode, String> {
    let engine = Engine::new(Config::default());
    let start = std::time::Instant::now();
    let module = load_module(&engine, &args.file)?;
    let elapsed = start.elapsed();
    let info = module.info();
    println!(
        "{}: valid module, {} bytes, decoded and validated in {:.3} ms",
        args.file.display(),
        info.bytes.len(),
        elapsed.as_secs_f64() * 1e3
    );
    println!(
        "functions: {} imported, {} defined; tables: {}; memories: {}; globals: {}; data segments: {}; element segments: {}",
        info.num_imported_funcs,
        info.bodies.len(),
        info.tables.len(),
        info.memories.len(),
        info.globals.len(),
        info.data.len(),
        info.elements.len()
    );
    for (module_name, name, ty) in module.imports() {
        println!("import {module_name:?} {name:?}: {ty}");
    }
    for (name, ty) in module.exports() {
        println!("export {name:?}: {ty}");
    }
    if let Some(start) = info.start {
        println!("start function: {start}");
    }
    Ok(ExitCode::SUCCESS)
}
