//! `wat2wasm IN.wat OUT.wasm`: the text format to binary, for the C API tests (which load
//! binary modules, as C programs do).

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output] = args.as_slice() else {
        eprintln!("usage: wat2wasm IN.wat OUT.wasm");
        std::process::exit(2);
    };
    let wasm = match wat::parse_file(input) {
        Ok(wasm) => wasm,
        Err(e) => {
            eprintln!("{input}: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = std::fs::write(output, wasm) {
        eprintln!("{output}: {e}");
        std::process::exit(1);
    }
}
