//! `lazuli run`: run a WASI command (its `_start`), or call one export of a module and print
//! its results. WASI modules get arguments, environment, preopened directories and the
//! process's stdin, stdout and stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use lazuli::{Config, Error, Imports, Instance, Module, Store, Val, ValType};

/// Arguments of `lazuli run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The module: binary (.wasm), text (.wat) or compiled (.lzc), told apart by content.
    file: PathBuf,
    /// Call this exported function instead of running `_start`; the arguments after the module
    /// are its parameters. A reactor's `_initialize` runs first.
    #[arg(long)]
    invoke: Option<String>,
    /// Give the program the host directory HOST, named GUEST inside (default: HOST's own name).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// Set an environment variable for the program; `NAME` alone passes this process's value
    /// (nothing if it has none).
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    envs: Vec<String>,
    /// Compile every function before running instead of on first call.
    #[arg(long)]
    eager: bool,
    /// Keep compiled code in this directory and reuse it on later runs. Tiered (the default):
    /// the code hot functions got optimized is saved at exit and the next run starts with it;
    /// with --eager or --backend llvm: the whole module compiled eagerly.
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// Worker threads for speculative compilation (default: available cores minus one; 0: off).
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
    /// Recompile a function optimized once it has run this many calls plus loop iterations
    /// (default 10,000; 0: never; 1: right after its first call).
    #[arg(long, value_name = "N")]
    tier_up: Option<u32>,
    /// Stop the program with an `interrupt` trap (exit status 1) if it runs longer than this:
    /// a number with a unit (`500ms`, `2s`, `1m`; seconds if none).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<std::time::Duration>,
    /// Most linear memory the program may hold, over all its memories: bytes, or with a unit
    /// (`512MiB`, `2GiB`, `64KiB`; default 4GiB). Declaring more fails to instantiate; growing
    /// past it fails (`memory.grow` returns -1).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_memory: Option<u64>,
    /// Most table elements the program may hold, over all its tables (default 10000000).
    #[arg(long, value_name = "N")]
    max_table_elements: Option<u64>,
    /// Most address space the program may reserve for its memories and tables: bytes, or with
    /// a unit (default 1TiB; a reserved memory takes 6GiB, a large table its largest size).
    /// A memory past it fails to instantiate; a table past it is allocated as it grows.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_reserved: Option<u64>,
    /// When the program ends, write the first tier's counts (calls plus loop iterations of
    /// each function) to FILE: a profile, named for this module by the SHA-256 of its wasm.
    /// Needs tier-up on (the default tiered mode).
    #[arg(long, value_name = "FILE")]
    profile_out: Option<std::path::PathBuf>,
    /// Most bytes of exceptions the program may hold (those it keeps; dropped ones are freed):
    /// bytes, or with a unit (default 256MiB). A `throw` past it stops the program with an
    /// error.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_exception_bytes: Option<u64>,
    /// Reserve each linear memory's 4 GiB index space plus a 2 GiB guard, so that compiled
    /// code skips the bounds checks the guard covers and faults instead (`on`, the default),
    /// or allocate memories as they are and check every access (`off`).
    #[arg(long, value_name = "on|off", default_value = "on", value_parser = crate::parse_switch,
          action = clap::ArgAction::Set)]
    memory_reservations: bool,
    #[arg(short = 'W', value_name = "FEATURE=y|n", help = crate::features_help())]
    features: Vec<String>,
    /// Allow FILE to be a precompiled module (`lazuli compile` output). Its machine code runs
    /// as it is, with this process's rights: allow only files you made or trust.
    #[arg(long)]
    allow_precompiled: bool,
    /// Profiling support: `perfmap` writes /tmp/perf-PID.map, a line per compiled function,
    /// so that `perf record` / `perf report` name the wasm functions of either tier.
    #[arg(long, value_enum, value_name = "perfmap")]
    profile: Option<Profiler>,
    /// Print compile statistics to stderr at exit.
    #[arg(long)]
    stats: bool,
    /// Code generators: tiered (baseline first, LLVM for hot code; the default), baseline
    /// (single-pass only: lazy, no eager or serialization) or llvm (LLVM only).
    #[arg(long, value_enum, default_value_t)]
    backend: crate::BackendKind,
    /// The program's arguments (after its name), or with --invoke the function's parameters.
    #[arg(allow_hyphen_values = true, trailing_var_arg = true)]
    args: Vec<String>,
}

