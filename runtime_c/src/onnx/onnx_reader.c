/*
 * onnx_reader.c - a small protobuf reader for ONNX ModelProto (internal).
 *
 * The file is untrusted. Every tag, length, count and dimension is checked
 * before use, sizes are computed with overflow checks, and every failure
 * frees what was built and says what was wrong and where (byte offset in the
 * file, tensor/node/attribute name, expected vs found).
 *
 * Messages with repeated children are read in two passes over their bytes:
 * the first counts (and validates the framing), the second fills arrays
 * allocated once at the counted size. No intermediate buffers, no realloc.
 *
 * Field numbers follow onnx/onnx.proto (proto2).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "onnx_model.h"
#include "onnx_names.h"

/* Protobuf wire types. */
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4, WT_I32 = 5 };

/* Upper bound for any repeated count we keep in an int. */
#define MAX_COUNT (INT_MAX / 16)

typedef struct {
    const uint8_t *base; /* the whole file; offsets in messages are relative to it */
    size_t size;
    nnfx_error *err;
    int depth;           /* message nesting depth */
} ctx;

typedef struct {
    size_t pos, end;     /* absolute offsets into ctx.base */
} span;

static const char *wire_name(int w)
{
    switch (w) {
    case WT_VARINT: return "varint";
    case WT_I64: return "64-bit";
    case WT_LEN: return "length-delimited";
    case WT_SGROUP: return "start-group";
    case WT_EGROUP: return "end-group";
    case WT_I32: return "32-bit";
    }
    return "invalid";
}

/* ---- dtypes ---------------------------------------------------------------------------- */

size_t nx_onnx_dtype_size(int32_t dtype)
{
    switch (dtype) {
    case NNFX_DT_FLOAT: return 4;
    case NNFX_DT_UINT8: return 1;
    case NNFX_DT_INT8: return 1;
    case NNFX_DT_INT32: return 4;
    case NNFX_DT_INT64: return 8;
    case NNFX_DT_BOOL: return 1;
    case NNFX_DT_DOUBLE: return 8;
    }
    return 0;
}

const char *nx_onnx_dtype_name(int32_t dtype)
{
    static const char *const names[] = {
        "undefined", "float32", "uint8",  "int8",     "uint16",     "int16",   "int32",
        "int64",     "string",  "bool",   "float16",  "float64",    "uint32",  "uint64",
        "complex64", "complex128", "bfloat16", "float8e4m3fn", "float8e4m3fnuz",
        "float8e5m2", "float8e5m2fnuz", "uint4", "int4", "float4e2m1"};
    if (dtype >= 0 && (size_t)dtype < sizeof names / sizeof names[0])
        return names[dtype];
    return "unknown";
}

/* ---- low-level wire reading -------------------------------------------------------------- */

static nnfx_result read_varint(ctx *c, span *s, uint64_t *out, const char *what)
{
    uint64_t v = 0;
    size_t start = s->pos;
    int shift;
    *out = 0;
    for (shift = 0; shift < 64; shift += 7) {
        uint8_t b;
        if (s->pos >= s->end)
            return nx_set_error(c->err, NNFX_ERR_FORMAT,
                                  "%s: truncated varint at byte %zu (message ends at byte %zu)",
                                  what, start, s->end);
        b = c->base[s->pos++];
        if (shift == 63 && (b & 0x7e))
            return nx_set_error(c->err, NNFX_ERR_FORMAT,
                                  "%s: varint at byte %zu is longer than 64 bits", what, start);
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return NNFX_OK;
        }
    }
    return nx_set_error(c->err, NNFX_ERR_FORMAT,
                          "%s: varint at byte %zu is longer than 10 bytes", what, start);
}

static uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)load_le32(p) | (uint64_t)load_le32(p + 4) << 32;
}

static nnfx_result read_fixed(ctx *c, span *s, int bytes, uint64_t *out, const char *what)
{
    *out = 0; /* defined on every path, like read_varint */
    if (s->end - s->pos < (size_t)bytes)
        return nx_set_error(c->err, NNFX_ERR_FORMAT,
                              "%s: %d-byte value at byte %zu runs past the end of its message "
                              "(byte %zu)",
                              what, bytes, s->pos, s->end);
    *out = bytes == 4 ? load_le32(c->base + s->pos) : load_le64(c->base + s->pos);
    s->pos += (size_t)bytes;
    return NNFX_OK;
}

/* Read a tag. *field receives the field number, *wire the wire type. Groups are refused. */
static nnfx_result read_tag(ctx *c, span *s, uint32_t *field, int *wire, const char *what)
{
    uint64_t t = 0;
    size_t start = s->pos;
    nnfx_result r;
    *field = 0;
    *wire = 0;
    r = read_varint(c, s, &t, what);
    if (r)
        return r;
    if (t >> 3 == 0 || t >> 3 > 0x1fffffff)
        return nx_set_error(c->err, NNFX_ERR_FORMAT,
                              "%s: invalid field number %llu at byte %zu", what,
                              (unsigned long long)(t >> 3), start);
    *field = (uint32_t)(t >> 3);
    *wire = (int)(t & 7);
    if (*wire == WT_SGROUP || *wire == WT_EGROUP)
        return nx_set_error(c->err, NNFX_ERR_FORMAT,
                              "%s: field %u at byte %zu uses the deprecated group wire type, "
                              "which ONNX files never contain",
                              what, *field, start);
    if (*wire != WT_VARINT && *wire != WT_I64 && *wire != WT_LEN && *wire != WT_I32)
        return nx_set_error(c->err, NNFX_ERR_FORMAT,
                              "%s: field %u at byte %zu has invalid wire type %d", what, *field,
                              start, *wire);
    return NNFX_OK;
}

/* Read a length prefix and return the payload span; s advances past it. */
static nnfx_result read_len(ctx *c, span *s, span *sub, const char *what)
{
    uint64_t n = 0;
    size_t start = s->pos;
    nnfx_result r = read_varint(c, s, &n, what);
    if (r)
        return r;
    if (n > (uint64_t)(s->end - s->pos))
        return nx_set_error(c->err, NNFX_ERR_FORMAT,
                              "%s: length %llu at byte %zu runs past the end of its message "
                              "(%zu bytes left)",
                              what, (unsigned long long)n, start, s->end - s->pos);
    sub->pos = s->pos;
    sub->end = s->pos + (size_t)n;
    s->pos = sub->end;
    return NNFX_OK;
}

static nnfx_result skip_field(ctx *c, span *s, int wire, const char *what)
{
    uint64_t v;
    span sub;
    switch (wire) {
    case WT_VARINT: return read_varint(c, s, &v, what);
    case WT_I64: return read_fixed(c, s, 8, &v, what);
    case WT_I32: return read_fixed(c, s, 4, &v, what);
    case WT_LEN: return read_len(c, s, &sub, what);
    }
    return nx_set_error(c->err, NNFX_ERR_FORMAT, "%s: cannot skip wire type %d", what, wire);
}

static nnfx_result want_wire(ctx *c, int wire, int expected, uint32_t field, size_t at,
                             const char *what)
{
    if (wire == expected)
        return NNFX_OK;
    return nx_set_error(c->err, NNFX_ERR_FORMAT,
                          "%s: field %u at byte %zu has wire type %s, expected %s", what, field,
                          at, wire_name(wire), wire_name(expected));
}

/* Enter a nested message (depth check). */
static nnfx_result enter(ctx *c, span sub, const char *what)
{
    if (c->depth >= NX_ONNX_MAX_NESTING)
        return nx_set_error(c->err, NNFX_ERR_LIMIT,
                              "%s: messages nested deeper than %d at byte %zu", what,
                              NX_ONNX_MAX_NESTING, sub.pos);
    c->depth++;
    return NNFX_OK;
}

/*
 * Repeated scalars arrive packed (one LEN field) or unpacked (one field per
 * element). rep_open returns the span of elements for this occurrence.
 * kind: WT_VARINT, WT_I32 or WT_I64 (the element encoding).
 */
