/*
 * schema_int.h — the compiled form of a schema set, shared by loading
 * (schema.c) and validation (schema_validate.c) and nothing else.
 */
#ifndef GILDE_SCHEMA_INT_H
#define GILDE_SCHEMA_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>

#include "schemas/schema.h"

/*
 * A schema object compiled once at load: its keywords as fields, its
 * properties as an array, its $ref resolved.  Validation walks these and
 * never looks a keyword up by name (that was most of its cost: 8.7 us of
 * a 912-byte record before, tests/bench/bench_check.c).
 */
enum stype { ST_ANY, ST_BOOLEAN, ST_INTEGER, ST_STRING, ST_ARRAY, ST_OBJECT };

struct sstr {
	const char *s;
	size_t len;
};

struct snode;

struct sprop {
	struct sstr name;
	const struct snode *node;
};

struct snode {
	const json_t *src;         /* the schema object this was compiled from */
	const struct snode *ref;   /* $ref: the target; nothing else here applies */
	const char *ref_text;
	enum stype type;
	const char *type_name;     /* as written, for messages; NULL: any type */
	const char *cst;           /* const */
	struct sstr *enums;        /* enum */
	size_t nenum;
	json_int_t min_len, max_len;          /* -1: no maximum */
	const pcre2_code *re;
	const char *pattern, *format;
	struct sstr *required;
	size_t nreq;
	json_int_t min_props, max_props;
	bool closed;               /* additionalProperties: false */
	struct sprop *props;
	size_t nprops;
	json_int_t min_items, max_items;
	bool unique;
	const struct snode *items;
	const json_t *minimum, *maximum;
};

/* A file of the set: read (parsed, checked, compiled) when the set is
 * loaded, or, in a set opened with schema_set_open(), when first named. */
enum sfile_state { SFILE_UNREAD, SFILE_READING, SFILE_READ, SFILE_FAILED };

struct sfile {
	const char *name;
	const struct schema_file *src; /* its text */
	enum sfile_state state;
	json_t *root;                  /* NULL until it is read */
	const struct snode *croot;
};

struct pattern {
	const json_t *node; /* the schema object holding "pattern" */
	pcre2_code *re;     /* shared by threads; match data is per validation */
};

struct schema_set {
	struct sfile *files;
	size_t nfiles;
	struct pattern *pats;
	size_t npats;
	struct snode **nodes; /* every compiled node, found by its src */
	size_t nnodes;
	int read_rc;          /* the first failure to read a file, 0 if none */
	struct gl_error read_err;
};

/*
 * The file of the set named name (len bytes), read first if it was not
 * (schema.c); NULL if the set has none of that name or it could not be
 * read (the reason in the set, for schema_set_load_files()).
 */
const struct sfile *schema_find_file(const struct schema_set *set, const char *name,
                                     size_t len);

#endif