/// What `--profile` makes for a profiler.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Profiler {
    /// `/tmp/perf-PID.map` for `perf`.
    Perfmap,
}

/// Run the module and end the process. Exit status: the program's own (`proc_exit`, or 0 when
/// `_start` returns), 1 on a trap, 2 when the module cannot be loaded or linked.
pub fn run(args: RunArgs) -> Result<ExitCode, String> {
    let mut config = Config::default().memory_reservations(args.memory_reservations);
    config.features = crate::apply_features(config.features, &args.features)?;
    let serialized = matches!(
        crate::load::read(&args.file)?,
        crate::load::Contents::Serialized
    );
    // A tiered run's cache keeps what tier-up compiled; any other keeps an eager image.
    let tiered_cache = args.cache.is_some()
        && !args.eager
        && !serialized
        && matches!(args.backend, crate::BackendKind::Tiered);
    if args.eager || (args.cache.is_some() && !tiered_cache) || serialized {
        // A serialized module was compiled eagerly; its code keeps the level it was made at.
        config = config.strategy(lazuli::backend::Strategy::Eager);
    }
    config.workers = args.workers;
    if let Some(threshold) = args.tier_up {
        config = config.tier_up(threshold);
    }
    if let Some(bytes) = args.max_memory {
        config = config.max_memory_bytes(bytes);
    }
    if let Some(elements) = args.max_table_elements {
        config = config.max_table_elements(elements);
    }
    if let Some(bytes) = args.max_exception_bytes {
        config = config.max_exception_bytes(bytes);
    }
    if let Some(bytes) = args.max_reserved {
        config = config.max_reserved_bytes(bytes);
    }
    if args.timeout.is_some() {
        config = config.epoch_interruption(true);
    }
    if let Some(Profiler::Perfmap) = args.profile {
        config = config.perf_map(true);
    }
    let engine = crate::engine(config.tiers(args.backend.into()))?;
    let timeout = args
        .timeout
        .map(|after| crate::timeout::Timeout::start(&engine, after))
        .transpose()?;
    let (module, optimized_entry) = match &args.cache {
        Some(dir) if tiered_cache => {
            let crate::load::Contents::Wasm(bytes) = crate::load::read(&args.file)? else {
                unreachable!("a serialized module is run eagerly");
            };
            let cache = crate::cache::Cache::open(dir)?;
            let (module, entry) = cache
                .load_optimized(&engine, bytes)
                .map_err(|e| format!("{}: {e}", args.file.display()))?;
            (module, Some((cache, entry)))
        }
        _ => {
            let module = crate::load::load(
                &engine,
                &args.file,
                args.cache.as_deref(),
                args.allow_precompiled,
            )?;
            (module, None)
        }
    };
    let mut store = Store::new(&engine);
    if let Some(timeout) = &timeout {
        // One epoch tick ends the run: the timer gives it when the time is up.
        store.set_epoch_deadline(1);
        timeout.running();
    }
    let imports = link(&mut store, &module, &args)?;
    let outcome =
        Instance::new(&mut store, &module, &imports).and_then(|instance| match &args.invoke {
            Some(name) => {
                if instance.get_func(&store, "_initialize").is_ok() {
                    instance
                        .get_func(&store, "_initialize")?
                        .call(&mut store, &[])?;
                }
                let func = export(&store, &module, instance, name)?;
                invoke(&mut store, func, name, &args.args)
            }
            None => {
                let start = export(&store, &module, instance, "_start")?;
                start.call(&mut store, &[]).map(|_| Vec::new())
            }
        });
    if let Some(timeout) = &timeout {
        timeout.finished();
    }
    if args.stats {
        print_stats(&module);
    }
    if let Some((cache, entry)) = &optimized_entry {
        cache.save_optimized(entry, &module);
    }
    let status = match outcome {
        Ok(results) => {
            for r in results {
                println!("{}", show(&r));
            }
            0
        }
        // Statuses outside 0-255 wrap as they do for a native process.
        Err(Error::Exit(status)) => status as u8,
        Err(Error::Trap(code)) => {
            eprintln!("error: wasm trap: {code}");
            print_backtrace(&store);
            1
        }
        Err(e) => {
            print_backtrace(&store);
            eprintln!("error: {e}");
            2
        }
    };
    if let Some(path) = &args.profile_out {
        let written = module
            .profile()
            .map_err(|e| e.to_string())
            .and_then(|p| std::fs::write(path, p.to_bytes()).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("error: cannot write the profile {}: {e}", path.display());
            exit_now(2);
        }
    }
    exit_now(status)
}

