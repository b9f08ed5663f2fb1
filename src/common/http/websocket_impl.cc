// WebSocket over Beast, for both the server and the client side.
//
// Beast's websocket::stream is not thread-safe, so a private I/O thread runs
// the stream's io_context and performs every operation on it. Read() waits
// for messages that this thread has already read; Write() and Close() post
// their work to it and wait. Up to kMaxQueuedMessages messages are read
// ahead, which keeps pings answered while the owner is busy and bounds
// memory when it stops reading.

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "common/http/beast_internal.h"

namespace ty::http {
namespace {

namespace websocket = beast::websocket;

constexpr size_t kMaxQueuedMessages = 8;
// How long Close() waits for the peer to answer the close frame before it
// shuts the socket down regardless.
constexpr std::chrono::seconds kCloseTimeout{2};

template <class NextLayer>
class WebSocketImpl final : public WebSocket {
 public:
  WebSocketImpl(std::unique_ptr<net::io_context> ioc, websocket::stream<NextLayer> stream,
                std::shared_ptr<SocketCloser> closer, std::shared_ptr<void> keep_alive)
      : keep_alive_(std::move(keep_alive)),
        ioc_(std::move(ioc)),
        work_(net::make_work_guard(*ioc_)),
        stream_(std::move(stream)),
        close_timer_(*ioc_),
        closer_(std::move(closer)) {
    stream_.read_message_max(kMaxWebSocketMessageBytes);
    reading_ = true;
    net::post(*ioc_, [this] { ReadNext(); });
    io_thread_ = std::thread([this] { ioc_->run(); });
  }

  ~WebSocketImpl() override {
    Close();
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return socket_shut_down_; });
    }
    ioc_->stop();
    io_thread_.join();
    // The socket closes with stream_ below, after which its descriptor
    // number may be reused, so no other thread may shut it down any more.
    closer_->Release();
  }

  // WebSocket
  absl::StatusOr<std::string> Read() override;
  absl::Status Write(std::string_view message) override;
  void SetReadTimeout(std::chrono::milliseconds timeout) override;
  void Close() override;

 private:
  // The methods below run on the I/O thread only.
  void ReadNext();
  void OnRead(beast::error_code ec);
  void ShutdownSocket();

  std::shared_ptr<void> keep_alive_;  // outlives stream_, which may refer to it
  std::unique_ptr<net::io_context> ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  websocket::stream<NextLayer> stream_;
  beast::flat_buffer read_buffer_;  // I/O thread only
  net::steady_timer close_timer_;   // I/O thread only
  std::shared_ptr<SocketCloser> closer_;
  std::thread io_thread_;

  std::mutex write_mu_;  // one Write() at a time, as Beast allows

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> messages_;         // guarded by mu_
  bool reading_ = false;                     // guarded by mu_: a read is in flight
  std::string read_error_;                   // guarded by mu_: set when reading ended
  bool close_requested_ = false;             // guarded by mu_
  bool socket_shut_down_ = false;            // guarded by mu_
  std::chrono::milliseconds read_timeout_{0};  // guarded by mu_
};

template <class NextLayer>
void WebSocketImpl<NextLayer>::ReadNext() {
  stream_.async_read(read_buffer_, [this](beast::error_code ec, size_t) { OnRead(ec); });
}

template <class NextLayer>
void WebSocketImpl<NextLayer>::OnRead(beast::error_code ec) {
  std::lock_guard lock(mu_);
  if (ec) {
    reading_ = false;
    read_error_ = ec == websocket::error::closed ? "the peer closed the connection"
                                                 : ec.message();
    cv_.notify_all();
    return;
  }
  messages_.push_back(beast::buffers_to_string(read_buffer_.data()));
  read_buffer_.consume(read_buffer_.size());
  if (messages_.size() < kMaxQueuedMessages) {
    ReadNext();
  } else {
    reading_ = false;  // Read() resumes reading once the owner catches up
  }
  cv_.notify_all();
}

