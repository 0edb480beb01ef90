// The pieces of the C++ exception runtime that Debian's wasm32 libc++abi leaves out (it is built
// without exceptions), written for the exceptions test: allocating, throwing, catching and
// rethrowing an exception, and the personality routine that reads a function's LSDA to pick
// the catch clause. Wasm has no two-phase unwinding: a landing pad catches every C++ exception
// (tag `__cpp_exception`, one i32: the thrown header's address), asks `_Unwind_CallPersonality`
// which clause matches, and throws on when none does.
//
// Types match when they are the same, or when the thrown class derives from the caught one
// through single public inheritance (`__si_class_type_info`), which keeps the base at offset 0;
// `catch (...)` matches everything. Pointer types, multiple inheritance and exception
// specifications are not handled, and the test does not use them.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <typeinfo>

namespace {

// What precedes every thrown object; the wasm exception carries its address.
struct alignas(16) Header {
    const std::type_info *type;
    void *(*destructor)(void *); // wasm destructors return `this`
    int handlers;                // catch clauses that hold it now
    bool rethrown;               // `throw;` sent it on while a clause held it
    Header *next_caught;         // the stack of exceptions being handled
};

Header *caught_stack = nullptr;

void *object_of(Header *header) { return header + 1; }

[[noreturn]] void raise(Header *header) {
    __builtin_wasm_throw(0, header);
}

// `__cxxabiv1::__si_class_type_info`: a class with one public non-virtual base at offset 0.
struct SingleBaseTypeInfo : std::type_info {
    const std::type_info *base;
};

extern "C" char _ZTVN10__cxxabiv120__si_class_type_infoE[];

bool is_single_base(const std::type_info *type) {
    // A type_info's first word is its vtable's address point, two pointers into the vtable.
    void *const *vtable = *reinterpret_cast<void *const *const *>(type);
    return reinterpret_cast<const char *>(vtable) ==
           _ZTVN10__cxxabiv120__si_class_type_infoE + 2 * sizeof(void *);
}

bool catches(const std::type_info *caught, const std::type_info *thrown) {
    if (caught == nullptr) return true; // catch (...)
    for (const std::type_info *t = thrown; t != nullptr;) {
        if (*t == *caught) return true;
        t = is_single_base(t) ? static_cast<const SingleBaseTypeInfo *>(t)->base : nullptr;
    }
    return false;
}

// A LEB128 number, sign-extended when `is_signed`.
uintptr_t read_leb(const uint8_t *&p, bool is_signed) {
    uintptr_t value = 0;
    unsigned shift = 0;
    uint8_t byte;
    do {
        byte = *p++;
        value |= uintptr_t(byte & 0x7f) << shift;
        shift += 7;
    } while (byte & 0x80);
    if (is_signed && shift < 8 * sizeof(value) && (byte & 0x40)) value |= ~uintptr_t(0) << shift;
    return value;
}

uintptr_t read_uleb(const uint8_t *&p) { return read_leb(p, false); }

intptr_t read_sleb(const uint8_t *&p) { return intptr_t(read_leb(p, true)); }

// DWARF pointer encodings the wasm32 type table may use.
enum : uint8_t { ENC_ABSPTR = 0x00, ENC_UDATA4 = 0x03, ENC_SDATA4 = 0x0b, ENC_OMIT = 0xff };

const std::type_info *type_entry(const uint8_t *type_table_end, uint8_t encoding, intptr_t index) {
    if (encoding != ENC_ABSPTR && encoding != ENC_UDATA4 && encoding != ENC_SDATA4) abort();
    uint32_t address;
    std::memcpy(&address, type_table_end - index * 4, 4);
    return reinterpret_cast<const std::type_info *>(uintptr_t(address));
}

} // namespace

// The tag every C++ exception is thrown with; its one i32 is the address of the thrown Header.
asm(".globl __cpp_exception\n"
    ".tagtype __cpp_exception i32\n"
    "__cpp_exception:\n");

extern "C" {

// Filled in by each landing pad before it calls `_Unwind_CallPersonality`.
struct LandingPadContext {
    uintptr_t lpad_index; // this pad's entry in the call-site table
    uintptr_t lsda;       // the function's LSDA
    uintptr_t selector;   // the matching clause's type index, 0 when none matches
} __wasm_lpad_context;

void *__cxa_allocate_exception(size_t size) {
    auto *header = static_cast<Header *>(std::calloc(1, sizeof(Header) + size));
    if (header == nullptr) abort();
    return object_of(header);
}

void __cxa_free_exception(void *object) { std::free(static_cast<Header *>(object) - 1); }

[[noreturn]] void __cxa_throw(void *object, std::type_info *type, void *(*destructor)(void *)) {
    Header *header = static_cast<Header *>(object) - 1;
    header->type = type;
    header->destructor = destructor;
    raise(header);
}

// The personality: picks the clause of this landing pad that catches the exception.
int _Unwind_CallPersonality(void *exception) {
    auto *header = static_cast<Header *>(exception);
    LandingPadContext &context = __wasm_lpad_context;
    context.selector = 0;
    const uint8_t *p = reinterpret_cast<const uint8_t *>(context.lsda);
    if (p == nullptr) return 0;

    uint8_t landing_pad_start = *p++;
    if (landing_pad_start != ENC_OMIT) abort();
    uint8_t type_encoding = *p++;
    const uint8_t *type_table_end = nullptr;
    if (type_encoding != ENC_OMIT) {
        uintptr_t offset = read_uleb(p);
        type_table_end = p + offset;
    }
    ++p; // the call-site encoding: wasm's entries are always ULEB128
    uintptr_t call_sites_length = read_uleb(p);
    const uint8_t *actions = p + call_sites_length;

    // Entry `lpad_index` of the call-site table: (landing pad, first action + 1).
    uintptr_t action = 0;
    for (uintptr_t i = 0; i <= context.lpad_index; ++i) {
        if (p >= actions) return 0;
        read_uleb(p);
        action = read_uleb(p);
    }
    if (action == 0) return 0; // cleanup only

    const uint8_t *record = actions + action - 1;
    for (;;) {
        intptr_t type_index = read_sleb(record);
        const uint8_t *next_field = record;
        intptr_t next = read_sleb(record);
        if (type_index > 0) {
            const std::type_info *caught = type_entry(type_table_end, type_encoding, type_index);
            if (catches(caught, header->type)) {
                context.selector = uintptr_t(type_index);
                return 1;
            }
        }
        if (next == 0) return 0;
        record = next_field + next;
    }
}

// The object a by-value catch clause copies from, before its catch begins.
void *__cxa_get_exception_ptr(void *exception) {
    return object_of(static_cast<Header *>(exception));
}

void *__cxa_begin_catch(void *exception) {
    auto *header = static_cast<Header *>(exception);
    if (header->handlers == 0) {
        header->next_caught = caught_stack;
        caught_stack = header;
    }
    header->handlers += 1;
    header->rethrown = false;
    return object_of(header); // every match keeps the caught class at offset 0
}

void __cxa_end_catch() {
    Header *header = caught_stack;
    if (header == nullptr) return;
    if (--header->handlers > 0) return;
    caught_stack = header->next_caught;
    if (header->rethrown) return; // in flight again; the next catch owns it
    if (header->destructor != nullptr) header->destructor(object_of(header));
    std::free(header);
}

[[noreturn]] void __cxa_rethrow() {
    Header *header = caught_stack;
    if (header == nullptr) abort();
    header->rethrown = true;
    raise(header);
}

} // extern "C"