static nnfx_result rep_open(ctx *c, span *s, int wire, int kind, uint32_t field, size_t at,
                            span *elems, const char *what)
{
    nnfx_result r;
    if (wire == WT_LEN) {
        r = read_len(c, s, elems, what);
        if (r)
            return r;
        if (kind == WT_I32 && (elems->end - elems->pos) % 4)
            return nx_set_error(c->err, NNFX_ERR_FORMAT,
                                  "%s: packed 32-bit field %u at byte %zu has %zu bytes, not a "
                                  "multiple of 4",
                                  what, field, at, elems->end - elems->pos);
        if (kind == WT_I64 && (elems->end - elems->pos) % 8)
            return nx_set_error(c->err, NNFX_ERR_FORMAT,
                                  "%s: packed 64-bit field %u at byte %zu has %zu bytes, not a "
                                  "multiple of 8",
                                  what, field, at, elems->end - elems->pos);
        return NNFX_OK;
    }
    if (wire != kind)
        return want_wire(c, wire, kind, field, at, what);
    elems->pos = s->pos;
    r = skip_field(c, s, wire, what);
    elems->end = s->pos;
    return r;
}

static nnfx_result rep_next(ctx *c, span *elems, int kind, uint64_t *v, const char *what)
{
    if (kind == WT_VARINT)
        return read_varint(c, elems, v, what);
    return read_fixed(c, elems, kind == WT_I32 ? 4 : 8, v, what);
}

/* Number of elements in this occurrence (validates varints). */
static nnfx_result rep_count(ctx *c, span elems, int kind, size_t *count, const char *what)
{
    size_t n = 0;
    if (kind == WT_I32) {
        *count = (elems.end - elems.pos) / 4;
        return NNFX_OK;
    }
    if (kind == WT_I64) {
        *count = (elems.end - elems.pos) / 8;
        return NNFX_OK;
    }
    while (elems.pos < elems.end) {
        uint64_t v;
        nnfx_result r = read_varint(c, &elems, &v, what);
        if (r)
            return r;
        n++;
    }
    *count = n;
    return NNFX_OK;
}

static float f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static double f64_from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* Copy a string field. Names must be short and contain no NUL byte. */
static nnfx_result copy_string(ctx *c, span sub, int is_name, char **out, const char *what)
{
    size_t n = sub.end - sub.pos;
    const char *p = (const char *)c->base + sub.pos;
    if (is_name && n > NX_ONNX_MAX_NAME)
        return nx_set_error(c->err, NNFX_ERR_LIMIT,
                              "%s: name at byte %zu is %zu bytes long, at most %d allowed", what,
                              sub.pos, n, NX_ONNX_MAX_NAME);
    if (is_name && n && memchr(p, 0, n))
        return nx_set_error(c->err, NNFX_ERR_FORMAT,
                              "%s: name at byte %zu contains a NUL byte", what, sub.pos);
    nx_free(*out); /* a repeated optional field: the last one wins */
    *out = nx_strndup(p, n);
    if (!*out)
        return nx_set_error(c->err, NNFX_ERR_NOMEM, "%s: out of memory copying %zu bytes", what,
                              n);
    return NNFX_OK;
}

/* Scan a message for the last occurrence of a LEN field (used to learn names before the rest). */
static nnfx_result find_len_field(ctx *c, span msg, uint32_t want, span *found, int *has,
                                  const char *what)
{
    *has = 0;
    while (msg.pos < msg.end) {
        uint32_t field;
        int wire;
        size_t at = msg.pos;
        nnfx_result r = read_tag(c, &msg, &field, &wire, what);
        if (r)
            return r;
        if (field == want) {
            if ((r = want_wire(c, wire, WT_LEN, field, at, what)) != NNFX_OK)
                return r;
            if ((r = read_len(c, &msg, found, what)) != NNFX_OK)
                return r;
            *has = 1;
        } else if ((r = skip_field(c, &msg, wire, what)) != NNFX_OK) {
            return r;
        }
    }
    return NNFX_OK;
}

/* Safe printable form of a span for messages (truncated, non-printables as '?'). */
static void span_label(ctx *c, span s, char *buf, size_t cap)
{
    size_t n = s.end - s.pos, i;
    if (n > cap - 1)
        n = cap - 1;
    for (i = 0; i < n; i++) {
        uint8_t b = c->base[s.pos + i];
        buf[i] = (b >= 32 && b < 127) ? (char)b : '?';
    }
    buf[n] = '\0';
}

/* The name (field 1) that a message must have, read before the rest so that every later
   message can say which attribute or value it is about: copied into *name and, printable,
   into label. */
static nnfx_result read_required_name(ctx *c, span msg, char **name, char *label,
                                      size_t label_cap, const char *what)
{
    span name_sp;
    int has_name;
    nnfx_result r = find_len_field(c, msg, 1, &name_sp, &has_name, what);
    if (r != NNFX_OK)
        return r;
    if (!has_name || name_sp.end == name_sp.pos)
        return nx_set_error(c->err, NNFX_ERR_FORMAT, "%s has no name", what);
    if ((r = copy_string(c, name_sp, 1, name, what)) != NNFX_OK)
        return r;
    span_label(c, name_sp, label, label_cap);
    return NNFX_OK;
}

static int checked_count(size_t n) { return n <= (size_t)MAX_COUNT; }

/* ---- freeing ---------------------------------------------------------------------------- */

static void free_tensor(nx_onnx_tensor *t)
{
    if (!t)
        return;
    nx_free(t->name);
    nx_free(t->data);
    memset(t, 0, sizeof *t);
}

static void free_attr(nx_onnx_attr *a)
{
    size_t i;
    nx_free(a->name);
    nx_free(a->s);
    if (a->t) {
        free_tensor(a->t);
        nx_free(a->t);
    }
    nx_free(a->floats);
    nx_free(a->ints);
    if (a->strings) {
        for (i = 0; i < a->n; i++)
            nx_free(a->strings[i]);
        nx_free(a->strings);
    }
    memset(a, 0, sizeof *a);
}

static void free_node(nx_onnx_node *n)
{
    int i;
    nx_free(n->name);
    nx_free(n->op_type);
    nx_free(n->domain);
    if (n->inputs)
        for (i = 0; i < n->n_inputs; i++)
            nx_free(n->inputs[i]);
    if (n->outputs)
        for (i = 0; i < n->n_outputs; i++)
            nx_free(n->outputs[i]);
    if (n->attrs)
        for (i = 0; i < n->n_attrs; i++)
            free_attr(&n->attrs[i]);
    nx_free(n->inputs);
    nx_free(n->outputs);
    nx_free(n->attrs);
    memset(n, 0, sizeof *n);
}

static void free_value_infos(nx_onnx_value_info *v, int n)
{
    int i;
    if (!v)
        return;
    for (i = 0; i < n; i++)
        nx_free(v[i].name);
    nx_free(v);
}

void nx_onnx_model_free(nx_onnx_model *m)
{
    int i;
    if (!m)
        return;
    nx_free(m->producer_name);
    nx_free(m->graph_name);
    if (m->nodes)
        for (i = 0; i < m->n_nodes; i++)
            free_node(&m->nodes[i]);
    nx_free(m->nodes);
    if (m->initializers)
        for (i = 0; i < m->n_initializers; i++)
            free_tensor(&m->initializers[i]);
    nx_free(m->initializers);
    free_value_infos(m->inputs, m->n_inputs);
    free_value_infos(m->outputs, m->n_outputs);
    free_value_infos(m->value_infos, m->n_value_infos);
    if (m->props)
        for (i = 0; i < m->n_props; i++) {
            nx_free(m->props[i].key);
            nx_free(m->props[i].value);
        }
    nx_free(m->props);
    memset(m, 0, sizeof *m);
}

/* ---- TensorProto ------------------------------------------------------------------------ */

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/* Typed-data field numbers of TensorProto and their element encodings. */
enum {
    TF_FLOAT = 4,  /* fixed32 */
    TF_INT32 = 5,  /* varint */
    TF_STRING = 6,
    TF_INT64 = 7,  /* varint */
    TF_DOUBLE = 10, /* fixed64 */
    TF_UINT64 = 11  /* varint */
};

