// C++ exceptions across several functions: class hierarchies caught by base reference, scalars,
// catch (...), rethrow with `throw;`, destructors run while unwinding, a try inside a catch, and
// many throws in a loop. Built natively and for wasm32-wasi with -fwasm-exceptions (legacy and
// exnref encodings); every build must print the same.
#include <cstdio>

static int live_guards = 0;

// Prints when a frame it lives in is left, normally or by unwinding.
struct Guard {
    const char *name;
    explicit Guard(const char *name) : name(name) { ++live_guards; }
    ~Guard() {
        --live_guards;
        std::printf("  leaving %s\n", name);
    }
};

struct Error {
    int code;
    explicit Error(int code) : code(code) {}
    virtual ~Error() {}
    virtual const char *what() const { return "error"; }
};

struct ParseError : Error {
    int line;
    ParseError(int code, int line) : Error(code), line(line) {}
    const char *what() const override { return "parse error"; }
};

struct DeepParseError : ParseError {
    DeepParseError(int code, int line) : ParseError(code, line) {}
    const char *what() const override { return "deep parse error"; }
};

struct Unrelated {
    int value;
};

static int copies = 0;

// Counts copies, so catching by value is seen to copy.
struct Counted {
    int id;
    explicit Counted(int id) : id(id) {}
    Counted(const Counted &other) : id(other.id) { ++copies; }
};

// Throws what `kind` names from `depth` frames down, with a guard in every frame.
__attribute__((noinline)) static int descend(int depth, int kind) {
    Guard guard(depth % 2 ? "odd frame" : "even frame");
    if (depth > 0) return descend(depth - 1, kind) + 1;
    switch (kind) {
    case 0: throw Error(10);
    case 1: throw ParseError(20, 7);
    case 2: throw DeepParseError(30, 9);
    case 3: throw 42;
    case 4: throw Unrelated{5};
    case 5: throw Counted(77);
    default: return 0;
    }
}

__attribute__((noinline)) static void classify(int kind) {
    try {
        descend(2, kind);
        std::printf("kind %d: nothing thrown\n", kind);
    } catch (const DeepParseError &e) {
        std::printf("kind %d: DeepParseError %s code %d line %d\n", kind, e.what(), e.code, e.line);
    } catch (const ParseError &e) {
        std::printf("kind %d: ParseError %s code %d line %d\n", kind, e.what(), e.code, e.line);
    } catch (const Error &e) {
        std::printf("kind %d: Error %s code %d\n", kind, e.what(), e.code);
    } catch (int value) {
        std::printf("kind %d: int %d\n", kind, value);
    } catch (Counted counted) {
        std::printf("kind %d: Counted %d (copies %d)\n", kind, counted.id, copies);
    } catch (...) {
        std::printf("kind %d: something else\n", kind);
    }
}

// Catches, looks, and throws the same exception on with `throw;`.
__attribute__((noinline)) static void rethrow_after_logging(int kind) {
    Guard guard("rethrower");
    try {
        descend(1, kind);
    } catch (const Error &e) {
        std::printf("  logged %s, passing it on\n", e.what());
        throw;
    }
}

// Only base classes are caught here; the rest passes through.
__attribute__((noinline)) static int only_errors(int kind) {
    try {
        return descend(0, kind);
    } catch (const Error &e) {
        return -e.code;
    }
}

__attribute__((noinline)) static int recover_inside_catch() {
    try {
        descend(1, 3);
    } catch (int first) {
        try {
            descend(0, 1);
        } catch (const ParseError &second) {
            return first * 100 + second.line;
        }
    }
    return -1;
}

int main() {
    std::printf("classify:\n");
    for (int kind = 0; kind <= 6; ++kind) classify(kind);

    std::printf("rethrow:\n");
    try {
        rethrow_after_logging(2);
    } catch (const ParseError &e) {
        std::printf("  caught again as ParseError line %d\n", e.line);
    }

    std::printf("pass through:\n");
    std::printf("  only_errors(1) = %d\n", only_errors(1));
    try {
        only_errors(3);
    } catch (int value) {
        std::printf("  int %d went past only_errors\n", value);
    }

    std::printf("nested: %d\n", recover_inside_catch());

    long sum = 0;
    for (int i = 0; i < 10000; ++i) {
        try {
            if (i % 3 == 0) throw ParseError(i, i % 100);
            if (i % 3 == 1) throw i;
            sum += 1;
        } catch (const Error &e) {
            sum += e.code;
        } catch (int value) {
            sum -= value / 2;
        }
    }
    std::printf("loop sum %ld, guards alive %d\n", sum, live_guards);
    return 0;
}
