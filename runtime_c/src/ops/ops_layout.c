/* ops_layout.c - data movement: transpose, slice, concat, split, gather, expand, copy,
 * and the small reductions (ReduceMean/Sum/Max/Min, Softmax) over non-time axes. */
#include <math.h>
#include <string.h>

#include "engine.h"

static void strides_of(int ndim, const int64_t *dims, int64_t *st)
{
    int64_t acc = 1;
    int i;
    for (i = ndim - 1; i >= 0; i--) {
        st[i] = acc;
        acc *= dims[i];
    }
}

void nx_transpose_raw(const void *src, void *dst, size_t es, int ndim, const int64_t *dims,
                      const int64_t *perm)
{
    int64_t ist[NNFX_MAX_DIMS], od[NNFX_MAX_DIMS], ost[NNFX_MAX_DIMS], idx[NNFX_MAX_DIMS];
    int64_t total = 1, r;
    const char *s = (const char *)src;
    char *d = (char *)dst;
    int k;
    strides_of(ndim, dims, ist);
    for (k = 0; k < ndim; k++) {
        od[k] = dims[perm[k]];
        ost[k] = ist[perm[k]]; /* input stride walked by output axis k */
        idx[k] = 0;
        total *= od[k];
    }
    if (ndim == 0) {
        memcpy(d, s, es);
        return;
    }
    for (r = 0; r < total;) {
        int64_t off = 0, n = od[ndim - 1], st = ost[ndim - 1], j;
        for (k = 0; k < ndim - 1; k++)
            off += idx[k] * ost[k];
        if (es == 4) {
            const float *sp = (const float *)(const void *)s + off;
            float *dp = (float *)(void *)d + r;
            for (j = 0; j < n; j++)
                dp[j] = sp[j * st];
        } else {
            for (j = 0; j < n; j++)
                memcpy(d + (size_t)(r + j) * es, s + (size_t)(off + j * st) * es, es);
        }
        r += n;
        for (k = ndim - 2; k >= 0; k--) {
            if (++idx[k] < od[k])
                break;
            idx[k] = 0;
        }
    }
}

void nx_slice_raw(const void *src, void *dst, size_t es, int ndim, const int64_t *in_dims,
                  const int64_t *out_dims, const int64_t *start, const int64_t *step)
{
    int64_t ist[NNFX_MAX_DIMS], idx[NNFX_MAX_DIMS], total = 1, r;
    const char *s = (const char *)src;
    char *d = (char *)dst;
    int k;
    strides_of(ndim, in_dims, ist);
    for (k = 0; k < ndim; k++) {
        idx[k] = 0;
        total *= out_dims[k];
    }
    if (total == 0)
        return;
    if (ndim == 0) {
        memcpy(d, s, es);
        return;
    }
    for (r = 0; r < total;) {
        int64_t off = 0, n = out_dims[ndim - 1], j;
        int64_t st = step[ndim - 1] * ist[ndim - 1];
        for (k = 0; k < ndim; k++)
            off += (start[k] + (k < ndim - 1 ? idx[k] * step[k] : 0)) * ist[k];
        if (st == 1) {
            memcpy(d + (size_t)r * es, s + (size_t)off * es, (size_t)n * es);
        } else {
            for (j = 0; j < n; j++)
                memcpy(d + (size_t)(r + j) * es, s + (size_t)(off + j * st) * es, es);
        }
        r += n;
        for (k = ndim - 2; k >= 0; k--) {
            if (++idx[k] < out_dims[k])
                break;
            idx[k] = 0;
        }
    }
}

