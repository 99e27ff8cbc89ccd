#pragma once
/// @brief The live change stream (Server-Sent Events): reads the change log at the client's pace, so nothing is
/// buffered for a slow client, and resumes from any sequence number without gaps.

#include <chrono>
#include <cstdint>
#include <memory>

#include "gateway/http/http_types.hpp"
#include "gateway/store/store.hpp"

namespace veikart {

/// One SSE client: events after `since` that pass `filter`, a heartbeat comment after `heartbeat` of silence.
std::shared_ptr<ResponseStream> make_change_stream(Store& store, RoadmapQuery filter, std::int64_t since,
                                                   std::chrono::milliseconds heartbeat);

}  // namespace veikart
