//! `lazuli run`: instantiate a module and call one of its exports, printing the results.

use std::path::PathBuf;
use std::process::ExitCode;

use lazuli_core::{Config, Error, Imports, Instance, Store, Val, ValType};

/// Arguments of `lazuli run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The module: binary (.wasm) or text (.wat), told apart by content.
    file: PathBuf,
    /// The exported function to call (default: `_start`).
    #[arg(long)]
    invoke: Option<String>,
    /// Compile every function before running instead of on first call.
    #[arg(long)]
    eager: bool,
    /// Keep compiled code in this directory and reuse it on later runs (implies --eager).
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// Worker threads for speculative compilation (default: available cores minus one; 0: off).
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
    /// Print compile statistics to stderr at exit.
    #[arg(long)]
    stats: bool,
    /// Arguments for the function, parsed by its parameter types.
    #[arg(allow_hyphen_values = true, trailing_var_arg = true)]
    args: Vec<String>,
}

/// Run the function; exit status 0, or 1 on a trap, 2 on other errors.
pub fn run(args: RunArgs) -> Result<ExitCode, String> {
    let mut config = Config::default();
    let serialized = matches!(
        crate::load::read(&args.file)?,
        crate::load::Contents::Serialized(_)
    );
    if args.eager || args.cache.is_some() || serialized {
        // A serialized module was compiled eagerly (with the default level of `compile`).
        config = config.strategy(lazuli_core::backend::Strategy::Eager);
    }
    config.workers = args.workers;
    let engine = lazuli_tests::llvm_engine(config);
    let module = crate::load::load(&engine, &args.file, args.cache.as_deref())?;
    let mut store = Store::new(&engine);
    if let Some((m, n, ty)) = module.imports().next() {
        return Err(format!(
            "the module imports `{m}`.`{n}` ({ty}); `lazuli run` provides no imports yet"
        ));
    }
    let instance = match Instance::new(&mut store, &module, &Imports::new()) {
        Ok(i) => i,
        Err(Error::Trap(code)) => {
            eprintln!("trap during instantiation: {code}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.to_string()),
    };
    let name = args.invoke.as_deref().unwrap_or("_start");
    let func = instance.get_func(&store, name).map_err(|_| {
        let exports: Vec<String> = module
            .exports()
            .filter(|(_, t)| matches!(t, lazuli_core::ExternType::Func(_)))
            .map(|(n, _)| n.to_string())
            .collect();
        format!(
            "no exported function `{name}`; exported functions: {}",
            exports.join(", ")
        )
    })?;
    let ty = func.ty(&store).map_err(|e| e.to_string())?;
    if ty.params().len() != args.args.len() {
        return Err(format!(
            "`{name}` has type {ty}: expected {} arguments, got {}",
            ty.params().len(),
            args.args.len()
        ));
    }
    let params = ty
        .params()
        .iter()
        .zip(&args.args)
        .map(|(t, a)| parse_arg(*t, a))
        .collect::<Result<Vec<_>, _>>()?;
    let outcome = func.call(&mut store, &params);
    if args.stats {
        let s = module.stats();
        eprintln!(
            "stats: {} functions defined; compiled {} baseline, {} optimized ({} speculatively); compiling took {:.2} ms; callers waited {:.2} ms",
            module.info().bodies.len(),
            s.baseline,
            s.optimized,
            s.speculative,
            s.compile_nanos as f64 / 1e6,
            s.wait_nanos as f64 / 1e6
        );
    }
    match outcome {
        Ok(results) => {
            for r in results {
                println!("{}", show(&r));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(Error::Trap(code)) => {
            eprintln!("trap: {code}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.to_string()),
    }
}

fn parse_int(text: &str) -> Option<i128> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let value = match digits.strip_prefix("0x") {
        Some(hex) => i128::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<i128>().ok()?,
    };
    Some(if neg { -value } else { value })
}

fn parse_arg(ty: ValType, text: &str) -> Result<Val, String> {
    let bad = || format!("`{text}` is not a valid {ty}");
    Ok(match ty {
        ValType::I32 => {
            let v = parse_int(text)
                .filter(|v| *v >= i32::MIN as i128 && *v <= u32::MAX as i128)
                .ok_or_else(bad)?;
            Val::I32(v as u32 as i32)
        }
        ValType::I64 => {
            let v = parse_int(text)
                .filter(|v| *v >= i64::MIN as i128 && *v <= u64::MAX as i128)
                .ok_or_else(bad)?;
            Val::I64(v as u64 as i64)
        }
        ValType::F32 => Val::from(text.parse::<f32>().map_err(|_| bad())?),
        ValType::F64 => Val::from(text.parse::<f64>().map_err(|_| bad())?),
        other => {
            return Err(format!(
                "arguments of type {other} cannot be given on the command line"
            ))
        }
    })
}

fn show(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(bits) => f32::from_bits(*bits).to_string(),
        Val::F64(bits) => f64::from_bits(*bits).to_string(),
        Val::V128(x) => format!("{x:#034x}"),
        Val::FuncRef(None) | Val::ExternRef(None) => "null".into(),
        Val::FuncRef(Some(f)) => format!("{f}"),
        Val::ExternRef(Some(_)) => "externref".into(),
    }
}
