//! The decoder on hostile input: random bytes and mutations of valid modules give `Ok` or a
//! located `Err`, never a panic.

use lazuli_core::{Config, Engine, Error, Module};
use proptest::prelude::*;

fn engine() -> Engine {
    Engine::new(Config::default())
}

/// Valid modules touching every section, used as seeds for mutation.
fn seeds() -> Vec<Vec<u8>> {
    [
        r#"(module
            (type $t (func (param i32 i64) (result f32)))
            (import "env" "f" (func $f (type $t)))
            (import "env" "m" (memory 1 2))
            (import "env" "g" (global (mut i32)))
            (table $tab 2 funcref)
            (global $h f64 (f64.const 1.5))
            (func $a (param i32) (result i32)
                local.get 0
                if (result i32) i32.const 1 else i32.const 2 end
                block (param i32) (result i32) br 0 end
                loop (result i32) i32.const 3 end
                i32.add
                call $a)
            (func (export "b") (result f32)
                i32.const 0 i64.const 1 call $f)
            (elem (i32.const 0) $a)
            (data (i32.const 8) "hello")
            (func $s)
            (start $s)
            (export "t" (table $tab)))"#,
        r#"(module
            (memory 1)
            (func (export "simd") (param v128) (result v128)
                local.get 0 local.get 0 i32x4.add)
            (func (export "bulk") (param i32 i32 i32)
                local.get 0 local.get 1 local.get 2 memory.copy
                local.get 0 local.get 1 local.get 2 memory.fill)
            (func (export "multi") (result i32 i64) i32.const 1 i64.const 2)
            (table 1 externref)
            (func (export "ref") (param externref) (result i32) local.get 0 ref.is_null))"#,
    ]
    .iter()
    .map(|t| wat::parse_str(t).expect("seed parses"))
    .collect()
}

fn check(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let len = bytes.len();
    let binary = bytes.starts_with(b"\0asm");
    match Module::new(&engine(), bytes) {
        Ok(_) => Ok(()),
        Err(Error::InvalidModule { offset, message }) => {
            prop_assert!(offset <= len, "offset {offset} past the end ({len})");
            prop_assert!(!message.is_empty());
            Ok(())
        }
        // Bytes that do not start like a binary module are read as the text format.
        Err(Error::Text(message)) if !binary => {
            prop_assert!(!message.is_empty());
            Ok(())
        }
        Err(other) => Err(TestCaseError::fail(format!(
            "unexpected error kind {other:?}"
        ))),
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, bits: u8 },
    Insert { at: usize, byte: u8 },
    Remove { at: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, bits)| Mutation::Flip { at, bits }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Remove { at }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len();
    match *m {
        Mutation::Flip { at, bits } => bytes[at % n] ^= bits,
        Mutation::Insert { at, byte } => bytes.insert(at % (n + 1), byte),
        Mutation::Remove { at } => {
            bytes.remove(at % n);
        }
        Mutation::Truncate { at } => bytes.truncate(at % n),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(body.clone())?;
        // The same bytes behind a valid header reach the section readers.
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        module.extend_from_slice(&body);
        check(module)?;
    }

    #[test]
    fn mutated_modules_never_panic(seed in 0..2usize, mutations in proptest::collection::vec(mutation(), 1..6)) {
        let mut bytes = seeds().swap_remove(seed);
        for m in &mutations {
            if bytes.is_empty() { break; }
            apply(&mut bytes, m);
        }
        check(bytes)?;
    }
}

#[test]
fn seeds_are_valid() {
    for seed in seeds() {
        Module::new(&engine(), seed).expect("seed module validates");
    }
}
