// The `ringleader` subcommands. Each adds itself to the CLI11 app; its callback runs the command and
// throws CLI::RuntimeError(code) for a non-zero exit. Usage errors exit with code 2.
#pragma once

#include <CLI/CLI.hpp>

namespace ringleader::cli {

void add_simulate(CLI::App& app);
void add_serve(CLI::App& app);
void add_locate(CLI::App& app);
void add_demo(CLI::App& app);

}  // namespace ringleader::cli
