//! Typed indices into a module's index spaces.
//!
//! Each index space of a module (functions, tables, memories, globals) lists imports first,
//! then the module's own definitions. `FuncIndex` counts over the whole space;
//! `DefinedFuncIndex` counts over definitions only. Keeping them apart in the type system
//! prevents the classic off-by-imports bug.

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
        #[repr(transparent)]
        pub struct $name(pub u32);

        impl $name {
            /// The index as a `usize`, for indexing slices.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl From<u32> for $name {
            fn from(i: u32) -> Self {
                $name(i)
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

index_type!(
    /// Index of a function type in the module's type section.
    TypeIndex
);
index_type!(
    /// Index in the module's function index space (imports first).
    FuncIndex
);
index_type!(
    /// Index among the functions the module defines (its code section order).
    DefinedFuncIndex
);
index_type!(
    /// Index in the module's table index space (imports first).
    TableIndex
);
index_type!(
    /// Index in the module's memory index space (imports first).
    MemoryIndex
);
index_type!(
    /// Index in the module's global index space (imports first).
    GlobalIndex
);
index_type!(
    /// Index in the module's tag index space (imports first; exception handling).
    TagIndex
);
index_type!(
    /// Index of an element segment.
    ElemIndex
);
index_type!(
    /// Index of a data segment.
    DataIndex
);
