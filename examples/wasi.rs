//! A WASI program with a preopened directory: the guest reads `greeting.txt` from the one
//! directory it is given, and reaches nothing else of the host's file system.
//!
//! `cargo run -p lazuli --example wasi`

use lazuli::wasi::WasiCtx;
use lazuli::{Engine, Error, Linker, Module, Store};

fn main() -> Result<(), Error> {
    let dir = std::env::temp_dir().join(format!("lazuli-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    std::fs::write(
        dir.join("greeting.txt"),
        "hello from a preopened directory\n",
    )
    .expect("a file in it");

    let engine = Engine::default();
    let module = Module::from_wat(&engine, include_str!("cat.wat"))?;
    let mut wasi = WasiCtx::new();
    wasi.arg("cat").preopen_dir(&dir, "/data")?;
    let mut linker = Linker::new();
    wasi.add_to_linker(&mut linker)?;

    let mut store = Store::new(&engine);
    let instance = linker.instantiate(&mut store, &module)?;
    let start = instance.get_typed_func::<(), ()>(&store, "_start")?;
    // A WASI command ends by returning from `_start` or by `proc_exit`.
    let status = match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(Error::Exit(status)) => status,
        Err(e) => return Err(e),
    };
    std::fs::remove_dir_all(&dir).expect("the temporary directory is ours");
    println!("exit status {status}");
    assert_eq!(status, 0);
    Ok(())
}
