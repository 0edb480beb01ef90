//! Traps and frames (`wasm_trap_t`, `wasm_frame_t`): why a call failed, and the wasm functions
//! that were on the stack.

use lazuli::Error;

use crate::engine::{drop_c, to_c, wasm_store_t};
use crate::instance::wasm_instance_t;
use crate::types::borrow;
use crate::vec::{declare_vec, message, write_out, Vector};

/// A trap: the error that ended a call (a wasm trap, a host function's failure, a WASI exit)
/// and the wasm frames on the stack then, innermost first.
#[derive(Clone)]
pub struct wasm_trap_t {
    error: Error,
    frames: Vec<u32>,
}

/// One wasm frame: the function's index in its module.
#[derive(Clone)]
pub struct wasm_frame_t {
    func_index: u32,
}

declare_vec!(
    *mut wasm_frame_t,
    wasm_frame_vec_new_empty,
    wasm_frame_vec_new_uninitialized,
    wasm_frame_vec_new,
    wasm_frame_vec_copy,
    wasm_frame_vec_delete
);

impl wasm_trap_t {
    /// A trap for `error` with the function indices of its frames, moved to C.
    pub(crate) fn to_c(error: Error, frames: &[u32]) -> *mut wasm_trap_t {
        to_c(wasm_trap_t {
            error,
            frames: frames.to_vec(),
        })
    }

    /// The error to hand to the wasm code that called a host function which returned this.
    pub(crate) fn into_error(self) -> Error {
        self.error
    }

    /// The trap's message: a wasm trap's own ("out of bounds memory access"), a host message as
    /// given, anything else as Lazuli describes it.
    fn message(&self) -> String {
        match &self.error {
            Error::Trap(code) => code.message().to_string(),
            Error::Host(message) => message.clone(),
            other => other.to_string(),
        }
    }

    /// The WASI exit status, if this is a program's exit.
    pub(crate) fn exit_status(&self) -> Option<i32> {
        match self.error {
            Error::Exit(status) => Some(status),
            _ => None,
        }
    }
}

/// A trap with `message` (what a host callback returns to fail).
///
/// # Safety
/// `message` is null or a live byte vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_new(
    _store: *mut wasm_store_t,
    message: *const Vector<u8>,
) -> *mut wasm_trap_t {
    // SAFETY: forwarded contract.
    let bytes = unsafe { borrow(message) }.map_or(&[][..], Vector::as_slice);
    let text = String::from_utf8_lossy(bytes)
        .trim_end_matches('\0')
        .to_string();
    wasm_trap_t::to_c(Error::Host(text), &[])
}

/// A copy of a trap.
///
/// # Safety
/// `trap` is null or live.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_copy(trap: *const wasm_trap_t) -> *mut wasm_trap_t {
    // SAFETY: forwarded contract.
    unsafe { borrow(trap) }.map_or(std::ptr::null_mut(), |t| to_c(t.clone()))
}

/// Free a trap.
///
/// # Safety
/// `trap` is null or owned, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_delete(trap: *mut wasm_trap_t) {
    // SAFETY: forwarded contract.
    unsafe { drop_c(trap) }
}

/// The trap's message, NUL-terminated (owned by `out`).
///
/// # Safety
/// `trap` is a live trap; `out` is valid for writing a vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_message(trap: *const wasm_trap_t, out: *mut Vector<u8>) {
    // SAFETY: forwarded contract.
    let text = unsafe { borrow(trap) }.map_or_else(String::new, wasm_trap_t::message);
    // SAFETY: forwarded contract.
    unsafe { write_out(out, message(&text)) }
}

/// The innermost frame (owned), or null when no wasm frame was recorded.
///
/// # Safety
/// `trap` is a live trap.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_origin(trap: *const wasm_trap_t) -> *mut wasm_frame_t {
    // SAFETY: forwarded contract.
    match unsafe { borrow(trap) }.and_then(|t| t.frames.first()) {
        Some(&func_index) => to_c(wasm_frame_t { func_index }),
        None => std::ptr::null_mut(),
    }
}

/// Every recorded frame, innermost first (owned by `out`).
///
/// # Safety
/// `trap` is a live trap; `out` is valid for writing a vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_trace(
    trap: *const wasm_trap_t,
    out: *mut Vector<*mut wasm_frame_t>,
) {
    // SAFETY: forwarded contract.
    let frames = unsafe { borrow(trap) }
        .map(|t| {
            t.frames
                .iter()
                .map(|&func_index| to_c(wasm_frame_t { func_index }))
                .collect()
        })
        .unwrap_or_default();
    // SAFETY: forwarded contract.
    unsafe { write_out(out, Vector::from_vec(frames)) }
}

/// A copy of a frame.
///
/// # Safety
/// `frame` is null or live.
#[no_mangle]
pub unsafe extern "C" fn wasm_frame_copy(frame: *const wasm_frame_t) -> *mut wasm_frame_t {
    // SAFETY: forwarded contract.
    unsafe { borrow(frame) }.map_or(std::ptr::null_mut(), |f| to_c(f.clone()))
}

/// Free a frame.
///
/// # Safety
/// `frame` is null or owned, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn wasm_frame_delete(frame: *mut wasm_frame_t) {
    // SAFETY: forwarded contract.
    unsafe { drop_c(frame) }
}

/// The frame's instance: not recorded by Lazuli, always null.
#[no_mangle]
pub extern "C" fn wasm_frame_instance(_frame: *const wasm_frame_t) -> *mut wasm_instance_t {
    std::ptr::null_mut()
}

/// The index of the frame's function in its module.
///
/// # Safety
/// `frame` is a live frame.
#[no_mangle]
pub unsafe extern "C" fn wasm_frame_func_index(frame: *const wasm_frame_t) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { borrow(frame) }.map_or(0, |f| f.func_index)
}

/// The offset in the function: not recorded by Lazuli, always 0.
#[no_mangle]
pub extern "C" fn wasm_frame_func_offset(_frame: *const wasm_frame_t) -> usize {
    0
}

/// The offset in the module: not recorded by Lazuli, always 0.
#[no_mangle]
pub extern "C" fn wasm_frame_module_offset(_frame: *const wasm_frame_t) -> usize {
    0
}

/// Whether `trap` is a WASI program's exit, with its status in `*status`.
///
/// # Safety
/// `trap` is null or live; `status` is null or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn lazuli_trap_exit_status(
    trap: *const wasm_trap_t,
    status: *mut i32,
) -> bool {
    // SAFETY: forwarded contract.
    match unsafe { borrow(trap) }.and_then(wasm_trap_t::exit_status) {
        Some(code) => {
            if !status.is_null() {
                // SAFETY: per the contract.
                unsafe { status.write(code) };
            }
            true
        }
        None => false,
    }
}
