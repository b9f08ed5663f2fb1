#pragma once

// Test support for the CLI: a scripted HTTP server seen through the
// http::Client seam, and a runner that captures the exit code and output.

#include <deque>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/runner.h"
#include "common/http/client.h"

namespace ty::cli::testing {

struct RecordedRequest {
  std::string base_url;
  std::string method;
  std::string target;
  std::string body;
  std::string content_type;
  http::Headers headers;

  std::string Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return "";
  }
};

// Answers requests from a script: responses queued per "METHOD target", each
// used once; the last one for a key repeats. Unscripted requests get 404.
class ScriptedServer {
 public:
  void On(const std::string& method, const std::string& target, int status, std::string body) {
    http::Response response;
    response.status = status;
    response.body = std::move(body);
    routes_[method + " " + target].push_back(std::move(response));
  }

  // Makes every request fail as a transport error, like a refused connection.
  void FailTransport(absl::Status status) { transport_error_ = std::move(status); }

  const std::vector<RecordedRequest>& requests() const { return requests_; }

  HttpConnector Connector() {
    return [this](std::string_view base_url,
                  const http::ClientOptions&) -> absl::StatusOr<std::unique_ptr<http::Client>> {
      return std::unique_ptr<http::Client>(new Client(this, std::string(base_url)));
    };
  }

 private:
  class Client : public http::Client {
   public:
    Client(ScriptedServer* server, std::string base_url)
        : server_(server), base_url_(std::move(base_url)) {}

    absl::StatusOr<http::Response> Send(std::string_view method, std::string_view target,
                                        std::string_view body, std::string_view content_type,
                                        const http::Headers& headers) override {
      server_->requests_.push_back({base_url_, std::string(method), std::string(target),
                                    std::string(body), std::string(content_type), headers});
      if (!server_->transport_error_.ok()) return server_->transport_error_;
      auto it = server_->routes_.find(std::string(method) + " " + std::string(target));
      if (it == server_->routes_.end() || it->second.empty()) {
        http::Response missing;
        missing.status = 404;
        missing.body = R"({"error": {"code": "NotFound", "message": "no scripted response"}})";
        return missing;
      }
      http::Response response = it->second.front();
      if (it->second.size() > 1) it->second.pop_front();
      return response;
    }

   private:
    ScriptedServer* server_;
    std::string base_url_;
  };

  std::map<std::string, std::deque<http::Response>> routes_;
  std::vector<RecordedRequest> requests_;
  absl::Status transport_error_;
};

struct RunResult {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Runs the CLI with `args` against `server`, with the environment `env`
// and nothing else.
inline RunResult RunCliForTest(const std::vector<std::string>& args, ScriptedServer& server,
                               std::map<std::string, std::string> env = {},
                               std::string input = "", bool interactive = false) {
  std::ostringstream out;
  std::ostringstream err;
  std::istringstream in(input);
  CliIo io{.out = &out,
           .err = &err,
           .in = &in,
           .interactive = interactive,
           .env = [env](std::string_view name) -> std::optional<std::string> {
             auto it = env.find(std::string(name));
             if (it == env.end()) return std::nullopt;
             return it->second;
           },
           .connect = server.Connector()};
  int code = RunCommandLine(args, AllCommands(), AllGroups(), io);
  return {code, out.str(), err.str()};
}

}  // namespace ty::cli::testing
