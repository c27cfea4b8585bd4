/*
 * host_events.c - the host's event ring: what the worker, the control thread's calls and
 * `info` report (LOADED, ERROR, WARNING, INFO, VERIFY), queued under the host's lock and
 * read by the control thread through nnfx_host_poll. A leaf: calls nothing else of the host.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "host_internal.h"

/* Symbol values point into the event's own `sym` storage: re-point them after a copy. */
static void copy_event(nnfx_host_event *dst, const nnfx_host_event *src)
{
    int i;
    *dst = *src;
    for (i = 0; i < dst->n_values && i < 16; i++)
        if (dst->values[i].type == NNFX_ATOM_SYMBOL && src->values[i].s)
            dst->values[i].s = dst->sym + (src->values[i].s - src->sym);
}

void nx_host_push_event_locked(nnfx_host *h, const nnfx_host_event *ev)
{
    if (h->ev_w - h->ev_r >= HOST_EVENT_RING) {
        h->ev_dropped++;
        return;
    }
    copy_event(&h->events[h->ev_w % HOST_EVENT_RING], ev);
    h->ev_w++;
}

void nx_host_push_event(nnfx_host *h, nnfx_host_event_kind kind, const char *key,
                        const char *fmt, ...)
{
    nnfx_host_event ev;
    va_list ap;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    nx_copy(ev.key, sizeof ev.key, key);
    va_start(ap, fmt);
    vsnprintf(ev.text, sizeof ev.text, fmt, ap);
    va_end(ap);
    /* One symbol value: the text itself, so list-based hosts can show it. */
    ev.n_values = 1;
    ev.values[0].type = NNFX_ATOM_SYMBOL;
    nx_copy(ev.sym, sizeof ev.sym, ev.text);
    ev.values[0].s = ev.sym;
    nx_mutex_lock(&h->mu);
    nx_host_push_event_locked(h, &ev);
    nx_mutex_unlock(&h->mu);
}

int nx_host_pop_event(nnfx_host *h, nnfx_host_event *ev)
{
    int got = 0;
    nx_mutex_lock(&h->mu);
    if (h->ev_r != h->ev_w) {
        copy_event(ev, &h->events[h->ev_r % HOST_EVENT_RING]);
        h->ev_r++;
        got = 1;
    }
    nx_mutex_unlock(&h->mu);
    return got;
}
