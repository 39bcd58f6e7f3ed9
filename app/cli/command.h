#pragma once
// Sub-command plumbing for xsam-cli. Each cmd_*.cpp file defines its commands and registers them:
//
//   static int run_info(xs::cli::Args& args) { ... return 0; }
//   XS_CLI_COMMAND("info", "info PROJECT.json   Summarise a project", run_info);
//
// Commands print results to stdout, errors to stderr (prefixed "xsam-cli: error: "), and return the
// exit code. xs::Error thrown from a command is reported the same way with exit code 1.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace xs::cli {

// Minimal argument list: positionals and --flags (with "--flag value" or "--flag=value").
class Args {
public:
    explicit Args(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}

    // Removes and returns the value of --name (the last one if repeated); nullopt if absent.
    std::optional<std::string> take(const std::string& name);
    // Removes and returns every value of a repeatable --name.
    std::vector<std::string> take_all(const std::string& name);
    // Removes and returns every value of any of the repeatable --names as (name, value), in the order
    // they stand on the command line (clicks of both signs: their order is part of the request).
    std::vector<std::pair<std::string, std::string>> take_all_of(const std::vector<std::string>& names);
    // Removes --name (a switch without a value); true if it was present.
    bool take_flag(const std::string& name);
    // Like take(), but throws xs::Error("missing --name") when absent.
    std::string require(const std::string& name);
    // The remaining positional arguments (after all takes). Throws on any unknown --flag left over.
    std::vector<std::string> positionals();

private:
    std::vector<std::string> tokens_;
};

using CommandFn = std::function<int(Args&)>;

struct Command {
    std::string usage;  // first word is the command name
    CommandFn run;
};

std::map<std::string, Command>& commands();

struct Registrar {
    Registrar(const std::string& name, const std::string& usage, CommandFn fn) {
        commands()[name] = Command{usage, std::move(fn)};
    }
};

}  // namespace xs::cli

#define XS_CLI_CONCAT2(a, b) a##b
#define XS_CLI_CONCAT(a, b) XS_CLI_CONCAT2(a, b)
#define XS_CLI_COMMAND(name, usage, fn) \
    static ::xs::cli::Registrar XS_CLI_CONCAT(xs_cli_registrar_, __LINE__)(name, usage, fn)