template <class NextLayer>
void WebSocketImpl<NextLayer>::ShutdownSocket() {
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
  std::lock_guard lock(mu_);
  socket_shut_down_ = true;
  cv_.notify_all();
}

template <class NextLayer>
absl::StatusOr<std::string> WebSocketImpl<NextLayer>::Read() {
  std::unique_lock lock(mu_);
  auto ready = [this] {
    return !messages_.empty() || !read_error_.empty() || close_requested_;
  };
  if (read_timeout_.count() == 0) {
    cv_.wait(lock, ready);
  } else if (!cv_.wait_for(lock, read_timeout_, ready)) {
    return absl::DeadlineExceededError(Concat(
        "no websocket message arrived within ", read_timeout_.count(), " ms"));
  }

  if (close_requested_) return absl::UnavailableError("websocket is closed");
  if (messages_.empty()) {
    return absl::UnavailableError(Concat("websocket connection ended: ", read_error_));
  }
  std::string message = std::move(messages_.front());
  messages_.pop_front();
  if (!reading_ && read_error_.empty()) {
    reading_ = true;
    net::post(*ioc_, [this] { ReadNext(); });
  }
  return message;
}

template <class NextLayer>
absl::Status WebSocketImpl<NextLayer>::Write(std::string_view message) {
  std::lock_guard write_lock(write_mu_);
  {
    std::lock_guard lock(mu_);
    if (close_requested_) return absl::UnavailableError("websocket is closed");
  }
  std::promise<beast::error_code> written;
  net::post(*ioc_, [this, message, &written] {
    stream_.text(true);
    stream_.async_write(net::buffer(message.data(), message.size()),
                        [&written](beast::error_code ec, size_t) { written.set_value(ec); });
  });
  beast::error_code ec = written.get_future().get();
  if (ec) return absl::UnavailableError(Concat("websocket write failed: ", ec.message()));
  return absl::OkStatus();
}

template <class NextLayer>
void WebSocketImpl<NextLayer>::SetReadTimeout(std::chrono::milliseconds timeout) {
  std::lock_guard lock(mu_);
  read_timeout_ = timeout;
}

template <class NextLayer>
void WebSocketImpl<NextLayer>::Close() {
  {
    std::lock_guard lock(mu_);
    if (close_requested_) return;
    close_requested_ = true;
    cv_.notify_all();
  }
  net::post(*ioc_, [this] {
    if (!stream_.is_open()) {
      ShutdownSocket();
      return;
    }
    // Send a close frame; Beast then waits for the peer's reply. A peer that
    // never replies is cut off by the timer.
    close_timer_.expires_after(kCloseTimeout);
    close_timer_.async_wait([this](beast::error_code ec) {
      if (!ec) ShutdownSocket();
    });
    stream_.async_close(websocket::close_code::normal, [this](beast::error_code) {
      close_timer_.cancel();
      ShutdownSocket();
    });
  });
}

}  // namespace

std::unique_ptr<WebSocket> MakeWebSocket(std::unique_ptr<net::io_context> ioc,
                                         websocket::stream<PlainStream> stream,
                                         std::shared_ptr<SocketCloser> closer,
                                         std::shared_ptr<void> keep_alive) {
  return std::make_unique<WebSocketImpl<PlainStream>>(std::move(ioc), std::move(stream),
                                                      std::move(closer), std::move(keep_alive));
}

std::unique_ptr<WebSocket> MakeWebSocket(std::unique_ptr<net::io_context> ioc,
                                         websocket::stream<TlsStream> stream,
                                         std::shared_ptr<SocketCloser> closer,
                                         std::shared_ptr<void> keep_alive) {
  return std::make_unique<WebSocketImpl<TlsStream>>(std::move(ioc), std::move(stream),
                                                    std::move(closer), std::move(keep_alive));
}

}  // namespace ty::http
