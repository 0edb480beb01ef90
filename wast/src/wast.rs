//! Runs WebAssembly spec scripts (`.wast`) against Lazuli and counts each directive as passed,
//! failed or skipped.
//!
//! With an engine that has a code backend every directive is executed. A directive is skipped
//! only when it needs something Lazuli does not do — execution with a validation-only engine, or
//! a proposal Lazuli does not implement — and the reason is recorded. It is never counted as
//! passed.

use std::collections::HashMap;

use lazuli_core::backend::TrapCode;
use lazuli_core::{Engine, Error, Extern, ExternRef, Func, Imports, Instance, Module, Store, Val};
use wast::core::{NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

/// Pass, fail and skip counts, with a description of each failure.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Directives that behaved as the script asserts.
    pub passed: usize,
    /// Directives that did not.
    pub failed: usize,
    /// Directives not run, because they need a capability this build lacks.
    pub skipped: usize,
    /// `line: what went wrong`, one per failed directive.
    pub failures: Vec<String>,
    /// `reason`, one per kind of skip (deduplicated).
    pub skip_reasons: Vec<String>,
}

impl Tally {
    /// Add another tally's counts to this one.
    pub fn add(&mut self, other: &Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
        self.failures.extend(other.failures.iter().cloned());
        for r in &other.skip_reasons {
            if !self.skip_reasons.contains(r) {
                self.skip_reasons.push(r.clone());
            }
        }
    }

    fn record(&mut self, line: usize, outcome: Outcome) {
        match outcome {
            Outcome::Pass => self.passed += 1,
            Outcome::Fail(message) => {
                self.failed += 1;
                self.failures.push(format!("line {line}: {message}"));
            }
            Outcome::Skip(reason) => {
                self.skipped += 1;
                if !self.skip_reasons.iter().any(|r| r == reason) {
                    self.skip_reasons.push(reason.to_string());
                }
            }
        }
    }
}

enum Outcome {
    Pass,
    Fail(String),
    Skip(&'static str),
}

const NEEDS_EXECUTION: &str = "needs execution, and this engine has no code backend";

/// Runs scripts with one engine.
pub struct WastRunner {
    engine: Engine,
    round_trip: bool,
}

/// The state of one script run: its store and named things.
struct Script {
    store: Store,
    /// Instances by `$id`.
    named: HashMap<String, Instance>,
    /// Module definitions by `$id`.
    definitions: HashMap<String, Module>,
    /// Instances registered for import by name.
    registered: HashMap<String, Instance>,
    /// The most recent instance; `Err(why)` when the most recent module failed to compile or
    /// instantiate, so that directives meant for it fail instead of running on an older one.
    current: Result<Instance, String>,
    /// `ref.extern N` values, one per N.
    externs: HashMap<u32, ExternRef>,
}

impl WastRunner {
    /// A runner that compiles with `engine`.
    pub fn new(engine: Engine) -> WastRunner {
        WastRunner {
            engine,
            round_trip: false,
        }
    }

    /// A runner that passes every module through `serialize` and `deserialize` before use.
    pub fn round_trip(engine: Engine) -> WastRunner {
        WastRunner {
            engine,
            round_trip: true,
        }
    }

    /// Run one script. A script that does not parse counts as one failure.
    pub fn run_script(&self, text: &str) -> Tally {
        let mut tally = Tally::default();
        // The spec's names.wast deliberately uses bidirectional-override characters.
        let mut lexer = wast::lexer::Lexer::new(text);
        lexer.allow_confusing_unicode(true);
        let buf = match ParseBuffer::new_with_lexer(lexer) {
            Ok(buf) => buf,
            Err(e) => {
                tally.record(0, Outcome::Fail(format!("cannot lex script: {e}")));
                return tally;
            }
        };
        let wast = match parser::parse::<Wast<'_>>(&buf) {
            Ok(wast) => wast,
            Err(e) => {
                tally.record(0, Outcome::Fail(format!("cannot parse script: {e}")));
                return tally;
            }
        };
        let mut script = match self.engine.backend() {
            Some(_) => match self.new_script() {
                Ok(s) => Some(s),
                Err(e) => {
                    tally.record(
                        0,
                        Outcome::Fail(format!("cannot set up the spectest module: {e}")),
                    );
                    return tally;
                }
            },
            None => None,
        };
        for directive in wast.directives {
            let line = line_of(text, directive.span().offset());
            let outcome = match &mut script {
                Some(script) => self.execute(script, directive),
                None => self.validate_only(directive),
            };
            tally.record(line, outcome);
        }
        tally
    }

