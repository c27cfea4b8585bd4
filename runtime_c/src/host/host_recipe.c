/*
 * host_recipe.c - the recipe of a randomized network read back from its nnfx.architecture
 * metadata ({"kind": "random_tcn", "recipe": {...}, ...}, docs/random-networks.md), with the
 * runtime's strict JSON reader, so that a loaded random network can be redesigned live
 * (`seed 43` changes one key of the recipe it was built from). A leaf of the host layer.
 */
#include <string.h>

#include "host_internal.h"
#include "json.h"
#include "onnx_model.h" /* nx_set_error, nx_error_prefix */

#define AS_STRING(key) #key,
static const char *const k_recipe_keys[] = {NX_RECIPE_KEYS(AS_STRING)};
#undef AS_STRING

/* One recipe key from its JSON value: numbers and true/false as numbers, strings as names. */
static nnfx_result set_key(nnfx_random_recipe *r, const char *key, const nx_json *v,
                           nnfx_error *err)
{
    switch (v->type) {
    case NNFX_JSON_STRING:
        return nnfx_random_recipe_set(r, key, v->string, 0.0, err);
    case NNFX_JSON_NUMBER:
        return nnfx_random_recipe_set(r, key, NULL, v->number, err);
    case NNFX_JSON_TRUE:
    case NNFX_JSON_FALSE:
        return nnfx_random_recipe_set(r, key, NULL, v->type == NNFX_JSON_TRUE ? 1.0 : 0.0, err);
    default:
        return nx_set_error(err, NNFX_ERR_FORMAT,
                            "recipe key '%s' must be a number, true/false or a name", key);
    }
}

static nnfx_result read_recipe(const nx_json *root, nnfx_random_recipe *out, nnfx_error *err)
{
    nnfx_random_recipe r = nnfx_random_recipe_init();
    const nx_json *recipe = nx_json_get(root, "recipe");
    size_t i;
    nnfx_result rc;
    if (!recipe || recipe->type != NNFX_JSON_OBJECT)
        return nx_set_error(err, NNFX_ERR_FORMAT,
                            "kind random_tcn needs a \"recipe\" object");
    /* Keys the file leaves out keep the spec's defaults; keys this runtime does not know
       are left for newer readers. */
    for (i = 0; i < sizeof k_recipe_keys / sizeof k_recipe_keys[0]; i++) {
        const nx_json *v = nx_json_get(recipe, k_recipe_keys[i]);
        if (v && (rc = set_key(&r, k_recipe_keys[i], v, err)) != NNFX_OK)
            return rc;
    }
    if ((rc = nnfx_random_recipe_validate(&r, err)) != NNFX_OK)
        return rc;
    *out = r;
    return NNFX_OK;
}

int nx_recipe_from_architecture(const char *json, nnfx_random_recipe *out, nnfx_error *err)
{
    nx_json *root = NULL;
    const nx_json *kind;
    int result = 0;
    if (!json || !json[0])
        return 0; /* no architecture: a model like any other */
    if (nx_json_parse(json, strlen(json), &root, err) != NNFX_OK) {
        nx_error_prefix(err, "metadata 'nnfx.architecture': ");
        return -1;
    }
    kind = nx_json_get(root, "kind");
    if (root->type != NNFX_JSON_OBJECT) {
        nx_set_error(err, NNFX_ERR_FORMAT, "metadata 'nnfx.architecture' is not a JSON object");
        result = -1;
    } else if (kind && kind->type == NNFX_JSON_STRING && !strcmp(kind->string, "random_tcn")) {
        if (read_recipe(root, out, err) == NNFX_OK) {
            result = 1;
        } else {
            nx_error_prefix(err, "metadata 'nnfx.architecture': ");
            result = -1;
        }
    }
    nx_json_free(root);
    return result;
}
