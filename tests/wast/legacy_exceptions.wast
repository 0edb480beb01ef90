;; The legacy exception instructions (try, catch, catch_all, rethrow, delegate) that older
;; toolchains emit. Lazuli's own script: the pinned suite has no legacy folder.

(module
  (tag $e (param i32))
  (tag $f (param i64 i32))
  (tag $g)
  (func $throw_e (param i32) (throw $e (local.get 0)))
  (func $throw_g (throw $g))

  (func (export "catch") (param i32) (result i32)
    try (result i32)
      (call $throw_e (local.get 0))
      (i32.const -1)
    catch $e
      (i32.add (i32.const 100))
    end)

  (func (export "second_clause") (result i64)
    try (result i64)
      (throw $f (i64.const 7) (i32.const 8))
    catch $e
      drop
      (i64.const -2)
    catch $f
      drop
    end)

  (func (export "catch_all") (result i32)
    try (result i32)
      (call $throw_g)
      (i32.const -1)
    catch $e
      drop
      (i32.const -2)
    catch_all
      (i32.const 3)
    end)

  ;; No clause takes $g: it goes on to the caller.
  (func (export "no_match") (result i32)
    try (result i32)
      (call $throw_g)
      (i32.const -1)
    catch $e
    end)

  (func (export "no_clauses")
    try
      (call $throw_g)
    end)

  ;; rethrow 0 from a catch, caught by the outer try.
  (func (export "rethrow") (param i32) (result i32)
    try (result i32)
      try (result i32)
        (call $throw_e (local.get 0))
        (i32.const -1)
      catch $e
        drop
        rethrow 0
      end
    catch $e
    end)

  ;; rethrow 1 from an inner catch rethrows the outer catch's exception.
  (func (export "rethrow_outer") (result i32)
    try (result i32)
      try (result i32)
        (call $throw_e (i32.const 5))
        (i32.const -1)
      catch $e
        drop
        try (result i32)
          (throw $g)
        catch $g
          rethrow 1
        end
      end
    catch $e
    end)

  ;; delegate 1: the inner body's exception skips the middle try and goes to the outer one.
  (func (export "delegate") (result i32)
    try (result i32)
      try (result i32)
        try (result i32)
          (call $throw_e (i32.const 9))
          (i32.const -1)
        delegate 1
      catch $e
        drop
        (i32.const -2)
      end
    catch $e
    end)

  ;; delegate to the function's label: the caller gets it.
  (func (export "delegate_out")
    try
      (call $throw_g)
    delegate 0)

  ;; Branches and returns out of try bodies unlink their handlers: a later throw is uncaught.
  (func (export "branch_out") (result i32)
    (block $out
      try
        (br $out)
      catch_all
      end)
    (call $throw_g)
    (i32.const 0))
  (func (export "return_out") (result i32)
    try (result i32)
      (return (i32.const 4))
    catch_all
      (i32.const 5)
    end)

  ;; A local changed in the try body keeps its value in the catch.
  (func (export "local") (result i32) (local $x i32)
    try (result i32)
      (local.set $x (i32.const 41))
      (call $throw_g)
      (i32.const 0)
    catch_all
      (i32.add (local.get $x) (i32.const 1))
    end)
)

(assert_return (invoke "catch" (i32.const 5)) (i32.const 105))
(assert_return (invoke "second_clause") (i64.const 7))
(assert_return (invoke "catch_all") (i32.const 3))
(assert_exception (invoke "no_match"))
(assert_exception (invoke "no_clauses"))
(assert_return (invoke "rethrow" (i32.const 6)) (i32.const 6))
(assert_return (invoke "rethrow_outer") (i32.const 5))
(assert_return (invoke "delegate") (i32.const 9))
(assert_exception (invoke "delegate_out"))
(assert_exception (invoke "branch_out"))
(assert_return (invoke "return_out") (i32.const 4))
(assert_return (invoke "local") (i32.const 42))
(assert_return (invoke "catch" (i32.const 1)) (i32.const 101))