    fn new_script(&self) -> Result<Script, Error> {
        let mut store = Store::new(&self.engine);
        let spectest = spectest(&self.engine, &mut store)?;
        Ok(Script {
            store,
            named: HashMap::new(),
            definitions: HashMap::new(),
            registered: HashMap::from([("spectest".to_string(), spectest)]),
            current: Err("no module yet".into()),
            externs: HashMap::new(),
        })
    }

    /// Directives with a validation-only engine: module checks run, execution is skipped.
    fn validate_only(&self, directive: WastDirective<'_>) -> Outcome {
        match directive {
            WastDirective::Module(mut module) => match self.compile(&mut module) {
                Ok(Some(_)) => Outcome::Skip(NEEDS_EXECUTION),
                Ok(None) => Outcome::Skip("component model is not supported"),
                Err(e) => Outcome::Fail(format!("module failed to compile: {e}")),
            },
            WastDirective::ModuleDefinition(mut module) => match self.compile(&mut module) {
                Ok(Some(_)) => Outcome::Pass,
                Ok(None) => Outcome::Skip("component model is not supported"),
                Err(e) => Outcome::Fail(format!("module definition failed to compile: {e}")),
            },
            WastDirective::AssertUnlinkable { mut module, .. } => match module.encode() {
                Ok(bytes) => match Module::new(&self.engine, bytes) {
                    Ok(_) => Outcome::Skip(NEEDS_EXECUTION),
                    Err(e) => Outcome::Fail(format!("module to link failed to compile: {e}")),
                },
                Err(e) => Outcome::Fail(format!("module does not encode: {e}")),
            },
            WastDirective::ModuleInstance { .. }
            | WastDirective::Register { .. }
            | WastDirective::Invoke(..)
            | WastDirective::AssertTrap { .. }
            | WastDirective::AssertReturn { .. }
            | WastDirective::AssertExhaustion { .. }
            | WastDirective::AssertException { .. } => Outcome::Skip(NEEDS_EXECUTION),
            other => self.static_assertion(other),
        }
    }

