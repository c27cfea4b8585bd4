/*
 * process_blocks.c - nnfx_model_process_blocks: the calls a host with a given block size makes,
 * in one C call, so that `nnfx bench` times the runtime and not the Python loop around it.
 */
#include "engine.h"

NNFX_RT nnfx_result nnfx_model_process_blocks(nnfx_model *m, const float *const *in,
                                              float *const *out, int frames, int block)
{
    const float *ip[NNFX_MAX_CHANNELS];
    float *op[NNFX_MAX_CHANNELS];
    int done, c;
    if (!m || frames < 0 || block < 1 || (frames > 0 && (!in || !out)))
        return NNFX_ERR_INVALID_ARG;
    if (m->in_ch > NNFX_MAX_CHANNELS || m->out_ch > NNFX_MAX_CHANNELS)
        return NNFX_ERR_LIMIT;
    for (done = 0; done < frames; done += block) {
        int n = frames - done < block ? frames - done : block;
        nnfx_result r;
        for (c = 0; c < m->in_ch; c++)
            ip[c] = in[c] + done;
        for (c = 0; c < m->out_ch; c++)
            op[c] = out[c] + done;
        r = nnfx_model_process(m, ip, op, n);
        if (r != NNFX_OK)
            return r;
    }
    return NNFX_OK;
}
