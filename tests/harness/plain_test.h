#pragma once
// A tiny Qt-free test harness for suites that include LibTorch headers (Qt and LibTorch headers are
// kept out of one translation unit, see toolchain-facts.md) and must also run on the GPU machine,
// which has no Qt.
//
//   XS_TEST(rmsnorm_matches_formula) {
//       ...
//       XS_CHECK(nmse < 1e-10);
//       XS_CHECK_MSG(a == b, "a=" + std::to_string(a));
//   }
//   XS_TEST_MAIN()
//
// Prints one line per test and closes with "N passed, M failed"; exit code 1 on any failure.
// Environment: XS_SOURCE_DIR, XS_SHARED_DIR, XS_TEST_TMP (as for the QtTest suites).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>
#include <vector>

namespace xs::plain_test {

struct Case {
    const char* name;
    std::function<void()> fn;
};

inline std::vector<Case>& cases() {
    static std::vector<Case> all;
    return all;
}

struct Failure {
    std::string message;
};

struct Registrar {
    Registrar(const char* name, std::function<void()> fn) { cases().push_back({name, std::move(fn)}); }
};

inline std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : fallback;
}

inline int run_all(int argc, char** argv) {
    std::string only = argc > 1 ? argv[1] : "";
    int passed = 0, failed = 0;
    for (const Case& c : cases()) {
        if (!only.empty() && std::string(c.name).find(only) == std::string::npos) continue;
        try {
            c.fn();
            ++passed;
            std::printf("PASS   %s\n", c.name);
        } catch (const Failure& f) {
            ++failed;
            std::printf("FAIL   %s: %s\n", c.name, f.message.c_str());
        } catch (const std::exception& e) {
            ++failed;
            std::printf("FAIL   %s: unexpected exception: %s\n", c.name, e.what());
        }
        std::fflush(stdout);
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}

}  // namespace xs::plain_test

#define XS_TEST(name)                                                                  \
    static void xs_test_##name();                                                      \
    static ::xs::plain_test::Registrar xs_test_reg_##name(#name, &xs_test_##name);     \
    static void xs_test_##name()

#define XS_CHECK_MSG(cond, msg)                                                                   \
    do {                                                                                          \
        if (!(cond))                                                                              \
            throw ::xs::plain_test::Failure{std::string(__FILE__) + ":" + std::to_string(__LINE__) + \
                                            ": " #cond " -- " + std::string(msg)};                \
    } while (0)

#define XS_CHECK(cond) XS_CHECK_MSG(cond, "")

// Expects the statement to throw an exception of type ex (e.g. xs::Error) whose what() contains text.
#define XS_CHECK_THROWS(stmt, ex, text)                                                        \
    do {                                                                                       \
        bool xs_thrown = false;                                                                \
        try {                                                                                  \
            stmt;                                                                              \
        } catch (const ex& e) {                                                                \
            xs_thrown = true;                                                                  \
            XS_CHECK_MSG(std::string(e.what()).find(text) != std::string::npos,                \
                         std::string("message was: ") + e.what());                             \
        }                                                                                      \
        XS_CHECK_MSG(xs_thrown, "expected " #ex " containing '" + std::string(text) + "'");    \
    } while (0)

#define XS_TEST_MAIN() \
    int main(int argc, char** argv) { return ::xs::plain_test::run_all(argc, argv); }
