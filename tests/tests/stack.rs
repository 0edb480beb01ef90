//! The stack check holds for any frame size: a function whose frame is larger than the reserve
//! below the stack limit, entered near the limit, traps with `StackOverflow` instead of moving
//! the stack pointer past the end of the stack. The wasm runs on a thread whose stack has 2 MiB
//! of inaccessible memory below it, so a frame that jumped over the limit would crash this test
//! instead of writing silently into whatever lies below.

use lazuli_core::backend::{OptLevel, Strategy, TrapCode};
use lazuli_core::{Config, Error, Instance, Module, Store, Val};
use lazuli_tests::BackendKind;

/// Run `f` on a new thread with a stack of `size` bytes above a `guard`-byte `PROT_NONE`
/// region, and return its result.
fn on_guarded_stack<T: Send + 'static>(
    size: usize,
    guard: usize,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    struct Job<T> {
        f: Option<Box<dyn FnOnce() -> T + Send>>,
        result: Option<T>,
    }
    extern "C" fn start<T>(data: *mut libc::c_void) -> *mut libc::c_void {
        // SAFETY: `data` is the `Job` below, alive until the thread is joined.
        let job = unsafe { &mut *(data as *mut Job<T>) };
        if let Some(f) = job.f.take() {
            job.result = Some(f());
        }
        std::ptr::null_mut()
    }
    let mut job = Job {
        f: Some(Box::new(f)),
        result: None,
    };
    // SAFETY: a fresh anonymous mapping; its upper `size` bytes become the thread's stack and
    // the rest stays inaccessible. It is unmapped after the thread has been joined.
    unsafe {
        let total = size + guard;
        let base = libc::mmap(
            std::ptr::null_mut(),
            total,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        );
        assert_ne!(base, libc::MAP_FAILED);
        let stack = (base as *mut u8).add(guard) as *mut libc::c_void;
        assert_eq!(
            libc::mprotect(stack, size, libc::PROT_READ | libc::PROT_WRITE),
            0
        );
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        assert_eq!(libc::pthread_attr_init(&mut attr), 0);
        assert_eq!(libc::pthread_attr_setstack(&mut attr, stack, size), 0);
        let mut thread: libc::pthread_t = 0;
        let job_ptr = &mut job as *mut Job<T> as *mut libc::c_void;
        assert_eq!(
            libc::pthread_create(&mut thread, &attr, start::<T>, job_ptr),
            0
        );
        assert_eq!(libc::pthread_join(thread, std::ptr::null_mut()), 0);
        libc::pthread_attr_destroy(&mut attr);
        libc::munmap(base, total);
    }
    job.result.expect("the thread ran the job")
}

/// Find the depth at which `walk` alone exhausts the stack, then enter `$big` from just above
/// it, where its frame reaches far below the stack's end. Returns the outcome of each try.
fn enter_big_frame_near_the_limit(
    config: Config,
    backend: BackendKind,
    wat: &str,
    tier_up: bool,
) -> Vec<Result<Vec<Val>, Error>> {
    let engine =
        lazuli_tests::engine(config.tiers(backend.into())).expect("the backend is available");
    let module = Module::from_wat(&engine, wat).expect("the module is valid");
    let mut store = Store::new(&engine);
    let instance =
        Instance::new(&mut store, &module, &lazuli_core::Imports::new()).expect("instantiates");
    let walk = instance
        .get_typed_func::<(i32, i32), ()>(&store, "walk")
        .expect("walk is exported");
    if tier_up {
        // Every function is recompiled optimized after its first call; wait for the new code so
        // that frame sizes stay the same during the search.
        walk.call(&mut store, (1, 0))
            .expect("a shallow walk returns");
        walk.call(&mut store, (0, 1)).expect("one $big call fits");
        let started = std::time::Instant::now();
        while module.stats().optimized < 3 {
            assert!(started.elapsed().as_secs() < 120, "tier-up never finished");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
    // The smallest depth at which walking alone traps.
    let (mut fits, mut traps) = (0i32, 1i32);
    while walk.call(&mut store, (traps, 0)).is_ok() {
        fits = traps;
        traps *= 2;
    }
    while traps - fits > 1 {
        let mid = fits + (traps - fits) / 2;
        match walk.call(&mut store, (mid, 0)) {
            Ok(()) => fits = mid,
            Err(e) => {
                assert_eq!(e, Error::Trap(TrapCode::StackOverflow));
                traps = mid;
            }
        }
    }
    // Just above the limit: the first of these enters `$big` with its frame address above the
    // limit and its frame reaching 256 KiB below the stack's end.
    // Called from this same function as the search, so the host frames below are the same.
    let mut outcomes = Vec::new();
    for back in 1..=4 {
        outcomes.push(
            walk.call(&mut store, (traps - back, 1))
                .map(|()| Vec::new()),
        );
    }
    // The store is still usable.
    walk.call(&mut store, (10, 0))
        .expect("a shallow walk returns");
    outcomes
}

#[test]
fn a_frame_larger_than_the_reserve_traps_near_the_limit() {
    let v128_frame = lazuli_tests::generated::big_frame_module();
    // The baseline backend has no v128 yet: its big frame holds 100,000 operands (800 KB of
    // spill slots) and 40,000 i64 locals (320 KB).
    let start = v128_frame.find("(func $walk").expect("walk is defined");
    let locals_frame = format!(
        "(module (func $big (export \"big\") (local {}) {} {})\n  {}",
        "i64 ".repeat(40_000),
        "i64.const 0 ".repeat(100_000),
        "drop ".repeat(100_000),
        &v128_frame[start..]
    );
    use BackendKind::*;
    let modes = [
        (
            "lazy",
            Config::default().workers(0).tier_up(0),
            Llvm,
            &v128_frame,
            false,
        ),
        (
            "eager",
            Config::default().strategy(Strategy::Eager),
            Llvm,
            &v128_frame,
            false,
        ),
        (
            "eager at baseline",
            Config::default()
                .strategy(Strategy::Eager)
                .opt_level(OptLevel::Baseline),
            Llvm,
            &v128_frame,
            false,
        ),
        (
            "tier-up",
            Config::default().workers(1).tier_up(1),
            Llvm,
            &v128_frame,
            true,
        ),
        (
            "tiered",
            Config::default().workers(1).tier_up(1),
            Tiered,
            &v128_frame,
            true,
        ),
        (
            "single-pass baseline",
            Config::default(),
            Baseline,
            &locals_frame,
            false,
        ),
    ];
    for (name, config, backend, wat, tier_up) in modes {
        let wat = wat.clone();
        let outcomes = on_guarded_stack(16 << 20, 2 << 20, move || {
            enter_big_frame_near_the_limit(config, backend, &wat, tier_up)
        });
        for outcome in outcomes {
            assert_eq!(outcome, Err(Error::Trap(TrapCode::StackOverflow)), "{name}");
        }
    }
}
