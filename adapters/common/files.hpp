#pragma once
/// @brief Turning a source's configured paths (files or file-drop folders) into the list of files to read.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "gateway/core/expected.hpp"

namespace veikart::adapters {

struct InputFiles {
  std::vector<std::filesystem::path> files;
  bool from_folder = false;  // at least one input was a folder: messages should name the file
};

/// Every given file, and in every given folder the regular files `accept` takes, sorted by name. A folder
/// without any is an error when `what` is not empty ("no .xml files in ..."), a missing path always is.
Expected<InputFiles> list_input_files(const std::vector<std::filesystem::path>& inputs,
                                      const std::function<bool(const std::filesystem::path&)>& accept,
                                      const std::string& what);

}  // namespace veikart::adapters