/* The typed field that holds elements of dtype, and its element encoding. */
static int typed_field_for(int32_t dtype, int *kind)
{
    switch (dtype) {
    case NNFX_DT_FLOAT: *kind = WT_I32; return TF_FLOAT;
    case NNFX_DT_DOUBLE: *kind = WT_I64; return TF_DOUBLE;
    case NNFX_DT_INT64: *kind = WT_VARINT; return TF_INT64;
    case NNFX_DT_INT32:
    case NNFX_DT_INT8:
    case NNFX_DT_UINT8:
    case NNFX_DT_BOOL: *kind = WT_VARINT; return TF_INT32;
    }
    *kind = WT_VARINT;
    return 0;
}

static const char *typed_field_name(int f)
{
    switch (f) {
    case TF_FLOAT: return "float_data";
    case TF_INT32: return "int32_data";
    case TF_INT64: return "int64_data";
    case TF_DOUBLE: return "double_data";
    case TF_UINT64: return "uint64_data";
    }
    return "?";
}

/* Store element i of a typed field into the tensor's data (host order), range-checked. */
static nnfx_result store_typed(ctx *c, nx_onnx_tensor *t, size_t i, uint64_t v, size_t at,
                               const char *what)
{
    int64_t sv = (int64_t)v;
    switch (t->dtype) {
    case NNFX_DT_FLOAT: {
        float f = f32_from_bits((uint32_t)v);
        memcpy((uint8_t *)t->data + 4 * i, &f, 4);
        return NNFX_OK;
    }
    case NNFX_DT_DOUBLE: {
        double d = f64_from_bits(v);
        memcpy((uint8_t *)t->data + 8 * i, &d, 8);
        return NNFX_OK;
    }
    case NNFX_DT_INT64:
        memcpy((uint8_t *)t->data + 8 * i, &sv, 8);
        return NNFX_OK;
    case NNFX_DT_INT32:
        if (sv < INT32_MIN || sv > INT32_MAX)
            break;
        {
            int32_t x = (int32_t)sv;
            memcpy((uint8_t *)t->data + 4 * i, &x, 4);
        }
        return NNFX_OK;
    case NNFX_DT_INT8:
        if (sv < -128 || sv > 127)
            break;
        ((int8_t *)t->data)[i] = (int8_t)sv;
        return NNFX_OK;
    case NNFX_DT_UINT8:
        if (sv < 0 || sv > 255)
            break;
        ((uint8_t *)t->data)[i] = (uint8_t)sv;
        return NNFX_OK;
    case NNFX_DT_BOOL:
        if (sv < 0 || sv > 1)
            break;
        ((uint8_t *)t->data)[i] = (uint8_t)sv;
        return NNFX_OK;
    }
    return nx_set_error(c->err, NNFX_ERR_FORMAT,
                          "%s: element %zu near byte %zu has value %lld, out of range for %s",
                          what, i, at, (long long)sv, nx_onnx_dtype_name(t->dtype));
}

static void format_dims(const nx_onnx_tensor *t, char *buf, size_t cap)
{
    size_t len = 0;
    int i;
    buf[0] = '\0';
    len += (size_t)snprintf(buf, cap, "[");
    for (i = 0; i < t->ndim && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%lld", i ? ", " : "",
                                (long long)t->dims[i]);
    if (len < cap)
        snprintf(buf + len, cap - len, "]");
}

