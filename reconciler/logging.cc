#include "reconciler/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace reconcile {

Status setup_logging(const std::string& level) {
  spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return invalid_argument("unknown log level '" + level +
                            "' (expected trace, debug, info, warn, error or off)");
  }
  auto logger = spdlog::stderr_logger_st("reconcile");
  logger->set_pattern("%l: %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
  return ok();
}

}  // namespace reconcile