    /// Assertions about modules that need no execution.
    fn static_assertion(&self, directive: WastDirective<'_>) -> Outcome {
        match directive {
            WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => {
                if let QuoteWat::QuoteComponent(..) = module {
                    return Outcome::Skip("component model is not supported");
                }
                // Malformed text is rejected by the text parser; malformed binary by our decoder.
                let Ok(bytes) = module.encode() else {
                    return Outcome::Pass;
                };
                match Module::new(&self.engine, bytes) {
                    Ok(_) => Outcome::Fail(format!(
                        "malformed module accepted (expected \"{message}\")"
                    )),
                    Err(_) => Outcome::Pass,
                }
            }
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            } => {
                let bytes = match module.encode() {
                    Ok(bytes) => bytes,
                    Err(e) => return Outcome::Fail(format!("invalid module does not encode: {e}")),
                };
                match Module::new(&self.engine, bytes) {
                    Ok(_) => {
                        Outcome::Fail(format!("invalid module accepted (expected \"{message}\")"))
                    }
                    Err(_) => Outcome::Pass,
                }
            }
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. } => {
                Outcome::Skip("custom-section assertions are not supported")
            }
            WastDirective::AssertSuspension { .. } => {
                Outcome::Skip("stack switching is not supported")
            }
            WastDirective::Thread(..) | WastDirective::Wait { .. } => {
                Outcome::Skip("threads are not supported")
            }
            _ => Outcome::Fail("internal: not a static assertion".into()),
        }
    }

    /// Encode and compile a module; `Ok(None)` for a component.
    fn compile(&self, module: &mut QuoteWat<'_>) -> Result<Option<Module>, String> {
        if let QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_)) = module {
            return Ok(None);
        }
        let bytes = module.encode().map_err(|e| e.to_string())?;
        let module = Module::new(&self.engine, bytes).map_err(|e| e.to_string())?;
        self.maybe_round_trip(module)
            .map(Some)
            .map_err(|e| e.to_string())
    }

    fn maybe_round_trip(&self, module: Module) -> Result<Module, Error> {
        if !self.round_trip || self.engine.backend().is_none() {
            return Ok(module);
        }
        let blob = module.serialize()?;
        // SAFETY: the blob was made just now by this process from this module.
        unsafe { Module::deserialize(&self.engine, &blob) }
    }

    /// Directives with an engine that runs code.
    fn execute(&self, s: &mut Script, directive: WastDirective<'_>) -> Outcome {
        match directive {
            WastDirective::Module(mut module) => {
                let id = quote_id(&module);
                match self.compile(&mut module) {
                    Ok(Some(m)) => match self.instantiate(s, &m) {
                        Ok(instance) => {
                            s.current = Ok(instance);
                            if let Some(id) = id {
                                s.named.insert(id, instance);
                            }
                            Outcome::Pass
                        }
                        Err(e) => {
                            let why = format!("instantiation failed: {e}");
                            s.forget(id, &why);
                            Outcome::Fail(why)
                        }
                    },
                    Ok(None) => {
                        s.forget(id, "a component, which is not supported");
                        Outcome::Skip("component model is not supported")
                    }
                    Err(e) => {
                        let why = format!("module failed to compile: {e}");
                        s.forget(id, &why);
                        Outcome::Fail(why)
                    }
                }
            }
            WastDirective::ModuleDefinition(mut module) => {
                let id = quote_id(&module);
                match self.compile(&mut module) {
                    Ok(Some(m)) => {
                        if let Some(id) = id {
                            s.definitions.insert(id, m);
                        }
                        Outcome::Pass
                    }
                    Ok(None) => Outcome::Skip("component model is not supported"),
                    Err(e) => Outcome::Fail(format!("module definition failed to compile: {e}")),
                }
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let Some(m) = module.and_then(|m| s.definitions.get(m.name()).cloned()) else {
                    return Outcome::Fail("module instance of an unknown definition".into());
                };
                match self.instantiate(s, &m) {
                    Ok(i) => {
                        s.current = Ok(i);
                        if let Some(id) = instance {
                            s.named.insert(id.name().to_string(), i);
                        }
                        Outcome::Pass
                    }
                    Err(e) => Outcome::Fail(format!("instantiation failed: {e}")),
                }
            }
            WastDirective::Register { name, module, .. } => {
                match instance_of(s, module.map(|m| m.name())) {
                    Ok(i) => {
                        s.registered.insert(name.to_string(), i);
                        Outcome::Pass
                    }
                    Err(e) => Outcome::Fail(format!("register: {e}")),
                }
            }
            WastDirective::Invoke(invoke) => match self.invoke(s, &invoke) {
                Ok(_) => Outcome::Pass,
                Err(e) => Outcome::Fail(format!("invoke `{}` failed: {e}", invoke.name)),
            },
            WastDirective::AssertReturn { exec, results, .. } => match self.run(s, exec) {
                Ok(actual) => match check_results(s, &actual, &results) {
                    Ok(()) => Outcome::Pass,
                    Err(m) => Outcome::Fail(m),
                },
                Err(e) => Outcome::Fail(format!("expected results, got error: {e}")),
            },
            WastDirective::AssertTrap { exec, message, .. } => match self.run(s, exec) {
                Ok(v) => Outcome::Fail(format!("expected trap \"{message}\", got {v:?}")),
                Err(Error::Trap(code)) if trap_matches(code, message) => Outcome::Pass,
                Err(e) => Outcome::Fail(format!("expected trap \"{message}\", got error: {e}")),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(s, &call) {
                Err(Error::Trap(TrapCode::StackOverflow)) => Outcome::Pass,
                Ok(v) => Outcome::Fail(format!("expected exhaustion \"{message}\", got {v:?}")),
                Err(e) => {
                    Outcome::Fail(format!("expected exhaustion \"{message}\", got error: {e}"))
                }
            },
            WastDirective::AssertUnlinkable {
                mut module,
                message,
                ..
            } => {
                let bytes = match module.encode() {
                    Ok(b) => b,
                    Err(e) => return Outcome::Fail(format!("module does not encode: {e}")),
                };
                match Module::new(&self.engine, bytes).and_then(|m| self.maybe_round_trip(m)) {
                    Ok(m) => match self.instantiate(s, &m) {
                        Err(Error::Link(_)) => Outcome::Pass,
                        Err(e) => {
                            Outcome::Fail(format!("expected link error \"{message}\", got: {e}"))
                        }
                        Ok(_) => Outcome::Fail(format!(
                            "expected link error \"{message}\", but it linked"
                        )),
                    },
                    Err(e) => Outcome::Fail(format!("module to link failed to compile: {e}")),
                }
            }
            // Lazuli has no exception handling: a module that throws does not compile, and a
            // call that ends any other way is not the exception asserted.
            WastDirective::AssertException { exec, .. } => match self.run(s, exec) {
                Ok(v) => Outcome::Fail(format!("expected an exception, got {v:?}")),
                Err(Error::Exception(_)) => Outcome::Pass,
                Err(e) => Outcome::Fail(format!("expected an exception, got error: {e}")),
            },
            other => self.static_assertion(other),
        }
    }

    /// Instantiate with imports from the registered instances.
    fn instantiate(&self, s: &mut Script, module: &Module) -> Result<Instance, Error> {
        let mut imports = Imports::new();
        for (module_name, name, _) in module.imports() {
            if let Some(item) = s
                .registered
                .get(module_name)
                .and_then(|i| i.get_export(&s.store, name))
            {
                imports.insert(module_name, name, item);
            }
        }
        Instance::new(&mut s.store, module, &imports)
    }

    fn run(&self, s: &mut Script, exec: WastExecute<'_>) -> Result<Vec<Val>, Error> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(s, &invoke),
            WastExecute::Get { module, global, .. } => {
                let instance = instance_of(s, module.map(|m| m.name()))?;
                match instance.get_export(&s.store, global) {
                    Some(Extern::Global(g)) => Ok(vec![g.get(&s.store)?]),
                    _ => Err(Error::Usage(format!("no exported global `{global}`"))),
                }
            }
            WastExecute::Wat(mut wat) => {
                let bytes = wat.encode().map_err(|e| Error::Usage(e.to_string()))?;
                let module = self.maybe_round_trip(Module::new(&self.engine, bytes)?)?;
                self.instantiate(s, &module).map(|_| Vec::new())
            }
        }
    }

    fn invoke(&self, s: &mut Script, invoke: &WastInvoke<'_>) -> Result<Vec<Val>, Error> {
        let instance = instance_of(s, invoke.module.map(|m| m.name()))?;
        let func = instance.get_func(&s.store, invoke.name)?;
        let args = invoke
            .args
            .iter()
            .map(|a| arg(s, a))
            .collect::<Result<Vec<_>, _>>()?;
        func.call(&mut s.store, &args)
    }
}

