// xsam-cli: headless entry point. Argument parsing and dispatch only; the work lives in core/.
#include <cstdio>
#include <cstring>
#include <iostream>

#include "app/cli/command.h"
#include "core/util/error.h"
#include "core/util/malloc_hugepages.h"

namespace xs::cli {

std::map<std::string, Command>& commands() {
    static std::map<std::string, Command> table;
    return table;
}

namespace {

// "--out --polygons" is a forgotten value, not a file named "--polygons"; a value that really starts
// with "--" can be given as --out=--name (or ./--name).
const std::string& value_after(const std::vector<std::string>& tokens, size_t i, const std::string& flag) {
    if (i + 1 >= tokens.size()) throw Error("option " + flag + " needs a value");
    const std::string& v = tokens[i + 1];
    if (v.size() > 2 && v.rfind("--", 0) == 0) {
        throw Error("option " + flag + " needs a value, but is followed by the option " + v + " (write " + flag +
                    "=" + v + " if the value really is \"" + v + "\")");
    }
    return v;
}

}  // namespace

std::optional<std::string> Args::take(const std::string& name) {
    std::optional<std::string> value;
    const std::string flag = "--" + name;
    for (size_t i = 0; i < tokens_.size();) {
        const std::string& t = tokens_[i];
        if (t == flag) {
            value = value_after(tokens_, i, flag);
            tokens_.erase(tokens_.begin() + long(i), tokens_.begin() + long(i) + 2);
        } else if (t.rfind(flag + "=", 0) == 0) {
            value = t.substr(flag.size() + 1);
            tokens_.erase(tokens_.begin() + long(i));
        } else {
            ++i;
        }
    }
    return value;
}

std::vector<std::pair<std::string, std::string>> Args::take_all_of(const std::vector<std::string>& names) {
    std::vector<std::pair<std::string, std::string>> values;
    for (size_t i = 0; i < tokens_.size();) {
        const std::string& t = tokens_[i];
        bool taken = false;
        for (const std::string& name : names) {
            const std::string flag = "--" + name;
            if (t == flag) {
                values.emplace_back(name, value_after(tokens_, i, flag));
                tokens_.erase(tokens_.begin() + long(i), tokens_.begin() + long(i) + 2);
            } else if (t.rfind(flag + "=", 0) == 0) {
                values.emplace_back(name, t.substr(flag.size() + 1));
                tokens_.erase(tokens_.begin() + long(i));
            } else {
                continue;
            }
            taken = true;
            break;
        }
        if (!taken) ++i;
    }
    return values;
}

std::vector<std::string> Args::take_all(const std::string& name) {
    std::vector<std::string> values;
    for (auto& [flag_name, value] : take_all_of({name})) values.push_back(std::move(value));
    return values;
}

bool Args::take_flag(const std::string& name) {
    bool found = false;
    const std::string flag = "--" + name;
    for (size_t i = 0; i < tokens_.size();) {
        if (tokens_[i] == flag) {
            found = true;
            tokens_.erase(tokens_.begin() + long(i));
        } else {
            ++i;
        }
    }
    return found;
}

std::string Args::require(const std::string& name) {
    auto v = take(name);
    if (!v) throw Error("missing required option --" + name);
    return *v;
}

std::vector<std::string> Args::positionals() {
    for (const std::string& t : tokens_) {
        if (t.size() > 2 && t.rfind("--", 0) == 0) throw Error("unknown option " + t);
    }
    return tokens_;
}

}  // namespace xs::cli

static void print_usage(std::FILE* out) {
    std::fprintf(out, "usage: xsam-cli COMMAND [ARGS...]\n\ncommands:\n");
    for (const auto& [name, cmd] : xs::cli::commands()) std::fprintf(out, "  %s\n", cmd.usage.c_str());
    std::fprintf(out, "\n  --version   print the version\n  --help      this text\n");
}

namespace {

// X-SAM's commands (bench-xsam, batch, whose engine is X-SAM by default, and any with the engine
// xsam) start again with malloc's large blocks on huge pages (core/util/malloc_hugepages.h); the
// others keep their quick start. Runs from .preinit_array, before any library's initialisers.
void restart_for_xsam(int argc, char** argv, char** envp) {
    for (int i = 1; i < argc; ++i) {
        const char* a = argv[i];
        if (std::strcmp(a, "xsam") == 0 || std::strcmp(a, "--engine=xsam") == 0 ||
            (i == 1 && (std::strcmp(a, "bench-xsam") == 0 || std::strcmp(a, "batch") == 0))) {
            xs::use_malloc_hugepages(argv, envp);
            return;
        }
    }
}
__attribute__((section(".preinit_array"), used)) void (*const preinit_restart)(int, char**, char**) = restart_for_xsam;

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        print_usage(stdout);
        return 0;
    }
    if (name == "--version") {
        std::printf("xsam-cli %s\n", XS_VERSION);
        return 0;
    }
    auto it = xs::cli::commands().find(name);
    if (it == xs::cli::commands().end()) {
        std::fprintf(stderr, "xsam-cli: error: unknown command '%s'\n\n", name.c_str());
        print_usage(stderr);
        return 2;
    }
    xs::cli::Args args(std::vector<std::string>(argv + 2, argv + argc));
    try {
        return it->second.run(args);
    } catch (const xs::Error& e) {
        std::fprintf(stderr, "xsam-cli: error: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "xsam-cli: error: %s\n", e.what());
        return 1;
    }
}
