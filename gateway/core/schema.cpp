#include "gateway/core/schema.hpp"
#include "gateway/core/text.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

// Without this valijson reports a broken schema by printing and calling abort(); the constructor's contract
// is an exception. Every translation unit that includes valijson must agree on this (inline functions).
#ifndef VALIJSON_USE_EXCEPTIONS
#define VALIJSON_USE_EXCEPTIONS 1
#endif

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#pragma GCC diagnostic pop

#include "veikart_embedded.hpp"

namespace veikart {

struct JsonSchema::Impl {
  valijson::Schema schema;
};

namespace {

// valijson's context is {"<root>", "[milestones]", "[0]", "[date]"}; property names and indices look alike,
// which does not matter for a JSON pointer.
std::string to_pointer(const std::vector<std::string>& context) {
  std::string pointer;
  for (const auto& part : context) {
    if (part == "<root>") continue;
    std::string_view token(part);
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']') token = token.substr(1, token.size() - 2);
    pointer += "/" + escape_pointer_token(token);
  }
  return pointer;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The name quoted at the end of valijson's message, e.g. "Missing required property 'x'." or "... constraints:
// 'x'."; taken from the last quote pair so that names containing quotes survive.
std::string trailing_quoted_name(std::string_view message) {
  auto close = message.rfind('\'');
  if (close == std::string_view::npos || close == 0) return {};
  std::string_view head = message.substr(0, close);
  for (std::string_view marker : {"property '", "constraints: '"}) {
    if (auto open = head.rfind(marker); open != std::string_view::npos) {
      return std::string(head.substr(open + marker.size()));
    }
  }
  return {};
}

// Short rendering of the offending value for messages; long strings are cut so one bad cell cannot flood
// a rejection list.
std::string describe_value(const Json& document, const std::string& pointer) {
  try {
    const Json& v = document.at(Json::json_pointer(pointer));
    if (v.is_structured()) return std::string(v.type_name());
    std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (text.size() > 80) text = text.substr(0, 77) + "...";
    return text;
  } catch (const Json::exception&) {
    return "the value";
  }
}

std::string type_of(const Json& document, const std::string& pointer) {
  try {
    return document.at(Json::json_pointer(pointer)).type_name();
  } catch (const Json::exception&) {
    return "this";
  }
}

// std::to_string(double) renders bounds as "5.000000".
std::string trim_zero_decimals(std::string message) {
  for (auto pos = message.find(".000000"); pos != std::string::npos; pos = message.find(".000000", pos)) {
    message.erase(pos, 7);
  }
  return message;
}

// Messages that only say "something below me failed"; the leaf errors carry the reason.
bool is_wrapper(std::string_view message) {
  return starts_with(message, "Failed to validate item #") ||
         starts_with(message, "Failed to validate against schema associated with property name") ||
         starts_with(message, "Failed to validate against any schemas allowed by anyOf") ||
         starts_with(message, "Failed to validate against additional properties schema") ||
         starts_with(message, "Failed to validate against child schema") ||
         starts_with(message, "Failed to validate against exactly one child schema") ||
         starts_with(message, "Failed to validate against a conditional schema") ||
         starts_with(message, "Failed to validate against schema associated with pattern") ||
         starts_with(message, "Failed to validate against dependent schema");
}

struct RawIssue {
  Issue issue;
  bool wrapper = false;
  bool type_mismatch = false;
};

RawIssue translate(const valijson::ValidationResults::Error& error, const Json& document) {
  RawIssue out;
  std::string where = to_pointer(error.context);
  const std::string& message = error.description;
  if (starts_with(message, "Missing required property")) {
    // Point at the missing field itself: that is what a user has to add.
    out.issue = {where + "/" + escape_pointer_token(trailing_quoted_name(message)), "required field is missing"};
  } else if (starts_with(message, "Object contains a property that could not be validated")) {
    out.issue = {where + "/" + escape_pointer_token(trailing_quoted_name(message)), "field is not allowed here"};
  } else if (starts_with(message, "Value type not permitted")) {
    out.issue = {where, "wrong type: " + type_of(document, where) + " is not allowed here"};
    out.type_mismatch = true;
  } else if (starts_with(message, "Failed to match against any enum values")) {
    out.issue = {where, describe_value(document, where) + " is not one of the allowed values"};
  } else if (starts_with(message, "Failed to match regex specified by 'pattern'")) {
    out.issue = {where, describe_value(document, where) + " does not have the required format"};
  } else {
    out.issue = {where, trim_zero_decimals(message)};
    out.wrapper = is_wrapper(message);
  }
  return out;
}

bool is_at_or_below(const std::string& pointer, const std::string& ancestor) {
  return pointer == ancestor || starts_with(pointer, ancestor + "/");
}

bool is_below(const std::string& pointer, const std::string& ancestor) { return starts_with(pointer, ancestor + "/"); }

// anyOf ("null or object") reports each branch's failures, so a bad member of a nullable object also yields
// "null expected" at the object. Keep the leaf reasons: drop wrappers covered by another error at or below
// them, drop type mismatches when some branch accepted the type and failed deeper, and drop repeats.
std::vector<Issue> simplify(const std::vector<RawIssue>& raw) {
  std::vector<Issue> out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto& candidate = raw[i];
    bool covered = false;
    for (std::size_t k = 0; k < raw.size() && !covered; ++k) {
      if (k == i || raw[k].wrapper) continue;
      const auto& other = raw[k].issue.where;
      if (candidate.wrapper && is_at_or_below(other, candidate.issue.where)) covered = true;
      if (candidate.type_mismatch && is_below(other, candidate.issue.where)) covered = true;
    }
    if (covered) continue;
    if (std::find(out.begin(), out.end(), candidate.issue) != out.end()) continue;
    out.push_back(candidate.issue);
  }
  return out;
}

JsonSchema parse_embedded_with(void (*transform)(Json&)) {
  Json document = Json::parse(embedded::roadmap_item_schema_json());
  if (transform) transform(document);
  return JsonSchema(document.dump());
}

}  // namespace

