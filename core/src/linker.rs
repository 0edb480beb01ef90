//! [`Linker`]: imports defined by module and name — host functions, memories, tables, globals
//! and whole instances — from which modules are instantiated.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use hashbrown::HashMap;

use crate::backend::FuncType;
use crate::error::Error;
use crate::func::{Caller, HostFn, IntoFunc};
use crate::instance::{Extern, Imports, Instance};
use crate::module::Module;
use crate::store::Store;
use crate::{Func, Val};

/// One definition: an item of a store, or a host function made in each store that uses it.
#[derive(Clone)]
enum Definition {
    Extern(Extern),
    HostFunc(FuncType, Arc<HostFn>),
}

/// Definitions of imports by module and name. Host functions defined with
/// [`Linker::func_wrap`] or [`Linker::func_new`] belong to no store: each instantiation makes
/// them in its own store, so one linker serves many stores. Items of a store (a memory, an
/// instance's exports) are defined with [`Linker::define`] and [`Linker::instance`] and can
/// only be used with that store.
///
/// A name can be defined once; defining it again is an error unless shadowing is allowed.
#[derive(Clone, Default)]
pub struct Linker {
    definitions: HashMap<(String, String), Definition>,
    allow_shadowing: bool,
}

impl core::fmt::Debug for Linker {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut names: Vec<_> = self.definitions.keys().collect();
        names.sort();
        f.debug_struct("Linker").field("names", &names).finish()
    }
}

impl Linker {
    /// A linker with nothing defined.
    pub fn new() -> Linker {
        Linker::default()
    }

    /// Let a later definition replace an earlier one of the same name (off by default: a
    /// second definition is an error).
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, item: Definition) -> Result<&mut Self, Error> {
        let key = (String::from(module), String::from(name));
        if !self.allow_shadowing && self.definitions.contains_key(&key) {
            return Err(Error::Link(format!(
                "`{module}`.`{name}` is already defined in this linker"
            )));
        }
        self.definitions.insert(key, item);
        Ok(self)
    }

    /// Define `module`.`name` as an item of a store (a function, memory, table or global).
    pub fn define(
        &mut self,
        module: &str,
        name: &str,
        item: impl Into<Extern>,
    ) -> Result<&mut Self, Error> {
        self.insert(module, name, Definition::Extern(item.into()))
    }

    /// Define `module`.`name` as a host function with typed parameters and results, e.g.
    /// `|a: i32, b: i32| a + b`, or `|x: f64| -> Result<f64, Error> { .. }`.
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        func: impl IntoFunc<Params, Results>,
    ) -> Result<&mut Self, Error> {
        let (ty, func) = func.into_func();
        self.insert(module, name, Definition::HostFunc(ty, func))
    }

    /// Define `module`.`name` as a host function of type `ty` that reaches its caller: the
    /// store and the calling instance's exports (see [`Func::new`]).
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        func: impl Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Result<&mut Self, Error> {
        self.insert(module, name, Definition::HostFunc(ty, Arc::new(func)))
    }

    /// Define every export of `instance` under the module name `module`.
    pub fn instance(
        &mut self,
        store: &Store,
        module: &str,
        instance: Instance,
    ) -> Result<&mut Self, Error> {
        for (name, item) in instance.exports(store)? {
            self.define(module, &name, item)?;
        }
        Ok(self)
    }

    /// Define everything in `imports` (for example WASI's functions, made for one store).
    pub fn imports(&mut self, imports: &Imports) -> Result<&mut Self, Error> {
        for ((module, name), item) in imports.iter() {
            self.define(module, name, item)?;
        }
        Ok(self)
    }

    /// The definition of `module`.`name` in `store`: an item defined for a store, or a host
    /// function made in `store` now.
    pub fn get(&self, store: &mut Store, module: &str, name: &str) -> Option<Extern> {
        let key = (String::from(module), String::from(name));
        match self.definitions.get(&key)? {
            Definition::Extern(item) => Some(*item),
            Definition::HostFunc(ty, func) => Func::from_arc(store, ty.clone(), func.clone())
                .ok()
                .map(Extern::Func),
        }
    }

    /// Instantiate `module` in `store` with this linker's definitions. An import the linker
    /// does not define is an [`Error::Link`] naming it and what the linker has under its
    /// module name; one of the wrong type names the expected and the given type.
    pub fn instantiate(&self, store: &mut Store, module: &Module) -> Result<Instance, Error> {
        let mut imports = Imports::new();
        for import in &module.info().imports {
            let (module_name, name) = (&*import.module, &*import.name);
            let key = (String::from(module_name), String::from(name));
            let item = match self.definitions.get(&key) {
                Some(Definition::Extern(item)) => *item,
                Some(Definition::HostFunc(ty, func)) => {
                    Extern::Func(Func::from_arc(store, ty.clone(), func.clone())?)
                }
                None => return Err(self.missing(module_name, name)),
            };
            imports.insert(module_name, name, item);
        }
        Instance::new(store, module, &imports)
    }

    /// The error for an import the linker does not define.
    fn missing(&self, module: &str, name: &str) -> Error {
        let mut known: Vec<&str> = self
            .definitions
            .keys()
            .filter(|(m, _)| m == module)
            .map(|(_, n)| n.as_str())
            .collect();
        known.sort_unstable();
        let defined = if known.is_empty() {
            format!("the linker defines nothing under `{module}`")
        } else {
            format!("the linker defines under `{module}`: {}", known.join(", "))
        };
        Error::Link(format!("unknown import `{module}`.`{name}`: {defined}"))
    }
}