/// End the process with `status` as soon as the program is done: background compilation
/// (speculation, an optimized recompile of a large hot function) is abandoned rather than
/// waited for. `_exit` runs no exit handlers, so no LLVM global is torn down under a worker.
fn exit_now(status: u8) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: `_exit` ends the process at once; everything worth keeping is written.
    unsafe { libc::_exit(status as i32) }
}

/// The wasm frames of the last trap, innermost first, to stderr.
fn print_backtrace(store: &Store) {
    let frames = store.trap_backtrace();
    if frames.is_empty() {
        return;
    }
    eprintln!("wasm backtrace:");
    for (i, frame) in frames.iter().enumerate() {
        eprintln!("  {i:>3}: {frame}");
    }
}

/// The imports for `module`: WASI when it imports `wasi_snapshot_preview1`, nothing else.
fn link(store: &mut Store, module: &Module, args: &RunArgs) -> Result<Imports, String> {
    let mut imports = Imports::new();
    if let Some((m, n, ty)) = module
        .imports()
        .find(|(m, _, _)| *m != lazuli::wasi::MODULE)
    {
        return Err(format!(
            "the module imports `{m}`.`{n}` ({ty}); `lazuli run` provides only {}",
            lazuli::wasi::MODULE
        ));
    }
    if module.imports().len() == 0 {
        return Ok(imports);
    }
    let mut wasi = lazuli::wasi::WasiCtx::new();
    wasi.arg(args.file.file_name().map_or_else(
        || args.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    ));
    if args.invoke.is_none() {
        for a in &args.args {
            wasi.arg(a.as_str());
        }
    }
    for var in &args.envs {
        match var.split_once('=') {
            Some((k, v)) => {
                wasi.env(k, v);
            }
            None => {
                if let Some(v) = std::env::var_os(var) {
                    let v = v
                        .into_string()
                        .map_err(|_| format!("--env {var}: this process's value is not UTF-8"))?;
                    wasi.env(var, &v);
                }
            }
        }
    }
    for dir in &args.dirs {
        let (host, guest) = dir.split_once("::").unwrap_or((dir, dir));
        wasi.preopen_dir(std::path::Path::new(host), guest)
            .map_err(|e| format!("--dir {dir}: {e}"))?;
    }
    wasi.add_to_imports(store, &mut imports)
        .map_err(|e| e.to_string())?;
    Ok(imports)
}

/// The exported function `name`, or an error listing the functions there are.
fn export(
    store: &Store,
    module: &Module,
    instance: Instance,
    name: &str,
) -> Result<lazuli::Func, Error> {
    instance.get_func(store, name).map_err(|_| {
        let exports: Vec<String> = module
            .exports()
            .filter(|(_, t)| matches!(t, lazuli::ExternType::Func(_)))
            .map(|(n, _)| n.to_string())
            .collect();
        Error::Usage(format!(
            "no exported function `{name}`; exported functions: {}",
            exports.join(", ")
        ))
    })
}