/* owner: where this tensor lives, for messages ("initializer", "node 'x' attribute 'value'"). */
static nnfx_result parse_tensor(ctx *c, span msg, nx_onnx_tensor *t, const char *owner)
{
    char what[768], namebuf[160], dimbuf[200];
    span name_sp, raw = {0, 0}, m;
    int has_name, has_raw = 0, external = 0, i, kind, want_field;
    size_t n_typed[12] = {0}, esize, nbytes;
    uint64_t count = 1;
    size_t tensor_at = msg.pos;
    nnfx_result r;

    memset(t, 0, sizeof *t);
    snprintf(what, sizeof what, "%s (tensor at byte %zu)", owner, tensor_at);
    if ((r = enter(c, msg, what)) != NNFX_OK)
        return r;
    if ((r = find_len_field(c, msg, 8, &name_sp, &has_name, what)) != NNFX_OK)
        goto fail;
    if (has_name) {
        if ((r = copy_string(c, name_sp, 1, &t->name, what)) != NNFX_OK)
            goto fail;
        span_label(c, name_sp, namebuf, sizeof namebuf);
        snprintf(what, sizeof what, "%s tensor '%s'", owner, namebuf);
    } else {
        t->name = nx_strdup("");
        if (!t->name) {
            r = nx_set_error(c->err, NNFX_ERR_NOMEM, "%s: out of memory", what);
            goto fail;
        }
    }

    /* Pass 1: dims, type, where the data is. */
    m = msg;
    while (m.pos < m.end) {
        uint32_t field;
        int wire;
        size_t at = m.pos;
        uint64_t v;
        span el;
        if ((r = read_tag(c, &m, &field, &wire, what)) != NNFX_OK)
            goto fail;
        switch (field) {
        case 1: /* dims */
            if ((r = rep_open(c, &m, wire, WT_VARINT, field, at, &el, what)) != NNFX_OK)
                goto fail;
            while (el.pos < el.end) {
                if ((r = read_varint(c, &el, &v, what)) != NNFX_OK)
                    goto fail;
                if (t->ndim >= NNFX_MAX_DIMS) {
                    r = nx_set_error(c->err, NNFX_ERR_LIMIT,
                                       "%s: more than %d dimensions (field dims at byte %zu)",
                                       what, NNFX_MAX_DIMS, at);
                    goto fail;
                }
                t->dims[t->ndim++] = (int64_t)v;
            }
            break;
        case 2: /* data_type */
            if ((r = want_wire(c, wire, WT_VARINT, field, at, what)) != NNFX_OK ||
                (r = read_varint(c, &m, &v, what)) != NNFX_OK)
                goto fail;
            if ((int64_t)v < INT32_MIN || (int64_t)v > INT32_MAX) {
                r = nx_set_error(c->err, NNFX_ERR_UNSUPPORTED,
                                   "%s: data type %lld at byte %zu is not a known type", what,
                                   (long long)(int64_t)v, at);
                goto fail;
            }
            t->dtype = (int32_t)(int64_t)v;
            break;
        case 3:
            r = nx_set_error(c->err, NNFX_ERR_UNSUPPORTED,
                               "%s: segmented tensors (field segment at byte %zu) are not "
                               "supported",
                               what, at);
            goto fail;
        case TF_STRING:
            r = nx_set_error(c->err, NNFX_ERR_UNSUPPORTED,
                               "%s: string tensors (string_data at byte %zu) are not supported",
                               what, at);
            goto fail;
        case TF_FLOAT:
        case TF_INT32:
        case TF_INT64:
        case TF_DOUBLE:
        case TF_UINT64: {
            int k = field == TF_FLOAT ? WT_I32 : field == TF_DOUBLE ? WT_I64 : WT_VARINT;
            size_t n;
            if ((r = rep_open(c, &m, wire, k, field, at, &el, what)) != NNFX_OK ||
                (r = rep_count(c, el, k, &n, what)) != NNFX_OK)
                goto fail;
            n_typed[field] += n; /* cannot overflow: bounded by the file size */
            break;
        }
        case 9: /* raw_data */
            if ((r = want_wire(c, wire, WT_LEN, field, at, what)) != NNFX_OK ||
                (r = read_len(c, &m, &raw, what)) != NNFX_OK)
                goto fail;
            has_raw = 1;
            break;
        case 13: /* external_data */
            external = 1;
            if ((r = skip_field(c, &m, wire, what)) != NNFX_OK)
                goto fail;
            break;
        case 14: /* data_location */
            if ((r = want_wire(c, wire, WT_VARINT, field, at, what)) != NNFX_OK ||
                (r = read_varint(c, &m, &v, what)) != NNFX_OK)
                goto fail;
            if (v == 1)
                external = 1;
            break;
        default:
            if ((r = skip_field(c, &m, wire, what)) != NNFX_OK)
                goto fail;
        }
    }

    if (external) {
        r = nx_set_error(c->err, NNFX_ERR_UNSUPPORTED,
                           "%s: data is stored outside the file (data_location=EXTERNAL); save "
                           "the model with all tensors inside it",
                           what);
        goto fail;
    }
    esize = nx_onnx_dtype_size(t->dtype);
    if (!esize) {
        r = nx_set_error(c->err, NNFX_ERR_UNSUPPORTED,
                           "%s: data type %d (%s) is not supported (float32, float64, int8, "
                           "uint8, int32, int64, bool are)",
                           what, (int)t->dtype, nx_onnx_dtype_name(t->dtype));
        goto fail;
    }
    for (i = 0; i < t->ndim; i++) {
        if (t->dims[i] < 0) {
            r = nx_set_error(c->err, NNFX_ERR_FORMAT, "%s: dimension %d is negative (%lld)",
                               what, i, (long long)t->dims[i]);
            goto fail;
        }
        if ((uint64_t)t->dims[i] > (uint64_t)NX_ONNX_MAX_TENSOR_ELEMS ||
            (t->dims[i] && count > (uint64_t)NX_ONNX_MAX_TENSOR_ELEMS / (uint64_t)t->dims[i])) {
            format_dims(t, dimbuf, sizeof dimbuf);
            r = nx_set_error(c->err, NNFX_ERR_LIMIT,
                               "%s: shape %s has more than %d elements", what, dimbuf,
                               NX_ONNX_MAX_TENSOR_ELEMS);
            goto fail;
        }
        count *= (uint64_t)t->dims[i];
    }
    t->count = (int64_t)count;
    nbytes = (size_t)count * esize;
    want_field = typed_field_for(t->dtype, &kind);
    format_dims(t, dimbuf, sizeof dimbuf);

    /* Exactly one source of data, holding exactly count elements. */
    for (i = 0; i < 12; i++) {
        if (!n_typed[i])
            continue;
        if (has_raw) {
            r = nx_set_error(c->err, NNFX_ERR_FORMAT,
                               "%s: has both raw_data and %s; expected only one", what,
                               typed_field_name(i));
            goto fail;
        }
        if (i != want_field) {
            r = nx_set_error(c->err, NNFX_ERR_FORMAT,
                               "%s: holds %s but its data type is %s (expected %s)", what,
                               typed_field_name(i), nx_onnx_dtype_name(t->dtype),
                               typed_field_name(want_field));
            goto fail;
        }
    }
    if (has_raw && raw.end - raw.pos != nbytes) {
        r = nx_set_error(c->err, NNFX_ERR_FORMAT,
                           "%s: raw_data at byte %zu holds %zu bytes, but shape %s of %s needs "
                           "%zu",
                           what, raw.pos, raw.end - raw.pos, dimbuf,
                           nx_onnx_dtype_name(t->dtype), nbytes);
        goto fail;
    }
    if (!has_raw && n_typed[want_field] != (size_t)count) {
        r = nx_set_error(c->err, NNFX_ERR_FORMAT,
                           "%s: %s holds %zu elements, but shape %s needs %llu", what,
                           typed_field_name(want_field), n_typed[want_field], dimbuf,
                           (unsigned long long)count);
        goto fail;
    }

    t->data = nx_malloc(nbytes);
    if (!t->data) {
        r = nx_set_error(c->err, NNFX_ERR_NOMEM, "%s: out of memory for %zu bytes", what,
                           nbytes);
        goto fail;
    }
    if (has_raw) {
        const uint8_t *src = c->base + raw.pos;
        size_t k;
        if (esize == 1 || host_is_little_endian()) {
            if (nbytes)
                memcpy(t->data, src, nbytes);
        } else {
            /* Big-endian host: reverse each element's bytes. */
            uint8_t *dst = (uint8_t *)t->data;
            for (k = 0; k < nbytes; k += esize) {
                size_t b;
                for (b = 0; b < esize; b++)
                    dst[k + b] = src[k + esize - 1 - b];
            }
        }
        if (t->dtype == NNFX_DT_BOOL) {
            for (k = 0; k < nbytes; k++)
                if (src[k] > 1) {
                    r = nx_set_error(c->err, NNFX_ERR_FORMAT,
                                       "%s: bool element %zu is %u, expected 0 or 1", what, k,
                                       (unsigned)src[k]);
                    goto fail;
                }
        }
    } else if (count) {
        /* Pass 2: decode the typed field into data. */
        size_t idx = 0;
        m = msg;
        while (m.pos < m.end) {
            uint32_t field;
            int wire;
            size_t at = m.pos;
            span el;
            if ((r = read_tag(c, &m, &field, &wire, what)) != NNFX_OK)
                goto fail;
            if ((int)field != want_field) {
                if ((r = skip_field(c, &m, wire, what)) != NNFX_OK)
                    goto fail;
                continue;
            }
            if ((r = rep_open(c, &m, wire, kind, field, at, &el, what)) != NNFX_OK)
                goto fail;
            while (el.pos < el.end) {
                uint64_t v;
                size_t eat = el.pos;
                if ((r = rep_next(c, &el, kind, &v, what)) != NNFX_OK)
                    goto fail;
                if (idx >= (size_t)count) { /* counted above; defensive */
                    r = nx_set_error(c->err, NNFX_ERR_FORMAT, "%s: too many elements", what);
                    goto fail;
                }
                if ((r = store_typed(c, t, idx, v, eat, what)) != NNFX_OK)
                    goto fail;
                idx++;
            }
        }
    }
    c->depth--;
    return NNFX_OK;
fail:
    c->depth--;
    free_tensor(t);
    return r;
}

/* ---- AttributeProto --------------------------------------------------------------------- */

