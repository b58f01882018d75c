/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A minimal unit-test harness. A test file defines TEST(name) functions and ends with
 * TEST_MAIN(). Each check prints file:line and the failed expression and aborts the test
 * program, so CTest reports it failed.
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*TestFunc)(void);
typedef struct TestCase TestCase;
struct TestCase {
        const char *name;
        TestFunc func;
        TestCase *next;
};

/*
 * Registered tests, in definition order. Each TEST() owns its own static TestCase and
 * links it in, so there is no limit on how many a file defines.
 */
extern TestCase *test_first;
extern TestCase **test_lastp;

#define TEST(name)                                                               \
        static void test_##name(void);                                           \
        __attribute__((constructor)) static void test_register_##name(void) {    \
                static TestCase test_case_##name = { #name, test_##name, NULL }; \
                *test_lastp = &test_case_##name;                                 \
                test_lastp = &test_case_##name.next;                             \
        }                                                                        \
        static void test_##name(void)

#define TEST_FAIL(...)                                                           \
        do {                                                                     \
                fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                  \
                fprintf(stderr, __VA_ARGS__);                                    \
                fputc('\n', stderr);                                             \
                abort();                                                         \
        } while (0)

#define CHECK(expr)                                                              \
        do {                                                                     \
                if (!(expr))                                                     \
                        TEST_FAIL("check failed: %s", #expr);                    \
        } while (0)

#define CHECK_EQ_INT(a, b)                                                       \
        do {                                                                     \
                long long _a = (long long)(a), _b = (long long)(b);              \
                if (_a != _b)                                                    \
                        TEST_FAIL("%s == %lld, expected %s == %lld", #a, _a, #b, _b); \
        } while (0)

#define CHECK_EQ_STR(a, b)                                                       \
        do {                                                                     \
                const char *_a = (a), *_b = (b);                                 \
                if (!_a || !_b || strcmp(_a, _b) != 0)                           \
                        TEST_FAIL("%s == \"%s\", expected \"%s\"", #a,           \
                                  _a ? _a : "(null)", _b ? _b : "(null)");       \
        } while (0)

/* Checks an int-returning action succeeded, printing the errno name if not. */
#define CHECK_OK(expr)                                                           \
        do {                                                                     \
                int _r = (expr);                                                 \
                if (_r < 0)                                                      \
                        TEST_FAIL("%s failed: %s", #expr, strerror(-_r));        \
        } while (0)

#define TEST_MAIN()                                                              \
        TestCase *test_first;                                                    \
        TestCase **test_lastp = &test_first;                                     \
        int main(int argc, char **argv) {                                        \
                unsigned ran = 0;                                                \
                for (TestCase *t = test_first; t; t = t->next) {                 \
                        if (argc > 1 && strcmp(argv[1], t->name) != 0)           \
                                continue;                                        \
                        fprintf(stderr, "test %s\n", t->name);                   \
                        t->func();                                               \
                        ran++;                                                   \
                }                                                                \
                if (ran == 0) {                                                  \
                        fprintf(stderr, "no test ran\n");                        \
                        return 1;                                                \
                }                                                                \
                return 0;                                                        \
        }
