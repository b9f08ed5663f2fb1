#include "executors/kubernetes/output_upload.h"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "executors/kubernetes/manifests.h"

namespace ty::executors::kubernetes {
namespace {

// Uploads the folders named in argv; prints one line per output. Exits 1
// when the client is missing, has no run to log to, or an upload failed.
constexpr char kUploader[] = R"py(import os
import sys
names = sys.argv[1:]
root = os.environ.get("TRAINYARD_OUTPUTS_DIR", "{outputs}")
try:
    import trainyard_client
except ImportError as error:
    print(f"trainyard: outputs {{names}} not uploaded because trainyard_client cannot be "
          f"imported ({{error}}); use an image with the Trainyard Python client installed",
          file=sys.stderr)
    sys.exit(1)
client = trainyard_client.Client()
if not client.enabled:
    print(f"trainyard: outputs {{names}} not uploaded because TRAINYARD_TRACKING_URI or "
          "TRAINYARD_RUN_ID is not set", file=sys.stderr)
    sys.exit(1)
failed = False
for name in names:
    folder = os.path.join(root, name)
    count = sum(len(files) for _, _, files in os.walk(folder))
    try:
        client.log_artifacts(folder, name)
    except Exception as error:
        print(f"trainyard: output '{{name}}' not uploaded: {{error}}", file=sys.stderr)
        failed = True
        continue
    print(f"trainyard: uploaded output '{{name}}' ({{count}} file(s))")
client.close()
sys.exit(1 if failed else 0)
)py";

std::string QuotedNames(const agent::LaunchSpec& spec) {
  std::vector<std::string> quoted;
  for (const std::string& name : spec.outputs) quoted.push_back(fmt::format("'{}'", name));
  return fmt::format("{}", fmt::join(quoted, " "));
}

}  // namespace

std::string WithOutputUpload(const agent::LaunchSpec& spec, const std::string& launcher) {
  if (spec.outputs.empty()) return launcher;
  // The launcher runs in the background so that this shell, which is PID 1
  // of the container and ignores SIGTERM without a handler, can pass a
  // cancel on. `wait` returns early when the trap runs, hence the loop.
  return fmt::format(R"sh((
{launcher}) &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
while :; do
  wait "$child"
  code=$?
  kill -0 "$child" 2>/dev/null || break
done
trap - TERM INT
if [ "${{JOB_COMPLETION_INDEX:-0}}" = 0 ]; then
  if ! command -v python3 >/dev/null 2>&1; then
    echo "trainyard: outputs not uploaded because the image has no python3; use an image with python3 and the Trainyard Python client" >&2
    [ "$code" = 0 ] && code=1
  elif ! python3 - {names} <<'TRAINYARD_UPLOAD'
{uploader}TRAINYARD_UPLOAD
  then
    [ "$code" = 0 ] && code=1
  fi
fi
exit "$code"
)sh",
                     fmt::arg("launcher", launcher), fmt::arg("names", QuotedNames(spec)),
                     fmt::arg("uploader", fmt::format(kUploader, fmt::arg("outputs", kOutputsDir))));
}

}  // namespace ty::executors::kubernetes