static nnfx_result parse_attr(ctx *c, span msg, nx_onnx_attr *a, const char *node_desc)
{
    char what[512], namebuf[128];
    span s_sp = {0, 0}, t_sp = {0, 0}, m;
    int has_f = 0, has_i = 0, has_s = 0, has_t = 0;
    size_t n_floats = 0, n_ints = 0, n_strings = 0;
    int64_t type = 0;
    nnfx_result r;

    memset(a, 0, sizeof *a);
    snprintf(what, sizeof what, "%s: attribute at byte %zu", node_desc, msg.pos);
    if ((r = enter(c, msg, what)) != NNFX_OK)
        return r;
    if ((r = read_required_name(c, msg, &a->name, namebuf, sizeof namebuf, what)) != NNFX_OK)
        goto fail;
    snprintf(what, sizeof what, "%s: attribute '%s'", node_desc, namebuf);

    m = msg;
    while (m.pos < m.end) {
        uint32_t field;
        int wire;
        size_t at = m.pos;
        uint64_t v;
        span el;
        size_t n;
        if ((r = read_tag(c, &m, &field, &wire, what)) != NNFX_OK)
            goto fail;
        switch (field) {
        case 20: /* type */
            if ((r = want_wire(c, wire, WT_VARINT, field, at, what)) != NNFX_OK ||
                (r = read_varint(c, &m, &v, what)) != NNFX_OK)
                goto fail;
            type = (int64_t)v;
            break;
        case 2: /* f */
            if ((r = want_wire(c, wire, WT_I32, field, at, what)) != NNFX_OK ||
                (r = read_fixed(c, &m, 4, &v, what)) != NNFX_OK)
                goto fail;
            a->f = f32_from_bits((uint32_t)v);
            has_f = 1;
            break;
        case 3: /* i */
            if ((r = want_wire(c, wire, WT_VARINT, field, at, what)) != NNFX_OK ||
                (r = read_varint(c, &m, &v, what)) != NNFX_OK)
                goto fail;
            a->i = (int64_t)v;
            has_i = 1;
            break;
        case 4: /* s */
            if ((r = want_wire(c, wire, WT_LEN, field, at, what)) != NNFX_OK ||
                (r = read_len(c, &m, &s_sp, what)) != NNFX_OK)
                goto fail;
            has_s = 1;
            break;
        case 5: /* t */
            if ((r = want_wire(c, wire, WT_LEN, field, at, what)) != NNFX_OK ||
                (r = read_len(c, &m, &t_sp, what)) != NNFX_OK)
                goto fail;
            has_t = 1;
            break;
        case 6:
        case 11:
            r = nx_set_error(c->err, NNFX_ERR_UNSUPPORTED,
                               "%s holds a subgraph (%s, byte %zu); control flow (If, Loop, "
                               "Scan) is not supported",
                               what, field == 6 ? "GRAPH" : "GRAPHS", at);
            goto fail;
        case 10:
        case 22:
        case 23:
        case 14:
        case 15:
            r = nx_set_error(c->err, NNFX_ERR_UNSUPPORTED,
                               "%s: field %u at byte %zu (%s) is not supported", what, field, at,
                               field == 10   ? "TENSORS"
                               : field == 22 ? "SPARSE_TENSOR"
                               : field == 23 ? "SPARSE_TENSORS"
                                             : "TYPE_PROTO");
            goto fail;
        case 21:
            r = nx_set_error(c->err, NNFX_ERR_UNSUPPORTED,
                               "%s refers to a function attribute (ref_attr_name at byte %zu), "
                               "which is only valid inside functions",
                               what, at);
            goto fail;
        case 7: /* floats */
            if ((r = rep_open(c, &m, wire, WT_I32, field, at, &el, what)) != NNFX_OK ||
                (r = rep_count(c, el, WT_I32, &n, what)) != NNFX_OK)
                goto fail;
            n_floats += n;
            break;
        case 8: /* ints */
            if ((r = rep_open(c, &m, wire, WT_VARINT, field, at, &el, what)) != NNFX_OK ||
                (r = rep_count(c, el, WT_VARINT, &n, what)) != NNFX_OK)
                goto fail;
            n_ints += n;
            break;
        case 9: /* strings */
            if ((r = want_wire(c, wire, WT_LEN, field, at, what)) != NNFX_OK ||
                (r = read_len(c, &m, &el, what)) != NNFX_OK)
                goto fail;
            n_strings++;
            break;
        default:
            if ((r = skip_field(c, &m, wire, what)) != NNFX_OK)
                goto fail;
        }
    }

    if (type == 0) { /* very old files: infer from the field present */
        type = has_f ? NNFX_ATTR_FLOAT : has_i ? NNFX_ATTR_INT : has_s ? NNFX_ATTR_STRING
             : has_t ? NNFX_ATTR_TENSOR : n_floats ? NNFX_ATTR_FLOATS : n_ints ? NNFX_ATTR_INTS
             : n_strings ? NNFX_ATTR_STRINGS : 0;
    }
    switch (type) {
    case NNFX_ATTR_FLOAT:
    case NNFX_ATTR_INT:
        break;
    case NNFX_ATTR_STRING:
        if (has_s) {
            a->s_len = s_sp.end - s_sp.pos;
            if ((r = copy_string(c, s_sp, 0, &a->s, what)) != NNFX_OK)
                goto fail;
        } else if (!(a->s = nx_strdup(""))) {
            r = nx_set_error(c->err, NNFX_ERR_NOMEM, "%s: out of memory", what);
            goto fail;
        }
        break;
    case NNFX_ATTR_TENSOR:
        if (!has_t) {
            r = nx_set_error(c->err, NNFX_ERR_FORMAT, "%s has type TENSOR but no tensor", what);
            goto fail;
        }
        a->t = (nx_onnx_tensor *)nx_calloc(1, sizeof *a->t);
        if (!a->t) {
            r = nx_set_error(c->err, NNFX_ERR_NOMEM, "%s: out of memory", what);
            goto fail;
        }
        if ((r = parse_tensor(c, t_sp, a->t, what)) != NNFX_OK)
            goto fail;
        break;
    case NNFX_ATTR_FLOATS:
    case NNFX_ATTR_INTS:
    case NNFX_ATTR_STRINGS: {
        size_t n = type == NNFX_ATTR_FLOATS ? n_floats : type == NNFX_ATTR_INTS ? n_ints : n_strings;
        size_t k = 0;
        if (!checked_count(n)) {
            r = nx_set_error(c->err, NNFX_ERR_LIMIT, "%s: %zu elements is too many", what, n);
            goto fail;
        }
        if (n == 0)
            break;
        if (type == NNFX_ATTR_FLOATS)
            a->floats = (float *)nx_calloc(n, sizeof(float));
        else if (type == NNFX_ATTR_INTS)
            a->ints = (int64_t *)nx_calloc(n, sizeof(int64_t));
        else
            a->strings = (char **)nx_calloc(n, sizeof(char *));
        if (!a->floats && !a->ints && !a->strings) {
            r = nx_set_error(c->err, NNFX_ERR_NOMEM, "%s: out of memory for %zu elements", what,
                               n);
            goto fail;
        }
        a->n = n;
        m = msg;
        while (m.pos < m.end) {
            uint32_t field;
            int wire;
            size_t at = m.pos;
            span el;
            if ((r = read_tag(c, &m, &field, &wire, what)) != NNFX_OK)
                goto fail;
            if (type == NNFX_ATTR_FLOATS && field == 7) {
                if ((r = rep_open(c, &m, wire, WT_I32, field, at, &el, what)) != NNFX_OK)
                    goto fail;
                while (el.pos < el.end && k < n) {
                    uint64_t v;
                    if ((r = rep_next(c, &el, WT_I32, &v, what)) != NNFX_OK)
                        goto fail;
                    a->floats[k++] = f32_from_bits((uint32_t)v);
                }
            } else if (type == NNFX_ATTR_INTS && field == 8) {
                if ((r = rep_open(c, &m, wire, WT_VARINT, field, at, &el, what)) != NNFX_OK)
                    goto fail;
                while (el.pos < el.end && k < n) {
                    uint64_t v;
                    if ((r = rep_next(c, &el, WT_VARINT, &v, what)) != NNFX_OK)
                        goto fail;
                    a->ints[k++] = (int64_t)v;
                }
            } else if (type == NNFX_ATTR_STRINGS && field == 9 && k < n) {
                if ((r = read_len(c, &m, &el, what)) != NNFX_OK ||
                    (r = copy_string(c, el, 0, &a->strings[k++], what)) != NNFX_OK)
                    goto fail;
            } else if ((r = skip_field(c, &m, wire, what)) != NNFX_OK) {
                goto fail;
            }
        }
        break;
    }
    case 5:
    case 10:
        r = nx_set_error(c->err, NNFX_ERR_UNSUPPORTED,
                           "%s holds a subgraph (%s); control flow (If, Loop, Scan) is not "
                           "supported",
                           what, type == 5 ? "GRAPH" : "GRAPHS");
        goto fail;
    default:
        r = nx_set_error(c->err, NNFX_ERR_UNSUPPORTED,
                           "%s has attribute type %lld, which is not supported", what,
                           (long long)type);
        goto fail;
    }
    a->type = (int)type;
    c->depth--;
    return NNFX_OK;
fail:
    c->depth--;
    free_attr(a);
    return r;
}

/* ---- NodeProto -------------------------------------------------------------------------- */

