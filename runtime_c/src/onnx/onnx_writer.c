/*
 * onnx_writer.c - serialize an nx_onnx_model as an ONNX ModelProto (internal).
 *
 * Writes ir_version, producer_name, opset_import, the graph (nodes with their
 * attributes, initializers as raw_data in little-endian order, inputs and
 * outputs with their shapes, value_info) and metadata_props.
 *
 * A nested message is written in place after a placeholder; when it is closed
 * its body is moved forward by the size of its tag and length prefix. Bodies
 * move once per nesting level (at most four), which is cheap next to the
 * tensors' copy itself.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "onnx_model.h"

typedef struct {
    uint8_t *data;
    size_t len, cap;
    int failed; /* out of memory or size overflow: stop writing, report once */
} wbuf;

static int reserve(wbuf *b, size_t extra)
{
    size_t need, cap;
    uint8_t *p;
    if (b->failed)
        return -1;
    if (extra > SIZE_MAX - b->len) {
        b->failed = 1;
        return -1;
    }
    need = b->len + extra;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    p = (uint8_t *)nx_realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

static size_t encode_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static void put_bytes(wbuf *b, const void *p, size_t n)
{
    if (reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put_varint(wbuf *b, uint64_t v)
{
    if (reserve(b, 10))
        return;
    b->len += encode_varint(b->data + b->len, v);
}

static void put_tag(wbuf *b, uint32_t field, int wire) { put_varint(b, (uint64_t)field << 3 | (uint64_t)wire); }

static void put_int(wbuf *b, uint32_t field, int64_t v)
{
    put_tag(b, field, 0);
    put_varint(b, (uint64_t)v);
}

static void put_lenbytes(wbuf *b, uint32_t field, const void *p, size_t n)
{
    put_tag(b, field, 2);
    put_varint(b, (uint64_t)n);
    put_bytes(b, p, n);
}

static void put_str(wbuf *b, uint32_t field, const char *s)
{
    put_lenbytes(b, field, s ? s : "", s ? strlen(s) : 0);
}

static void put_f32(wbuf *b, uint32_t field, float f)
{
    uint32_t u;
    uint8_t le[4];
    memcpy(&u, &f, 4);
    le[0] = (uint8_t)u;
    le[1] = (uint8_t)(u >> 8);
    le[2] = (uint8_t)(u >> 16);
    le[3] = (uint8_t)(u >> 24);
    put_tag(b, field, 5);
    put_bytes(b, le, 4);
}

/* Open a nested message: returns where its body starts. */
static size_t sub_begin(const wbuf *b) { return b->len; }

/* Close it: insert tag + length before the body written since `start`. */
static void sub_end(wbuf *b, uint32_t field, size_t start)
{
    uint8_t head[16];
    size_t body, hl;
    if (b->failed)
        return;
    body = b->len - start;
    hl = encode_varint(head, (uint64_t)field << 3 | 2);
    hl += encode_varint(head + hl, (uint64_t)body);
    if (reserve(b, hl))
        return;
    memmove(b->data + start + hl, b->data + start, body);
    memcpy(b->data + start, head, hl);
    b->len += hl;
}

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

static void put_tensor(wbuf *b, uint32_t field, const nx_onnx_tensor *t)
{
    size_t start = sub_begin(b), esize = nx_onnx_dtype_size(t->dtype), nbytes, k;
    int i;
    for (i = 0; i < t->ndim; i++)
        put_int(b, 1, t->dims[i]);
    put_int(b, 2, t->dtype);
    put_str(b, 8, t->name);
    nbytes = (size_t)t->count * esize;
    put_tag(b, 9, 2);
    put_varint(b, (uint64_t)nbytes);
    if (esize <= 1 || host_is_little_endian()) {
        put_bytes(b, t->data, nbytes);
    } else if (!reserve(b, nbytes)) {
        const uint8_t *src = (const uint8_t *)t->data;
        for (k = 0; k < nbytes; k += esize) {
            size_t j;
            for (j = 0; j < esize; j++)
                b->data[b->len + k + j] = src[k + esize - 1 - j];
        }
        b->len += nbytes;
    }
    sub_end(b, field, start);
}

static void put_attr(wbuf *b, const nx_onnx_attr *a)
{
    size_t start = sub_begin(b), k;
    put_str(b, 1, a->name);
    switch (a->type) {
    case NNFX_ATTR_FLOAT: put_f32(b, 2, a->f); break;
    case NNFX_ATTR_INT: put_int(b, 3, a->i); break;
    case NNFX_ATTR_STRING: put_lenbytes(b, 4, a->s ? a->s : "", a->s ? a->s_len : 0); break;
    case NNFX_ATTR_TENSOR:
        if (a->t)
            put_tensor(b, 5, a->t);
        break;
    case NNFX_ATTR_FLOATS:
        for (k = 0; k < a->n; k++)
            put_f32(b, 7, a->floats[k]);
        break;
    case NNFX_ATTR_INTS:
        for (k = 0; k < a->n; k++)
            put_int(b, 8, a->ints[k]);
        break;
    case NNFX_ATTR_STRINGS:
        for (k = 0; k < a->n; k++)
            put_str(b, 9, a->strings[k]);
        break;
    }
    put_int(b, 20, a->type);
    sub_end(b, 5, start);
}

static void put_node(wbuf *b, const nx_onnx_node *n)
{
    size_t start = sub_begin(b);
    int i;
    for (i = 0; i < n->n_inputs; i++)
        put_str(b, 1, n->inputs[i]);
    for (i = 0; i < n->n_outputs; i++)
        put_str(b, 2, n->outputs[i]);
    if (n->name && n->name[0])
        put_str(b, 3, n->name);
    put_str(b, 4, n->op_type);
    for (i = 0; i < n->n_attrs; i++)
        put_attr(b, &n->attrs[i]);
    if (n->domain && n->domain[0])
        put_str(b, 7, n->domain);
    sub_end(b, 1, start);
}

static void put_value_info(wbuf *b, uint32_t field, const nx_onnx_value_info *v)
{
    size_t start = sub_begin(b), type_start, tt_start, shape_start, dim_start;
    int i;
    put_str(b, 1, v->name);
    type_start = sub_begin(b);
    tt_start = sub_begin(b);
    put_int(b, 1, v->elem_type);
    if (v->ndim >= 0) {
        shape_start = sub_begin(b);
        for (i = 0; i < v->ndim; i++) {
            dim_start = sub_begin(b);
            if (v->dims[i] >= 0)
                put_int(b, 1, v->dims[i]);
            sub_end(b, 1, dim_start);
        }
        sub_end(b, 2, shape_start);
    }
    sub_end(b, 1, tt_start);   /* TypeProto.tensor_type */
    sub_end(b, 2, type_start); /* ValueInfoProto.type */
    sub_end(b, field, start);
}

nnfx_result nx_onnx_model_serialize(const nx_onnx_model *m, uint8_t **out_data,
                                      size_t *out_size, nnfx_error *err)
{
    wbuf b;
    size_t start, g;
    int i;

    if (!m || !out_data || !out_size)
        return nx_set_error(err, NNFX_ERR_INVALID_ARG, "serialize: NULL argument");
    *out_data = NULL;
    *out_size = 0;
    for (i = 0; i < m->n_initializers; i++) {
        const nx_onnx_tensor *t = &m->initializers[i];
        if (!nx_onnx_dtype_size(t->dtype) || t->count < 0 || (t->count && !t->data))
            return nx_set_error(err, NNFX_ERR_INVALID_ARG,
                                  "serialize: initializer '%.200s' has type %d or no data",
                                  t->name ? t->name : "", (int)t->dtype);
    }
    memset(&b, 0, sizeof b);
    put_int(&b, 1, m->ir_version ? m->ir_version : 8);
    put_str(&b, 2, m->producer_name && m->producer_name[0] ? m->producer_name : "nnfx");
    g = sub_begin(&b);
    if (m->graph_name && m->graph_name[0])
        put_str(&b, 2, m->graph_name);
    for (i = 0; i < m->n_nodes; i++)
        put_node(&b, &m->nodes[i]);
    for (i = 0; i < m->n_initializers; i++)
        put_tensor(&b, 5, &m->initializers[i]);
    for (i = 0; i < m->n_inputs; i++)
        put_value_info(&b, 11, &m->inputs[i]);
    for (i = 0; i < m->n_outputs; i++)
        put_value_info(&b, 12, &m->outputs[i]);
    for (i = 0; i < m->n_value_infos; i++)
        put_value_info(&b, 13, &m->value_infos[i]);
    sub_end(&b, 7, g);
    start = sub_begin(&b); /* opset_import: the default domain */
    put_str(&b, 1, "");
    put_int(&b, 2, m->opset ? m->opset : 17);
    sub_end(&b, 8, start);
    for (i = 0; i < m->n_props; i++) {
        start = sub_begin(&b);
        put_str(&b, 1, m->props[i].key);
        put_str(&b, 2, m->props[i].value);
        sub_end(&b, 14, start);
    }
    if (b.failed) {
        nx_free(b.data);
        return nx_set_error(err, NNFX_ERR_NOMEM, "serialize: out of memory");
    }
    *out_data = b.data;
    *out_size = b.len;
    return NNFX_OK;
}
