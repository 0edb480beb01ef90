(module
  (table (export "table") 2 10 funcref)
  (type $r (func (result i32)))
  (func $seven (export "seven") (result i32) (i32.const 7))
  (elem (i32.const 1) $seven)
  (func (export "call") (param i32) (result i32) (call_indirect (type $r) (local.get 0))))
