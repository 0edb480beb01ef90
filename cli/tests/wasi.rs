//! WASI programs nobody wrote for Lazuli's sake, end to end: C programs in `tests/wasi/`,
//! built here with clang-22 and wasi-libc, run by `lazuli run` and by node's `node:wasi` (the
//! reference); stdout, stderr and exit status must match. The sandbox escape program runs in
//! Lazuli only (node's WASI is no sandbox) and every escape must fail with ENOTCAPABLE while
//! the host file outside stays untouched.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const SOURCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/wasi");

/// Build `tests/wasi/{name}.c` for wasm32-wasi (once per test binary run).
fn build(name: &str) -> PathBuf {
    build_with("clang-22", name, &[&format!("{name}.c")], &["-lm"])
}

/// Build `sources` from `tests/wasi/` into `{output}.wasm` for wasm32-wasi with `compiler`.
fn build_with(compiler: &str, output: &str, sources: &[&str], flags: &[&str]) -> PathBuf {
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wasi");
    std::fs::create_dir_all(&out_dir).unwrap();
    let wasm = out_dir.join(format!("{output}.wasm"));
    // Each test builds its own program; a per-process name keeps parallel builds apart.
    let partial = out_dir.join(format!("{output}.{}.partial", std::process::id()));
    let status = Command::new(compiler)
        // Debian lays wasi-libc out under the old triple, which clang 22 calls deprecated.
        .args([
            "--target=wasm32-wasi",
            "-Wno-deprecated",
            "--sysroot=/usr",
            "-O2",
            "-o",
        ])
        .arg(&partial)
        .args(sources.iter().map(|source| Path::new(SOURCES).join(source)))
        .args(flags)
        .status()
        .unwrap_or_else(|e| {
            panic!("{compiler} runs (scripts/setup.sh installs clang-22, lld-22, wasi-libc and libc++): {e}")
        });
    assert!(status.success(), "building {output} failed");
    std::fs::rename(&partial, &wasm).unwrap();
    wasm
}

