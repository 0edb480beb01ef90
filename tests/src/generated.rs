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
