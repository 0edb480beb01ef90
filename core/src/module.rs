//! [`Module`]: a decoded, validated module with canonical addresses, shared and cheap to clone.

use alloc::sync::Arc;
use alloc::vec::Vec;

use alloc::boxed::Box;

use crate::backend::{CompileError, CompiledCode, ExternType, ModuleInfo, Strategy, WasmBytes};
use crate::engine::Engine;
use crate::error::Error;
use crate::translate::translate;

/// A validated WebAssembly module. `Send + Sync`; clones share everything.
#[derive(Clone)]
pub struct Module {
    inner: Arc<ModuleInner>,
}

struct ModuleInner {
    engine: Engine,
    info: Arc<ModuleInfo>,
    /// Engine-wide signature id of each type.
    type_ids: Vec<u32>,
    /// The code, made on first instantiation (or at once in eager mode).
    code: spin::Once<Result<Box<dyn CompiledCode>, CompileError>>,
    /// Loaded from serialized code: `info.bytes` holds only the data segments, not the wasm.
    deserialized: bool,
    /// Counts of an earlier run that the code is compiled with, if any.
    profile: Option<Arc<crate::profile::Profile>>,
}

impl core::fmt::Debug for Module {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Module")
            .field("functions", &self.inner.info.functions.len())
            .field("bytes", &self.inner.info.bytes.len())
            .finish()
    }
}

impl Module {
    /// Decode and validate a module and give every function its canonical address. Compiles
    /// nothing (unless the engine compiles eagerly). The bytes are a binary module, or, with
    /// the `wat` feature, the text format (anything that does not start like a binary module).
    /// A malformed or invalid module is an [`Error::InvalidModule`] naming the byte offset and
    /// the reason; text that does not parse is an [`Error::Text`].
    pub fn new(engine: &Engine, bytes: impl Into<Arc<[u8]>>) -> Result<Module, Error> {
        Self::with_progress(engine, bytes, &|_, _| {})
    }

    /// As [`Module::new`]; with an eager engine, `progress(done, total)` hears how many
    /// functions are compiled as compilation goes.
    pub fn with_progress(
        engine: &Engine,
        bytes: impl Into<Arc<[u8]>>,
        progress: &dyn Fn(u32, u32),
    ) -> Result<Module, Error> {
        Module::build(engine, bytes.into(), None, progress)
    }

    /// As [`Module::with_progress`], compiled with `profile`, the bytes of a [`Profile`] of
    /// this module (as `lazuli run --profile-out` writes them): the optimizing tier weighs
    /// each branch by how often the first tier saw it taken (eagerly, or lazily with LLVM
    /// alone; a tiered engine's optimizing tier weighs by the counts of the run itself). A
    /// profile of another module, or a damaged one, is refused with the reason.
    ///
    /// [`Profile`]: crate::Profile
    pub fn with_profile(
        engine: &Engine,
        bytes: impl Into<Arc<[u8]>>,
        profile: &[u8],
        progress: &dyn Fn(u32, u32),
    ) -> Result<Module, Error> {
        Module::build(engine, bytes.into(), Some(profile), progress)
    }

    fn build(
        engine: &Engine,
        bytes: Arc<[u8]>,
        profile: Option<&[u8]>,
        progress: &dyn Fn(u32, u32),
    ) -> Result<Module, Error> {
        #[cfg(feature = "wat")]
        let bytes = match bytes.starts_with(b"\0asm") || Module::is_serialized(&bytes) {
            true => bytes,
            false => {
                use alloc::string::ToString;
                Arc::from(wat::parse_bytes(&bytes).map_err(|e| Error::Text(e.to_string()))?)
            }
        };
        let info = Arc::new(translate(
            bytes,
            engine.config().features,
            engine.platform(),
        )?);
        let profile = match profile {
            Some(bytes) => Some(Arc::new(crate::profile::Profile::read(
                bytes,
                crate::profile::wasm_hash(&info.bytes),
                info.bodies.len(),
            )?)),
            None => None,
        };
        let type_ids = info.types.iter().map(|t| engine.type_id(t)).collect();
        let module = Module {
            inner: Arc::new(ModuleInner {
                engine: engine.clone(),
                info,
                type_ids,
                code: spin::Once::new(),
                deserialized: false,
                profile,
            }),
        };
        if engine.config().strategy == Strategy::Eager && engine.backend().is_some() {
            module.code_with_progress(progress)?;
        }
        Ok(module)
    }

