//! Runs WebAssembly spec scripts (`.wast`) against Lazuli and counts each directive as passed,
//! failed or skipped.
//!
//! A directive is skipped only when it needs something this build cannot do — executing code
//! when the engine has no backend, or a proposal Lazuli does not implement — and the reason is
//! recorded. It is never counted as passed.

use lazuli_core::{Engine, Module};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective};

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

    fn pass(&mut self) {
        self.passed += 1;
    }

    fn fail(&mut self, line: usize, message: String) {
        self.failed += 1;
        self.failures.push(format!("line {line}: {message}"));
    }

    fn skip(&mut self, reason: &str) {
        self.skipped += 1;
        if !self.skip_reasons.iter().any(|r| r == reason) {
            self.skip_reasons.push(reason.to_string());
        }
    }
}

const NEEDS_EXECUTION: &str = "needs execution, and this engine has no code backend";

/// Runs scripts with one engine.
pub struct WastRunner {
    engine: Engine,
}

impl WastRunner {
    /// A runner that compiles with `engine`.
    pub fn new(engine: Engine) -> WastRunner {
        WastRunner { engine }
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
                tally.fail(0, format!("cannot lex script: {e}"));
                return tally;
            }
        };
        let wast = match parser::parse::<Wast<'_>>(&buf) {
            Ok(wast) => wast,
            Err(e) => {
                tally.fail(0, format!("cannot parse script: {e}"));
                return tally;
            }
        };
        for directive in wast.directives {
            let line = line_of(text, directive.span().offset());
            self.directive(directive, line, &mut tally);
        }
        tally
    }

    fn directive(&self, directive: WastDirective<'_>, line: usize, tally: &mut Tally) {
        match directive {
            WastDirective::Module(mut module) => match self.compile(&mut module) {
                Ok(Some(_)) => tally.skip(NEEDS_EXECUTION),
                Ok(None) => tally.skip("component model is not supported"),
                Err(e) => tally.fail(line, format!("module failed to compile: {e}")),
            },
            WastDirective::ModuleDefinition(mut module) => match self.compile(&mut module) {
                Ok(Some(_)) => tally.pass(),
                Ok(None) => tally.skip("component model is not supported"),
                Err(e) => tally.fail(line, format!("module definition failed to compile: {e}")),
            },
            WastDirective::AssertMalformed { mut module, message, .. } => {
                if let QuoteWat::QuoteComponent(..) = module {
                    return tally.skip("component model is not supported");
                }
                // Malformed text is rejected by the text parser; malformed binary by our decoder.
                let Ok(bytes) = module.encode() else { return tally.pass() };
                match Module::new(&self.engine, bytes) {
                    Ok(_) => tally.fail(line, format!("malformed module accepted (expected \"{message}\")")),
                    Err(_) => tally.pass(),
                }
            }
            WastDirective::AssertInvalid { mut module, message, .. } => {
                let bytes = match module.encode() {
                    Ok(bytes) => bytes,
                    Err(e) => return tally.fail(line, format!("invalid module does not encode: {e}")),
                };
                match Module::new(&self.engine, bytes) {
                    Ok(_) => tally.fail(line, format!("invalid module accepted (expected \"{message}\")")),
                    Err(_) => tally.pass(),
                }
            }
            WastDirective::AssertUnlinkable { mut module, .. } => match module.encode() {
                Ok(bytes) => match Module::new(&self.engine, bytes) {
                    Ok(_) => tally.skip(NEEDS_EXECUTION),
                    Err(e) => tally.fail(line, format!("module to link failed to compile: {e}")),
                },
                Err(e) => tally.fail(line, format!("module does not encode: {e}")),
            },
            WastDirective::AssertInvalidCustom { .. } | WastDirective::AssertMalformedCustom { .. } => {
                tally.skip("custom-section assertions are not supported")
            }
            WastDirective::AssertException { .. } | WastDirective::AssertSuspension { .. } => {
                tally.skip("exceptions and stack switching are not supported")
            }
            WastDirective::Thread(..) | WastDirective::Wait { .. } => tally.skip("threads are not supported"),
            WastDirective::ModuleInstance { .. }
            | WastDirective::Register { .. }
            | WastDirective::Invoke(..)
            | WastDirective::AssertTrap { .. }
            | WastDirective::AssertReturn { .. }
            | WastDirective::AssertExhaustion { .. } => tally.skip(NEEDS_EXECUTION),
        }
    }

    /// Encode and compile a module; `Ok(None)` for a component.
    fn compile(&self, module: &mut QuoteWat<'_>) -> Result<Option<Module>, String> {
        if let QuoteWat::QuoteComponent(..) | QuoteWat::Wat(wast::Wat::Component(_)) = module {
            return Ok(None);
        }
        let bytes = module.encode().map_err(|e| e.to_string())?;
        Module::new(&self.engine, bytes).map(Some).map_err(|e| e.to_string())
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}
