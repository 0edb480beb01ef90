;; 64-bit tables (table64, part of memory64): i64 indices, sizes and lengths in every table
;; operator, call_indirect, return_call_indirect and element segment offsets, with bounds
;; checks that never wrap an index to 32 bits. Lazuli's own script (the pinned suite has none).

(module
  (type $v (func (result i32)))
  (table $t (export "t") i64 4 10 funcref)
  (table $u i64 2 externref)
  (table $small 3 funcref)
  (func $one (type $v) (i32.const 1))
  (func $two (type $v) (i32.const 2))
  (func $three (type $v) (i32.const 3))
  (elem (table $t) (i64.const 1) func $one $two)
  (elem $passive func $three $one)
  (func (export "size") (result i64) (table.size $t))
  (func (export "grow") (param i64) (result i64) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "call") (param i64) (result i32) (call_indirect $t (type $v) (local.get 0)))
  (func (export "tail") (param i64) (result i32) (return_call_indirect $t (type $v) (local.get 0)))
  (func (export "is_null") (param i64) (result i32) (ref.is_null (table.get $t (local.get 0))))
  (func (export "set") (param i64 i64) (table.set $t (local.get 0) (table.get $t (local.get 1))))
  (func (export "fill") (param i64 i64 i64) (table.fill $t (local.get 0) (table.get $t (local.get 1)) (local.get 2)))
  (func (export "copy") (param i64 i64 i64) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_to_small") (param i32 i64 i32) (table.copy $small $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "call_small") (param i32) (result i32) (call_indirect $small (type $v) (local.get 0)))
  (func (export "init") (param i64 i32 i32) (table.init $t $passive (local.get 0) (local.get 1) (local.get 2)))
  (func (export "size_u") (result i64) (table.size $u))
  (func (export "grow_u") (param i64) (result i64) (table.grow $u (ref.null extern) (local.get 0)))
)

(assert_return (invoke "size") (i64.const 4))
(assert_return (invoke "call" (i64.const 1)) (i32.const 1))
(assert_return (invoke "call" (i64.const 2)) (i32.const 2))
(assert_return (invoke "tail" (i64.const 2)) (i32.const 2))
(assert_trap (invoke "call" (i64.const 0)) "uninitialized element")
(assert_trap (invoke "call" (i64.const 4)) "undefined element")
;; 2^32 + 1 must not wrap to element 1.
(assert_trap (invoke "call" (i64.const 0x1_0000_0001)) "undefined element")
(assert_trap (invoke "tail" (i64.const 0x1_0000_0001)) "undefined element")
(assert_trap (invoke "is_null" (i64.const 0x1_0000_0000)) "out of bounds table access")
(assert_trap (invoke "is_null" (i64.const -1)) "out of bounds table access")
(assert_return (invoke "is_null" (i64.const 3)) (i32.const 1))
(assert_return (invoke "set" (i64.const 3) (i64.const 2)))
(assert_return (invoke "call" (i64.const 3)) (i32.const 2))
(assert_trap (invoke "set" (i64.const 0x1_0000_0003) (i64.const 2)) "out of bounds table access")

;; table.grow: the old size, or -1 as an i64 past the maximum.
(assert_return (invoke "grow" (i64.const 2)) (i64.const 4))
(assert_return (invoke "size") (i64.const 6))
(assert_return (invoke "grow" (i64.const 5)) (i64.const -1))
(assert_return (invoke "grow" (i64.const 0x1_0000_0000)) (i64.const -1))
(assert_return (invoke "size") (i64.const 6))
(assert_return (invoke "size_u") (i64.const 2))
(assert_return (invoke "grow_u" (i64.const 3)) (i64.const 2))
(assert_return (invoke "size_u") (i64.const 5))

;; table.fill, table.copy and table.init with i64 destinations and lengths.
(assert_return (invoke "fill" (i64.const 4) (i64.const 1) (i64.const 2)))
(assert_return (invoke "call" (i64.const 5)) (i32.const 1))
(assert_trap (invoke "fill" (i64.const 5) (i64.const 1) (i64.const 0x1_0000_0000)) "out of bounds table access")
(assert_trap (invoke "fill" (i64.const 0x1_0000_0000) (i64.const 1) (i64.const 0)) "out of bounds table access")
(assert_return (invoke "copy" (i64.const 0) (i64.const 2) (i64.const 1)))
(assert_return (invoke "call" (i64.const 0)) (i32.const 2))
(assert_trap (invoke "copy" (i64.const 0) (i64.const 0x1_0000_0000) (i64.const 1)) "out of bounds table access")
(assert_trap (invoke "copy" (i64.const 0) (i64.const 1) (i64.const 0x1_0000_0001)) "out of bounds table access")
(assert_return (invoke "copy_to_small" (i32.const 0) (i64.const 1) (i32.const 3)))
(assert_return (invoke "call_small" (i32.const 0)) (i32.const 1))
(assert_return (invoke "call_small" (i32.const 2)) (i32.const 2))
(assert_return (invoke "init" (i64.const 4) (i32.const 0) (i32.const 2)))
(assert_return (invoke "call" (i64.const 4)) (i32.const 3))
(assert_return (invoke "call" (i64.const 5)) (i32.const 1))
(assert_trap (invoke "init" (i64.const 0x1_0000_0004) (i32.const 0) (i32.const 1)) "out of bounds table access")

;; An element segment whose i64 offset is out of bounds fails instantiation.
(assert_trap
  (module
    (table i64 2 funcref)
    (func $f)
    (elem (table 0) (i64.const 0x1_0000_0000) func $f))
  "out of bounds table access")

;; A 64-bit table imports only as a 64-bit table.
(module $with64 (table (export "t") i64 1 funcref))
(register "t64" $with64)
(module $with32 (table (export "t") 1 funcref))
(register "t32" $with32)
(module (import "t64" "t" (table i64 1 funcref)))
(assert_unlinkable (module (import "t64" "t" (table 1 funcref))) "incompatible import type")
(assert_unlinkable (module (import "t32" "t" (table i64 1 funcref))) "incompatible import type")
