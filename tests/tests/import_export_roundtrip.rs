//! `Module::imports` and `Module::exports` round trip: for every valid module of the spec suite,
//! a module written back from the reported types (imports as imports, exports as definitions)
//! reports the same imports and exports again.

use std::fmt::Write;

use lazuli_core::{Config, Engine, ExternType, Module, RefType, ValType};
use lazuli_tests::suite;
use wast::{QuoteWat, Wast, WastDirective};

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"_-.:/ ".contains(&b) {
            out.push(b as char);
        } else {
            write!(out, "\\{b:02x}").unwrap();
        }
    }
    out.push('"');
    out
}

fn default_value(t: ValType) -> &'static str {
    match t {
        ValType::I32 => "i32.const 0",
        ValType::I64 => "i64.const 0",
        ValType::F32 => "f32.const 0",
        ValType::F64 => "f64.const 0",
        ValType::V128 => "v128.const i64x2 0 0",
        ValType::FuncRef => "ref.null func",
        ValType::ExternRef => "ref.null extern",
        ValType::ExnRef => "ref.null exn",
    }
}

/// A module with the same imports, and one definition per export of the same type.
fn rebuild(module: &Module) -> String {
    let mut text = String::from("(module\n");
    for (m, n, ty) in module.imports() {
        writeln!(text, "  (import {} {} {ty})", quote(m), quote(n)).unwrap();
    }
    for (name, ty) in module.exports() {
        let export = format!("(export {})", quote(name));
        match ty {
            ExternType::Func(f) => {
                let sig = ExternType::Func(f).to_string();
                // `(func (param ..) (result ..))` -> `(func (export ..) (param ..) (result ..) unreachable)`
                writeln!(
                    text,
                    "  (func {export}{} unreachable)",
                    &sig[5..sig.len() - 1]
                )
                .unwrap();
            }
            ExternType::Table(t) => {
                let elem = match t.element {
                    RefType::FuncRef => "funcref",
                    RefType::ExternRef => "externref",
                    RefType::ExnRef => "exnref",
                };
                writeln!(text, "  (table {export} {} {elem})", t.limits).unwrap();
            }
            ExternType::Memory(m) => writeln!(text, "  (memory {export} {})", m.limits).unwrap(),
            ExternType::Tag(t) => {
                let sig = ExternType::Tag(t).to_string();
                writeln!(text, "  (tag {export}{}", &sig[4..]).unwrap();
            }
            ExternType::Global(g) => {
                let ty = if g.mutable {
                    format!("(mut {})", g.content)
                } else {
                    g.content.to_string()
                };
                writeln!(
                    text,
                    "  (global {export} {ty} ({}))",
                    default_value(g.content)
                )
                .unwrap();
            }
        }
    }
    text.push(')');
    text
}

#[test]
fn imports_and_exports_round_trip_over_the_spec_suite() {
    let engine = Engine::new(Config::default());
    let mut checked = 0;
    for name in [
        "imports.wast",
        "exports.wast",
        "linking.wast",
        "names.wast",
        "memory.wast",
        "global.wast",
        "table.wast",
    ] {
        let file = suite::folder("wasm-v2")
            .unwrap()
            .into_iter()
            .find(|f| f.path.ends_with(name))
            .unwrap();
        let mut lexer = wast::lexer::Lexer::new(file.text);
        lexer.allow_confusing_unicode(true);
        let buf = wast::parser::ParseBuffer::new_with_lexer(lexer).unwrap();
        let script = wast::parser::parse::<Wast<'_>>(&buf).unwrap();
        for directive in script.directives {
            let WastDirective::Module(mut module @ QuoteWat::Wat(_)) = directive else {
                continue;
            };
            let Ok(module) = Module::new(&engine, module.encode().unwrap()) else {
                continue;
            };
            // Two exported memories or tables of one entity would be rebuilt as two definitions,
            // which WebAssembly 2.0 allows for tables but not for memories.
            if module
                .exports()
                .filter(|(_, t)| matches!(t, ExternType::Memory(_)))
                .count()
                + module
                    .imports()
                    .filter(|(_, _, t)| matches!(t, ExternType::Memory(_)))
                    .count()
                > 1
            {
                continue;
            }
            let text = rebuild(&module);
            let again = Module::from_wat(&engine, &text)
                .unwrap_or_else(|e| panic!("{}: {e}\n{text}", file.path));
            assert_eq!(
                module.imports().collect::<Vec<_>>(),
                again.imports().collect::<Vec<_>>(),
                "{text}"
            );
            assert_eq!(
                module.exports().collect::<Vec<_>>(),
                again.exports().collect::<Vec<_>>(),
                "{text}"
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} modules checked");
}