fn quote_id(module: &QuoteWat<'_>) -> Option<String> {
    match module {
        QuoteWat::Wat(Wat::Module(m)) => m.id.map(|id| id.name().to_string()),
        _ => None,
    }
}

/// The instance named `id`, or the current one; an error saying why there is none.
fn instance_of(s: &Script, id: Option<&str>) -> Result<Instance, Error> {
    match id {
        Some(id) => s
            .named
            .get(id)
            .copied()
            .ok_or_else(|| Error::Usage(format!("no instance `{id}`"))),
        None => s
            .current
            .clone()
            .map_err(|why| Error::Usage(format!("no current module: {why}"))),
    }
}

impl Script {
    /// The module just given failed (`why`): it is the current one, and its name (if any)
    /// names nothing, so directives meant for it fail.
    fn forget(&mut self, id: Option<String>, why: &str) {
        self.current = Err(why.to_string());
        if let Some(id) = id {
            self.named.remove(&id);
        }
    }
}

fn arg(s: &mut Script, a: &WastArg<'_>) -> Result<Val, Error> {
    let WastArg::Core(a) = a else {
        return Err(Error::Usage("component arguments are not supported".into()));
    };
    Ok(match a {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(wast::core::HeapType::Abstract {
            ty: wast::core::AbstractHeapType::Extern,
            ..
        }) => Val::ExternRef(None),
        WastArgCore::RefNull(_) => Val::FuncRef(None),
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(extern_ref(s, *n))),
        WastArgCore::RefHost(_) => {
            return Err(Error::Usage("ref.host arguments are not supported".into()))
        }
    })
}

