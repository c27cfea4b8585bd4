/*
 * max_sdk_decls.h - NOT THE MAX SDK.
 *
 * This header exists only so that CI can compile-check externals/max/nnfx~.c on Linux,
 * where the Max SDK is not installed. It declares just the types, constants and
 * functions that nnfx~.c uses, with the signatures documented in the Max SDK
 * (max-sdk-base: c74support/max-includes and msp-includes, Max API reference). It was
 * written for nnfx from that documentation; it is not a copy of Cycling '74's headers,
 * declares nothing else, and cannot link: real builds use the SDK (see ../README.md).
 *
 * nnfx~.c includes it instead of ext.h/ext_obex.h/z_dsp.h when NNFX_MAX_SDK_DECLS is
 * defined (the CI compile check does that).
 */
#ifndef NNFX_MAX_SDK_DECLS_H
#define NNFX_MAX_SDK_DECLS_H

#include <stddef.h>
#include <stdint.h>

#define C74_EXPORT __attribute__((visibility("default")))

/* ---- basic types (max_types.h) ---- */
typedef intptr_t t_ptr_int;
typedef uintptr_t t_ptr_uint;
typedef t_ptr_uint t_ptr_size;
typedef t_ptr_int t_atom_long;
typedef double t_atom_float;  /* 64-bit Max */
typedef t_atom_long t_max_err;
typedef uint32_t t_fourcc;
typedef char *t_ptr;
typedef void *(*method)(void *);

enum { MAX_ERR_NONE = 0, MAX_ERR_GENERIC = -1 };

/* ---- objects, symbols, atoms (ext_mess.h) ---- */
typedef struct messlist t_messlist;
typedef struct inlet t_inlet;
typedef struct outlet t_outlet;
typedef struct object {
    t_messlist *o_messlist;
    t_ptr_int o_magic;
    t_inlet *o_inlet;
    t_outlet *o_outlet;
} t_object;
typedef struct symbol {
    char *s_name;
    t_object *s_thing;
} t_symbol;
union word {
    t_atom_long w_long;
    t_atom_float w_float;
    t_symbol *w_sym;
    t_object *w_obj;
};
typedef struct atom {
    short a_type;
    union word a_w;
} t_atom;
enum { A_NOTHING = 0, A_LONG, A_FLOAT, A_SYM, A_OBJ, A_DEFLONG, A_DEFFLOAT, A_DEFSYM,
       A_GIMME, A_CANT };
typedef struct maxclass t_class;
typedef struct clock t_clock;
typedef struct qelem t_qelem;
typedef struct t_dictionary t_dictionary;

/* ---- classes and objects (ext_obex.h, ext_proto.h) ---- */
#define CLASS_BOX gensym("box")
#define calcoffset(x, y) offsetof(x, y)
t_class *class_new(const char *name, const method mnew, const method mfree, long size,
                   const method mmenu, short type, ...);
t_max_err class_register(t_symbol *name_space, t_class *c);
t_max_err class_addmethod(t_class *c, const method m, const char *name, ...);
t_max_err class_addattr(t_class *c, t_object *attr);
t_object *attr_offset_new(const char *name, const t_symbol *type, long flags, const method mget,
                          const method mset, long offset);
void *object_alloc(t_class *c);
t_max_err object_free(void *x);
long attr_args_offset(short ac, t_atom *av);
void attr_args_process(void *x, short ac, t_atom *av);
t_symbol *gensym(const char *s);

/* ---- atoms ---- */
t_max_err atom_setlong(t_atom *a, t_atom_long b);
t_max_err atom_setfloat(t_atom *a, double b);
t_max_err atom_setsym(t_atom *a, t_symbol *b);
t_atom_long atom_getlong(const t_atom *a);
t_atom_float atom_getfloat(const t_atom *a);
t_symbol *atom_getsym(const t_atom *a);
long atom_gettype(const t_atom *a);

/* ---- outlets, console (ext_proto.h, ext_post.h) ---- */
void *outlet_new(void *x, const char *s);
void *outlet_anything(t_outlet *x, t_symbol *s, short ac, t_atom *av);
void object_post(t_object *x, const char *s, ...);
void object_error(t_object *x, const char *s, ...);
void object_warn(t_object *x, const char *s, ...);
enum { ASSIST_INLET = 1, ASSIST_OUTLET = 2 };

/* ---- scheduler and main thread (ext_proto.h) ---- */
t_clock *clock_new(void *obj, method fn);
void clock_fdelay(t_clock *x, double f);
void clock_unset(t_clock *x);
void *qelem_new(void *obj, method fn);
void qelem_set(t_qelem *x);
void qelem_free(t_qelem *x);
void *defer_low(void *ob, method fn, t_symbol *sym, short argc, t_atom *argv);

/* ---- memory (ext_sysmem.h) ---- */
t_ptr sysmem_newptrclear(t_ptr_size size);
void sysmem_freeptr(void *ptr);

/* ---- files (ext_path.h, ext_proto.h) ---- */
enum { MAX_PATH_CHARS = 2048, MAX_FILENAME_CHARS = 512 };
enum { PATH_STYLE_MAX = 0, PATH_STYLE_NATIVE = 1 };
enum { PATH_TYPE_IGNORE = 0, PATH_TYPE_ABSOLUTE = 1 };
short locatefile_extended(char *name, short *outvol, t_fourcc *outtype,
                          const t_fourcc *filetypelist, short numtypes);
short open_dialog(char *name, short *volptr, t_fourcc *typeptr, t_fourcc *types, short ntypes);
short saveasdialog_extended(char *name, short *vol, t_fourcc *type, t_fourcc *typelist,
                            short numtypes);
t_max_err path_toabsolutesystempath(const short in_path, const char *in_filename,
                                    char *out_filepath);
short path_nameconform(const char *src, char *dst, long style, long type);

/* ---- dictionaries (ext_dictionary.h, ext_dictobj.h) ---- */
t_dictionary *dictionary_new(void);
t_max_err dictionary_clear(t_dictionary *d);
t_max_err dictionary_appendlong(t_dictionary *d, t_symbol *key, t_atom_long value);
t_max_err dictionary_appendfloat(t_dictionary *d, t_symbol *key, double value);
t_max_err dictionary_appendsym(t_dictionary *d, t_symbol *key, t_symbol *value);
t_max_err dictionary_appendatoms(t_dictionary *d, t_symbol *key, long argc, t_atom *argv);
t_dictionary *dictobj_register(t_dictionary *d, t_symbol **name);
t_max_err dictobj_release(t_dictionary *d);

/* ---- MSP (z_dsp.h) ---- */
typedef struct t_pxobject {
    t_object z_ob;
    long z_in;
    void *z_proxy;
    long z_disabled;
    short z_count;
    short z_misc;
} t_pxobject;
#define Z_NO_INPLACE 1
typedef void (*t_perfroutine64)(t_object *x, t_object *dsp64, double **ins, long numins,
                                double **outs, long numouts, long sampleframes, long flags,
                                void *userparam);
void class_dspinit(t_class *c);
void z_dsp_setup(t_pxobject *x, long nsignals);
void z_dsp_free(t_pxobject *x);
void dsp_add64(t_object *chain, t_object *x, t_perfroutine64 f, long flags, void *userparam);
float sys_getsr(void);
int sys_getmaxblksize(void);

void C74_EXPORT ext_main(void *r);

#endif /* NNFX_MAX_SDK_DECLS_H */
