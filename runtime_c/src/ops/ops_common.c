/* ops_common.c - what the ops share: effective (per-chunk) dimensions, strides, broadcasting
 * strides, the element size of data movement and the broadcast copy (also used by folding). */
#include <string.h>

#include "ops.h"

int64_t nx_eff_dims(const nx_val *v, const nx_exec *e, int64_t *dims)
{
    int64_t c = 1;
    int i;
    for (i = 0; i < v->ndim; i++) {
        dims[i] = v->dims[i];
        if (i == v->time_axis && e->T >= 0)
            dims[i] = e->T;
        c *= dims[i];
    }
    return c;
}

void nx_strides_of(int ndim, const int64_t *dims, int64_t *st)
{
    int64_t acc = 1;
    int i;
    for (i = ndim - 1; i >= 0; i--) {
        st[i] = acc;
        acc *= dims[i];
    }
}

int64_t nx_prod(const int64_t *d, int n)
{
    int64_t p = 1;
    int i;
    for (i = 0; i < n; i++)
        p *= d[i];
    return p;
}

int64_t nx_inner_of(const int64_t *d, int ndim, int axis)
{
    int64_t o = 1;
    int k;
    for (k = axis; k < ndim; k++)
        o *= d[k];
    return o;
}

void nx_bcast_strides(int ndim, const int64_t *dims, int ondim, const int64_t *odims,
                      int64_t *st)
{
    int64_t acc = 1;
    int i;
    for (i = ondim - 1; i >= 0; i--) {
        int j = i - (ondim - ndim);
        if (j < 0) {
            st[i] = 0;
        } else {
            st[i] = (dims[j] == 1 && odims[i] != 1) ? 0 : acc;
            acc *= dims[j];
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
    nx_strides_of(sndim, sdims, sst);
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

size_t nx_step_elem_size(const nx_step *s)
{
    return s->es ? (size_t)s->es : sizeof(float);
}
