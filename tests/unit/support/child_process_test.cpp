// ChildProcess and the loopback port helpers: a child is stopped and reaped on every way out, and a
// program that cannot run says so.
#include "support/child_process.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <thread>

#include <gtest/gtest.h>

#include "support/ports.hpp"

namespace ringleader::support {
namespace {

// A program that is not installed throws ENOENT before anything is forked.
TEST(ChildProcess, MissingProgramThrowsNoSuchFile) {
  try {
    ChildProcess child({"ringleader-no-such-program"});
    FAIL() << "started pid " << child.pid();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  }
}

// A file that exists but cannot be executed: exec's own errno comes back through the pipe.
TEST(ChildProcess, ExecFailureCarriesItsErrno) {
  const auto file = std::filesystem::temp_directory_path() / ("ringleader-not-a-program-" + std::to_string(::getpid()));
  { std::ofstream(file) << "not a program\n"; }
  std::filesystem::permissions(file, std::filesystem::perms::owner_all);
  try {
    ChildProcess child({file.string()});
    FAIL() << "started pid " << child.pid();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::executable_format_error);
  }
  std::filesystem::remove(file);
}

// The destructor stops the child (its stop signal, SIGTERM) and reaps it.
TEST(ChildProcess, DestructorKillsAndReaps) {
  pid_t pid = -1;
  {
    ChildProcess child({"sleep", "60"});
    pid = child.pid();
    EXPECT_TRUE(child.running());
  }
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);  // reaped already: no such child
  EXPECT_EQ(::kill(pid, 0), -1);
}

// Output goes to the log file, appended.
TEST(ChildProcess, OutputGoesToTheLog) {
  const auto log = std::filesystem::temp_directory_path() / ("ringleader-child-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(log);
  for (const char* word : {"one", "two"}) {
    ChildProcess child({"echo", word}, log.string());
    while (child.running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(ChildProcess({"true"}, log.string()).log(), "one\ntwo\n");
  std::filesystem::remove(log);
}

// A moved-from process owns nothing; the new owner stops it.
TEST(ChildProcess, MoveTransfersOwnership) {
  ChildProcess first({"sleep", "60"}, {}, SIGKILL);
  const pid_t pid = first.pid();
  ChildProcess second(std::move(first));
  EXPECT_EQ(first.pid(), -1);
  EXPECT_FALSE(first.running());
  EXPECT_EQ(second.pid(), pid);
  second.stop();
  EXPECT_FALSE(second.running());
}

// free_port gives a port nothing listens on; connect_loopback to it fails with the address named.
TEST(Ports, FreePortIsNotAccepting) {
  const std::uint16_t port = free_port();
  EXPECT_FALSE(accepting(port));
  EXPECT_FALSE(wait_until_accepting(port, std::chrono::milliseconds(50)));
  try {
    connect_loopback(port);
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ringleader::support