static nnfx_result parse_node(ctx *c, span msg, nx_onnx_node *n, int index)
{
    char what[320], namebuf[128], opbuf[64];
    span name_sp, op_sp, m;
    int has_name, has_op, k_in = 0, k_out = 0, k_attr = 0;
    size_t n_in = 0, n_out = 0, n_attr = 0;
    nnfx_result r;

    memset(n, 0, sizeof *n);
    snprintf(what, sizeof what, "node %d (at byte %zu)", index, msg.pos);
    if ((r = enter(c, msg, what)) != NNFX_OK)
        return r;
    if ((r = find_len_field(c, msg, 3, &name_sp, &has_name, what)) != NNFX_OK ||
        (r = find_len_field(c, msg, 4, &op_sp, &has_op, what)) != NNFX_OK)
        goto fail;
    if (!has_op || op_sp.end == op_sp.pos) {
        r = nx_set_error(c->err, NNFX_ERR_FORMAT, "%s has no op_type", what);
        goto fail;
    }
    span_label(c, op_sp, opbuf, sizeof opbuf);
    if (has_name && name_sp.end > name_sp.pos) {
        span_label(c, name_sp, namebuf, sizeof namebuf);
        snprintf(what, sizeof what, "node '%s' (%s)", namebuf, opbuf);
    } else {
        snprintf(what, sizeof what, "node %d (%s, at byte %zu)", index, opbuf, msg.pos);
    }

    /* Pass 1: counts and scalar fields. */
    m = msg;
    while (m.pos < m.end) {
        uint32_t field;
        int wire;
        size_t at = m.pos;
        span sub;
        if ((r = read_tag(c, &m, &field, &wire, what)) != NNFX_OK)
            goto fail;
        if (field == 1 || field == 2 || field == 5 || field == 3 || field == 4 || field == 7) {
            if ((r = want_wire(c, wire, WT_LEN, field, at, what)) != NNFX_OK ||
                (r = read_len(c, &m, &sub, what)) != NNFX_OK)
                goto fail;
            if (field == 1)
                n_in++;
            else if (field == 2)
                n_out++;
            else if (field == 5)
                n_attr++;
            else if (field == 3 && (r = copy_string(c, sub, 1, &n->name, what)) != NNFX_OK)
                goto fail;
            else if (field == 4 && (r = copy_string(c, sub, 1, &n->op_type, what)) != NNFX_OK)
                goto fail;
            else if (field == 7 && (r = copy_string(c, sub, 1, &n->domain, what)) != NNFX_OK)
                goto fail;
        } else if ((r = skip_field(c, &m, wire, what)) != NNFX_OK) {
            goto fail;
        }
    }
    if ((!n->name && !(n->name = nx_strdup(""))) ||
        (!n->domain && !(n->domain = nx_strdup("")))) {
        r = nx_set_error(c->err, NNFX_ERR_NOMEM, "%s: out of memory", what);
        goto fail;
    }
    if (n_attr > NX_ONNX_MAX_ATTRS) {
        r = nx_set_error(c->err, NNFX_ERR_LIMIT, "%s has %zu attributes, at most %d allowed",
                           what, n_attr, NX_ONNX_MAX_ATTRS);
        goto fail;
    }
    if (!checked_count(n_in) || !checked_count(n_out) || !checked_count(n_attr)) {
        r = nx_set_error(c->err, NNFX_ERR_LIMIT, "%s: too many inputs, outputs or attributes",
                           what);
        goto fail;
    }
    if ((n_in && !(n->inputs = (char **)nx_calloc(n_in, sizeof(char *)))) ||
        (n_out && !(n->outputs = (char **)nx_calloc(n_out, sizeof(char *)))) ||
        (n_attr && !(n->attrs = (nx_onnx_attr *)nx_calloc(n_attr, sizeof(nx_onnx_attr))))) {
        r = nx_set_error(c->err, NNFX_ERR_NOMEM, "%s: out of memory", what);
        goto fail;
    }

    /* Pass 2: fill. Counters are raised as soon as a slot holds something to free. */
    m = msg;
    while (m.pos < m.end) {
        uint32_t field;
        int wire;
        span sub;
        if ((r = read_tag(c, &m, &field, &wire, what)) != NNFX_OK)
            goto fail;
        if (field != 1 && field != 2 && field != 5) {
            if ((r = skip_field(c, &m, wire, what)) != NNFX_OK)
                goto fail;
            continue;
        }
        if ((r = read_len(c, &m, &sub, what)) != NNFX_OK)
            goto fail;
        if (field == 1) {
            n->n_inputs = ++k_in;
            if ((r = copy_string(c, sub, 1, &n->inputs[k_in - 1], what)) != NNFX_OK)
                goto fail;
        } else if (field == 2) {
            n->n_outputs = ++k_out;
            if ((r = copy_string(c, sub, 1, &n->outputs[k_out - 1], what)) != NNFX_OK)
                goto fail;
        } else {
            if ((r = parse_attr(c, sub, &n->attrs[k_attr], what)) != NNFX_OK)
                goto fail;
            n->n_attrs = ++k_attr;
        }
    }
    c->depth--;
    return NNFX_OK;
fail:
    c->depth--;
    free_node(n);
    return r;
}

/* ---- ValueInfoProto / TypeProto --------------------------------------------------------- */

static nnfx_result parse_shape(ctx *c, span msg, nx_onnx_value_info *v, const char *what)
{
    nnfx_result r;
    if ((r = enter(c, msg, what)) != NNFX_OK)
        return r;
    v->ndim = 0;
    while (msg.pos < msg.end) {
        uint32_t field;
        int wire;
        size_t at = msg.pos;
        span dim;
        if ((r = read_tag(c, &msg, &field, &wire, what)) != NNFX_OK)
            goto out;
        if (field != 1) {
            if ((r = skip_field(c, &msg, wire, what)) != NNFX_OK)
                goto out;
            continue;
        }
        if ((r = want_wire(c, wire, WT_LEN, field, at, what)) != NNFX_OK ||
            (r = read_len(c, &msg, &dim, what)) != NNFX_OK)
            goto out;
        if (v->ndim >= NNFX_MAX_DIMS) {
            r = nx_set_error(c->err, NNFX_ERR_LIMIT,
                               "%s: shape has more than %d dimensions (byte %zu)", what,
                               NNFX_MAX_DIMS, at);
            goto out;
        }
        v->dims[v->ndim] = -1; /* symbolic unless dim_value is given */
        while (dim.pos < dim.end) {
            uint32_t f2;
            int w2;
            size_t at2 = dim.pos;
            uint64_t val;
            if ((r = read_tag(c, &dim, &f2, &w2, what)) != NNFX_OK)
                goto out;
            if (f2 == 1) {
                if ((r = want_wire(c, w2, WT_VARINT, f2, at2, what)) != NNFX_OK ||
                    (r = read_varint(c, &dim, &val, what)) != NNFX_OK)
                    goto out;
                if ((int64_t)val < 0) {
                    r = nx_set_error(c->err, NNFX_ERR_FORMAT,
                                       "%s: dimension %d is negative (%lld) at byte %zu", what,
                                       v->ndim, (long long)(int64_t)val, at2);
                    goto out;
                }
                v->dims[v->ndim] = (int64_t)val;
            } else if ((r = skip_field(c, &dim, w2, what)) != NNFX_OK) {
                goto out;
            }
        }
        v->ndim++;
    }
out:
    c->depth--;
    return r;
}

/* is_io: graph input/output (must be a tensor) vs value_info (other types are recorded as 0). */
static nnfx_result parse_value_info(ctx *c, span msg, nx_onnx_value_info *v, const char *kind,
                                    int index, int is_io)
{
    char what[256], namebuf[128];
    span m;
    nnfx_result r;

    memset(v, 0, sizeof *v);
    v->ndim = -1;
    snprintf(what, sizeof what, "graph %s %d (at byte %zu)", kind, index, msg.pos);
    if ((r = enter(c, msg, what)) != NNFX_OK)
        return r;
    if ((r = read_required_name(c, msg, &v->name, namebuf, sizeof namebuf, what)) != NNFX_OK)
        goto fail;
    snprintf(what, sizeof what, "graph %s '%s'", kind, namebuf);

    m = msg;
    while (m.pos < m.end) {
        uint32_t field;
        int wire;
        size_t at = m.pos;
        span tp;
        if ((r = read_tag(c, &m, &field, &wire, what)) != NNFX_OK)
            goto fail;
        if (field != 2) {
            if ((r = skip_field(c, &m, wire, what)) != NNFX_OK)
                goto fail;
            continue;
        }
        if ((r = want_wire(c, wire, WT_LEN, field, at, what)) != NNFX_OK ||
            (r = read_len(c, &m, &tp, what)) != NNFX_OK)
            goto fail;
        if ((r = enter(c, tp, what)) != NNFX_OK)
            goto fail;
        while (tp.pos < tp.end) {
            uint32_t f2;
            int w2;
            size_t at2 = tp.pos;
            span tt;
            if ((r = read_tag(c, &tp, &f2, &w2, what)) != NNFX_OK)
                break;
            if (f2 == 4 || f2 == 5 || f2 == 7 || f2 == 8 || f2 == 9) {
                if (is_io) {
                    r = nx_set_error(c->err, NNFX_ERR_UNSUPPORTED,
                                       "%s is not a tensor (TypeProto field %u at byte %zu); "
                                       "sequences, maps, optionals and sparse tensors are not "
                                       "supported",
                                       what, f2, at2);
                    break;
                }
                if ((r = skip_field(c, &tp, w2, what)) != NNFX_OK)
                    break;
                continue;
            }
            if (f2 != 1) {
                if ((r = skip_field(c, &tp, w2, what)) != NNFX_OK)
                    break;
                continue;
            }
            if ((r = want_wire(c, w2, WT_LEN, f2, at2, what)) != NNFX_OK ||
                (r = read_len(c, &tp, &tt, what)) != NNFX_OK)
                break;
            if ((r = enter(c, tt, what)) != NNFX_OK)
                break;
            while (tt.pos < tt.end) {
                uint32_t f3;
                int w3;
                size_t at3 = tt.pos;
                uint64_t val;
                span sh;
                if ((r = read_tag(c, &tt, &f3, &w3, what)) != NNFX_OK)
                    break;
                if (f3 == 1) {
                    if ((r = want_wire(c, w3, WT_VARINT, f3, at3, what)) != NNFX_OK ||
                        (r = read_varint(c, &tt, &val, what)) != NNFX_OK)
                        break;
                    v->elem_type = (int32_t)val;
                } else if (f3 == 2) {
                    if ((r = want_wire(c, w3, WT_LEN, f3, at3, what)) != NNFX_OK ||
                        (r = read_len(c, &tt, &sh, what)) != NNFX_OK ||
                        (r = parse_shape(c, sh, v, what)) != NNFX_OK)
                        break;
                } else if ((r = skip_field(c, &tt, w3, what)) != NNFX_OK) {
                    break;
                }
            }
            c->depth--;
            if (r)
                break;
        }
        c->depth--;
        if (r)
            goto fail;
    }
    c->depth--;
    return NNFX_OK;
fail:
    c->depth--;
    nx_free(v->name);
    v->name = NULL;
    return r;
}

