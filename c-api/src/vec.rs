//! `wasm_X_vec_t`: the standard's vectors, one generic [`Vector`] with the five functions of
//! each element type made by [`declare_vec!`].

/// `size` elements at `data`, owned by the vector (C layout: `{ size_t size; T* data; }`).
#[repr(C)]
pub struct Vector<T> {
    /// How many elements.
    pub size: usize,
    /// The elements, or null when there are none.
    pub data: *mut T,
}

/// What a vector needs of its element type: an empty value, a deep copy, and disposal of what
/// an element owns.
pub trait Element: Sized {
    /// The value of an uninitialized element.
    fn empty() -> Self;
    /// A copy that owns its own resources.
    fn duplicate(&self) -> Self;
    /// Free what the element owns.
    fn destroy(self) {}
}

impl Element for u8 {
    fn empty() -> u8 {
        0
    }
    fn duplicate(&self) -> u8 {
        *self
    }
}

/// Pointer elements own a boxed object (null allowed).
impl<T: Clone> Element for *mut T {
    fn empty() -> *mut T {
        std::ptr::null_mut()
    }
    fn duplicate(&self) -> *mut T {
        if self.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: a non-null element of a vector is a live boxed `T` the vector owns.
        Box::into_raw(Box::new(unsafe { (**self).clone() }))
    }
    fn destroy(self) {
        if !self.is_null() {
            // SAFETY: as in `duplicate`; the vector gives up the element here.
            drop(unsafe { Box::from_raw(self) });
        }
    }
}

impl<T: Element> Vector<T> {
    /// A vector owning `items`.
    pub(crate) fn from_vec(items: Vec<T>) -> Vector<T> {
        if items.is_empty() {
            return Vector {
                size: 0,
                data: std::ptr::null_mut(),
            };
        }
        let boxed = items.into_boxed_slice();
        let size = boxed.len();
        Vector {
            size,
            data: Box::into_raw(boxed) as *mut T,
        }
    }

    /// The elements, borrowed.
    pub(crate) fn as_slice(&self) -> &[T] {
        if self.data.is_null() || self.size == 0 {
            return &[];
        }
        // SAFETY: a vector's `data` holds `size` initialized elements (made by `from_vec`, or
        // by C code following the standard's layout).
        unsafe { std::slice::from_raw_parts(self.data, self.size) }
    }

    /// The elements, writable.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        if self.data.is_null() || self.size == 0 {
            return &mut [];
        }
        // SAFETY: as in `as_slice`; `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.data, self.size) }
    }

    /// Take the elements out, leaving the vector empty.
    pub(crate) fn take(&mut self) -> Vec<T> {
        let (data, size) = (self.data, self.size);
        self.data = std::ptr::null_mut();
        self.size = 0;
        if data.is_null() || size == 0 {
            return Vec::new();
        }
        // SAFETY: vectors are allocated only by `from_vec` (a boxed slice of exactly `size`),
        // which this reverses once: the fields were cleared above.
        unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(data, size)) }.into_vec()
    }

    /// Free the elements and the storage.
    pub(crate) fn clear(&mut self) {
        for item in self.take() {
            item.destroy();
        }
    }
}

/// Write `vector` to `out`, a C pointer to an uninitialized vector (ignored when null).
///
/// # Safety
/// `out` is null or valid for writing a `Vector<T>`.
pub(crate) unsafe fn write_out<T: Element>(out: *mut Vector<T>, vector: Vector<T>) {
    if out.is_null() {
        let mut vector = vector;
        vector.clear();
        return;
    }
    // SAFETY: per the contract; the old contents are uninitialized, not dropped.
    unsafe { out.write(vector) };
}

/// The five functions of `wasm_X_vec_t` for element type `T`.
macro_rules! declare_vec {
    ($elem:ty, $new_empty:ident, $new_uninitialized:ident, $new:ident, $copy:ident, $delete:ident) => {
        /// An empty vector.
        ///
        /// # Safety
        /// `out` is null or valid for writing a vector.
        #[no_mangle]
        pub unsafe extern "C" fn $new_empty(out: *mut $crate::vec::Vector<$elem>) {
            // SAFETY: forwarded contract.
            unsafe { $crate::vec::write_out(out, $crate::vec::Vector::from_vec(Vec::new())) }
        }

        /// A vector of `size` empty elements.
        ///
        /// # Safety
        /// `out` is null or valid for writing a vector.
        #[no_mangle]
        pub unsafe extern "C" fn $new_uninitialized(
            out: *mut $crate::vec::Vector<$elem>,
            size: usize,
        ) {
            let items = (0..size)
                .map(|_| <$elem as $crate::vec::Element>::empty())
                .collect();
            // SAFETY: forwarded contract.
            unsafe { $crate::vec::write_out(out, $crate::vec::Vector::from_vec(items)) }
        }

        /// A vector owning the `size` elements at `data` (moved in).
        ///
        /// # Safety
        /// `out` is null or valid for writing a vector; `data` holds `size` elements (or is
        /// null when `size` is 0), whose ownership passes to the vector.
        #[no_mangle]
        pub unsafe extern "C" fn $new(
            out: *mut $crate::vec::Vector<$elem>,
            size: usize,
            data: *const $elem,
        ) {
            let items = if data.is_null() || size == 0 {
                Vec::new()
            } else {
                // SAFETY: per the contract, `data` holds `size` elements.
                let items = unsafe { std::slice::from_raw_parts(data, size) };
                items
                    .iter()
                    // SAFETY: each element is moved (read bitwise; ownership passes to the
                    // vector, the C array is not used for it again).
                    .map(|item| unsafe { std::ptr::read(item) })
                    .collect()
            };
            // SAFETY: forwarded contract.
            unsafe { $crate::vec::write_out(out, $crate::vec::Vector::from_vec(items)) }
        }

        /// A deep copy of `src`.
        ///
        /// # Safety
        /// `out` is null or valid for writing a vector; `src` is null or a valid vector.
        #[no_mangle]
        pub unsafe extern "C" fn $copy(
            out: *mut $crate::vec::Vector<$elem>,
            src: *const $crate::vec::Vector<$elem>,
        ) {
            // SAFETY: per the contract, `src` is null or a valid vector.
            let items = match unsafe { src.as_ref() } {
                Some(src) => src
                    .as_slice()
                    .iter()
                    .map($crate::vec::Element::duplicate)
                    .collect(),
                None => Vec::new(),
            };
            // SAFETY: forwarded contract.
            unsafe { $crate::vec::write_out(out, $crate::vec::Vector::from_vec(items)) }
        }

        /// Free the vector and its elements.
        ///
        /// # Safety
        /// `vec` is null or a vector made by this library, not deleted before.
        #[no_mangle]
        pub unsafe extern "C" fn $delete(vec: *mut $crate::vec::Vector<$elem>) {
            // SAFETY: per the contract.
            if let Some(vec) = unsafe { vec.as_mut() } {
                vec.clear();
            }
        }
    };
}
pub(crate) use declare_vec;

declare_vec!(
    u8,
    wasm_byte_vec_new_empty,
    wasm_byte_vec_new_uninitialized,
    wasm_byte_vec_new,
    wasm_byte_vec_copy,
    wasm_byte_vec_delete
);

/// A byte vector holding `text` and a terminating NUL (the convention for names and messages).
pub(crate) fn message(text: &str) -> Vector<u8> {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    Vector::from_vec(bytes)
}

/// A byte vector holding `text` (names, without NUL).
pub(crate) fn name(text: &str) -> Vector<u8> {
    Vector::from_vec(text.as_bytes().to_vec())
}
