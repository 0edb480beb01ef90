//! JIT memory that cannot be had is an error for the compile that needed it, never an abort:
//! with every code region of the process taken (what thousands of live modules do), and under
//! an address-space limit (`ulimit -v`). LLVM ends the process when its linker gets no memory,
//! so each case runs in a child process (this test binary run again): an abort fails the test,
//! not the test run.

use std::process::Command;
use std::time::{Duration, Instant};

use lazuli_core::backend::fault_regions;
use lazuli_core::{Config, Engine, Error, Imports, Instance, Module, Store, Tiers};

/// The environment variable that tells a child which case to run.
const CHILD: &str = "LAZULI_JIT_MEMORY_CHILD";
/// A child's exit status when the compile failed with a clean error.
const CLEAN_ERROR: i32 = 3;

/// `sum(n)`: 0 + 1 + ... + (n - 1), with a loop (so that it gets hot).
const SUM: &str = r#"(module
  (func (export "sum") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (i32.add (local.get $s) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $s)))"#;

/// Run test `name` again in a child process with `CHILD=case`; its status and stderr.
fn child(name: &str, case: &str) -> (std::process::ExitStatus, String) {
    let out = Command::new(std::env::current_exe().expect("the test binary"))
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, case)
        .output()
        .expect("run the test binary");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn instance(engine: &Engine) -> (Store, Instance) {
    let module = Module::from_wat(engine, SUM).expect("module");
    let mut store = Store::new(engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).expect("instance");
    (store, instance)
}

fn sum(store: &mut Store, instance: &Instance, n: i32) -> Result<i32, Error> {
    instance
        .get_typed_func::<i32, i32>(store, "sum")?
        .call(store, n)
}

/// Take every free code region of the process; dropping the result gives them back.
fn take_every_code_region() -> Vec<fault_regions::Region> {
    // Addresses no code uses: a fault there is nobody's, and nothing runs from them.
    let base = 0x7000_0000_0000usize;
    (0..)
        .map_while(|i| fault_regions::CODE.register(base + i * 4096, 4096))
        .collect()
}

#[test]
fn no_code_region_left_is_a_compile_error_and_a_retry_succeeds() {
    if let Ok(case) = std::env::var(CHILD) {
        let tiers = if case == "llvm" {
            Tiers::OptimizingOnly
        } else {
            Tiers::BaselineOnly
        };
        let engine = lazuli_tests::engine(Config::default().workers(0).tiers(tiers)).unwrap();
        let (mut store, instance) = instance(&engine);
        let taken = take_every_code_region();
        let result = sum(&mut store, &instance, 10);
        eprintln!("with no region left: {result:?}");
        let Err(error) = result else {
            std::process::exit(0);
        };
        // Memory freed, the same call compiles and runs.
        drop(taken);
        assert_eq!(
            sum(&mut store, &instance, 10).expect("after the regions are back"),
            45
        );
        if format!("{error:?}").contains("out of memory for compiled code") {
            std::process::exit(CLEAN_ERROR);
        }
        std::process::exit(1);
    }
    for case in ["llvm", "baseline"] {
        let (status, stderr) = child(
            "no_code_region_left_is_a_compile_error_and_a_retry_succeeds",
            case,
        );
        assert_eq!(
            status.code(),
            Some(CLEAN_ERROR),
            "{case}: {status}\n{stderr}"
        );
    }
}

