#pragma once

// Follows one rank's output files (log_format.h) and hands new lines to the
// listener. The position in each file is saved in the rank folder
// (offsets.json) after the listener has taken the lines, so a restarted
// agent goes on from there; lines delivered just before a crash may come
// again, with the same offsets, and the receiver drops them.
//
// LogChunk::offset is the index of the chunk's first line in its stream,
// counted from 0, which is how the server's log store drops repeated lines.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/executor.h"

namespace ty::executors::local {

class RankLogTailer {
 public:
  RankLogTailer(std::string job_id, int rank, std::string rank_dir);

  // Restores the positions saved by an earlier agent. A missing file means
  // nothing was delivered yet. Errors: kDataLoss for a corrupt file.
  absl::Status LoadOffsets();

  // Delivers every complete record written since the last call, in chunks
  // of at most about 1 MiB, then saves the positions. Returns true when
  // anything was delivered.
  bool Poll(agent::ExecutorListener& listener);

  // Returns up to `count` last lines of stderr, or of stdout when stderr is
  // empty, each cut to about 200 bytes.
  std::vector<std::string> LastLines(int count) const;

 private:
  struct Stream {
    std::string name;  // "stdout" or "stderr"
    std::string path;
    int64_t file_offset = 0;  // bytes of the record file already delivered
    int64_t line_index = 0;   // lines already delivered: the next chunk's offset
  };

  bool PollStream(Stream& stream, agent::ExecutorListener& listener);
  void SaveOffsets();

  std::string job_id_;
  int rank_;
  std::string offsets_path_;
  Stream streams_[2];
  bool offsets_unsaved_ = false;  // the last SaveOffsets failed
};

}  // namespace ty::executors::local
