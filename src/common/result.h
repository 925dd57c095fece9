// Result<T> and TRY: errors are values. The project's own code never throws.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace mb {

// What kind of failure this is. Callers branch on the kind (an absent key is not
// a failure to fetch it); the message is for humans.
enum class ErrorKind {
    Invalid,      // malformed input: a packet, a response, a value
    NotFound,     // absent (HTTP 404, no such file)
    Timeout,      // a deadline passed
    Io,           // a syscall failed
    Refused,      // the peer said no (403, NAK)
    Unsupported,  // the provider or platform does not do this
    TooLarge,     // a size cap was hit
};

const char* error_kind_name(ErrorKind kind);

class Error {
public:
    static Error invalid(std::string message) { return Error(ErrorKind::Invalid, std::move(message)); }
    static Error not_found(std::string message) { return Error(ErrorKind::NotFound, std::move(message)); }
    static Error timeout(std::string message) { return Error(ErrorKind::Timeout, std::move(message)); }
    static Error io(std::string message, int errno_value = 0);
    static Error refused(std::string message) { return Error(ErrorKind::Refused, std::move(message)); }
    static Error unsupported(std::string message) { return Error(ErrorKind::Unsupported, std::move(message)); }
    static Error too_large(std::string message) { return Error(ErrorKind::TooLarge, std::move(message)); }

    Error(ErrorKind kind, std::string message, int errno_value = 0)
        : m_kind(kind)
        , m_message(std::move(message))
        , m_errno(errno_value)
    {
    }

    ErrorKind kind() const { return m_kind; }
    const std::string& message() const { return m_message; }
    int errno_value() const { return m_errno; }

    // Adds context in front: "fetching token: connection refused".
    Error context(const std::string& what) const { return Error(m_kind, what + ": " + m_message, m_errno); }

private:
    ErrorKind m_kind;
    std::string m_message;
    int m_errno;
};

template<typename T>
class [[nodiscard]] Result {
public:
    Result(T value)
        : m_storage(std::in_place_index<0>, std::move(value))
    {
    }
    Result(Error error)
        : m_storage(std::in_place_index<1>, std::move(error))
    {
    }
    template<typename U>
        requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Error> && !std::is_same_v<std::decay_t<U>, T>)
    Result(U&& value)
        : m_storage(std::in_place_index<0>, T(std::forward<U>(value)))
    {
    }

    bool is_error() const { return m_storage.index() == 1; }
    bool ok() const { return m_storage.index() == 0; }
    explicit operator bool() const { return ok(); }

    // Reading the value of an error (or the error of a value) is the
    // program's own mistake, never the input's: it traps at once, a single
    // instruction, instead of reading through a null pointer.
    T& value()
    {
        expect(ok());
        return *std::get_if<0>(&m_storage);
    }
    const T& value() const
    {
        expect(ok());
        return *std::get_if<0>(&m_storage);
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    const Error& error() const
    {
        expect(is_error());
        return *std::get_if<1>(&m_storage);
    }

    T release_value() { return std::move(value()); }
    Error release_error()
    {
        expect(is_error());
        return std::move(*std::get_if<1>(&m_storage));
    }

    T value_or(T fallback) const { return ok() ? value() : std::move(fallback); }

private:
    static void expect(bool condition)
    {
        if (!condition) [[unlikely]]
            __builtin_trap();
    }

    std::variant<T, Error> m_storage;
};

template<>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error)
        : m_error(std::move(error))
        , m_failed(true)
    {
    }

    bool is_error() const { return m_failed; }
    bool ok() const { return !m_failed; }
    explicit operator bool() const { return ok(); }
    const Error& error() const
    {
        if (!m_failed) [[unlikely]]
            __builtin_trap();
        return m_error;
    }
    Error release_error()
    {
        if (!m_failed) [[unlikely]]
            __builtin_trap();
        return std::move(m_error);
    }
    void release_value() { }

private:
    Error m_error { ErrorKind::Invalid, {} };
    bool m_failed { false };
};

using Status = Result<void>;

}

// TRY(expr): evaluate a Result; on error return the error from the enclosing
// function, otherwise yield the value. Uses a statement expression, which both
// GCC and clang support.
#define TRY(expression)                               \
    ({                                                \
        auto&& _mb_try_result = (expression);         \
        if (_mb_try_result.is_error()) [[unlikely]]   \
            return _mb_try_result.release_error();    \
        _mb_try_result.release_value();               \
    })
