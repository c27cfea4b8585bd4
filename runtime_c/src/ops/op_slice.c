/* op_slice.c - Slice with constant starts/ends/axes/steps; in stream mode a right-aligned crop of
 * the time axis is a no-op on the newest frames. */
#include <string.h>

#include "ops.h"

nnfx_result nx_plan_slice(nx_builder *b, const nx_ctx *c, nx_step *s, const nx_op_def *def)
{
    const nx_onnx_node *n = c->n;
    (void)def;
    nx_val *x = IN(0), *y;
    int64_t st[NX_MAX_IO], en[NX_MAX_IO], ax[NX_MAX_IO], sp[NX_MAX_IO], od[NNFX_MAX_DIMS];
    int ns, ne, na, nst, i;
    nnfx_result r;
    if (!x)
        return BADF("missing input");
    if (c->nin >= 3) {
        ns = nx_const_ints(b, c->in[1], st, NX_MAX_IO);
        ne = nx_const_ints(b, c->in[2], en, NX_MAX_IO);
        na = c->nin > 3 ? nx_const_ints(b, c->in[3], ax, NX_MAX_IO) : -1;
        nst = c->nin > 4 ? nx_const_ints(b, c->in[4], sp, NX_MAX_IO) : -1;
        if (ns < 0 || ne < 0 || (c->nin > 3 && c->in[3] >= 0 && na < 0) ||
            (c->nin > 4 && c->in[4] >= 0 && nst < 0))
            return UNSUP("starts/ends/axes/steps must be constant (they are folded at load)");
    } else {
        ns = nx_attr_ints(n, "starts", st, NX_MAX_IO);
        ne = nx_attr_ints(n, "ends", en, NX_MAX_IO);
        na = nx_attr_ints(n, "axes", ax, NX_MAX_IO);
        nst = -1;
        if (ns < 0 || ne < 0)
            return BADF("starts/ends missing");
    }
    if (ns != ne || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
        return BADF("starts/ends/axes/steps lengths differ");
    for (i = 0; i < x->ndim; i++) {
        s->u.slice.starts[i] = 0;
        s->u.slice.steps[i] = 1;
        od[i] = x->dims[i];
    }
    for (i = 0; i < ns; i++) {
        int a;
        int64_t dim, sv, ev, stp = nst >= 0 ? sp[i] : 1, cnt;
        if (!nx_norm_axis(na >= 0 ? ax[i] : i, x->ndim, &a))
            return BADF("axis out of range");
        dim = x->dims[a];
        if (stp == 0 || stp == INT64_MIN)
            return BADF("step %lld", (long long)stp);
        sv = st[i];
        ev = en[i];
        if (sv < 0)
            sv += dim;
        if (ev < 0)
            ev += dim;
        if (stp > 0) {
            sv = sv < 0 ? 0 : (sv > dim ? dim : sv);
            ev = ev < 0 ? 0 : (ev > dim ? dim : ev);
            cnt = ev > sv ? (ev - sv - 1) / stp + 1 : 0;
        } else {
            sv = sv < 0 ? 0 : (sv > dim - 1 ? dim - 1 : sv);
            ev = ev < -1 ? -1 : (ev > dim - 1 ? dim - 1 : ev);
            cnt = sv > ev ? (sv - ev - 1) / (-stp) + 1 : 0;
        }
        if (cnt <= 0)
            return UNSUP("slice of axis %d is empty", a);
        if (a == x->time_axis && (sv != 0 || cnt != dim || stp != 1)) {
            if (stp != 1 || ev != dim) {
                if (b->stream)
                    return UNSUP("slice [%lld:%lld:%lld] of the time axis (extent %lld) does not "
                                 "keep the newest frames: stream mode needs right-aligned crops "
                                 "(x[..., k:]); run this model in look-back mode",
                                 (long long)st[i], (long long)en[i], (long long)stp,
                                 (long long)dim);
            }
        }
        s->u.slice.starts[a] = sv;
        s->u.slice.steps[a] = stp;
        od[a] = cnt;
    }
    r = nx_set_shape(b, n, OUT(0), x->ndim, od);
    if (r)
        return r;
    y = OUT(0);
    y->dtype = x->dtype;
    y->time_axis = x->time_axis;
    if (b->stream && x->time_axis >= 0 && !c->folding) {
        /* right-aligned crop: a no-op on the newest T frames */
        s->u.slice.starts[x->time_axis] = 0;
        s->u.slice.steps[x->time_axis] = 1;
    }
    s->op = NX_OP_SLICE;
    s->run = nx_run_slice;
    s->n_in = 1;
    return NNFX_OK;
}

/* Strided N-d slice on elements of `es` bytes: out[i] = in[start + i*step] per axis. */
static void slice_raw(const void *src, void *dst, size_t es, int ndim, const int64_t *in_dims,
                      const int64_t *out_dims, const int64_t *start, const int64_t *step)
{
    int64_t ist[NNFX_MAX_DIMS], idx[NNFX_MAX_DIMS], total = 1, r;
    const char *s = (const char *)src;
    char *d = (char *)dst;
    int k;
    nx_strides_of(ndim, in_dims, ist);
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

void nx_run_slice(nx_step *s, const nx_exec *e)
{
    int64_t id[NNFX_MAX_DIMS], od[NNFX_MAX_DIMS];
    const nx_val *X = &e->v[s->in[0]];
    const nx_val *Y = &e->v[s->out[0]];
    nx_eff_dims(X, e, id);
    nx_eff_dims(Y, e, od);
    slice_raw(X->data, Y->data, nx_step_elem_size(s), X->ndim, id, od, s->u.slice.starts,
              s->u.slice.steps);
}