fn extern_ref(s: &mut Script, n: u32) -> ExternRef {
    if let Some(r) = s.externs.get(&n) {
        return *r;
    }
    let r = s.store.extern_ref(n);
    s.externs.insert(n, r);
    r
}

fn check_results(s: &Script, actual: &[Val], expected: &[WastRet<'_>]) -> Result<(), String> {
    if actual.len() != expected.len() {
        return Err(format!(
            "expected {} results, got {actual:?}",
            expected.len()
        ));
    }
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        let WastRet::Core(e) = e else {
            return Err("component results are not supported".into());
        };
        if !matches_ret(s, a, e) {
            return Err(format!("result {i}: expected {e:?}, got {a:?}"));
        }
    }
    Ok(())
}

fn matches_ret(s: &Script, a: &Val, e: &WastRetCore<'_>) -> bool {
    match (e, a) {
        (WastRetCore::I32(e), Val::I32(a)) => e == a,
        (WastRetCore::I64(e), Val::I64(a)) => e == a,
        (WastRetCore::F32(e), Val::F32(a)) => f32_matches(e, *a),
        (WastRetCore::F64(e), Val::F64(a)) => f64_matches(e, *a),
        (WastRetCore::V128(e), Val::V128(a)) => v128_matches(e, *a),
        (WastRetCore::RefNull(_), Val::FuncRef(None) | Val::ExternRef(None)) => true,
        (WastRetCore::RefExtern(None), Val::ExternRef(Some(_))) => true,
        (WastRetCore::RefExtern(Some(n)), Val::ExternRef(Some(r))) => s
            .store
            .extern_data(*r)
            .ok()
            .and_then(|d| d.downcast_ref::<u32>())
            .is_some_and(|v| v == n),
        (WastRetCore::RefFunc(None), Val::FuncRef(Some(_))) => true,
        (WastRetCore::RefFunc(Some(_)), Val::FuncRef(Some(_))) => true,
        (WastRetCore::Either(options), a) => options.iter().any(|o| matches_ret(s, a, o)),
        _ => false,
    }
}

