// ringleader: consistent hashing that routes real traffic. Entry point of the command line.
#include <cstdio>
#include <filesystem>
#include <string_view>

#include "cli/commands.hpp"

namespace ringleader::cli {

const CLI::Validator kAtLeastOne(
    [](std::string& value) -> std::string {
      std::size_t used = 0;
      try {
        if (std::stoll(value, &used) >= 1 && used == value.size()) return {};
      } catch (const std::exception&) {
      }
      return "must be a whole number >= 1, not '" + value + "'";
    },
    "N>=1");

}  // namespace ringleader::cli

int main(int argc, char** argv) {
  // Installed as a `nutcracker` symlink, the binary takes nutcracker's command line unchanged, so
  // init scripts, systemd units and logrotate rules written for twemproxy start it as they are.
  if (argc > 0 && std::filesystem::path(argv[0]).filename() == "nutcracker")
    return ringleader::cli::run_as_nutcracker(argc, argv);
  CLI::App app{"ringleader: consistent hashing that routes real traffic", "ringleader"};
  app.set_version_flag("-V,--version", "ringleader " + std::string(ringleader::cli::kVersion));
  app.require_subcommand(1);
  ringleader::cli::add_simulate(app);
  ringleader::cli::add_serve(app);
  ringleader::cli::add_locate(app);
  ringleader::cli::add_demo(app);
  ringleader::cli::add_register(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {  // a command ran and failed: its message, its exit code
    if (std::string_view(e.what()) != "Runtime error") std::fprintf(stderr, "ringleader: %s\n", e.what());
    return e.get_exit_code();
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {  // bad usage: the message, then exit code 2
    app.exit(e);
    return 2;
  }
  return 0;
}