    /// The module in the file at `path`, binary or text, as [`Module::new`] makes it. A
    /// precompiled file (`Module::serialize` output) is refused: it holds native code, which
    /// only [`Module::deserialize_file`] loads, and only when asked to.
    #[cfg(feature = "std")]
    pub fn from_file(engine: &Engine, path: impl AsRef<std::path::Path>) -> Result<Module, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| Error::Usage(alloc::format!("cannot read {}: {e}", path.display())))?;
        if Module::is_serialized(&bytes) {
            return Err(Error::Usage(alloc::format!(
                "{} is a precompiled module: load it with Module::deserialize_file",
                path.display()
            )));
        }
        Module::new(engine, bytes)
    }

    /// Parse a module in the WebAssembly text format, then as [`Module::new`].
    #[cfg(feature = "wat")]
    pub fn from_wat(engine: &Engine, text: &str) -> Result<Module, Error> {
        use alloc::string::ToString;
        let bytes = wat::parse_str(text).map_err(|e| Error::Text(e.to_string()))?;
        Module::new(engine, bytes)
    }

    /// The module with its code, serialized (the seed's `dump`): compiles whatever is not yet
    /// compiled (all of it, into one object, for a lazy module), then writes a header, the wasm
    /// bytes and the code, with a checksum. [`Module::deserialize`] loads it without compiling.
    pub fn serialize(&self) -> Result<Vec<u8>, Error> {
        let (backend, _) = self.inner.engine.runner()?;
        let code = self.code()?.serialize()?;
        crate::serialize::write(
            &self.inner.engine,
            backend.serialized_name(),
            &self.inner.info,
            &code,
        )
    }

    /// Load a module from [`Module::serialize`] output: it reads the module's description as
    /// decoding and validating made it when the module was compiled, and loads the code,
    /// decoding, lowering and compiling nothing. A blob from another Lazuli version, format
    /// version, backend, target, CPU or code-affecting configuration, or a damaged one, is an
    /// [`Error::Deserialize`] and nothing is loaded.
    ///
    /// # Safety
    /// The blob's code is trusted: it is mapped and run as native machine code with every right
    /// of the process, and nothing checks what it does. The header checks and the checksum
    /// catch accidents (a truncated file, another version), not attacks: anyone can write a
    /// blob with a valid checksum around code of their own. Pass only bytes that your own
    /// [`Module::serialize`] produced, or that come from a source you trust as much as a native
    /// library you would load.
    pub unsafe fn deserialize(engine: &Engine, bytes: &[u8]) -> Result<Module, Error> {
        let (backend, _) = engine.runner()?;
        let parts = crate::serialize::read(engine, &**backend, bytes)?;
        let data: Arc<[u8]> = Arc::from(parts.data);
        let info = Arc::new(crate::serialize::description(
            parts.description,
            data.into(),
        )?);
        let code = backend
            .deserialize(info.clone(), parts.code)
            .map_err(|e| Error::Deserialize(e.message))?;
        Ok(Module::from_loaded(engine, info, code))
    }

    /// Load a module from a file holding [`Module::serialize`] output by mapping it: the
    /// header and checksum are checked as [`Module::deserialize`] checks them, and the code
    /// runs where the file's mapping holds it (copy-on-write: the few words loading patches
    /// are this process's own), so loading costs time and memory in proportion to the file
    /// and no linking. A backend that cannot run mapped code reads it from the mapping.
    ///
    /// # Safety
    /// As for [`Module::deserialize`]: the file's code is trusted. The file must also not be
    /// changed while the module lives (a mapped file's pages may be read again from it).
    pub unsafe fn deserialize_file(engine: &Engine, path: &str) -> Result<Module, Error> {
        let (backend, platform) = engine.runner()?;
        let file = Arc::new(
            platform
                .map_file(path)
                .map_err(|e| Error::Deserialize(alloc::format!("cannot map {path}: {e}")))?,
        );
        let (info, code) = {
            let parts = crate::serialize::read(engine, &**backend, file.bytes())?;
            // The data segments stay where they lie in the file, which they keep mapped.
            let data_range = parts.data_offset..parts.data_offset + parts.data.len();
            let data = WasmBytes::in_file(file.clone(), data_range)
                .ok_or_else(|| Error::Deserialize("the data bytes lie outside the file".into()))?;
            let info = crate::serialize::description(parts.description, data)?;
            (
                Arc::new(info),
                parts.code_offset..parts.code_offset + parts.code.len(),
            )
        };
        let code = backend
            .deserialize_mapped(info.clone(), file, code)
            .map_err(|e| Error::Deserialize(e.message))?;
        Ok(Module::from_loaded(engine, info, code))
    }

    /// A module whose code is loaded already.
    fn from_loaded(engine: &Engine, info: Arc<ModuleInfo>, code: Box<dyn CompiledCode>) -> Module {
        let type_ids = info.types.iter().map(|t| engine.type_id(t)).collect();
        let once = spin::Once::new();
        once.call_once(|| Ok(code));
        Module {
            inner: Arc::new(ModuleInner {
                engine: engine.clone(),
                info,
                type_ids,
                code: once,
                deserialized: true,
                profile: None,
            }),
        }
    }

    /// Whether the module was loaded from serialized code (and keeps only its data segments of
    /// the wasm).
    pub fn is_deserialized(&self) -> bool {
        self.inner.deserialized
    }

    /// The module's wasm (for a deserialized module, only its data segments' contents).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.inner.info.bytes
    }

    /// The first tier's counts so far, with the module's identity ([`crate::Profile`]).
    pub fn profile(&self) -> Result<crate::profile::Profile, Error> {
        crate::profile::Profile::of(self)
    }

    /// The optimized code tier-up has compiled so far (with any loaded earlier), as bytes for
    /// [`Module::load_optimized`] in a later process: that run starts with those functions
    /// optimized, with nothing to wait for. Named for this module by the SHA-256 of its wasm.
    /// An error when nothing is optimized yet, or the backend cannot save code.
    pub fn serialize_optimized(&self) -> Result<Vec<u8>, Error> {
        crate::saved_code::write(self)
    }

    /// Give this module the optimized code of [`Module::serialize_optimized`] output, before
    /// its functions are first called: each function it holds runs that code from its first
    /// call, compiled by neither tier. Returns how many functions took it. Refused, with the
    /// reason, for another module's code or code made by another build or for another host.
    ///
    /// # Safety
    /// As for [`Module::deserialize`]: the code is trusted, mapped and run as native machine
    /// code. Pass only bytes your own `serialize_optimized` made for this module and that
    /// nobody else could change (the command line's cache authenticates its entries with a
    /// per-user key for this).
    pub unsafe fn load_optimized(&self, bytes: &[u8]) -> Result<u32, Error> {
        // SAFETY: this function's contract, passed on.
        unsafe { crate::saved_code::load(self, bytes) }
    }

    /// Whether `bytes` look like [`Module::serialize`] output (rather than wasm or text).
    pub fn is_serialized(bytes: &[u8]) -> bool {
        crate::serialize::is_serialized(bytes)
    }

    /// Check that `bytes` are a valid module under `engine`'s features, without keeping it.
    pub fn validate(engine: &Engine, bytes: &[u8]) -> Result<(), Error> {
        translate(
            Arc::from(bytes),
            engine.config().features,
            engine.platform(),
        )
        .map(|_| ())
    }

    /// The module's imports as `(module, name, type)`, in order (the spec's `module_imports`).
    pub fn imports(&self) -> impl ExactSizeIterator<Item = (&str, &str, ExternType)> + '_ {
        let info = &self.inner.info;
        info.imports.iter().map(move |i| {
            (
                i.module.as_str(),
                i.name.as_str(),
                info.entity_type(i.index),
            )
        })
    }

    /// The module's exports as `(name, type)`, in order (the spec's `module_exports`).
    pub fn exports(&self) -> impl ExactSizeIterator<Item = (&str, ExternType)> + '_ {
        let info = &self.inner.info;
        info.exports
            .iter()
            .map(move |e| (e.name.as_str(), info.entity_type(e.index)))
    }

    /// The type of the export called `name`, if there is one.
    pub fn export_type(&self, name: &str) -> Option<ExternType> {
        self.exports().find(|(n, _)| *n == name).map(|(_, t)| t)
    }

    /// The module's description: types, index spaces, segments and function body locations.
    pub fn info(&self) -> &ModuleInfo {
        &self.inner.info
    }

    /// The module's code: lazy stubs or compiled functions, made by the engine's backend on
    /// first use.
    pub fn code(&self) -> Result<&dyn CompiledCode, Error> {
        self.code_with_progress(&|_, _| {})
    }

    fn code_with_progress(&self, progress: &dyn Fn(u32, u32)) -> Result<&dyn CompiledCode, Error> {
        let (backend, _) = self.inner.engine.runner()?;
        let mut options = self.inner.engine.compile_options();
        options.profile = self
            .inner
            .profile
            .clone()
            .map(|p| p as Arc<dyn crate::backend::branch_profile::BranchProfile>);
        let code = self.inner.code.call_once(|| {
            backend.compile_with_progress(self.inner.info.clone(), &options, progress)
        });
        match code {
            Ok(code) => Ok(&**code),
            Err(e) => Err(Error::Compile(e.clone())),
        }
    }

    /// How many of the module's functions have been compiled so far (0 before the first
    /// instantiation in lazy mode).
    pub fn compiled_count(&self) -> usize {
        self.inner
            .code
            .get()
            .and_then(|c| c.as_ref().ok())
            .map_or(0, |c| c.compiled_count())
    }

    /// What compiling this module has cost so far: functions per tier, how many speculatively,
    /// compile time and time callers waited for compilation.
    pub fn stats(&self) -> crate::backend::CompileStats {
        self.inner
            .code
            .get()
            .and_then(|c| c.as_ref().ok())
            .map(|c| c.stats())
            .unwrap_or_default()
    }

    /// The last error a compile of this module's code reported (a function that could not be
    /// compiled, a tier-up that failed), if any.
    pub fn last_compile_error(&self) -> Option<crate::backend::CompileError> {
        self.inner
            .code
            .get()
            .and_then(|c| c.as_ref().ok())
            .and_then(|c| c.last_error())
    }

    pub(crate) fn type_ids(&self) -> &[u32] {
        &self.inner.type_ids
    }

    /// The engine this module was made with.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The functions that have a name in the module's `name` section, as (index, name).
    pub fn function_names(&self) -> Vec<(u32, &str)> {
        self.inner
            .info
            .func_names
            .iter()
            .map(|(f, n)| (f.0, n))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, FuncType, ValType};
    use alloc::string::ToString;

    fn engine() -> Engine {
        Engine::new(Config::default())
    }

    #[test]
    fn imports_come_first_in_the_function_index_space() {
        let m = Module::from_wat(
            &engine(),
            r#"(module
                (import "env" "a" (func (param i32)))
                (func $b (call $c))
                (func $c (call 0 (i32.const 1)) (call $b))
                (export "c" (func $c)))"#,
        )
        .unwrap();
        let info = m.info();
        assert_eq!(info.num_imported_funcs, 1);
        assert_eq!(info.bodies.len(), 2);
        assert_eq!(info.func_index(crate::backend::DefinedFuncIndex(1)).0, 2);
        // Each body range points at the body's own bytes in the shared module bytes.
        let body = info.body_bytes(crate::backend::DefinedFuncIndex(0));
        assert_eq!(body, &[0x00, 0x10, 0x02, 0x0b]);
        let (module, name, ty) = m.imports().next().unwrap();
        assert_eq!((module, name), ("env", "a"));
        assert_eq!(ty, ExternType::Func(FuncType::new([ValType::I32], [])));
        assert_eq!(
            m.export_type("c"),
            Some(ExternType::Func(FuncType::default()))
        );
    }

    #[test]
    fn errors_name_offset_and_reason() {
        let err = Module::new(&engine(), &b"\0asm\x01\0\0\0\x01\x05"[..]).unwrap_err();
        match err {
            Error::InvalidModule {
                offset,
                ref message,
            } => {
                assert_eq!(offset, 10);
                assert!(message.contains("unexpected end"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
        let err =
            Module::from_wat(&engine(), "(module (func (result i32) i64.const 0))").unwrap_err();
        assert!(matches!(err, Error::InvalidModule { .. }));
        assert!(err.to_string().contains("type mismatch"), "{err}");
    }

    #[test]
    fn disabled_features_are_named() {
        let e = Engine::new(Config::default().features(crate::Features::WASM1));
        let err = Module::from_wat(
            &e,
            "(module (func (result i32 i32) i32.const 0 i32.const 1))",
        )
        .unwrap_err();
        assert!(err.to_string().contains("multi-value"), "{err}");
    }

    #[test]
    fn module_is_send_sync_clone() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Module>();
    }
}
