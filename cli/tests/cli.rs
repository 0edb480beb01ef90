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
        let out = lazuli(&["run", file.to_str().unwrap(), "--invoke", "fac_iter", "10"]);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "3628800\n", "{out:?}");
    }
    let mut damaged = std::fs::read(&lzc).unwrap();
    let at = damaged.len() / 2;
    damaged[at] ^= 0x40;
    let bad = temp("damaged.lzc");
    std::fs::write(&bad, damaged).unwrap();
    let out = lazuli(&["run", bad.to_str().unwrap(), "--invoke", "fac", "3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("checksum"),
        "{out:?}"
    );
}

#[test]
fn the_cache_reuses_good_entries_and_recompiles_damaged_ones() {
    let dir = temp("cache");
    let run = || {
        lazuli(&[
            "run",
            &example(),
            "--cache",
            dir.to_str().unwrap(),
            "--invoke",
            "fac",
            "5",
        ])
    };
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