void nx_expand_raw(const void *src, void *dst, size_t es, int sndim, const int64_t *sdims,
                   int ondim, const int64_t *odims)
{
    int64_t sst[NNFX_MAX_DIMS], st[NNFX_MAX_DIMS], idx[NNFX_MAX_DIMS], total = 1, r;
    const char *s = (const char *)src;
    char *d = (char *)dst;
    int k;
    strides_of(sndim, sdims, sst);
    for (k = 0; k < ondim; k++) {
        int j = k - (ondim - sndim);
        st[k] = (j < 0 || sdims[j] == 1) ? 0 : sst[j];
        idx[k] = 0;
        total *= odims[k];
    }
    for (r = 0; r < total; r++) {
        int64_t off = 0;
        for (k = 0; k < ondim; k++)
            off += idx[k] * st[k];
        memcpy(d + (size_t)r * es, s + (size_t)off * es, es);
        for (k = ondim - 1; k >= 0; k--) {
            if (++idx[k] < odims[k])
                break;
            idx[k] = 0;
        }
    }
}

static size_t es_of(const nx_step *s) { return s->es ? (size_t)s->es : sizeof(float); }

void nx_run_transpose(nx_step *s, const nx_exec *e)
{
    int64_t d[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    nx_eff_dims(X, e, d);
    nx_transpose_raw(X->data, e->v[s->out[0]].data, es_of(s), X->ndim, d, s->ia);
}

void nx_run_slice(nx_step *s, const nx_exec *e)
{
    int64_t id[NNFX_MAX_DIMS], od[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    const nx_val *Y = &e->v[s->out[0]];
    nx_eff_dims(X, e, id);
    nx_eff_dims(Y, e, od);
    nx_slice_raw(X->data, Y->data, es_of(s), X->ndim, id, od, s->ia, s->ib);
}

/* Outer (product before axis) and the per-tensor inner block size (axis and after). */
static int64_t outer_of(const int64_t *d, int axis)
{
    int64_t o = 1;
    int k;
    for (k = 0; k < axis; k++)
        o *= d[k];
    return o;
}

static int64_t inner_of(const int64_t *d, int ndim, int axis)
{
    int64_t o = 1;
    int k;
    for (k = axis; k < ndim; k++)
        o *= d[k];
    return o;
}

void nx_run_concat(nx_step *s, const nx_exec *e)
{
    int64_t d[NNFX_MAX_DIMS], od[NNFX_MAX_DIMS];
    const nx_val *Y = &e->v[s->out[0]];
    size_t es = es_of(s);
    char *y = (char *)Y->data;
    int64_t outer, oinner, off = 0, o;
    int i;
    nx_eff_dims(Y, e, od);
    outer = outer_of(od, s->axis);
    oinner = inner_of(od, Y->ndim, s->axis);
    for (i = 0; i < s->n_in; i++) {
        const nx_val *X = &e->v[s->in[i]];
        const char *x = (const char *)X->data;
        int64_t inner;
        nx_eff_dims(X, e, d);
        inner = inner_of(d, X->ndim, s->axis);
        for (o = 0; o < outer; o++)
            memcpy(y + (size_t)(o * oinner + off) * es, x + (size_t)(o * inner) * es,
                   (size_t)inner * es);
        off += inner;
    }
}

void nx_run_split(nx_step *s, const nx_exec *e)
{
    int64_t d[NNFX_MAX_DIMS], od[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    const char *x = (const char *)X->data;
    size_t es = es_of(s);
    int64_t outer, iinner, after, o;
    int i;
    nx_eff_dims(X, e, d);
    outer = outer_of(d, s->axis);
    iinner = inner_of(d, X->ndim, s->axis);
    after = inner_of(d, X->ndim, s->axis + 1);
    for (i = 0; i < s->n_out; i++) {
        const nx_val *Y;
        int64_t inner;
        if (s->out[i] < 0)
            continue;
        Y = &e->v[s->out[i]];
        nx_eff_dims(Y, e, od);
        inner = inner_of(od, Y->ndim, s->axis);
        for (o = 0; o < outer; o++)
            memcpy((char *)Y->data + (size_t)(o * inner) * es,
                   x + (size_t)(o * iinner + s->ia[i] * after) * es, (size_t)inner * es);
    }
}

void nx_run_gather(nx_step *s, const nx_exec *e)
{
    int64_t d[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    const char *x = (const char *)X->data;
    char *y = (char *)e->v[s->out[0]].data;
    size_t es = es_of(s);
    int64_t outer, inner, o;
    int j;
    nx_eff_dims(X, e, d);
    outer = outer_of(d, s->axis);
    inner = inner_of(d, X->ndim, s->axis + 1);
    for (o = 0; o < outer; o++) {
        for (j = 0; j < s->n; j++) {
            memcpy(y, x + (size_t)((o * d[s->axis] + s->ia[j]) * inner) * es,
                   (size_t)inner * es);
            y += (size_t)inner * es;
        }
    }
}

void nx_run_copy(nx_step *s, const nx_exec *e)
{
    int64_t d[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    void *y = e->v[s->out[0]].data;
    int64_t n = nx_eff_dims(X, e, d);
    if (y != (void *)X->data)
        memmove(y, X->data, (size_t)n * es_of(s));
}

void nx_run_expand(nx_step *s, const nx_exec *e)
{
    int64_t d[NNFX_MAX_DIMS], od[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    const nx_val *Y = &e->v[s->out[0]];
    nx_eff_dims(X, e, d);
    nx_eff_dims(Y, e, od);
    nx_expand_raw(X->data, Y->data, es_of(s), X->ndim, d, Y->ndim, od);
}

/* Reduce over axes flagged in s->ia (1 = reduced); s->sub: 0 mean, 1 sum, 2 max, 3 min.
 * The output has the input's rank in memory order (keepdims or not, same element order). */
void nx_run_reduce(nx_step *s, const nx_exec *e)
{
    int64_t d[NNFX_MAX_DIMS], st[NNFX_MAX_DIMS], od[NNFX_MAX_DIMS] = {0}, idx[NNFX_MAX_DIMS];
    int64_t ost[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    float *y = e->v[s->out[0]].data;
    int64_t total, r, ocount = 1, rcount = 1;
    int k, nd = X->ndim;
    total = nx_eff_dims(X, e, d);
    strides_of(nd, d, st);
    for (k = 0; k < nd; k++) {
        od[k] = s->ia[k] ? 1 : d[k];
        ocount *= od[k];
        if (s->ia[k])
            rcount *= d[k];
        idx[k] = 0;
    }
    strides_of(nd, od, ost);
    for (r = 0; r < ocount; r++)
        y[r] = s->sub == 2 ? -INFINITY : (s->sub == 3 ? INFINITY : 0.0f);
    for (r = 0; r < total; r++) {
        int64_t o = 0;
        float x = X->data[r];
        for (k = 0; k < nd; k++)
            o += (s->ia[k] ? 0 : idx[k]) * ost[k];
        if (s->sub <= 1)
            y[o] += x;
        else if (s->sub == 2)
            y[o] = x > y[o] ? x : y[o];
        else
            y[o] = x < y[o] ? x : y[o];
        for (k = nd - 1; k >= 0; k--) {
            if (++idx[k] < d[k])
                break;
            idx[k] = 0;
        }
    }
    if (s->sub == 0 && rcount > 0)
        for (r = 0; r < ocount; r++)
            y[r] /= (float)rcount;
}

/* Softmax (sub 0) or LogSoftmax (sub 1) along s->axis. */
void nx_run_softmax(nx_step *s, const nx_exec *e)
{
    int64_t d[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    float *y = e->v[s->out[0]].data;
    int64_t outer, n, inner, o, i, j;
    nx_eff_dims(X, e, d);
    outer = outer_of(d, s->axis);
    n = d[s->axis];
    inner = inner_of(d, X->ndim, s->axis + 1);
    for (o = 0; o < outer; o++) {
        for (j = 0; j < inner; j++) {
            const float *x = X->data + o * n * inner + j;
            float *yy = y + o * n * inner + j;
            float m = -INFINITY, sum = 0.0f;
            for (i = 0; i < n; i++)
                m = x[i * inner] > m ? x[i * inner] : m;
            for (i = 0; i < n; i++)
                sum += expf(x[i * inner] - m);
            for (i = 0; i < n; i++)
                yy[i * inner] = s->sub ? x[i * inner] - m - logf(sum)
                                       : expf(x[i * inner] - m) / sum;
        }
    }
}