/// What a run printed and how it ended.
#[derive(Debug, PartialEq)]
struct Outcome {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(mut command: Command, stdin: &str) -> Outcome {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the runtime starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Outcome {
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `lazuli run [options] wasm args`.
fn lazuli(options: &[&str], wasm: &Path, args: &[&str], stdin: &str) -> Outcome {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lazuli"));
    c.arg("run").args(options).arg(wasm).args(args);
    run(c, stdin)
}

/// The same program in node's `node:wasi`.
fn node(options: &[&str], wasm: &Path, args: &[&str], stdin: &str) -> Outcome {
    let mut c = Command::new("node");
    c.arg("--no-warnings")
        .arg(Path::new(SOURCES).join("node-run.mjs"))
        .args(options)
        .arg(wasm)
        .args(args);
    run(c, stdin)
}

/// Run in both and require the same outcome; returns Lazuli's.
fn same_as_node(options: &[&str], wasm: &Path, args: &[&str], stdin: &str) -> Outcome {
    let ours = lazuli(options, wasm, args, stdin);
    let reference = node(options, wasm, args, stdin);
    assert_eq!(
        ours, reference,
        "Lazuli (left) and node:wasi (right) differ"
    );
    ours
}

/// A fresh directory with the files the programs read.
fn sandbox(test: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("wasi-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("box")).unwrap();
    std::fs::write(dir.join("secret.txt"), "secret\n").unwrap();
    std::fs::write(dir.join("box/inside.txt"), "inside\n").unwrap();
    let text = "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs.\n";
    std::fs::write(dir.join("box/input.txt"), text.repeat(50)).unwrap();
    dir
}

#[test]
fn hello_prints_and_exits_zero() {
    let wasm = build("stdio");
    let out = same_as_node(&[], &wasm, &[], "first\nsecond line\n");
    assert_eq!(out.status, Some(0));
    assert!(
        out.stdout.starts_with("formatted -42  3.14 beef z\n"),
        "{out:?}"
    );
    assert!(out.stdout.ends_with("2 lines, 18 bytes\n"), "{out:?}");
    assert_eq!(out.stderr, "to stderr\ndone\n");
}

#[test]
fn exit_status_is_the_programs() {
    let wasm = build("exit");
    for (args, status) in [
        (&["3"][..], 3),
        (&["0"], 0),
        (&["7", "return"], 7),
        (&["255"], 255),
    ] {
        let out = same_as_node(&[], &wasm, args, "");
        assert_eq!(out.status, Some(status), "{out:?}");
        assert_eq!(out.stdout, format!("exiting with {status}\n"));
    }
}

#[test]
fn args_and_environment() {
    let wasm = build("args_env");
    let options = ["--env", "GREETING=hello world", "--env", "EMPTY="];
    let out = same_as_node(&options, &wasm, &["one", "two words", "--flag", ""], "");
    assert!(out.stdout.contains("argv[2]=two words\n"), "{out:?}");
    assert!(out.stdout.contains("GREETING=hello world\n"), "{out:?}");
    assert!(out.stdout.contains("env: EMPTY=\n"), "{out:?}");
}

#[test]
fn clocks_and_randomness() {
    let wasm = build("clocks");
    let out = same_as_node(&[], &wasm, &[], "");
    assert_eq!(out.status, Some(0));
    assert!(
        !out.stdout.contains(": 0"),
        "a clock property failed: {}",
        out.stdout
    );
}

#[test]
fn files_and_directories() {
    let wasm = build("files");
    let (ours, theirs) = (sandbox("files-lazuli"), sandbox("files-node"));
    let dir = |d: &Path| format!("{}::/sandbox", d.join("box").display());
    let out = lazuli(&["--dir", &dir(&ours)], &wasm, &[], "");
    let reference = node(&["--dir", &dir(&theirs)], &wasm, &[], "");
    assert_eq!(out, reference, "Lazuli (left) and node:wasi (right) differ");
    assert_eq!(out.status, Some(0), "{out:?}");
    assert!(!out.stdout.contains("FAILED"), "{}", out.stdout);
    assert!(
        out.stdout.contains("hard link: nlink 2 size 23\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_larger_program() {
    let wasm = build("textstats");
    let dir = sandbox("textstats");
    let preopen = format!("{}::/sandbox", dir.join("box").display());
    let out = same_as_node(&["--dir", &preopen], &wasm, &["/sandbox/input.txt"], "");
    assert_eq!(out.status, Some(0), "{out:?}");
    assert!(
        out.stdout
            .starts_with("3750 bytes, 750 words, 10 distinct\n"),
        "{}",
        out.stdout
    );
    // The well-known digest of "abc".
    assert!(out.stdout.contains(
        "sha256(abc) ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
    ));
    // Eager compilation runs it the same way.
    let eager = lazuli(
        &["--eager", "--dir", &preopen],
        &wasm,
        &["/sandbox/input.txt"],
        "",
    );
    assert_eq!(eager, out);
}

#[test]
fn escapes_from_the_sandbox_fail() {
    let wasm = build("escape");
    let dir = sandbox("escape");
    // A link to an absolute host path, as someone else might have left in the directory.
    std::os::unix::fs::symlink("/etc/passwd", dir.join("box/abs")).unwrap();
    let preopen = format!("{}::/sandbox", dir.join("box").display());
    let out = lazuli(&["--dir", &preopen], &wasm, &[], "");
    assert_eq!(out.status, Some(0), "{out:?}");
    const ENOTCAPABLE: &str = "76";
    let mut checked = 0;
    for line in out.stdout.lines() {
        let (what, errno) = line.rsplit_once(": ").unwrap();
        let expected = match what {
            w if w.ends_with("(allowed)") || w.ends_with("(creating it)") => "0",
            w if w.ends_with("(refused)") => "63", // EPERM
            "bad pointer" => "21",                 // EFAULT
            "closed descriptor" => "8",            // EBADF
            _ => ENOTCAPABLE,
        };
        assert_eq!(errno, expected, "{what}");
        checked += 1;
    }
    assert_eq!(checked, 25, "{}", out.stdout);
    // Nothing outside the preopen changed.
    assert_eq!(
        std::fs::read_to_string(dir.join("secret.txt")).unwrap(),
        "secret\n"
    );
    let mut outside: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    outside.sort();
    assert_eq!(outside, ["box", "secret.txt"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("box/inside.txt")).unwrap(),
        "inside\n"
    );
}

#[test]
fn a_trap_prints_its_kind_and_a_named_backtrace() {
    let wasm = build("trap");
    for mode in [&[][..], &["--eager"]] {
        let out = lazuli(mode, &wasm, &[], "");
        assert_eq!(out.status, Some(1), "{out:?}");
        // Output before the trap was written.
        assert_eq!(out.stdout, "average of 4: 2\n");
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(
            lines[0], "error: wasm trap: integer divide by zero",
            "{out:?}"
        );
        assert_eq!(lines[1], "wasm backtrace:");
        // Innermost first, named from the name section clang writes.
        for (line, name) in lines[2..].iter().zip(["divide", "average", "main"]) {
            assert!(
                line.trim_start()
                    .split_once(": ")
                    .unwrap()
                    .1
                    .starts_with(name),
                "{out:?}"
            );
        }
        assert!(lines.last().unwrap().contains("_start"), "{out:?}");
    }
}

/// WASI calls that would harm the host if taken at the guest's word return errnos, and the host
/// is unchanged: the flags of the test's own pipe, the disk blocks of the file, the symlink.
/// Directory walks that need real inode numbers for `.` and `..` work.
#[test]
fn wasi_calls_never_harm_the_host() {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::MetadataExt;
    let wasm = build("hostharm");
    let dir = sandbox("hostharm");
    let preopen = format!("{}::/sandbox", dir.join("box").display());
    let (mut reader, writer) = std::io::pipe().unwrap();
    // SAFETY: `fcntl(F_GETFL)` on a descriptor this test owns.
    let flags = |fd: i32| unsafe { libc::fcntl(fd, libc::F_GETFL) };
    let before = flags(writer.as_raw_fd());
    let status = Command::new(env!("CARGO_BIN_EXE_lazuli"))
        .args(["run", "--dir", &preopen])
        .arg(&wasm)
        .stdin(Stdio::null())
        .stdout(writer.try_clone().unwrap())
        .status()
        .unwrap();
    assert_eq!(
        flags(writer.as_raw_fd()),
        before,
        "the pipe's flags changed"
    );
    drop(writer);
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut reader, &mut stdout).unwrap();
    assert_eq!(status.code(), Some(0), "{stdout}");
    const EFAULT: i32 = 21;
    const ENOTSUP: i32 = 58;
    const EPERM: i32 = 63;
    let expected = [
        ("readdir huge length", EFAULT.to_string()),
        ("readdir past the end", EFAULT.to_string()),
        ("readdir small buffer", "0 used 1".into()),
        ("stdout nonblock", ENOTSUP.to_string()),
        ("stdout append", ENOTSUP.to_string()),
        ("stdin nonblock", ENOTSUP.to_string()),
        ("allocate 1 GiB", ENOTSUP.to_string()),
        ("absolute symlink", EPERM.to_string()),
        ("relative symlink", "0".into()),
        ("scandir", "ok".into()),
        ("nftw", "ok".into()),
    ];
    let lines: Vec<(&str, &str)> = stdout
        .lines()
        .map(|l| l.split_once(": ").unwrap())
        .collect();
    let expected: Vec<(&str, &str)> = expected.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(lines, expected);
    let big = std::fs::metadata(dir.join("box/big")).unwrap();
    assert!(big.blocks() < 64, "{} blocks reserved", big.blocks());
    assert!(std::fs::symlink_metadata(dir.join("box/passwd")).is_err());
    assert!(!dir.join("box/tree").exists());
}

/// A C++ program throwing and catching across several functions prints the same in Lazuli as
/// natively, built in both of clang's wasm exception encodings: the legacy `try`/`catch`/
/// `rethrow` and the standardized `try_table`/`throw_ref` with `exnref`. Debian's wasm32
/// libc++abi has no exception support, so `cxa_exceptions.cpp` supplies the runtime pieces.
#[test]
fn cxx_exceptions_print_the_same_as_natively() {
    let native = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("wasi/exceptions-native.{}", std::process::id()));
    let status = Command::new("clang++-22")
        .args(["-O2", "-o"])
        .arg(&native)
        .arg(Path::new(SOURCES).join("exceptions.cpp"))
        .status()
        .expect("clang++-22 runs (scripts/setup.sh installs it with libstdc++)");
    assert!(status.success(), "the native build failed");
    let expected = run(Command::new(&native), "");
    assert_eq!(expected.status, Some(0), "{expected:?}");
    assert!(expected.stdout.contains("nested: 4207\n"), "{expected:?}");

    let sources = ["exceptions.cpp", "cxa_exceptions.cpp"];
    let exnref = ["-fwasm-exceptions", "-mllvm", "-wasm-use-legacy-eh=false"];
    let legacy = build_with("clang++-22", "exceptions-legacy", &sources, &exnref[..1]);
    let standard = build_with("clang++-22", "exceptions-exnref", &sources, &exnref);
    for (wasm, encoding) in [(&legacy, "legacy"), (&standard, "exnref")] {
        for options in [
            &[][..],
            &["--eager"],
            &["--backend", "llvm"],
            &["--tier-up", "1"],
        ] {
            let out = lazuli(options, wasm, &[], "");
            assert_eq!(
                out, expected,
                "the {encoding} build with {options:?} (left) differs from the native build"
            );
        }
    }
    // Each build really is in its encoding: without the legacy instructions only one loads.
    let refused = lazuli(&["-W", "legacy-exceptions=n"], &legacy, &[], "");
    assert_eq!(refused.status, Some(2), "{refused:?}");
    assert!(
        refused.stderr.contains("`legacy-exceptions` feature"),
        "{refused:?}"
    );
    let out = lazuli(&["-W", "legacy-exceptions=n"], &standard, &[], "");
    assert_eq!(out, expected);
}

/// `--env NAME` passes this process's value of NAME (and nothing when it has none), and the
/// module may come first: `lazuli app.wasm` runs it as `lazuli run app.wasm` does.
#[test]
fn an_environment_variable_is_inherited_by_name_and_run_is_the_default() {
    let wasm = build("args_env");
    let out = Command::new(env!("CARGO_BIN_EXE_lazuli"))
        .args([
            "--env",
            "LAZULI_INHERITED",
            "--env",
            "LAZULI_NOT_SET_ANYWHERE",
        ])
        .arg(&wasm)
        .arg("first")
        .env("LAZULI_INHERITED", "from the host")
        .env_remove("LAZULI_NOT_SET_ANYWHERE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains("argv[1]=first\n"), "{stdout}");
    assert!(
        stdout.contains("env: LAZULI_INHERITED=from the host\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("LAZULI_NOT_SET_ANYWHERE"), "{stdout}");
}
