#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/job_spec.h"
#include "common/errors.h"

namespace ty::api {
namespace {

struct BadSpec {
  std::string yaml;
  std::string field;
  std::string message;  // exact message, or "" to check only code and field
};

void ExpectRejected(const BadSpec& c) {
  absl::StatusOr<JobSpec> spec = ParseJobSpec(c.yaml);
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << c.yaml;
  EXPECT_EQ(ErrorField(spec.status()), c.field) << c.yaml << "\n" << spec.status();
  if (!c.message.empty()) {
    EXPECT_EQ(spec.status().message(), c.message) << c.yaml;
  }
}

TEST(ParseJobSpecErrorsTest, RejectsMalformedDocuments) {
  const std::vector<BadSpec> kCases = {
      {"command: [echo\n", "",
       "invalid YAML at line 2, column 1: end of sequence flow not found: fix the syntax there"},
      {"- command: echo\n", "",
       "invalid job spec: expected a mapping with 'type: command' and 'command', got a list"},
      {"", "", "invalid job spec: expected a mapping with 'type: command' and 'command', got an "
               "empty value"},
      {"command: a\ncommand: b\n", "command", "command: duplicate key 'command': give it once"},
  };
  for (const BadSpec& c : kCases) ExpectRejected(c);
}

TEST(ParseJobSpecErrorsTest, RejectsUnknownFieldsWithSuggestion) {
  const std::vector<BadSpec> kCases = {
      {"command: x\ncomand: y\n", "comand", "comand: unknown field 'comand': did you mean 'command'?"},
      {"command: x\nresources: {instance_cont: 2}\n", "resources.instance_cont",
       "resources.instance_cont: unknown field 'instance_cont': did you mean 'instance_count'?"},
      {"command: x\nresources: {shm_size: 2g}\n", "resources.shm_size", ""},
      {"command: x\nlimits: {timout: 5}\n", "limits.timout",
       "limits.timout: unknown field 'timout': did you mean 'timeout'?"},
      {"command: x\ninputs: {d: {type: uri_folder, path: ., mdoe: download}}\n", "inputs.d.mdoe",
       "inputs.d.mdoe: unknown field 'mdoe': did you mean 'mode'?"},
      {"command: x\nenvironment: {image: a, build: {path: .}}\n", "environment.build", ""},
      {"command: x\nzzzzzz: 1\n", "zzzzzz", ""},
  };
  for (const BadSpec& c : kCases) ExpectRejected(c);
}

TEST(ParseJobSpecErrorsTest, RejectsWrongTypesAndMissingCommand) {
  const std::vector<BadSpec> kCases = {
      {"type: sweep\ncommand: x\n", "type",
       "type: unsupported job type 'sweep': only 'command' jobs are supported"},
      {"type: command\n", "command",
       "command: missing command: give the shell command to run, such as 'python train.py'"},
      {"command:\n", "command", ""},
      {"command: '  '\n", "command", ""},
      {"command: [a, b]\n", "command", "command: expected a string, got a list"},
      {"command: x\nresources: 4\n", "resources", ""},
      {"command: x\nenvironment_variables: [A]\n", "environment_variables", ""},
      {"command: x\nenvironment_variables: {A: {b: c}}\n", "environment_variables.A", ""},
      {"command: x\nenvironment_variables: {1A: b}\n", "environment_variables.1A", ""},
      {"command: x\ntags: {a: [1]}\n", "tags.a", ""},
      {"command: x\ninputs: [a]\n", "inputs", ""},
      {"command: x\ninputs: {a: }\n", "inputs.a", ""},
      {"command: x\ninputs: {a: [1, 2]}\n", "inputs.a", ""},
      {"command: x\ninputs: {my-data: 1}\n", "inputs.my-data", ""},
      {"command: x\ninputs: {d: {type: uri_folder}}\n", "inputs.d.path", ""},
      {"command: x\ncompute: azureml:bad/compute\n", "compute", ""},
      {"command: x\nname: bad name\n", "name", ""},
      {"command: x\nexperiment_name: a.b\n", "experiment_name", ""},
      {"command: x\nresources: {instance_type: a b}\n", "resources.instance_type", ""},
      {"command: x\nenvironment: {name: e}\n", "environment.image", ""},
      {"command: x\nenvironment: {image: a, conda_file: env.yml}\n", "environment.conda_file",
       ""},
  };
  for (const BadSpec& c : kCases) ExpectRejected(c);
}

TEST(ParseJobSpecErrorsTest, RejectsBadCounts) {
  const std::vector<BadSpec> kCases = {
      {"command: x\nresources: {instance_count: 0}\n", "resources.instance_count",
       "resources.instance_count: invalid value 0: use a whole number from 1 to 4096"},
      {"command: x\nresources: {instance_count: -2}\n", "resources.instance_count", ""},
      {"command: x\nresources: {instance_count: two}\n", "resources.instance_count",
       "resources.instance_count: invalid number 'two': use a whole number from 1 to 4096"},
      {"command: x\nresources: {instance_count: 1.5}\n", "resources.instance_count", ""},
      {"command: x\nresources: {instance_count: }\n", "resources.instance_count", ""},
      {"command: x\ndistribution: {type: pytorch, process_count_per_instance: 0}\n",
       "distribution.process_count_per_instance", ""},
      {"command: x\ndistribution: {type: mpi, process_count_per_instance: x}\n",
       "distribution.process_count_per_instance", ""},
      {"command: x\ndistribution: {type: tensorflow, worker_count: 0}\n",
       "distribution.worker_count", ""},
      {"command: x\ndistribution: {type: tensorflow, parameter_server_count: -1}\n",
       "distribution.parameter_server_count", ""},
      {"command: x\ndistribution: {type: pytorch, process_count_per_instance: -3}\n",
       "distribution.process_count_per_instance", ""},
      {"command: x\ndistribution: {type: pytorch, process_count_per_instance: 1.5}\n",
       "distribution.process_count_per_instance", ""},
      {"command: x\ndistribution: {type: mpi, process_count_per_instance: ''}\n",
       "distribution.process_count_per_instance", ""},
      {"command: x\nresources: {instance_count: 2}\n"
       "distribution: {type: tensorflow, worker_count: 2, parameter_server_count: 1}\n",
       "distribution.worker_count", ""},
      {"command: x\nlimits: {timeout: 0}\n", "limits.timeout", ""},
      {"command: x\nlimits: {timeout: 1h}\n", "limits.timeout", ""},
      // Counts and limits past their maximum, which once wrapped around.
      {"command: x\ndistribution: {type: pytorch, process_count_per_instance: 4294967297}\n",
       "distribution.process_count_per_instance",
       "distribution.process_count_per_instance: invalid value 4294967297: use a whole number "
       "from 1 to 1024"},
      {"command: x\ndistribution: {type: pytorch, process_count_per_instance: 1025}\n",
       "distribution.process_count_per_instance", ""},
      {"command: x\nresources: {instance_count: 4097}\n", "resources.instance_count", ""},
      {"command: x\nresources: {instance_count: 4096}\n"
       "distribution: {type: mpi, process_count_per_instance: 1024}\n",
       "distribution.process_count_per_instance", ""},
      {"command: x\ndistribution: {type: tensorflow, worker_count: 4294967298}\n",
       "distribution.worker_count", ""},
      {"command: x\ndistribution: {type: tensorflow, worker_count: 65536, "
       "parameter_server_count: 1}\n",
       "distribution.worker_count", ""},
      {"command: x\nlimits: {timeout: 9223372036854776}\n", "limits.timeout",
       "limits.timeout: invalid value 9223372036854776: use a whole number from 1 to "
       "2147483647"},
      {"command: x\nlimits: {timeout: 9223372036854775807}\n", "limits.timeout",
       "limits.timeout: invalid number '9223372036854775807': use a whole number from 1 to "
       "2147483647"},
  };
  for (const BadSpec& c : kCases) ExpectRejected(c);
}

TEST(ParseJobSpecErrorsTest, RejectsBadDistribution) {
  const std::vector<BadSpec> kCases = {
      {"command: x\ndistribution: {type: horovod}\n", "distribution.type",
       "distribution.type: unsupported distribution type 'horovod': use one of pytorch, mpi, "
       "tensorflow"},
      {"command: x\ndistribution: {process_count_per_instance: 2}\n", "distribution.type", ""},
      {"command: x\ndistribution: {type: pytorch, worker_count: 2}\n", "distribution.worker_count",
       "distribution.worker_count: 'worker_count' applies to tensorflow only: use "
       "process_count_per_instance for pytorch"},
      {"command: x\ndistribution: {type: tensorflow, process_count_per_instance: 2}\n",
       "distribution.process_count_per_instance", ""},
  };
  for (const BadSpec& c : kCases) ExpectRejected(c);
}

// Verifies that unsupported modes are rejected with the supported ones listed.
TEST(ParseJobSpecErrorsTest, RejectsBadModesAndTypes) {
  const std::vector<BadSpec> kCases = {
      {"command: x\ninputs: {d: {type: uri_folder, path: ., mode: rw_mount}}\n", "inputs.d.mode",
       "inputs.d.mode: unsupported input mode 'rw_mount': use one of ro_mount, download, direct"},
      {"command: x\ninputs: {d: {type: uri_folder, path: ., mode: eval_mount}}\n",
       "inputs.d.mode", ""},
      {"command: x\noutputs: {o: {mode: download}}\n", "outputs.o.mode",
       "outputs.o.mode: unsupported output mode 'download': use one of rw_mount, upload"},
      {"command: x\ninputs: {d: {type: mltable, path: .}}\n", "inputs.d.type",
       "inputs.d.type: unsupported input type 'mltable': use one of uri_file, uri_folder"},
      {"command: x\noutputs: {o: {type: mlflow_model}}\n", "outputs.o.type", ""},
  };
  for (const BadSpec& c : kCases) ExpectRejected(c);
}

TEST(ParseJobSpecErrorsTest, RejectsUndeclaredReferences) {
  const std::vector<BadSpec> kCases = {
      {"command: cat ${{inputs.data}}\ninputs: {lr: 1, epochs: 2}\n", "command",
       "command: '${{inputs.data}}' names no input: add 'data' under inputs (declared: epochs, "
       "lr)"},
      {"command: cat ${{inputs.data}}\n", "command",
       "command: '${{inputs.data}}' names no input: add 'data' under inputs (none are declared)"},
      {"command: ls ${{outputs.model}}\noutputs: {logs: }\n", "command",
       "command: '${{outputs.model}}' names no output: add 'model' under outputs (declared: "
       "logs)"},
      {"command: echo ${{search_space.lr}}\n", "command",
       "command: unsupported expression '${{search_space.lr}}': use ${{inputs.NAME}} or "
       "${{outputs.NAME}}"},
      {"command: echo ${{inputs.lr\ninputs: {lr: 1}\n", "command", ""},
      {"command: echo ${{inputs.}}\n", "command", ""},
  };
  for (const BadSpec& c : kCases) ExpectRejected(c);
}

TEST(ApplySetOverridesTest, SetsNestedValues) {
  absl::StatusOr<std::string> yaml = ApplySetOverrides(
      "command: echo\nresources:\n  instance_count: 1\n",
      {"resources.instance_count=4", "limits.timeout=60", "inputs.lr=0.1", "display_name=a=b"});
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  absl::StatusOr<JobSpec> spec = ParseJobSpec(*yaml);
  ASSERT_TRUE(spec.ok()) << spec.status() << "\n" << *yaml;
  EXPECT_EQ(spec->instance_count, 4);
  EXPECT_EQ(spec->timeout_seconds, 60);
  EXPECT_EQ(spec->inputs["lr"].literal, "0.1");
  EXPECT_EQ(spec->display_name, "a=b");
}

TEST(ApplySetOverridesTest, WorksOnJsonAndEmptyDocuments) {
  absl::StatusOr<std::string> yaml = ApplySetOverrides("{\"command\": \"echo\"}", {"compute=local"});
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  EXPECT_EQ(ParseJobSpec(*yaml)->compute, "local");

  yaml = ApplySetOverrides("", {"command=echo hi"});
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  EXPECT_EQ(ParseJobSpec(*yaml)->command, "echo hi");
}

TEST(ApplySetOverridesTest, RejectsMalformedOverrides) {
  struct Case {
    std::string override_text;
    std::string message;
  };
  const std::vector<Case> kCases = {
      {"noequals", "set: invalid override 'noequals': no '=': write it as 'key.sub=value'"},
      {"=1", "set: invalid override '=1': the path has an empty segment: write it as "
             "'key.sub=value'"},
      {"a..b=1", ""},
      {"resources.=1", ""},
      {"command.sub=1", "set: invalid override 'command.sub=1': 'command' is 'echo', not a "
                        "mapping, so it has no 'sub'"},
  };
  for (const Case& c : kCases) {
    absl::StatusOr<std::string> yaml = ApplySetOverrides("command: echo\n", {c.override_text});
    EXPECT_EQ(yaml.status().code(), absl::StatusCode::kInvalidArgument) << c.override_text;
    EXPECT_EQ(ErrorField(yaml.status()), "set") << c.override_text;
    if (!c.message.empty()) {
      EXPECT_EQ(yaml.status().message(), c.message);
    }
  }
  EXPECT_EQ(ApplySetOverrides("[1]", {"a=1"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplySetOverrides("a: [", {"a=1"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SubstituteCommandTest, ReplacesReferences) {
  absl::StatusOr<std::string> command =
      SubstituteCommand("python t.py --data ${{inputs.data}} --lr ${{ inputs.lr }} "
                        "--out ${{outputs.model}}/m",
                        {{"data", "/mnt/data"}, {"lr", "0.1"}}, {{"model", "/out/model"}});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(*command, "python t.py --data /mnt/data --lr 0.1 --out /out/model/m");
  EXPECT_EQ(*SubstituteCommand("echo plain", {}, {}), "echo plain");
}

TEST(SubstituteCommandTest, RejectsMissingValues) {
  absl::StatusOr<std::string> command = SubstituteCommand("cat ${{inputs.x}}", {{"y", "1"}}, {});
  EXPECT_EQ(command.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(command.status()), "command");
  EXPECT_EQ(command.status().message(),
            "command: '${{inputs.x}}' names no input 'x': declared inputs are y");
  command = SubstituteCommand("cat ${{outputs.o}}", {}, {});
  EXPECT_EQ(command.status().message(),
            "command: '${{outputs.o}}' names no output 'o': declared outputs are none");
}

}  // namespace
}  // namespace ty::api
