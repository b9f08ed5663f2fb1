#include "executors/local/gpu_discovery.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ty::executors::local {
namespace {

using ::testing::HasSubstr;

TEST(ParseNvidiaSmiCsv, ReadsEachGpu) {
  auto gpus = ParseNvidiaSmiCsv("0, NVIDIA H200, 143771\n1, NVIDIA A100-SXM4-80GB, 81920\n");

  ASSERT_TRUE(gpus.ok());
  ASSERT_EQ(gpus->size(), 2u);
  EXPECT_EQ((*gpus)[0].index, 0);
  EXPECT_EQ((*gpus)[0].model, "NVIDIA H200");
  EXPECT_EQ((*gpus)[0].memory_bytes, int64_t{143771} * 1024 * 1024);
  EXPECT_EQ((*gpus)[1].index, 1);
  EXPECT_EQ((*gpus)[1].model, "NVIDIA A100-SXM4-80GB");
}

TEST(ParseNvidiaSmiCsv, EmptyOutputMeansNoGpu) {
  auto gpus = ParseNvidiaSmiCsv("\n");

  ASSERT_TRUE(gpus.ok());
  EXPECT_TRUE(gpus->empty());
}

TEST(ParseNvidiaSmiCsv, RejectsMalformedLine) {
  auto gpus = ParseNvidiaSmiCsv("NVIDIA-SMI has failed because it couldn't communicate\n");

  EXPECT_EQ(gpus.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(gpus.status().message(), HasSubstr("NVIDIA-SMI has failed"));
}

TEST(DiscoverGpus, MissingProgramMeansNoGpu) {
  EXPECT_TRUE(DiscoverGpus("/nonexistent/nvidia-smi").empty());
}

TEST(DiscoverGpus, FailingProgramMeansNoGpu) { EXPECT_TRUE(DiscoverGpus("false").empty()); }

TEST(DiscoverGpus, RunsTheProgram) {
  std::string pattern = (std::filesystem::temp_directory_path() / "ty-gpu-XXXXXX").string();
  std::string folder = mkdtemp(pattern.data());
  std::string script = folder + "/nvidia-smi";
  std::ofstream(script) << "#!/bin/sh\necho '0, Fake GPU, 1024'\n";
  chmod(script.c_str(), 0755);

  std::vector<agent::GpuInfo> gpus = DiscoverGpus(script);
  std::filesystem::remove_all(folder);

  ASSERT_EQ(gpus.size(), 1u);
  EXPECT_EQ(gpus[0].model, "Fake GPU");
  EXPECT_EQ(gpus[0].memory_bytes, int64_t{1024} * 1024 * 1024);
}

TEST(DiscoverHost, FindsCpusAndMemory) {
  EXPECT_GE(DiscoverCpus(), 1);
  auto memory = DiscoverMemoryBytes();
  ASSERT_TRUE(memory.ok());
  EXPECT_GT(*memory, 0);
  EXPECT_FALSE(HostName().empty());
}

}  // namespace
}  // namespace ty::executors::local
