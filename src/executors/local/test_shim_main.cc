// A stand-in for the trainyard binary in tests: `test_shim shim <rank folder>`.

#include "executors/local/shim.h"

int main(int argc, char** argv) { return ty::executors::local::RunShim(argc, argv); }
