//! Builds the small C helper that implements trap unwinding with sigsetjmp/siglongjmp.
fn main() {
    println!("cargo:rerun-if-changed=src/trap.c");
    cc::Build::new()
        .file("src/trap.c")
        .opt_level(2)
        // lazuli_raise walks the frame-pointer chain starting at its own frame.
        .flag("-fno-omit-frame-pointer")
        .compile("lazuli_trap");
}