/// A tier-up that finds no memory leaves the function on baseline code, says so in the stats,
/// and is asked for again once the function is hot again: with memory back, it succeeds.
#[test]
fn a_tier_up_without_memory_leaves_the_function_on_baseline_code() {
    if std::env::var(CHILD).is_ok() {
        let config = Config::default()
            .workers(1)
            .tiers(Tiers::Tiered)
            .tier_up(1000);
        let engine = lazuli_tests::engine(config).unwrap();
        let module = Module::from_wat(&engine, SUM).expect("module");
        let mut store = Store::new(&engine);
        let instance = Instance::new(&mut store, &module, &Imports::new()).expect("instance");
        // Compiled by the baseline backend, not yet hot.
        assert_eq!(sum(&mut store, &instance, 10).unwrap(), 45);
        let taken = take_every_code_region();
        // Hot now: the worker's optimized recompile finds no memory.
        assert_eq!(sum(&mut store, &instance, 100_000).unwrap(), 704_982_704);
        let deadline = Instant::now() + Duration::from_secs(60);
        while module.stats().tier_up_failures == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let stats = module.stats();
        // The function's recompile failed, and so may its loop's OSR entry if the frame asked
        // for one meanwhile: one or two failures, no optimized code.
        assert!(
            (1..=2).contains(&stats.tier_up_failures) && stats.optimized == 0,
            "{stats:?}"
        );
        let error = module.last_compile_error().expect("the failure is kept");
        assert!(error.to_string().contains("out of memory"), "{error}");
        // Still running on baseline code.
        assert_eq!(sum(&mut store, &instance, 100_000).unwrap(), 704_982_704);
        // Memory freed, the function asks again once hot again, and gets its optimized code.
        drop(taken);
        let deadline = Instant::now() + Duration::from_secs(60);
        while module.stats().optimized == 0 && Instant::now() < deadline {
            assert_eq!(sum(&mut store, &instance, 2_000).unwrap(), 1_999_000);
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(module.stats().optimized, 1);
        assert_eq!(sum(&mut store, &instance, 100_000).unwrap(), 704_982_704);
        std::process::exit(CLEAN_ERROR);
    }
    let (status, stderr) = child(
        "a_tier_up_without_memory_leaves_the_function_on_baseline_code",
        "tiered",
    );
    assert_eq!(status.code(), Some(CLEAN_ERROR), "{status}\n{stderr}");
}

/// The process's address space in bytes (`VmSize`).
fn address_space() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmSize");
    kib * 1024
}

#[test]
fn an_address_space_limit_is_a_compile_error() {
    if let Ok(case) = std::env::var(CHILD) {
        let headroom: u64 = case.parse().expect("headroom in MiB");
        let engine =
            lazuli_tests::engine(Config::default().workers(0).tiers(Tiers::OptimizingOnly))
                .unwrap();
        let (mut store, instance) = instance(&engine);
        let limit = address_space() + (headroom << 20);
        let rlimit = libc::rlimit {
            rlim_cur: limit,
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: a plain system call on this process's own limit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &rlimit) }, 0);
        match sum(&mut store, &instance, 10) {
            Ok(45) => std::process::exit(0),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(CLEAN_ERROR)
            }
            Ok(other) => panic!("sum(10) = {other}"),
        }
    }
    // From too little for a slab of JIT memory to enough for the whole run: each ends in a
    // result or a clean error, and the smallest is the error.
    let mut errors = 0;
    for headroom in [0, 1, 2, 8, 32, 100, 400] {
        let (status, stderr) = child(
            "an_address_space_limit_is_a_compile_error",
            &headroom.to_string(),
        );
        match status.code() {
            Some(0) => {}
            Some(CLEAN_ERROR) => errors += 1,
            _ => panic!("{headroom} MiB of headroom: {status}\n{stderr}"),
        }
    }
    assert!(errors > 0, "no limit was tight enough to fail");
}

/// Code memory grows with what a module compiles (slabs from 256 KiB up, not 64 MiB at once):
/// 200 small modules, in every backend, fit in 2 GiB of address space (they took 128 MiB
/// each before, and all but a dozen failed).
#[test]
fn many_small_modules_fit_in_a_small_address_space() {
    if let Ok(case) = std::env::var(CHILD) {
        let tiers = match case.as_str() {
            "llvm" => Tiers::OptimizingOnly,
            "baseline" => Tiers::BaselineOnly,
            _ => Tiers::Tiered,
        };
        let engine = lazuli_tests::engine(Config::default().workers(0).tiers(tiers)).unwrap();
        let rlimit = libc::rlimit {
            rlim_cur: address_space() + (2 << 30),
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: a plain system call on this process's own limit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &rlimit) }, 0);
        let mut kept = Vec::new();
        for i in 0..200 {
            let (mut store, instance) = instance(&engine);
            match sum(&mut store, &instance, i) {
                Ok(s) => assert_eq!(s, i * (i - 1).max(0) / 2),
                Err(e) => {
                    eprintln!("module {i}: {e}");
                    std::process::exit(CLEAN_ERROR);
                }
            }
            kept.push((store, instance));
        }
        std::process::exit(0);
    }
    for case in ["tiered", "baseline", "llvm"] {
        let (status, stderr) = child("many_small_modules_fit_in_a_small_address_space", case);
        assert_eq!(status.code(), Some(0), "{case}: {status}\n{stderr}");
    }
}
