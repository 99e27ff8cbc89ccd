#include "adapters/common/files.hpp"

#include <algorithm>

namespace veikart::adapters {

namespace fs = std::filesystem;

Expected<InputFiles> list_input_files(const std::vector<fs::path>& inputs,
                                      const std::function<bool(const fs::path&)>& accept, const std::string& what) {
  InputFiles out;
  for (const auto& p : inputs) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      out.from_folder = true;
      std::vector<fs::path> found;
      for (const auto& entry : fs::directory_iterator(p, ec)) {
        std::error_code file_ec;
        if (accept(entry.path()) && entry.is_regular_file(file_ec)) found.push_back(entry.path());
      }
      if (ec) return Error{"cannot list '" + p.string() + "': " + ec.message()};
      if (found.empty() && !what.empty()) return Error{"no " + what + " files in '" + p.string() + "'"};
      std::sort(found.begin(), found.end(),
                [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
      out.files.insert(out.files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      out.files.push_back(p);
    } else {
      return Error{"cannot read '" + p.string() + "': no such file or folder"};
    }
  }
  return out;
}

}  // namespace veikart::adapters
