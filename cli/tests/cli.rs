//! The `lazuli` command end to end: run, traps, compile, serialized modules told apart by
//! content, and the cache.

use std::path::PathBuf;
use std::process::{Command, Output};

fn lazuli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lazuli"))
        .args(args)
        .output()
        .expect("lazuli runs")
}

/// `lazuli` with its cache key kept in a configuration directory of the test's own.
fn lazuli_with_config(args: &[&str], config: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lazuli"))
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .output()
        .expect("lazuli runs")
}

/// `lazuli run --eager --cache DIR example --invoke fac 5` (the cache of whole compiled
/// modules), with the cache key under `config`.
fn cached_fac5(dir: &std::path::Path, config: &std::path::Path) -> Output {
    let dir = dir.to_str().unwrap();
    let args = [
        "run",
        "--eager",
        &example(),
        "--cache",
        dir,
        "--invoke",
        "fac",
        "5",
    ];
    lazuli_with_config(&args, config)
}

/// The example compiled to `lzc`, then forged as an attacker would: a byte of its code changed
/// and the checksum recomputed, so that only trust can tell it apart.
fn forged_blob(lzc: &std::path::Path) -> Vec<u8> {
    let out = lazuli(&["compile", &example(), "-o", lzc.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let mut forged = std::fs::read(lzc).unwrap();
    let body = forged.len() - 4;
    // Somewhere in the backend's object (the last part before the checksum).
    forged[body - 64] ^= 0x90;
    let crc = crc32fast::hash(&forged[..body]);
    forged[body..].copy_from_slice(&crc.to_le_bytes());
    forged
}

fn example() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/hello.wat").to_string()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lazuli-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn run_prints_results() {
    let out = lazuli(&["run", &example(), "--invoke", "fac", "20"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "2432902008176640000\n"
    );
    let out = lazuli(&["run", &example(), "--invoke", "greeting"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "16\n18\n");
}

#[test]
fn a_trap_prints_its_kind_and_exits_nonzero() {
    let wat = temp("div.wat");
    std::fs::write(&wat, r#"(module (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s))"#).unwrap();
    let out = lazuli(&["run", wat.to_str().unwrap(), "--invoke", "div", "1", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("integer divide by zero"),
        "{out:?}"
    );
    let out = lazuli(&["run", wat.to_str().unwrap(), "--invoke", "div", "-7", "2"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "-3\n");
}

#[test]
fn compiled_modules_run_whatever_their_name() {
    let lzc = temp("hello.lzc");
    let out = lazuli(&["compile", &example(), "-o", lzc.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    // Progress is for terminals only: nothing of it when stderr is a pipe.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("\r"));
    let renamed = temp("looks-like.wasm");
    std::fs::copy(&lzc, &renamed).unwrap();
    for file in [&lzc, &renamed] {
        let out = lazuli(&[
            "run",
            "--allow-precompiled",
            file.to_str().unwrap(),
            "--invoke",
            "fac_iter",
            "10",
        ]);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "3628800\n", "{out:?}");
    }
    let mut damaged = std::fs::read(&lzc).unwrap();
    let at = damaged.len() / 2;
    damaged[at] ^= 0x40;
    let bad = temp("damaged.lzc");
    std::fs::write(&bad, damaged).unwrap();
    let out = lazuli(&[
        "run",
        "--allow-precompiled",
        bad.to_str().unwrap(),
        "--invoke",
        "fac",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("checksum"),
        "{out:?}"
    );
}

/// A forged blob: its code changed and its checksum recomputed, as an attacker would. The
/// checksum cannot tell; only the user's explicit permission lets any `.lzc` run.
#[test]
fn precompiled_modules_run_only_with_the_flag() {
    let lzc = temp("forge.lzc");
    let forged = forged_blob(&lzc);
    let forged_path = temp("forged.wasm");
    std::fs::write(&forged_path, &forged).unwrap();
    for file in [&lzc, &forged_path] {
        let out = lazuli(&["run", file.to_str().unwrap(), "--invoke", "fac", "3"]);
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("precompiled") && stderr.contains("--allow-precompiled"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn the_cache_reuses_good_entries_and_recompiles_damaged_ones() {
    let dir = temp("cache");
    let config = temp("config");
    let run = || cached_fac5(&dir, &config);
    assert_eq!(String::from_utf8_lossy(&run().stdout), "120\n");
    let entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1);
    let out = run();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "120\n");
    assert!(
        out.stderr.is_empty(),
        "a good entry is used silently: {out:?}"
    );
    let mut bytes = std::fs::read(&entries[0]).unwrap();
    let at = bytes.len() - 10;
    bytes[at] ^= 1;
    std::fs::write(&entries[0], bytes).unwrap();
    let out = run();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "120\n");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("recompiling"),
        "{out:?}"
    );
    let out = run();
    assert!(out.stderr.is_empty(), "the entry was rewritten: {out:?}");
}

/// A huge sparse file in place of an entry is refused without reading or allocating its
/// length (it was allocated up front), and the module is recompiled.
#[test]
fn a_huge_file_in_place_of_an_entry_is_not_read() {
    let dir = temp("cache-huge");
    let config = temp("config-huge");
    assert_eq!(
        String::from_utf8_lossy(&cached_fac5(&dir, &config).stdout),
        "120\n"
    );
    let entry = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&entry)
        .unwrap();
    // 1 TiB, of which nothing is stored.
    file.set_len(1 << 40).unwrap();
    drop(file);
    let out = cached_fac5(&dir, &config);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "120\n", "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("more than an entry for this module can be")
            && stderr.contains("recompiling"),
        "{stderr}"
    );
    assert!(
        std::fs::metadata(&entry).unwrap().len() < 1 << 20,
        "rewritten"
    );
}

/// An authentic entry compiled from another module, under this module's name (as a collision
/// of the names' hashes would put it), is recompiled, not run: the entry records its wasm's
/// digest.
#[test]
fn a_cache_entry_of_another_module_is_not_loaded() {
    let dir = temp("cache-swap");
    let config = temp("config-swap");
    let other = temp("other.wat");
    std::fs::write(
        &other,
        r#"(module (func (export "fac") (param i64) (result i64) (i64.const 7)))"#,
    )
    .unwrap();
    let entries = || -> Vec<PathBuf> {
        std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    };
    let dir_arg = dir.to_str().unwrap();
    let args = [
        "run",
        "--eager",
        other.to_str().unwrap(),
        "--cache",
        dir_arg,
        "--invoke",
        "fac",
        "5",
    ];
    let out = lazuli_with_config(&args, &config);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "7\n", "{out:?}");
    let [others] = &entries()[..] else {
        panic!("one entry")
    };
    let others = std::fs::read(others).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&cached_fac5(&dir, &config).stdout),
        "120\n"
    );
    for entry in entries() {
        std::fs::write(entry, &others).unwrap();
    }
    let out = cached_fac5(&dir, &config);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "120\n", "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("holds another module; recompiling"),
        "{out:?}"
    );
}

#[test]
fn a_reactor_is_initialized_before_invoke() {
    let wat = temp("reactor.wat");
    std::fs::write(
        &wat,
        r#"(module
            (global $ready (mut i32) (i32.const 0))
            (func (export "_initialize") (global.set $ready (i32.const 40)))
            (func (export "answer") (param i32) (result i32) (i32.add (global.get $ready) (local.get 0))))"#,
    )
    .unwrap();
    let out = lazuli(&["run", "--invoke", "answer", wat.to_str().unwrap(), "2"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "42\n");
}

#[test]
fn a_module_importing_something_other_than_wasi_is_refused_clearly() {
    let wat = temp("env-import.wat");
    std::fs::write(
        &wat,
        r#"(module (import "env" "f" (func)) (func (export "_start")))"#,
    )
    .unwrap();
    let out = lazuli(&["run", wat.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`env`.`f`") && stderr.contains("wasi_snapshot_preview1"),
        "{stderr}"
    );
}

/// Whoever can write the cache directory cannot make Lazuli run their code: an entry forged
/// around other code (a valid blob with a valid checksum, and a tag made without the user's key)
/// is recompiled; a symbolic link planted where the entry goes leaves its target untouched; a
/// directory others can write is refused.
#[test]
fn the_cache_trusts_nothing_in_its_directory() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp("cache-forge");
    let config = temp("config-forge");
    let cached_run = |dir: &std::path::Path| cached_fac5(dir, &config);
    assert_eq!(String::from_utf8_lossy(&cached_run(&dir).stdout), "120\n");
    let key = config.join("lazuli/cache-key");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let entry = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();

    // Forged: the same module's blob with its code changed and the checksum recomputed, then a
    // tag of the right length.
    let mut forged = forged_blob(&temp("forge-src.lzc"));
    forged.extend_from_slice(&[0x5a; 32]);
    std::fs::write(&entry, &forged).unwrap();
    let out = cached_run(&dir);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "120\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not authenticated") && stderr.contains("recompiling"),
        "{stderr}"
    );
    assert_ne!(
        std::fs::read(&entry).unwrap(),
        forged,
        "the entry was rewritten"
    );

    // Planted: the entry is a symbolic link to a victim file outside the cache.
    let victim = temp("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::remove_file(&entry).unwrap();
    std::os::unix::fs::symlink(&victim, &entry).unwrap();
    let out = cached_run(&dir);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "120\n", "{out:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::symlink_metadata(&entry)
        .unwrap()
        .file_type()
        .is_file());
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");

    // A directory that other users can write is refused.
    let open_dir = temp("cache-world-writable");
    std::fs::create_dir_all(&open_dir).unwrap();
    std::fs::set_permissions(&open_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = cached_run(&open_dir);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("other users could write"), "{stderr}");
    assert_eq!(std::fs::read_dir(&open_dir).unwrap().count(), 0);
}

