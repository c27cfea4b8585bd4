# runtime_c/sources.mk - the one list of runtime_c's sources, read by every build:
# runtime_c/Makefile, externals/pd/Makefile, externals/max/CMakeLists.txt,
# boards/rpi/Makefile, boards/bela/ci/Makefile, python/build_binding.py, the tests and
# `nnfx deploy` (Python reads it with nnfx.runtime_sources).
#
# Paths are relative to runtime_c/. Every file's name is unique across the folders and
# sources include headers by bare name: a host may copy the whole runtime into one flat
# folder (pd-lib-builder's stage, a Bela project) and build it with no -I at all.
#
#   src/            the core: model load, execution, allocation, errors, version
#   src/onnx/       the file: protobuf wire reader and writer, graph checks, JSON metadata
#   src/plan/       the planner: graph and file contract, folding, memory, the op table
#   src/ops/        one file per kind of op (planning, scratch size and run function)
#   src/kernels/    vector kernels (portable, AVX2, NEON), chosen in one place
#   src/host/       the host layer: lifecycle and audio path, messages, worker, events, queries
#   src/random/     the randomized-network builder (bit-identical to the exporter)

NNFX_INCLUDE_DIRS = include src src/onnx src/plan src/ops src/kernels src/host src/random

NNFX_SOURCES = \
	src/alloc.c \
	src/error.c \
	src/exec.c \
	src/model.c \
	src/process_blocks.c \
	src/version.c \
	src/onnx/json.c \
	src/onnx/onnx_names.c \
	src/onnx/onnx_reader.c \
	src/onnx/onnx_validate.c \
	src/onnx/onnx_writer.c \
	src/plan/plan.c \
	src/plan/plan_builder.c \
	src/plan/plan_contract.c \
	src/plan/plan_fold.c \
	src/plan/plan_memory.c \
	src/plan/op_table.c \
	src/ops/ops_common.c \
	src/ops/op_unary.c \
	src/ops/op_binary.c \
	src/ops/op_conv.c \
	src/ops/op_matmul.c \
	src/ops/op_rnn.c \
	src/ops/op_transpose.c \
	src/ops/op_slice.c \
	src/ops/op_concat_split.c \
	src/ops/op_gather.c \
	src/ops/op_reshape.c \
	src/ops/op_expand.c \
	src/ops/op_reduce.c \
	src/ops/op_softmax.c \
	src/kernels/kernels.c \
	src/kernels/kernels_avx2.c \
	src/kernels/kernels_neon.c \
	src/host/host.c \
	src/host/host_events.c \
	src/host/host_messages.c \
	src/host/host_query.c \
	src/host/host_recipe.c \
	src/host/host_thread.c \
	src/host/host_worker.c \
	src/random/random_build.c \
	src/random/random_net.c

# The reader, writer and graph checks with what they need, without the engine (the reader's
# unit tests and fuzz targets build from this list alone).
NNFX_READER_SOURCES = \
	src/alloc.c \
	src/error.c \
	src/version.c \
	src/onnx/onnx_names.c \
	src/onnx/onnx_reader.c \
	src/onnx/onnx_validate.c \
	src/onnx/onnx_writer.c
