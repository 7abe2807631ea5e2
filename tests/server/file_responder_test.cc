#include "hybrid/server/file_responder.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace hybrid::server {
namespace {

using namespace std::string_view_literals;
namespace fs = std::filesystem;

constexpr std::size_t kMaxTarget = 1024;

// A PNG signature and IHDR chunk: enough for libmagic to say image/png.
constexpr std::string_view kPngHeader =
    "\x89PNG\r\n\x1a\n"
    "\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"sv;

constexpr std::string_view kSecret = "outside the root: must never be served\n";

bool kernel_has_openat2() {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  long fd = ::syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how);
  if (fd >= 0) ::close(static_cast<int>(fd));
  return fd >= 0 || errno != ENOSYS;
}

// Makes openat2 fail with ENOSYS in the calling process (a kernel before 5.6, or a seccomp
// sandbox that hides it), so open_beneath() takes its fallback walk. Only ever called in a
// forked child. False if the filter cannot be installed.
bool hide_openat2() {
  auto statement = [](std::uint16_t code, std::uint32_t k) { return sock_filter{code, 0, 0, k}; };
  sock_filter program[] = {
      statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      sock_filter{BPF_JMP | BPF_JEQ | BPF_K, 0, 1, static_cast<std::uint32_t>(SYS_openat2)},
      statement(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
      statement(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog filter{static_cast<unsigned short>(std::size(program)), program};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filter) == 0;
}

std::string read_fd(int fd) {
  std::string content;
  char chunk[4096];
  off_t offset = 0;
  while (true) {
    ssize_t n = ::pread(fd, chunk, sizeof chunk, offset);
    if (n <= 0) break;
    content.append(chunk, static_cast<std::size_t>(n));
    offset += n;
  }
  return content;
}

// Layout: <tmp>/secret.txt and <tmp>/outside/ beside the document root <tmp>/root/.
class FileResponderTest : public ::testing::Test {
 protected:
  FileResponderTest() {
    root_ = tmp_.mkdir("root");
    tmp_.write("secret.txt", kSecret);
    tmp_.write("outside/secret.txt", kSecret);
    root_fd_ = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    EXPECT_GE(root_fd_, 0);
    files_ = std::make_unique<FileResponder>(root_fd_, kMaxTarget);
  }
  ~FileResponderTest() override {
    files_.reset();
    ::close(root_fd_);
  }

  fs::path write(std::string_view relative, std::string_view content) {
    return tmp_.write("root/" + std::string(relative), content);
  }

  // choose(), keeping the fd for closing and the location as a string.
  FileChoice choose(std::string_view target) {
    FileChoice choice = files_->choose(target, location_buffer_);
    location_.assign(location_buffer_.data(), choice.location_length);
    return choice;
  }

  // The target must not be served, and nothing must have been opened.
  void expect_refused(std::string_view target) {
    FileChoice choice = choose(target);
    EXPECT_TRUE(choice.status == http::Status::kBadRequest ||
                choice.status == http::Status::kNotFound)
        << target << " → " << http::code(choice.status);
    EXPECT_EQ(choice.fd.get(), -1) << target;
  }

  test::TempDir tmp_;
  fs::path root_;
  int root_fd_ = -1;
  std::unique_ptr<FileResponder> files_;
  std::vector<char> location_buffer_ = std::vector<char>(3 * kMaxTarget + 16);
  std::string location_;
};

TEST_F(FileResponderTest, ServesARegularFile) {
  const std::string content = "hello, world\n";
  write("hello.txt", content);
  FileChoice choice = choose("/hello.txt");
  ASSERT_EQ(choice.status, http::Status::kOk);
  ASSERT_GE(choice.fd.get(), 0);
  EXPECT_TRUE(S_ISREG(choice.st.st_mode));
  EXPECT_EQ(choice.st.st_size, static_cast<off_t>(content.size()));
  EXPECT_EQ(choice.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(read_fd(choice.fd.get()), content);
  EXPECT_TRUE(::fcntl(choice.fd.get(), F_GETFD) & FD_CLOEXEC);
}

TEST_F(FileResponderTest, ContentTypeComesFromTheExtension) {
  write("a/page.html", "<p>x</p>");
  write("style.CSS", "p{}");
  write("data.json", "{}");
  EXPECT_EQ(choose("/a/page.html").content_type, "text/html; charset=utf-8");
  EXPECT_EQ(choose("/style.CSS").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(choose("/data.json").content_type, "application/json");
}

TEST_F(FileResponderTest, QueryAndPercentEncodingAreHandled) {
  write("with space.txt", "spaced");
  FileChoice choice = choose("/with%20space.txt?download=1");
  ASSERT_EQ(choice.status, http::Status::kOk);
  EXPECT_EQ(read_fd(choice.fd.get()), "spaced");
}

TEST_F(FileResponderTest, AbsoluteFormTargetIsServed) {
  write("hello.txt", "hi");
  FileChoice choice = choose("http://example.com/hello.txt");
  ASSERT_EQ(choice.status, http::Status::kOk);
  EXPECT_EQ(read_fd(choice.fd.get()), "hi");
}

TEST_F(FileResponderTest, DirectoryWithTrailingSlashServesItsIndex) {
  write("docs/index.html", "<h1>docs</h1>");
  FileChoice choice = choose("/docs/");
  ASSERT_EQ(choice.status, http::Status::kOk);
  EXPECT_EQ(choice.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(read_fd(choice.fd.get()), "<h1>docs</h1>");
}

TEST_F(FileResponderTest, RootServesItsIndex) {
  write("index.html", "<h1>home</h1>");
  FileChoice choice = choose("/");
  ASSERT_EQ(choice.status, http::Status::kOk);
  EXPECT_EQ(read_fd(choice.fd.get()), "<h1>home</h1>");
}

TEST_F(FileResponderTest, DirectoryWithoutIndexIsNotFound) {
  tmp_.mkdir("root/empty");
  FileChoice choice = choose("/empty/");
  EXPECT_EQ(choice.status, http::Status::kNotFound);
  EXPECT_EQ(choice.fd.get(), -1);
}

TEST_F(FileResponderTest, DirectoryWithoutIndexIsChosenForAListingWhenAsked) {
  tmp_.mkdir("root/a/empty");
  write("a/docs/index.html", "x");
  files_->list_directories(true);
  FileChoice choice = choose("/a/empty/");
  ASSERT_EQ(choice.status, http::Status::kOk);
  EXPECT_TRUE(choice.listing);
  EXPECT_EQ(choice.directory_path, "a/empty");
  EXPECT_TRUE(S_ISDIR(choice.st.st_mode));
  struct stat opened {};
  ASSERT_EQ(::fstat(choice.fd.get(), &opened), 0);
  EXPECT_EQ(opened.st_ino, choice.st.st_ino);
  FileChoice root = choose("/");
  EXPECT_TRUE(root.listing);
  EXPECT_EQ(root.directory_path, "");
  FileChoice index = choose("/a/docs/");
  EXPECT_FALSE(index.listing);
  EXPECT_EQ(read_fd(index.fd.get()), "x");
  EXPECT_EQ(choose("/a/empty").status, http::Status::kMovedPermanently);
}

TEST_F(FileResponderTest, DirectoryWithoutTrailingSlashRedirects) {
  write("docs/index.html", "x");
  FileChoice choice = choose("/docs");
  EXPECT_EQ(choice.status, http::Status::kMovedPermanently);
  EXPECT_EQ(choice.fd.get(), -1);
  EXPECT_EQ(location_, "/docs/");
}

TEST_F(FileResponderTest, RedirectKeepsTheQuery) {
  tmp_.mkdir("root/dir");
  FileChoice choice = choose("/dir?q");
  ASSERT_EQ(choice.status, http::Status::kMovedPermanently);
  EXPECT_EQ(location_, "/dir/?q");
  choice = choose("/dir?a=1&b=%20");
  ASSERT_EQ(choice.status, http::Status::kMovedPermanently);
  EXPECT_EQ(location_, "/dir/?a=1&b=%20");
}

TEST_F(FileResponderTest, RedirectLocationIsPercentEncoded) {
  tmp_.mkdir("root/my dir/sub");
  FileChoice choice = choose("/my%20dir/sub");
  ASSERT_EQ(choice.status, http::Status::kMovedPermanently);
  EXPECT_EQ(location_, "/my%20dir/sub/");
}

TEST_F(FileResponderTest, MissingFileIsNotFound) {
  FileChoice choice = choose("/nope.txt");
  EXPECT_EQ(choice.status, http::Status::kNotFound);
  EXPECT_EQ(choice.fd.get(), -1);
  EXPECT_EQ(choose("/no/such/dir/file").status, http::Status::kNotFound);
}

TEST_F(FileResponderTest, FileWithTrailingSlashIsNotFound) {
  write("hello.txt", "hi");
  FileChoice choice = choose("/hello.txt/");
  EXPECT_EQ(choice.status, http::Status::kNotFound);
  EXPECT_EQ(choice.fd.get(), -1);
}

TEST_F(FileResponderTest, MalformedTargetsAreBadRequests) {
  EXPECT_EQ(choose("*").status, http::Status::kBadRequest);
  EXPECT_EQ(choose("hello.txt").status, http::Status::kBadRequest);
  EXPECT_EQ(choose("/bad%zzescape").status, http::Status::kBadRequest);
  EXPECT_EQ(choose("/nul%00byte").status, http::Status::kBadRequest);
}

TEST_F(FileResponderTest, TraversalNeverReachesTheOutsideFile) {
  for (std::string_view target :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt", "/sub/../../secret.txt", "/./../secret.txt", "/..%5csecret.txt",
        "/%2e%2e%5csecret.txt", "/../outside/secret.txt", "http://host/../secret.txt"}) {
    expect_refused(target);
  }
}

TEST_F(FileResponderTest, DotSegmentsInsideTheRootAreResolved) {
  write("a/b.txt", "b");
  FileChoice choice = choose("/a/x/../b.txt");
  ASSERT_EQ(choice.status, http::Status::kOk);
  EXPECT_EQ(read_fd(choice.fd.get()), "b");
}

TEST_F(FileResponderTest, SymlinkInsideTheRootIsServed) {
  if (!kernel_has_openat2()) GTEST_SKIP() << "no openat2: the fallback refuses every symlink";
  write("real/target.txt", "linked");
  fs::create_symlink("real/target.txt", root_ / "link.txt");
  fs::create_directory_symlink("real", root_ / "alias");
  FileChoice choice = choose("/link.txt");
  ASSERT_EQ(choice.status, http::Status::kOk);
  EXPECT_EQ(read_fd(choice.fd.get()), "linked");
  choice = choose("/alias/target.txt");
  ASSERT_EQ(choice.status, http::Status::kOk);
  EXPECT_EQ(read_fd(choice.fd.get()), "linked");
}

TEST_F(FileResponderTest, SymlinkToAFileOutsideTheRootIsNotFound) {
  fs::create_symlink(tmp_.path() / "secret.txt", root_ / "absolute.txt");
  fs::create_symlink("../secret.txt", root_ / "relative.txt");
  for (std::string_view target : {"/absolute.txt", "/relative.txt"}) {
    FileChoice choice = choose(target);
    EXPECT_EQ(choice.status, http::Status::kNotFound) << target;
    EXPECT_EQ(choice.fd.get(), -1) << target;
  }
}

TEST_F(FileResponderTest, SymlinkedDirectoryOutsideTheRootIsNotFound) {
  fs::create_directory_symlink(tmp_.path() / "outside", root_ / "escape");
  fs::create_directory_symlink("../outside", root_ / "escape2");
  for (std::string_view target : {"/escape/secret.txt", "/escape2/secret.txt"}) {
    FileChoice choice = choose(target);
    EXPECT_EQ(choice.status, http::Status::kNotFound) << target;
    EXPECT_EQ(choice.fd.get(), -1) << target;
  }
}

TEST_F(FileResponderTest, FifoIsNotFoundWithoutBlocking) {
  const fs::path fifo = root_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  std::promise<FileChoice> result;
  auto chosen = result.get_future();
  std::thread worker([&] {
    std::vector<char> location(3 * kMaxTarget + 16);
    result.set_value(files_->choose("/pipe", location));
  });
  const bool returned = chosen.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  if (!returned) {
    // A blocking open waits for a writer: provide one so the thread can be joined.
    int writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    worker.join();
    if (writer >= 0) ::close(writer);
  } else {
    worker.join();
  }
  ASSERT_TRUE(returned) << "choose() blocked opening a FIFO";
  FileChoice choice = chosen.get();
  EXPECT_EQ(choice.status, http::Status::kNotFound);
  EXPECT_EQ(choice.fd.get(), -1);
}

TEST_F(FileResponderTest, UnreadableFileIsForbidden) {
  if (::geteuid() == 0) GTEST_SKIP() << "root bypasses file permissions";
  const fs::path path = write("private.txt", "secret");
  fs::permissions(path, fs::perms::none);
  FileChoice choice = choose("/private.txt");
  EXPECT_EQ(choice.status, http::Status::kForbidden);
  EXPECT_EQ(choice.fd.get(), -1);
}

TEST_F(FileResponderTest, UnknownExtensionIsSniffed) {
  write("picture.unknownext", kPngHeader);
  write("noextension", kPngHeader);
  FileChoice choice = choose("/picture.unknownext");
  ASSERT_EQ(choice.status, http::Status::kOk);
  EXPECT_EQ(choice.content_type, "image/png");
  choice = choose("/noextension");
  ASSERT_EQ(choice.status, http::Status::kOk);
  EXPECT_EQ(choice.content_type, "image/png");
}

TEST_F(FileResponderTest, SniffedHtmlIsNeverServedAsHtml) {
  write("upload.bin2", "<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n");
  FileChoice choice = choose("/upload.bin2");
  ASSERT_EQ(choice.status, http::Status::kOk);
  EXPECT_EQ(choice.content_type.find("html"), std::string_view::npos) << choice.content_type;
}

TEST_F(FileResponderTest, OpenBeneathRefusesEscapes) {
  const int expected = kernel_has_openat2() ? -EXDEV : -ELOOP;
  fs::create_symlink(tmp_.path() / "secret.txt", root_ / "absolute.txt");
  fs::create_symlink("../secret.txt", root_ / "relative.txt");

  int fd = open_beneath(root_fd_, "../secret.txt");
  EXPECT_LT(fd, 0);
  if (fd >= 0) ::close(fd);
  if (kernel_has_openat2()) {
    EXPECT_EQ(fd, -EXDEV);
  }

  fd = open_beneath(root_fd_, "relative.txt");
  EXPECT_EQ(fd, expected);
  if (fd >= 0) ::close(fd);

  fd = open_beneath(root_fd_, "absolute.txt");
  EXPECT_EQ(fd, expected);
  if (fd >= 0) ::close(fd);

  fd = open_beneath(root_fd_, (tmp_.path() / "secret.txt").c_str());
  EXPECT_LT(fd, 0);
  if (fd >= 0) ::close(fd);
}

// The fallback walk must keep the same promise as openat2: nothing outside the root. It runs in a
// forked child whose openat2 is hidden by seccomp; the child reports each check's outcome as one
// byte on a pipe ('o' opened, 'r' refused), or exits 2 when it cannot hide openat2.
TEST_F(FileResponderTest, FallbackWithoutOpenat2NeverLeavesTheRoot) {
  write("plain.txt", "plain");
  write("sub/nested.txt", "nested");
  fs::create_symlink("plain.txt", root_ / "inside-link.txt");
  fs::create_symlink(tmp_.path() / "secret.txt", root_ / "absolute.txt");
  fs::create_symlink("../secret.txt", root_ / "relative.txt");
  fs::create_directory_symlink(tmp_.path() / "outside", root_ / "escape");

  struct Check {
    const char* path;
    bool expect_open;
  };
  static constexpr Check kChecks[] = {
      {"plain.txt", true},      {"sub/nested.txt", true},        {"inside-link.txt", false},
      {"absolute.txt", false},  {"relative.txt", false},         {"escape/secret.txt", false},
      {"../secret.txt", false}, {"sub/../../secret.txt", false}, {"../outside/secret.txt", false},
  };

  // The same through choose(), whose normalisation removes ".." before any open.
  static constexpr Check kServed[] = {
      {"/plain.txt", true},          {"/inside-link.txt", false}, {"/absolute.txt", false},
      {"/escape/secret.txt", false}, {"/../secret.txt", false},   {"/%2e%2e/secret.txt", false},
  };

  int report[2];
  ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(report[0]);
    if (!hide_openat2()) ::_exit(2);
    for (const Check& check : kChecks) {
      int fd = open_beneath(root_fd_, check.path);
      char outcome = fd >= 0 ? 'o' : 'r';
      if (fd >= 0) ::close(fd);
      if (::write(report[1], &outcome, 1) != 1) ::_exit(3);
    }
    for (const Check& check : kServed) {
      std::vector<char> location(3 * kMaxTarget + 16);
      FileChoice choice = files_->choose(check.path, location);
      char outcome = choice.status == http::Status::kOk ? 'o' : 'r';
      choice.fd.reset();
      if (::write(report[1], &outcome, 1) != 1) ::_exit(3);
    }
    ::_exit(0);
  }
  ::close(report[1]);
  std::string outcomes;
  char byte;
  while (::read(report[0], &byte, 1) == 1) outcomes += byte;
  ::close(report[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "child died: status " << status;
  if (WEXITSTATUS(status) == 2) GTEST_SKIP() << "cannot install a seccomp filter here";
  ASSERT_EQ(WEXITSTATUS(status), 0);
  ASSERT_EQ(outcomes.size(), std::size(kChecks) + std::size(kServed));
  for (std::size_t i = 0; i < std::size(kChecks); ++i) {
    EXPECT_EQ(outcomes[i] == 'o', kChecks[i].expect_open)
        << "fallback open_beneath(\"" << kChecks[i].path << "\") "
        << (kChecks[i].expect_open ? "was refused" : "opened a file");
  }
  for (std::size_t i = 0; i < std::size(kServed); ++i) {
    EXPECT_EQ(outcomes[std::size(kChecks) + i] == 'o', kServed[i].expect_open)
        << "fallback choose(\"" << kServed[i].path << "\") "
        << (kServed[i].expect_open ? "was refused" : "served a file");
  }
}

TEST_F(FileResponderTest, OpenBeneathOpensNonBlockingCloseOnExec) {
  write("plain.txt", "plain");
  int fd = open_beneath(root_fd_, "plain.txt");
  ASSERT_GE(fd, 0) << std::strerror(-fd);
  EXPECT_TRUE(::fcntl(fd, F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
  EXPECT_EQ(read_fd(fd), "plain");
  ::close(fd);
  EXPECT_EQ(open_beneath(root_fd_, "missing.txt"), -ENOENT);
}

}  // namespace
}  // namespace hybrid::server
