/*
 * libFuzzer targets for the request parsers (docs/style.md, "Tests").  Each
 * target file defines LLVMFuzzerTestOneInput; built with clang
 * -fsanitize=fuzzer by script/fuzz, or with replay.c as a plain program
 * that runs the seed corpus in make check.
 */
#ifndef HALL_FUZZ_H
#define HALL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
