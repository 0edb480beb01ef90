//! Modules generated for tests whose point is their size or shape, not their text.

/// A module whose function `$big` has a stack frame of about 768 KiB, larger than the reserve
/// below the stack limit: 48 calls to a function with 1,000 `v128` results, each call with its
/// own result area.
/// - `walk(n, big)` recurses `n` levels with small frames, then calls `$big` if `big` is not 0:
///   a host can find the depth at which the stack runs out and enter `$big` just above it.
/// - `sweep(n)` recurses until the stack is exhausted and calls `$big` every 1,024 levels.
pub fn big_frame_module() -> String {
    let results = vec!["v128"; 1000].join(" ");
    let values = vec!["(v128.const i64x2 1 1)"; 1000].join(" ");
    let call = format!("(call $many){}", " drop".repeat(1000));
    let calls = vec![call; 48].join("\n");
    format!(
        r#"(module
  (type $t (func (result {results})))
  (func $many (type $t) {values})
  (func $big (export "big") {calls})
  (func $walk (export "walk") (param $n i32) (param $big i32)
    (if (i32.eqz (local.get $n))
      (then (if (local.get $big) (then (call $big))))
      (else (call $walk (i32.sub (local.get $n) (i32.const 1)) (local.get $big)))))
  (func $sweep (export "sweep") (param $n i32)
    (if (i32.eqz (i32.and (local.get $n) (i32.const 1023)))
      (then (call $big)))
    (call $sweep (i32.add (local.get $n) (i32.const 1)))))"#
    )
}

/// A module of `count` small functions and an export `main` that calls every one of them once
/// through a table (each call compiles one more function lazily) and returns the sum
/// `count * (count - 1) / 2` (wrapping to 32 bits).
pub fn many_functions_module(count: u32) -> String {
    let mut wat = String::with_capacity(count as usize * 64);
    wat.push_str(&format!(
        r#"(module
  (type $t (func (param i32) (result i32)))
  (table {count} funcref)
  (elem (i32.const 0) func"#
    ));
    for i in 0..count {
        wat.push_str(&format!(" {}", i + 1));
    }
    wat.push_str(&format!(
        r#")
  (func (export "main") (result i32) (local $i i32) (local $sum i32)
    (loop $next
      (local.set $sum (call_indirect (type $t) (local.get $sum) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const {count}))))
    (local.get $sum))
"#
    ));
    for i in 0..count {
        wat.push_str(&format!(
            "  (func (type $t) (i32.add (local.get 0) (i32.const {i})))\n"
        ));
    }
    wat.push(')');
    wat
}
