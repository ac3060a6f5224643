// The `ringleader` subcommands. Each adds itself to the CLI11 app; its callback runs the command and
// throws CLI::RuntimeError(code) for a non-zero exit. Usage errors exit with code 2.
#pragma once

#include <string_view>

#include <CLI/CLI.hpp>

namespace ringleader::cli {

/// The project's version (CMake's project(VERSION)), printed by `ringleader --version`.
inline constexpr std::string_view kVersion = RINGLEADER_VERSION;

/// Checks that an option is a whole number >= 1 (CLI::PositiveNumber's message prints the whole range
/// of a double; this one says what is wrong).
extern const CLI::Validator kAtLeastOne;

void add_simulate(CLI::App& app);
void add_serve(CLI::App& app);
void add_locate(CLI::App& app);
void add_demo(CLI::App& app);
void add_register(CLI::App& app);

/// The whole command line when the binary runs as `nutcracker` (nutcracker_compat.cpp); returns
/// the exit status.
int run_as_nutcracker(int argc, char** argv);

}  // namespace ringleader::cli