JsonSchema::JsonSchema(std::string_view schema_text) : impl_(std::make_unique<Impl>()) {
  Json document;
  try {
    document = Json::parse(schema_text);
  } catch (const Json::parse_error& e) {
    throw std::invalid_argument(std::string("schema is not valid JSON: ") + e.what());
  }
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(document);
    parser.populateSchema(adapter, impl_->schema);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("schema cannot be used: ") + e.what());
  }
}

JsonSchema::~JsonSchema() = default;
JsonSchema::JsonSchema(JsonSchema&&) noexcept = default;
JsonSchema& JsonSchema::operator=(JsonSchema&&) noexcept = default;

std::vector<Issue> JsonSchema::validate(const Json& document) const {
  // The validator only holds a cache of compiled patterns, shared by all schemas; one per thread keeps
  // validate() const and thread-safe without recompiling every regex on each call.
  thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(document);
  if (validator.validate(impl_->schema, target, &results)) return {};

  std::vector<RawIssue> raw;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) raw.push_back(translate(error, document));
  auto issues = simplify(raw);
  if (issues.empty()) issues.push_back({"", "document does not match the schema"});  // never report "valid"
  return issues;
}

const JsonSchema& roadmap_item_schema() {
  static const JsonSchema schema = parse_embedded_with(nullptr);
  return schema;
}

const JsonSchema& fragment_schema() {
  static const JsonSchema schema = parse_embedded_with([](Json& document) {
    // A fragment is any subset of the source fields; the gateway owns the rest, and the id travels beside
    // the fields. Removing them from `properties` lets additionalProperties:false reject them.
    document.erase("required");
    auto& properties = document.at("properties");
    for (const char* owned : {"provenance", "conflicts", "updated_at", "version", "deleted", "id"}) {
      properties.erase(owned);
    }
  });
  return schema;
}

}  // namespace veikart
