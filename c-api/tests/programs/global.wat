(module
  (import "host" "base" (global $base i32))
  (import "host" "scale" (global $scale (mut f64)))
  (global $count (export "count") (mut i64) (i64.const 0))
  (global (export "answer") i32 (i32.const 42))
  (func (export "step") (result f64)
    (global.set $count (i64.add (global.get $count) (i64.const 1)))
    (global.set $scale (f64.mul (global.get $scale) (f64.const 2)))
    (f64.mul (global.get $scale) (f64.convert_i32_s (global.get $base)))))