/// Call `func` with parameters parsed from the command line.
fn invoke(
    store: &mut Store,
    func: lazuli::Func,
    name: &str,
    args: &[String],
) -> Result<Vec<Val>, Error> {
    let ty = func.ty(store)?;
    if ty.params().len() != args.len() {
        return Err(Error::Usage(format!(
            "`{name}` has type {ty}: expected {} arguments, got {}",
            ty.params().len(),
            args.len()
        )));
    }
    let params = ty
        .params()
        .iter()
        .zip(args)
        .map(|(t, a)| parse_arg(*t, a))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Usage)?;
    func.call(store, &params)
}

fn print_stats(module: &Module) {
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
    let tier = |name: &str, functions: u32, bytes: u64, nanos: u64| {
        if bytes > 0 {
            eprintln!(
                "stats: {name} tier: {functions} functions, {:.1} KB of wasm in {:.2} ms ({:.2} MB/s)",
                bytes as f64 / 1e3,
                nanos as f64 / 1e6,
                bytes as f64 / 1e6 / (nanos.max(1) as f64 / 1e9)
            );
        }
    };
    tier("baseline", s.baseline, s.baseline_bytes, s.baseline_nanos);
    tier(
        "optimized",
        s.optimized,
        s.optimized_bytes,
        s.optimized_nanos,
    );
    if s.optimized > 0 && s.tier_up_wait_nanos > 0 {
        eprintln!(
            "stats: hot functions waited {:.2} ms on average from tier-up request to optimized code",
            s.tier_up_wait_nanos as f64 / 1e6 / s.optimized as f64
        );
    }
    if s.first_tier_iterations > 0 {
        eprintln!(
            "stats: first-tier loops ran {} iterations, {} ({:.1}%) of them in functions whose optimized code was installed already (frames entered before it)",
            s.first_tier_iterations,
            s.iterations_after_tier_up,
            100.0 * s.iterations_after_tier_up as f64 / s.first_tier_iterations as f64
        );
    }
    if s.optimized_loaded > 0 {
        eprintln!(
            "stats: {} functions started with optimized code an earlier run saved (--cache)",
            s.optimized_loaded
        );
    }
    if s.osr_entries > 0 {
        eprintln!(
            "stats: {} OSR entries compiled, to move long-running first-tier loops into optimized code",
            s.osr_entries
        );
    }
    if s.tier_up_failures > 0 {
        let why = module
            .last_compile_error()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        eprintln!(
            "stats: {} hot functions could not be recompiled optimized and stay on first-tier code{why}",
            s.tier_up_failures
        );
    }
}

/// A size in bytes such as `65536`, `64KiB`, `512MiB` or `4GiB` (also `K`, `M`, `G`).
fn parse_size(text: &str) -> Result<u64, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (try 512MiB or 4GiB)"))?;
    let scale: u64 = match unit {
        "" | "B" => 1,
        "K" | "KiB" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        "G" | "GiB" => 1 << 30,
        "T" | "TiB" => 1 << 40,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}` (use KiB, MiB or GiB)"
            ))
        }
    };
    value
        .checked_mul(scale)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// A duration such as `1.5s`, `500ms`, `2m` or `10` (seconds).
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (try 500ms, 2s or 1m)"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1e3,
        "us" | "µs" => value / 1e6,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}` (use ms, s, m or h)"
            ))
        }
    };
    std::time::Duration::try_from_secs_f64(seconds)
        .map_err(|e| format!("`{text}` is not a usable duration: {e}"))
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
        Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) => "null".into(),
        Val::FuncRef(Some(f)) => format!("{f}"),
        Val::ExternRef(Some(_)) => "externref".into(),
        Val::ExnRef(Some(_)) => "exnref".into(),
    }
}
