#include "gateway/api/problem.hpp"

namespace veikart {

HttpResponse problem(int status, std::string_view slug, std::string_view title, std::string_view detail,
                     const std::vector<Issue>& errors, std::string_view error_key) {
  Json body = {
      {"type", "urn:veikart:problem:" + std::string(slug)}, {"title", title}, {"status", status}, {"detail", detail}};
  if (!errors.empty()) body["errors"] = issues_to_json(errors, error_key);
  HttpResponse r;
  r.status = status;
  r.set_header("Content-Type", "application/problem+json");
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

HttpResponse json_response(const Json& body, int status) {
  HttpResponse r;
  r.status = status;
  r.set_header("Content-Type", "application/json");
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

}  // namespace veikart
