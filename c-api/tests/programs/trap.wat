(module
  (import "host" "fail" (func $fail))
  (func $inner (unreachable))
  (func $middle (call $inner))
  (func (export "unreachable") (call $middle))
  (func (export "divide") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func (export "host_fails") (call $fail)))
