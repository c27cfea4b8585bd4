/*
 * check.h - the check macro of runtime_c's C test programs (C99 and C++).
 *
 *   CHECK(cond, fmt, ...)   when cond is false: prints "FAIL file:line: message" and counts
 *   check_failures          the failures so far (a program exits non-zero when it is not 0)
 *
 * Set before the include:
 *   CHECK_STREAM     where the lines go (default stdout; test_onnx_reader.c keeps stdout for
 *                    its dumps and sends them to stderr)
 *   CHECK_PRINT_OK   print every check, "ok   message  [file:line]" or "FAIL message
 *                    [file:line]" (test_host.c: pytest looks for the lines of the checks that
 *                    matter, so a silently shortened program is caught)
 */
#ifndef NNFX_TESTS_CHECK_H
#define NNFX_TESTS_CHECK_H

#include <stdio.h>

#ifndef CHECK_STREAM
#define CHECK_STREAM stdout
#endif

static int check_failures;

#ifdef CHECK_PRINT_OK
#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (cond) {                                                                            \
            fprintf(CHECK_STREAM, "ok   ");                                                    \
        } else {                                                                               \
            fprintf(CHECK_STREAM, "FAIL ");                                                    \
            check_failures++;                                                                  \
        }                                                                                      \
        fprintf(CHECK_STREAM, __VA_ARGS__);                                                    \
        fprintf(CHECK_STREAM, "  [%s:%d]\n", __FILE__, __LINE__);                              \
    } while (0)
#else
#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(CHECK_STREAM, "FAIL %s:%d: ", __FILE__, __LINE__);                         \
            fprintf(CHECK_STREAM, __VA_ARGS__);                                                \
            fprintf(CHECK_STREAM, "\n");                                                       \
            check_failures++;                                                                  \
        }                                                                                      \
    } while (0)
#endif

#endif