/* ---- GraphProto ------------------------------------------------------------------------- */

static nnfx_result parse_graph(ctx *c, span msg, nx_onnx_model *g)
{
    const char *what = "graph";
    size_t n_node = 0, n_init = 0, n_in = 0, n_out = 0, n_vi = 0;
    nx_onnx_value_info *all_inputs = NULL;
    int n_all_inputs = 0, i, kept;
    nx_names names;
    span m;
    nnfx_result r;

    memset(&names, 0, sizeof names);
    if ((r = enter(c, msg, what)) != NNFX_OK)
        return r;
    m = msg;
    while (m.pos < m.end) {
        uint32_t field;
        int wire;
        size_t at = m.pos;
        span sub;
        if ((r = read_tag(c, &m, &field, &wire, what)) != NNFX_OK)
            goto out;
        switch (field) {
        case 1:
        case 2:
        case 5:
        case 11:
        case 12:
        case 13:
            if ((r = want_wire(c, wire, WT_LEN, field, at, what)) != NNFX_OK ||
                (r = read_len(c, &m, &sub, what)) != NNFX_OK)
                goto out;
            if (field == 1)
                n_node++;
            else if (field == 5)
                n_init++;
            else if (field == 11)
                n_in++;
            else if (field == 12)
                n_out++;
            else if (field == 13)
                n_vi++;
            else if ((r = copy_string(c, sub, 0, &g->graph_name, what)) != NNFX_OK)
                goto out;
            break;
        case 15:
            r = nx_set_error(c->err, NNFX_ERR_UNSUPPORTED,
                               "graph: sparse initializers (field sparse_initializer at byte %zu) "
                               "are not supported",
                               at);
            goto out;
        default:
            if ((r = skip_field(c, &m, wire, what)) != NNFX_OK)
                goto out;
        }
    }
    if (n_node > NX_ONNX_MAX_NODES) {
        r = nx_set_error(c->err, NNFX_ERR_LIMIT, "graph has %zu nodes, at most %d allowed",
                           n_node, NX_ONNX_MAX_NODES);
        goto out;
    }
    if (!checked_count(n_init) || !checked_count(n_in) || !checked_count(n_out) ||
        !checked_count(n_vi)) {
        r = nx_set_error(c->err, NNFX_ERR_LIMIT, "graph has too many entries");
        goto out;
    }
    if ((n_node && !(g->nodes = (nx_onnx_node *)nx_calloc(n_node, sizeof *g->nodes))) ||
        (n_init &&
         !(g->initializers = (nx_onnx_tensor *)nx_calloc(n_init, sizeof *g->initializers))) ||
        (n_in && !(all_inputs = (nx_onnx_value_info *)nx_calloc(n_in, sizeof *all_inputs))) ||
        (n_out &&
         !(g->outputs = (nx_onnx_value_info *)nx_calloc(n_out, sizeof *g->outputs))) ||
        (n_vi &&
         !(g->value_infos = (nx_onnx_value_info *)nx_calloc(n_vi, sizeof *g->value_infos)))) {
        r = nx_set_error(c->err, NNFX_ERR_NOMEM, "graph: out of memory");
        goto out;
    }

    m = msg;
    while (m.pos < m.end) {
        uint32_t field;
        int wire;
        span sub;
        if ((r = read_tag(c, &m, &field, &wire, what)) != NNFX_OK)
            goto out;
        if (field != 1 && field != 5 && field != 11 && field != 12 && field != 13) {
            if ((r = skip_field(c, &m, wire, what)) != NNFX_OK)
                goto out;
            continue;
        }
        if ((r = read_len(c, &m, &sub, what)) != NNFX_OK)
            goto out;
        if (field == 1) {
            if ((r = parse_node(c, sub, &g->nodes[g->n_nodes], g->n_nodes)) != NNFX_OK)
                goto out;
            g->n_nodes++;
        } else if (field == 5) {
            if ((r = parse_tensor(c, sub, &g->initializers[g->n_initializers], "initializer")) !=
                NNFX_OK)
                goto out;
            g->n_initializers++;
        } else if (field == 11) {
            if ((r = parse_value_info(c, sub, &all_inputs[n_all_inputs], "input", n_all_inputs,
                                      1)) != NNFX_OK)
                goto out;
            n_all_inputs++;
        } else if (field == 12) {
            if ((r = parse_value_info(c, sub, &g->outputs[g->n_outputs], "output", g->n_outputs,
                                      1)) != NNFX_OK)
                goto out;
            g->n_outputs++;
        } else {
            if ((r = parse_value_info(c, sub, &g->value_infos[g->n_value_infos], "value_info",
                                      g->n_value_infos, 0)) != NNFX_OK)
                goto out;
            g->n_value_infos++;
        }
    }

    /* Initializer names must be unique; inputs that name an initializer are dropped
     * (files written with keep_initializers_as_inputs list them twice). */
    if (nx_names_init(&names, (size_t)g->n_initializers) != 0) {
        r = nx_set_error(c->err, NNFX_ERR_NOMEM, "graph: out of memory");
        goto out;
    }
    for (i = 0; i < g->n_initializers; i++) {
        int prev = -1;
        int rc;
        if (!g->initializers[i].name[0]) {
            r = nx_set_error(c->err, NNFX_ERR_FORMAT, "graph: initializer %d has no name", i);
            goto out;
        }
        rc = nx_names_put(&names, g->initializers[i].name, i, &prev);
        if (rc == 0) {
            r = nx_set_error(c->err, NNFX_ERR_FORMAT,
                               "graph: initializer name '%.200s' is used twice (initializers %d "
                               "and %d)",
                               g->initializers[i].name, prev, i);
            goto out;
        }
        if (rc < 0) {
            r = nx_set_error(c->err, NNFX_ERR_NOMEM, "graph: name table full");
            goto out;
        }
    }
    kept = 0;
    for (i = 0; i < n_all_inputs; i++) {
        if (nx_names_get(&names, all_inputs[i].name) >= 0) {
            nx_free(all_inputs[i].name);
            all_inputs[i].name = NULL;
            continue;
        }
        all_inputs[kept++] = all_inputs[i];
    }
    g->inputs = all_inputs;
    g->n_inputs = kept;
    all_inputs = NULL;
    n_all_inputs = 0;
    r = NNFX_OK;
out:
    free_value_infos(all_inputs, n_all_inputs);
    nx_names_free(&names);
    c->depth--;
    return r;
}

/* ---- ModelProto ------------------------------------------------------------------------- */

