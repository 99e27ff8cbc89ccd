#pragma once
/// @brief Helpers shared by the test suites: paths to the source tree and to ../shared, temp folders.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace veikart::testing {

inline std::filesystem::path source_dir() { return VEIKART_SOURCE_DIR; }

/// ../shared beside the clone. Tests that need it fail (never skip) when it is missing.
inline std::filesystem::path shared_dir() {
  std::filesystem::path p = VEIKART_SHARED_DIR;
  if (!std::filesystem::exists(p)) {
    ADD_FAILURE() << "../shared is missing beside the clone (expected at " << p << ")";
  }
  return p;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void write_file(const std::filesystem::path& p, std::string_view bytes) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// A fresh folder under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("veikart-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace veikart::testing
