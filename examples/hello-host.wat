;; A WASI command that calls a host function: prints "the answer is 42" with fd_write, using
;; `host`.`answer` (the host multiplies 7 by 6), and returns from `_start` (exit status 0).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "host" "answer" (func $answer (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "the answer is ??\n")
  (func (export "_start")
    (local $n i32)
    (local.set $n (call $answer (i32.const 7)))
    ;; Two decimal digits into the "??".
    (i32.store8 (i32.const 114) (i32.add (i32.const 48) (i32.div_u (local.get $n) (i32.const 10))))
    (i32.store8 (i32.const 115) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
    ;; One iovec at 0: the 17 bytes at 100; the count written goes to 8.
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 17))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