static nnfx_result parse_opset(ctx *c, span msg, nx_onnx_model *model)
{
    const char *what = "opset_import";
    int default_domain = 1;
    int64_t version = 0;
    nnfx_result r;
    if ((r = enter(c, msg, what)) != NNFX_OK)
        return r;
    while (msg.pos < msg.end) {
        uint32_t field;
        int wire;
        size_t at = msg.pos;
        uint64_t v;
        span sub;
        if ((r = read_tag(c, &msg, &field, &wire, what)) != NNFX_OK)
            goto out;
        if (field == 1) {
            if ((r = want_wire(c, wire, WT_LEN, field, at, what)) != NNFX_OK ||
                (r = read_len(c, &msg, &sub, what)) != NNFX_OK)
                goto out;
            default_domain = (sub.end == sub.pos) ||
                             (sub.end - sub.pos == 7 && !memcmp(c->base + sub.pos, "ai.onnx", 7));
        } else if (field == 2) {
            if ((r = want_wire(c, wire, WT_VARINT, field, at, what)) != NNFX_OK ||
                (r = read_varint(c, &msg, &v, what)) != NNFX_OK)
                goto out;
            version = (int64_t)v;
        } else if ((r = skip_field(c, &msg, wire, what)) != NNFX_OK) {
            goto out;
        }
    }
    if (default_domain)
        model->opset = version;
out:
    c->depth--;
    return r;
}

static nnfx_result parse_prop(ctx *c, span msg, nx_onnx_prop *p, int index)
{
    char what[96];
    nnfx_result r;
    snprintf(what, sizeof what, "metadata_props entry %d (at byte %zu)", index, msg.pos);
    if ((r = enter(c, msg, what)) != NNFX_OK)
        return r;
    while (msg.pos < msg.end) {
        uint32_t field;
        int wire;
        size_t at = msg.pos;
        span sub;
        if ((r = read_tag(c, &msg, &field, &wire, what)) != NNFX_OK)
            goto out;
        if (field == 1 || field == 2) {
            if ((r = want_wire(c, wire, WT_LEN, field, at, what)) != NNFX_OK ||
                (r = read_len(c, &msg, &sub, what)) != NNFX_OK ||
                (r = copy_string(c, sub, field == 1, field == 1 ? &p->key : &p->value, what)) !=
                    NNFX_OK)
                goto out;
        } else if ((r = skip_field(c, &msg, wire, what)) != NNFX_OK) {
            goto out;
        }
    }
    if ((!p->key && !(p->key = nx_strdup(""))) || (!p->value && !(p->value = nx_strdup("")))) {
        r = nx_set_error(c->err, NNFX_ERR_NOMEM, "%s: out of memory", what);
        goto out;
    }
out:
    c->depth--;
    return r;
}

nnfx_result nx_onnx_model_parse(const uint8_t *data, size_t size, nx_onnx_model *out,
                                  nnfx_error *err)
{
    const char *what = "model";
    ctx c;
    span m, graph_sp = {0, 0};
    size_t n_props = 0;
    int n_graphs = 0;
    nnfx_result r;

    if (!out)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "nx_onnx_model_parse: out is NULL");
    memset(out, 0, sizeof *out);
    if (!data && size)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "nx_onnx_model_parse: data is NULL");
    if (size == 0)
        return nx_set_error(err, NNFX_ERR_FORMAT, "model: the file is empty");
    c.base = data;
    c.size = size;
    c.err = err;
    c.depth = 0;
    m.pos = 0;
    m.end = size;

    /* Pass 1: scalars, opset, and where the graph and metadata are. */
    while (m.pos < m.end) {
        uint32_t field;
        int wire;
        size_t at = m.pos;
        uint64_t v;
        span sub;
        if ((r = read_tag(&c, &m, &field, &wire, what)) != NNFX_OK)
            goto fail;
        switch (field) {
        case 1: /* ir_version */
            if ((r = want_wire(&c, wire, WT_VARINT, field, at, what)) != NNFX_OK ||
                (r = read_varint(&c, &m, &v, what)) != NNFX_OK)
                goto fail;
            out->ir_version = (int64_t)v;
            break;
        case 2: /* producer_name */
            if ((r = want_wire(&c, wire, WT_LEN, field, at, what)) != NNFX_OK ||
                (r = read_len(&c, &m, &sub, what)) != NNFX_OK ||
                (r = copy_string(&c, sub, 0, &out->producer_name, what)) != NNFX_OK)
                goto fail;
            break;
        case 7: /* graph */
            if ((r = want_wire(&c, wire, WT_LEN, field, at, what)) != NNFX_OK ||
                (r = read_len(&c, &m, &graph_sp, what)) != NNFX_OK)
                goto fail;
            n_graphs++;
            break;
        case 8: /* opset_import */
            if ((r = want_wire(&c, wire, WT_LEN, field, at, what)) != NNFX_OK ||
                (r = read_len(&c, &m, &sub, what)) != NNFX_OK ||
                (r = parse_opset(&c, sub, out)) != NNFX_OK)
                goto fail;
            break;
        case 14: /* metadata_props */
            if ((r = want_wire(&c, wire, WT_LEN, field, at, what)) != NNFX_OK ||
                (r = read_len(&c, &m, &sub, what)) != NNFX_OK)
                goto fail;
            n_props++;
            break;
        default:
            if ((r = skip_field(&c, &m, wire, what)) != NNFX_OK)
                goto fail;
        }
    }
    if (n_graphs == 0) {
        r = nx_set_error(err, NNFX_ERR_FORMAT,
                           "model: no graph (ModelProto field 7) in %zu bytes; is this an ONNX "
                           "file?",
                           size);
        goto fail;
    }
    if (n_graphs > 1) {
        r = nx_set_error(err, NNFX_ERR_FORMAT, "model: %d graph fields, expected one",
                           n_graphs);
        goto fail;
    }
    if (!checked_count(n_props)) {
        r = nx_set_error(err, NNFX_ERR_LIMIT, "model: too many metadata_props");
        goto fail;
    }
    if (!out->producer_name && !(out->producer_name = nx_strdup(""))) {
        r = nx_set_error(err, NNFX_ERR_NOMEM, "model: out of memory");
        goto fail;
    }
    if (n_props && !(out->props = (nx_onnx_prop *)nx_calloc(n_props, sizeof *out->props))) {
        r = nx_set_error(err, NNFX_ERR_NOMEM, "model: out of memory");
        goto fail;
    }
    m.pos = 0;
    m.end = size;
    while (m.pos < m.end) {
        uint32_t field;
        int wire;
        span sub;
        if ((r = read_tag(&c, &m, &field, &wire, what)) != NNFX_OK)
            goto fail;
        if (field != 14) {
            if ((r = skip_field(&c, &m, wire, what)) != NNFX_OK)
                goto fail;
            continue;
        }
        if ((r = read_len(&c, &m, &sub, what)) != NNFX_OK)
            goto fail;
        out->n_props++;
        if ((r = parse_prop(&c, sub, &out->props[out->n_props - 1], out->n_props - 1)) != NNFX_OK)
            goto fail;
    }
    if ((r = parse_graph(&c, graph_sp, out)) != NNFX_OK)
        goto fail;
    if (!out->graph_name && !(out->graph_name = nx_strdup(""))) {
        r = nx_set_error(err, NNFX_ERR_NOMEM, "model: out of memory");
        goto fail;
    }
    return NNFX_OK;
fail:
    nx_onnx_model_free(out);
    return r;
}

/* ---- lookups ---------------------------------------------------------------------------- */

const char *nx_onnx_prop_get(const nx_onnx_model *model, const char *key)
{
    int i;
    const char *found = NULL;
    for (i = 0; i < model->n_props; i++) /* the last entry with the key wins */
        if (strcmp(model->props[i].key, key) == 0)
            found = model->props[i].value;
    return found;
}

const nx_onnx_tensor *nx_onnx_initializer_find(const nx_onnx_model *model,
                                                   const char *name)
{
    int i;
    for (i = 0; i < model->n_initializers; i++)
        if (strcmp(model->initializers[i].name, name) == 0)
            return &model->initializers[i];
    return NULL;
}

const nx_onnx_attr *nx_onnx_attr_find(const nx_onnx_node *node, const char *name)
{
    int i;
    for (i = 0; i < node->n_attrs; i++)
        if (strcmp(node->attrs[i].name, name) == 0)
            return &node->attrs[i];
    return NULL;
}
