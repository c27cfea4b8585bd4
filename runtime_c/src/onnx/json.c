/* json.c - strict JSON reader; see json.h. */
#include "json.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "onnx_model.h"

#define JSON_MAX_DEPTH 64

typedef struct {
    const char *s;
    size_t len, pos;
    nnfx_error *err;
    int failed;
} jp;

static nx_json *jfail(jp *p, const char *why)
{
    if (!p->failed)
        nx_set_error(p->err, NNFX_ERR_FORMAT, "JSON: %s at byte %zu", why, p->pos);
    p->failed = 1;
    return NULL;
}

static void skip_ws(jp *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static nx_json *new_node(jp *p, nx_json_type t)
{
    nx_json *j = (nx_json *)nx_calloc(1, sizeof *j);
    if (!j) {
        if (!p->failed)
            nx_set_error(p->err, NNFX_ERR_NOMEM, "JSON: out of memory");
        p->failed = 1;
        return NULL;
    }
    j->type = t;
    return j;
}

static int hex4(jp *p, unsigned *out)
{
    unsigned v = 0;
    int i;
    if (p->pos + 4 > p->len)
        return 0;
    for (i = 0; i < 4; i++) {
        char c = p->s[p->pos++];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

static size_t put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses a string starting at the opening quote; returns a decoded copy. */
static char *parse_str(jp *p, size_t *out_len)
{
    size_t start = ++p->pos, n = 0;
    char *d;
    /* the decoded text is never longer than the source */
    while (p->pos < p->len && p->s[p->pos] != '"') {
        if (p->s[p->pos] == '\\')
            p->pos++;
        p->pos++;
    }
    if (p->pos >= p->len) {
        jfail(p, "unterminated string");
        return NULL;
    }
    d = (char *)nx_malloc(p->pos - start + 1);
    if (!d) {
        jfail(p, "out of memory");
        return NULL;
    }
    p->pos = start;
    while (p->s[p->pos] != '"') {
        unsigned char c = (unsigned char)p->s[p->pos++];
        if (c < 0x20) {
            nx_free(d);
            jfail(p, "control character in string");
            return NULL;
        }
        if (c != '\\') {
            d[n++] = (char)c;
            continue;
        }
        c = (unsigned char)p->s[p->pos++];
        switch (c) {
        case '"': d[n++] = '"'; break;
        case '\\': d[n++] = '\\'; break;
        case '/': d[n++] = '/'; break;
        case 'b': d[n++] = '\b'; break;
        case 'f': d[n++] = '\f'; break;
        case 'n': d[n++] = '\n'; break;
        case 'r': d[n++] = '\r'; break;
        case 't': d[n++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (!hex4(p, &cp))
                goto bad_escape;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (p->pos + 2 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                    goto bad_escape;
                p->pos += 2;
                if (!hex4(p, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    goto bad_escape;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                goto bad_escape;
            }
            if (cp == 0)
                goto bad_escape; /* NUL would truncate the C string */
            n += put_utf8(d + n, cp);
            break;
        }
        default:
            goto bad_escape;
        }
    }
    p->pos++;
    d[n] = '\0';
    *out_len = n;
    return d;
bad_escape:
    nx_free(d);
    jfail(p, "bad escape in string");
    return NULL;
}

static nx_json *parse_value(jp *p, int depth);

static nx_json *parse_number(jp *p)
{
    size_t st = p->pos;
    char buf[64];
    nx_json *j;
    if (p->pos < p->len && p->s[p->pos] == '-')
        p->pos++;
    if (p->pos >= p->len)
        return jfail(p, "bad number");
    if (p->s[p->pos] == '0') {
        p->pos++;
    } else if (p->s[p->pos] >= '1' && p->s[p->pos] <= '9') {
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    } else {
        return jfail(p, "bad number");
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        p->pos++;
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
            return jfail(p, "bad number");
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
            return jfail(p, "bad number");
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    }
    if (p->pos - st >= sizeof buf)
        return jfail(p, "number too long");
    memcpy(buf, p->s + st, p->pos - st);
    buf[p->pos - st] = '\0';
    j = new_node(p, NNFX_JSON_NUMBER);
    if (j)
        j->number = strtod(buf, NULL);
    return j;
}

static nx_json *parse_container(jp *p, int depth, int obj)
{
    nx_json *j = new_node(p, obj ? NNFX_JSON_OBJECT : NNFX_JSON_ARRAY), **tail;
    char close = obj ? '}' : ']';
    if (!j)
        return NULL;
    tail = &j->child;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return j;
    }
    for (;;) {
        char *key = NULL;
        size_t kl;
        nx_json *v;
        skip_ws(p);
        if (obj) {
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                nx_json_free(j);
                return jfail(p, "expected a member name");
            }
            key = parse_str(p, &kl);
            if (!key) {
                nx_json_free(j);
                return NULL;
            }
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                nx_free(key);
                nx_json_free(j);
                return jfail(p, "expected ':'");
            }
            p->pos++;
        }
        v = parse_value(p, depth + 1);
        if (!v) {
            nx_free(key);
            nx_json_free(j);
            return NULL;
        }
        v->key = key;
        *tail = v;
        tail = &v->next;
        j->count++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return j;
        }
        nx_json_free(j);
        return jfail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static nx_json *parse_value(jp *p, int depth)
{
    skip_ws(p);
    if (depth > JSON_MAX_DEPTH)
        return jfail(p, "nesting too deep");
    if (p->pos >= p->len)
        return jfail(p, "unexpected end");
    switch (p->s[p->pos]) {
    case '{': return parse_container(p, depth, 1);
    case '[': return parse_container(p, depth, 0);
    case '"': {
        nx_json *j;
        size_t n;
        char *s = parse_str(p, &n);
        if (!s)
            return NULL;
        j = new_node(p, NNFX_JSON_STRING);
        if (!j) {
            nx_free(s);
            return NULL;
        }
        j->string = s;
        j->string_len = n;
        return j;
    }
    case 't':
        if (p->len - p->pos >= 4 && !memcmp(p->s + p->pos, "true", 4)) {
            p->pos += 4;
            return new_node(p, NNFX_JSON_TRUE);
        }
        break;
    case 'f':
        if (p->len - p->pos >= 5 && !memcmp(p->s + p->pos, "false", 5)) {
            p->pos += 5;
            return new_node(p, NNFX_JSON_FALSE);
        }
        break;
    case 'n':
        if (p->len - p->pos >= 4 && !memcmp(p->s + p->pos, "null", 4)) {
            p->pos += 4;
            return new_node(p, NNFX_JSON_NULL);
        }
        break;
    default:
        return parse_number(p);
    }
    return jfail(p, "unexpected character");
}

nnfx_result nx_json_parse(const char *text, size_t len, nx_json **out, nnfx_error *err)
{
    jp p;
    nx_json *j;
    *out = NULL;
    if (!text)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "JSON: no text");
    p.s = text;
    p.len = len;
    p.pos = 0;
    p.err = err;
    p.failed = 0;
    j = parse_value(&p, 0);
    if (!j)
        return err ? err->code : NNFX_ERR_FORMAT;
    skip_ws(&p);
    if (p.pos != p.len) {
        nx_json_free(j);
        jfail(&p, "trailing characters");
        return NNFX_ERR_FORMAT;
    }
    *out = j;
    return NNFX_OK;
}

void nx_json_free(nx_json *j)
{
    while (j) {
        nx_json *next = j->next;
        nx_json_free(j->child);
        nx_free(j->string);
        nx_free(j->key);
        nx_free(j);
        j = next;
    }
}

const nx_json *nx_json_get(const nx_json *obj, const char *key)
{
    const nx_json *c;
    if (!obj || obj->type != NNFX_JSON_OBJECT)
        return NULL;
    for (c = obj->child; c; c = c->next)
        if (c->key && !strcmp(c->key, key))
            return c;
    return NULL;
}

const nx_json *nx_json_at(const nx_json *arr, size_t i)
{
    const nx_json *c;
    if (!arr || arr->type != NNFX_JSON_ARRAY)
        return NULL;
    for (c = arr->child; c && i; c = c->next)
        i--;
    return c;
}