fn f32_matches(e: &NanPattern<wast::token::F32>, bits: u32) -> bool {
    match e {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn f64_matches(e: &NanPattern<wast::token::F64>, bits: u64) -> bool {
    match e {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn v128_matches(e: &V128Pattern, v: u128) -> bool {
    let b = v.to_le_bytes();
    match e {
        V128Pattern::I8x16(l) => l.iter().enumerate().all(|(i, x)| b[i] as i8 == *x),
        V128Pattern::I16x8(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| i16::from_le_bytes([b[2 * i], b[2 * i + 1]]) == *x),
        V128Pattern::I32x4(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| i32::from_le_bytes(b[4 * i..4 * i + 4].try_into().unwrap()) == *x),
        V128Pattern::I64x2(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| i64::from_le_bytes(b[8 * i..8 * i + 8].try_into().unwrap()) == *x),
        V128Pattern::F32x4(l) => l.iter().enumerate().all(|(i, x)| {
            f32_matches(
                x,
                u32::from_le_bytes(b[4 * i..4 * i + 4].try_into().unwrap()),
            )
        }),
        V128Pattern::F64x2(l) => l.iter().enumerate().all(|(i, x)| {
            f64_matches(
                x,
                u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().unwrap()),
            )
        }),
    }
}

/// Whether a trap of kind `code` is the one the script's message names.
fn trap_matches(code: TrapCode, message: &str) -> bool {
    let accepted: &[&str] = match code {
        TrapCode::TableOutOfBounds => &["out of bounds table access", "undefined element"],
        TrapCode::IndirectCallToNull => &["uninitialized element", "null function"],
        TrapCode::MemoryOutOfBounds => &["out of bounds memory access"],
        TrapCode::BadSignature => &["indirect call type mismatch"],
        TrapCode::NullReference => &["null reference", "null function reference"],
        other => &[other.message()],
    };
    // The script's message is a prefix of the trap's (the suite's rule); older scripts also
    // add detail after it.
    accepted
        .iter()
        .any(|a| a.starts_with(message) || message.starts_with(a))
}

/// The `spectest` module the suite imports from.
fn spectest(engine: &Engine, store: &mut Store) -> Result<Instance, Error> {
    let module = Module::from_wat(
        engine,
        r#"(module
            (import "host" "print" (func $print))
            (import "host" "print_i32" (func $print_i32 (param i32)))
            (import "host" "print_i64" (func $print_i64 (param i64)))
            (import "host" "print_f32" (func $print_f32 (param f32)))
            (import "host" "print_f64" (func $print_f64 (param f64)))
            (import "host" "print_i32_f32" (func $print_i32_f32 (param i32 f32)))
            (import "host" "print_f64_f64" (func $print_f64_f64 (param f64 f64)))
            (export "print" (func $print))
            (export "print_i32" (func $print_i32))
            (export "print_i64" (func $print_i64))
            (export "print_f32" (func $print_f32))
            (export "print_f64" (func $print_f64))
            (export "print_i32_f32" (func $print_i32_f32))
            (export "print_f64_f64" (func $print_f64_f64))
            (global (export "global_i32") i32 (i32.const 666))
            (global (export "global_i64") i64 (i64.const 666))
            (global (export "global_f32") f32 (f32.const 666.6))
            (global (export "global_f64") f64 (f64.const 666.6))
            (table (export "table") 10 20 funcref)
            (memory (export "memory") 1 2))"#,
    )?;
    // The print functions accept their arguments and print nothing: output is not asserted.
    let host = Imports::new()
        .define("host", "print", Extern::Func(Func::wrap(store, || {})?))
        .define(
            "host",
            "print_i32",
            Extern::Func(Func::wrap(store, |_: i32| {})?),
        )
        .define(
            "host",
            "print_i64",
            Extern::Func(Func::wrap(store, |_: i64| {})?),
        )
        .define(
            "host",
            "print_f32",
            Extern::Func(Func::wrap(store, |_: f32| {})?),
        )
        .define(
            "host",
            "print_f64",
            Extern::Func(Func::wrap(store, |_: f64| {})?),
        )
        .define(
            "host",
            "print_i32_f32",
            Extern::Func(Func::wrap(store, |_: i32, _: f32| {})?),
        )
        .define(
            "host",
            "print_f64_f64",
            Extern::Func(Func::wrap(store, |_: f64, _: f64| {})?),
        );
    Instance::new(store, &module, &host)
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}