/// A function whose frame is larger than the stack reserve, entered near the limit, ends in the
/// stack-exhaustion trap, in every mode (`tests/tests/stack.rs` proves the frame never lands
/// below the stack).
#[test]
fn a_huge_frame_near_the_stack_limit_is_a_trap() {
    let wat = temp("big-frame.wat");
    std::fs::write(&wat, lazuli_tests::generated::big_frame_module()).unwrap();
    for mode in [&[][..], &["--eager"], &["--tier-up", "1"]] {
        let mut args = vec!["run"];
        args.extend_from_slice(mode);
        args.extend_from_slice(&[wat.to_str().unwrap(), "--invoke", "sweep", "0"]);
        let out = lazuli(&args);
        assert_eq!(out.status.code(), Some(1), "{mode:?}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .starts_with("error: wasm trap: call stack exhausted"),
            "{mode:?}: {out:?}"
        );
    }
}

/// `--timeout` stops a guest that never ends with the interrupt trap, in every mode.
#[test]
fn a_timeout_interrupts_an_endless_loop() {
    let wat = temp("spin.wat");
    std::fs::write(&wat, r#"(module (func (export "_start") (loop (br 0))))"#).unwrap();
    for mode in [&[][..], &["--eager"], &["--tier-up", "1"]] {
        let mut args = vec!["run", "--timeout", "1s"];
        args.extend_from_slice(mode);
        args.push(wat.to_str().unwrap());
        let started = std::time::Instant::now();
        let out = lazuli(&args);
        let took = started.elapsed();
        assert_eq!(out.status.code(), Some(1), "{mode:?}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("error: wasm trap: interrupt"),
            "{mode:?}: {out:?}"
        );
        // Not a timing assertion: only that the run ended because of the timeout and not
        // long after it (a loaded machine may add a little).
        assert!(took >= std::time::Duration::from_secs(1), "{took:?}");
        assert!(took < std::time::Duration::from_secs(30), "{took:?}");
    }
    let out = lazuli(&["run", "--timeout", "soon", wat.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a duration"));
}

/// `--timeout` also stops a guest waiting in WASI, where no compiled code runs to check it: a
/// 30-second `poll_oneoff` sleep, and a read of a standard input that never gets data.
#[test]
fn a_timeout_interrupts_a_sleep_and_a_waiting_read() {
    let sleep = temp("sleep.wat");
    std::fs::write(
        &sleep,
        r#"(module
          (import "wasi_snapshot_preview1" "poll_oneoff"
            (func $poll (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "_start")
            ;; One clock subscription: monotonic clock, 30 s from now.
            (i32.store (i32.const 16) (i32.const 1))
            (i64.store (i32.const 24) (i64.const 30000000000))
            (drop (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))))"#,
    )
    .unwrap();
    let read = temp("read.wat");
    std::fs::write(
        &read,
        r#"(module
          (import "wasi_snapshot_preview1" "fd_read"
            (func $read (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "_start")
            (i32.store (i32.const 0) (i32.const 100))
            (i32.store (i32.const 4) (i32.const 10))
            (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 50)))))"#,
    )
    .unwrap();
    for wat in [&sleep, &read] {
        let started = std::time::Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_lazuli"))
            .args(["run", "--timeout", "300ms", wat.to_str().unwrap()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Standard input stays open and empty until the run ends.
        let stdin = child.stdin.take();
        let out = child.wait_with_output().unwrap();
        drop(stdin);
        let took = started.elapsed();
        assert_eq!(out.status.code(), Some(1), "{wat:?}: {out:?}");
        // The wait stopped for the deadline: the trap, not the timer's last resort.
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("error: wasm trap: interrupt\n"),
            "{wat:?}: {out:?}"
        );
        // Not a timing assertion: the run ended because of the timeout, long before the
        // sleep's 30 seconds (or never, for the read).
        eprintln!("{wat:?}: {took:?}");
        assert!(took < std::time::Duration::from_secs(15), "{took:?}");
    }
}

/// `--timeout` stops a compile in progress: the first call of a function of 1.2 million
/// operators, which takes seconds to compile in this build, ends with the interrupt trap long
/// before the compile would have ended; so do an eager compile of it, and LLVM's lazy one.
#[test]
fn a_timeout_interrupts_a_long_compile() {
    let wasm = temp("huge.wasm");
    let body = "(local.set 0 (i32.add (local.get 0) (i32.const 1)))\n".repeat(300_000);
    let text =
        format!(r#"(module (func (export "f") (param i32) (result i32) {body} (local.get 0)))"#);
    std::fs::write(&wasm, wat::parse_str(text).unwrap()).unwrap();
    let wat = wasm.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--backend", "baseline", "--stats"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[wat, "--invoke", "f", "1"]);
        let started = std::time::Instant::now();
        let out = lazuli(&args);
        (out, started.elapsed())
    };
    let (whole, untimed) = run(&[]);
    assert_eq!(
        String::from_utf8_lossy(&whole.stdout),
        "300001\n",
        "{whole:?}"
    );
    let stats = String::from_utf8_lossy(&whole.stderr);
    let compile_ms: f64 = stats
        .split("KB of wasm in ")
        .nth(1)
        .and_then(|s| s.split(" ms").next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{stats}"));
    // A deadline a tenth of the way into the compile (the timer starts before the module is
    // read, and all but the compile is start-up). On a loaded machine start-up may take longer
    // than it did untimed, and the timer then ends the run while the module still loads (also
    // right, but not what this test is about): the deadline moves later, up to 40% of the way.
    let before_compile = untimed.as_secs_f64() * 1e3 - compile_ms;
    let mut tried = Vec::new();
    let (out, timed, fraction) = loop {
        let fraction = [0.1, 0.25, 0.4][tried.len()];
        let timeout = format!(
            "{}ms",
            (before_compile + compile_ms * fraction).max(10.0) as u64
        );
        let (out, timed) = run(&["--timeout", &timeout]);
        eprintln!(
            "compile {compile_ms} ms, whole run {untimed:?}; with --timeout {timeout}: {timed:?}"
        );
        let while_loading =
            String::from_utf8_lossy(&out.stderr).contains("while the module was loaded");
        tried.push(timeout);
        if !while_loading || tried.len() == 3 {
            break (out, timed, fraction);
        }
    };
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    // The trap of the call (the timer ending a run still loading says more).
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("error: wasm trap: interrupt\n"),
        "deadlines {tried:?}: {out:?}"
    );
    // The run saved at least half of the compile left after the deadline (without the check
    // it compiled to the end and trapped at the function's entry).
    let half = std::time::Duration::from_secs_f64(compile_ms * (1.0 - fraction) / 2e3);
    assert!(
        timed + half < untimed,
        "with the deadline {timed:?}, without {untimed:?}, compile {compile_ms} ms"
    );

    // Compiled eagerly by LLVM, the same function takes minutes: the timer ends the run while
    // the module is still compiling, with the interrupt's message and status. LLVM alone
    // compiles it lazily: its passes cannot stop midway, and the timer ends the run 100 ms
    // after the deadline.
    for mode in ["--eager", "--backend=llvm"] {
        let started = std::time::Instant::now();
        let out = lazuli(&["run", mode, "--timeout", "500ms", wat, "--invoke", "f", "1"]);
        let took = started.elapsed();
        eprintln!("{mode} with --timeout 500ms: {took:?}");
        assert_eq!(out.status.code(), Some(1), "{mode}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("error: wasm trap: interrupt"),
            "{mode}: {out:?}"
        );
        assert!(
            took < std::time::Duration::from_secs(15),
            "{mode}: {took:?}"
        );
    }
}

/// A program that calls 100,000 functions compiles each lazily, in one process: compiled code
/// comes from a few large slabs, not a memory mapping or more per function (the kernel allows
/// about 65,000).
#[test]
fn a_hundred_thousand_functions_compile_lazily() {
    let wat = temp("many.wat");
    std::fs::write(
        &wat,
        lazuli_tests::generated::many_functions_module(100_000),
    )
    .unwrap();
    let out = lazuli(&["run", "--stats", wat.to_str().unwrap(), "--invoke", "main"]);
    assert!(out.status.success(), "{out:?}");
    let expected = (100_000u64 * 99_999 / 2) as u32 as i32;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{expected}\n")
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("100001 functions defined"), "{stderr}");
}

/// `--max-memory` bounds what a module may declare, with an error naming the limit.
#[test]
fn a_module_over_the_memory_limit_is_refused_by_name() {
    let wat = temp("big-memory.wat");
    std::fs::write(&wat, r#"(module (memory 32) (func (export "f")))"#).unwrap();
    let out = lazuli(&[
        "run",
        "--max-memory",
        "1MiB",
        wat.to_str().unwrap(),
        "--invoke",
        "f",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("resource limit") && stderr.contains("--max-memory"),
        "{stderr}"
    );
    let out = lazuli(&[
        "run",
        "--max-memory",
        "2MiB",
        wat.to_str().unwrap(),
        "--invoke",
        "f",
    ]);
    assert!(out.status.success(), "{out:?}");
}

/// A module serialized by a build on LLVM 19 (`tests/fixtures/hello-llvm19.lzc`) is refused
/// with the LLVM versions named, never loaded.
#[test]
fn code_made_with_another_llvm_is_refused() {
    let blob = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/hello-llvm19.lzc"
    );
    let out = lazuli(&["run", "--allow-precompiled", blob, "--invoke", "fac", "5"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("LLVM version `19.") && stderr.contains("this host has `22."),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

/// `lazuli compile --opt-level 0` output runs with `lazuli run`: the level is the blob's own.
#[test]
fn a_module_compiled_at_level_0_runs() {
    let lzc = temp("level0.lzc");
    let out = lazuli(&[
        "compile",
        "--opt-level",
        "0",
        &example(),
        "-o",
        lzc.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let lzc = lzc.to_str().unwrap();
    let out = lazuli(&["run", "--allow-precompiled", lzc, "--invoke", "fac", "5"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "120\n");
}

/// `--profile-out` writes the first tier's counts after the run, named for the module; where
/// nothing counts (the single-pass backend alone has no tier-up) it says so and fails.
#[test]
fn a_run_writes_its_profile() {
    let profile = temp("fac.prof");
    let out = lazuli(&[
        "run",
        "--profile-out",
        profile.to_str().unwrap(),
        &example(),
        "--invoke",
        "fac",
        "10",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "3628800\n");
    let bytes = std::fs::read(&profile).unwrap();
    assert!(bytes.starts_with(b"LZPROF\0\x01"), "{bytes:?}");
    let counts: Vec<u32> = bytes[48..]
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert!(counts.iter().any(|&c| c >= 10), "{counts:?}");

    // `lazuli compile` takes the profile of its module, and refuses another module's.
    let compiled = temp("fac-profiled.lzc");
    let out = lazuli(&[
        "compile",
        "--profile",
        profile.to_str().unwrap(),
        &example(),
        "-o",
        compiled.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let out = lazuli(&[
        "run",
        "--allow-precompiled",
        compiled.to_str().unwrap(),
        "--invoke",
        "fac",
        "10",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "3628800\n", "{out:?}");
    let other = temp("other.wat");
    std::fs::write(&other, "(module (func (export \"f\")))").unwrap();
    let out = lazuli(&[
        "compile",
        "--profile",
        profile.to_str().unwrap(),
        other.to_str().unwrap(),
        "-o",
        compiled.to_str().unwrap(),
    ]);
    assert!(!out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("recorded for another module"),
        "{out:?}"
    );

    let out = lazuli(&[
        "run",
        "--backend",
        "baseline",
        "--profile-out",
        profile.to_str().unwrap(),
        &example(),
        "--invoke",
        "fac",
        "10",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("counts nothing"),
        "{out:?}"
    );
}

/// The help of `-W` names every feature there is, from the one feature list, in every command
/// that takes it.
#[test]
fn every_feature_is_in_the_help() {
    let features: Vec<&str> = lazuli::Features::default().list().map(|(n, _)| n).collect();
    assert!(features.len() >= 15, "{features:?}");
    for command in ["run", "compile", "wast"] {
        let out = lazuli(&[command, "--help"]);
        let help = String::from_utf8_lossy(&out.stdout);
        for feature in &features {
            assert!(
                help.contains(&format!("{feature} (")),
                "{command}: {feature} in\n{help}"
            );
        }
    }
    // And a module given first is run.
    let out = lazuli(&[&example(), "--invoke", "fac", "5"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "120\n", "{out:?}");
}

/// A tiered run with `--cache` saves the code its hot functions got optimized; the next run
/// starts with it and compiles nothing optimized (`--stats` says so); an entry of another
/// module's code is not used.
#[test]
fn the_cache_keeps_tiered_code_for_the_next_run() {
    let dir = temp("cache-tiered");
    let config = temp("cache-tiered-config");
    let wat = temp("cache-spin.wat");
    // One long loop: hot after 1,000 iterations, optimized (through its OSR entry) long before
    // its 300 million are done.
    std::fs::write(
        &wat,
        r#"(module (func (export "spin") (result i32) (local $i i32)
             (loop $next
               (local.set $i (i32.add (local.get $i) (i32.const 1)))
               (br_if $next (i32.lt_u (local.get $i) (i32.const 300000000))))
             (local.get $i)))"#,
    )
    .unwrap();
    let run_file = |file: &std::path::Path| {
        let args = [
            "run",
            "--stats",
            "--tier-up",
            "1000",
            "--cache",
            dir.to_str().unwrap(),
            file.to_str().unwrap(),
            "--invoke",
            "spin",
        ];
        lazuli_with_config(&args, &config)
    };
    let run = || {
        let out = run_file(&wat);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "300000000\n");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let first = run();
    assert!(
        first.contains("compiled 1 baseline, 1 optimized"),
        "{first}"
    );
    let entries: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let second = run();
    assert!(
        second.contains("compiled 0 baseline, 0 optimized"),
        "{second}"
    );
    assert!(
        second.contains("1 functions started with optimized code an earlier run saved"),
        "{second}"
    );
    // An entry holding another module's code (the same wasm but for one constant, so that
    // the entry names differ but the code would fit) is not used.
    let entry = entries[0].as_ref().unwrap().path();
    let other = temp("cache-spin-other.wat");
    std::fs::write(
        &other,
        std::fs::read_to_string(&wat)
            .unwrap()
            .replace("300000000", "300000001"),
    )
    .unwrap();
    let out = run_file(&other);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "300000001\n",
        "{out:?}"
    );
    let other_entry = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| *p != entry)
        .expect("the other module has its own entry");
    std::fs::copy(&entry, &other_entry).unwrap();
    let out = run_file(&other);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "300000001\n",
        "{out:?}"
    );
    assert!(stderr.contains("another module"), "{stderr}");
    assert!(!stderr.contains("started with optimized code"), "{stderr}");
    // A forged entry (its code changed by whoever can write the directory, the tag left as it
    // was) is not loaded: its tag does not verify.
    let mut forged = std::fs::read(&entry).unwrap();
    let middle = forged.len() / 2;
    forged[middle] ^= 0x90;
    std::fs::write(&entry, &forged).unwrap();
    let out = run_file(&wat);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "300000000\n",
        "{out:?}"
    );
    assert!(stderr.contains("not authenticated"), "{stderr}");
    assert!(!stderr.contains("started with optimized code"), "{stderr}");
}
