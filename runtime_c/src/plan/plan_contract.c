/*
 * plan_contract.c - the file's contract with the runtime (docs/model-file.md): graph inputs
 * audio_in [1, C_in, M + N], optional params [1, P] and state_in.<k>; outputs audio_out
 * [1, C_out, N] depending on audio or state, and a state_out.<k> for every state_in.<k>.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "plan_internal.h"

nnfx_result nx_add_inputs(nx_builder *b)
{
    const nx_onnx_model *om = b->om;
    nnfx_model *m = b->m;
    int i, k;
    m->audio_in = m->params = -1;
    for (i = 0; i < om->n_inputs; i++) {
        const nx_onnx_value_info *in = &om->inputs[i];
        nx_val *v;
        int vi, r = nx_define_name(b, in->name, &vi), is_state;
        if (r == -2)
            return nx_set_error(b->err, NNFX_ERR_FORMAT, "graph input '%s' is defined twice",
                                in->name);
        if (r < 0)
            return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
        v = &b->v[vi];
        if (in->elem_type != NNFX_DT_FLOAT)
            return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                "graph input '%s': element type %d, expected float32",
                                in->name, (int)in->elem_type);
        if (in->ndim < 0 || in->ndim > NNFX_MAX_DIMS)
            return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                "graph input '%s' has no fixed shape", in->name);
        v->ndim = in->ndim;
        v->count = 1;
        for (k = 0; k < in->ndim; k++) {
            if (in->dims[k] <= 0 || in->dims[k] > NX_ONNX_MAX_TENSOR_ELEMS ||
                v->count > NX_ONNX_MAX_TENSOR_ELEMS / in->dims[k])
                return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                    "graph input '%s': dimension %d is %lld (shapes must be "
                                    "fixed and positive)", in->name, k,
                                    (long long)in->dims[k]);
            v->dims[k] = in->dims[k];
            v->count *= in->dims[k];
        }
        v->defined = 1;
        is_state = !strncmp(in->name, "state_in.", 9);
        if (!strcmp(in->name, "audio_in")) {
            if (in->ndim != 3 || in->dims[0] != 1)
                return nx_set_error(b->err, NNFX_ERR_FORMAT,
                                    "graph input 'audio_in' must have shape [1, C_in, M + N]");
            v->cls = NX_DYN;
            v->time_axis = 2;
            m->audio_in = vi;
        } else if (!strcmp(in->name, "params")) {
            if (in->ndim != 2 || in->dims[0] != 1)
                return nx_set_error(b->err, NNFX_ERR_FORMAT,
                                    "graph input 'params' must have shape [1, P]");
            v->cls = NX_PARAM;
            m->params = vi;
        } else if (is_state) {
            v->cls = NX_DYN;
            m->nstate++;
        } else {
            return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                "graph input '%s' is not audio_in, params or state_in.<k>",
                                in->name);
        }
    }
    if (m->audio_in < 0)
        return nx_set_error(b->err, NNFX_ERR_FORMAT, "the graph has no input 'audio_in'");
    return NNFX_OK;
}

nnfx_result nx_check_outputs(nx_builder *b)
{
    nnfx_model *m = b->m;
    const nx_onnx_model *om = b->om;
    int i, j, k;

    m->audio_out = -1;
    m->state_in = (int *)nx_calloc((size_t)(m->nstate + 1), sizeof(int));
    m->state_out = (int *)nx_calloc((size_t)(m->nstate + 1), sizeof(int));
    if (!m->state_in || !m->state_out)
        return nx_set_error(b->err, NNFX_ERR_NOMEM, "out of memory");
    k = 0;
    for (i = 0; i < om->n_inputs; i++) {
        const char *nm = om->inputs[i].name;
        char want[NX_ONNX_MAX_NAME + 16];
        int so;
        if (strncmp(nm, "state_in.", 9))
            continue;
        snprintf(want, sizeof want, "state_out.%s", nm + 9);
        for (j = 0; j < om->n_outputs; j++)
            if (!strcmp(om->outputs[j].name, want))
                break;
        if (j == om->n_outputs)
            return nx_set_error(b->err, NNFX_ERR_FORMAT,
                                "graph input '%s' has no matching output '%s'", nm, want);
        so = nx_names_get(&b->names, want);
        if (so < 0 || !b->v[so].defined)
            return nx_set_error(b->err, NNFX_ERR_FORMAT, "graph output '%s' is not produced",
                                want);
        m->state_in[k] = nx_names_get(&b->names, nm);
        m->state_out[k] = so;
        if (b->v[so].count != b->v[m->state_in[k]].count)
            return nx_set_error(b->err, NNFX_ERR_FORMAT,
                                "'%s' has %lld elements but '%s' has %lld", want,
                                (long long)b->v[so].count, nm,
                                (long long)b->v[m->state_in[k]].count);
        if (b->v[so].time_axis >= 0 && b->stream)
            return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                "'%s' depends on the frames of the block, not only on the "
                                "state: cannot stream", want);
        if (b->v[so].cls == NX_CONST)
            return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED, "'%s' is a constant", want);
        k++;
    }
    for (j = 0; j < om->n_outputs; j++)
        if (!strcmp(om->outputs[j].name, "audio_out"))
            m->audio_out = nx_names_get(&b->names, "audio_out");
    if (m->audio_out < 0 || !b->v[m->audio_out].defined)
        return nx_set_error(b->err, NNFX_ERR_FORMAT, "the graph has no output 'audio_out'");
    {
        nx_val *y = &b->v[m->audio_out];
        if (y->cls != NX_DYN)
            return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                "'audio_out' does not depend on audio_in or state");
        if (y->ndim != 3 || y->dims[0] != 1)
            return nx_set_error(b->err, NNFX_ERR_FORMAT,
                                "'audio_out' has rank %d; expected [1, C_out, N]", y->ndim);
        if (b->stream && y->time_axis != 2)
            return nx_set_error(b->err, NNFX_ERR_UNSUPPORTED,
                                "the last axis of 'audio_out' is not the time axis of "
                                "'audio_in' (it is axis %d): cannot stream", y->time_axis);
    }
    return NNFX_OK;
}
