/*
 * text.h — turning text into search terms, the same way for the records
 * that are indexed (textindex.c) and for the queries that look them up
 * (query/search.c).
 *
 * A term is made in five steps:
 *   1. normalise the whole text with utf8proc: compatibility composition
 *      (NFKC), case folding, accents and other marks stripped, default
 *      ignorables (soft hyphens, zero-width joiners) dropped — so "Café",
 *      "CAFE" and "café" all become "cafe";
 *   2. split it into tokens: maximal runs of letters and digits (Unicode
 *      categories L* and N*); everything else separates;
 *   3. join hyphenated compounds: tokens linked by one hyphen ("-" or
 *      U+2010, nothing around it), at least one of them with a letter,
 *      also make one token of their parts run together — so "spin-off"
 *      gives "spin", "off" and "spinoff", and meets "spinoff" and
 *      "spin-offs".  A query (TEXT_QUERY) gives only the joined token:
 *      "scale-up" asks for "scaleup", not for "scale" and "up".  A
 *      compound of digits only (a date) or longer than TEXT_TERM_MAX is
 *      not joined;
 *   4. drop tokens shorter than TEXT_TERM_MIN bytes or longer than
 *      TEXT_TERM_MAX bytes (no word is that long; such a token is a URL
 *      or code, and is not truncated into a false word), and the
 *      language's stop words ("de", "het", "the", "of", ...);
 *   5. stem with the Snowball stemmer of the language: Dutch for "nl",
 *      English for "en"; other languages are not stemmed.  So
 *      "financieringen" and "financiering" give the same term, as do
 *      "loans" and "loan".  Dutch nouns in -e take -s in the plural
 *      ("ruimte", "ruimtes"; "subsidie", "subsidies"), which the Dutch
 *      stemmer leaves on (an -s after a vowel is not always a plural):
 *      before stemming, a Dutch token of at least TEXT_NL_PLURAL_MIN bytes
 *      ending in a single "e" and "s" loses the "s", so that plural and
 *      singular meet.  A general decompounder is not part of this:
 *      "voedingswebshop" does not give "webshop".
 *
 * A term from a token shorter than TEXT_STRONG_MIN bytes ("up", "ai",
 * "eu") comes with TEXT_WEAK: such words are common across the two
 * languages and in names, and a query counts them only beside a stronger
 * word (query/search.h).
 *
 * Terms are bytes of UTF-8, at least 1 and at most TEXT_TERM_MAX long,
 * and never contain a NUL byte (the index uses 0x00 as a separator).
 *
 * Caveats: a Snowball stemmer keeps state between calls, so a struct
 * text_stemmers belongs to one thread at a time.  Creating one costs well
 * under a microsecond, so a caller without a long-lived owner may make
 * one per call.
 */
#ifndef GILDE_TEXT_H
#define GILDE_TEXT_H

#include <stddef.h>

#include "proto/err.h"

/* Bytes in a term, at most; longer tokens are dropped. */
#define TEXT_TERM_MAX 64
/* Bytes in a token, at least (before stemming). */
#define TEXT_TERM_MIN 2
/* Bytes in a token that is not weak (TEXT_WEAK), at least. */
#define TEXT_STRONG_MIN 3
/* Bytes in a Dutch token that loses a plural -s after -e, at least (step 5):
 * "fases" and "premies", not "mes" or "les". */
#define TEXT_NL_PLURAL_MIN 5
/* Bytes of text in one call, at most (a record's strings are far shorter). */
#define TEXT_INPUT_MAX (1u << 20)

struct sb_stemmer;

struct text_stem_memo;

/* The stemmers text_terms() uses, made once and reused by one thread. */
struct text_stemmers {
	struct sb_stemmer *nl, *en;
	struct text_stem_memo *memo; /* NULL: none (text_stemmers_remember) */
};

/*
 * Make the Dutch and English stemmers.  Returns 0, or GL_ECONFIG if the
 * installed libstemmer lacks one of them (st is then left empty).
 * Running out of memory aborts (alloc.h).
 */
int text_stemmers_init(struct text_stemmers *st, struct gl_error *err);
/* Free the stemmers; st may be zeroed or already freed.  Leaves it zeroed. */
void text_stemmers_free(struct text_stemmers *st);

/*
 * Remember the stems of the last words seen (TEXT_MEMO_SLOTS per language,
 * about 260 KiB in all), for stemmers that live long and stem much: the
 * store's, which index every record.  Words repeat (a directory speaks of
 * funding, starters and coaching again and again), and a Snowball stem
 * costs far more than a lookup.  The terms are the same either way.
 */
#define TEXT_MEMO_SLOTS 1024
void text_stemmers_remember(struct text_stemmers *st);

/* How a term came (text_term_fn's flags). */
enum {
	TEXT_WEAK = 1,   /* from a token shorter than TEXT_STRONG_MIN bytes */
	TEXT_JOINED = 2, /* a hyphenated compound's parts run together (step 3) */
};

/*
 * Called once per term, in text order (a compound's joined term after its
 * parts): term is `len` bytes (not NUL-terminated, valid only during the
 * call); pos is the index of the token it came from among all tokens of
 * the text, dropped ones included (a joined term: its first part's), so
 * calls over the same text in two languages line up by pos; flags are
 * TEXT_WEAK and TEXT_JOINED.  Return non-zero to stop.
 */
typedef int (*text_term_fn)(void *ctx, const char *term, size_t len, unsigned pos,
                            unsigned flags);

/* text_terms' flags: cut a query, whose compounds give their joined term
 * only (step 3), instead of a text to index. */
#define TEXT_QUERY 1u

/*
 * Cut `len` bytes of UTF-8 text `s` into terms for language `lang` ("nl",
 * "en", "fr", "de", or any other code or "" for no stemming and no stop
 * words) and call fn for each.  flags: 0 (a text to index) or TEXT_QUERY.
 * st must have been initialised.  Returns 0, fn's non-zero value,
 * GL_ELIMIT if len > TEXT_INPUT_MAX, or GL_EFORMAT if s is not valid UTF-8.
 */
int text_terms(struct text_stemmers *st, const char *s, size_t len, const char *lang,
               unsigned flags, text_term_fn fn, void *ctx, struct gl_error *err);

/*
 * The stemmers of the calling thread, made at its first use (with
 * text_stemmers_remember) and freed when the thread ends: terms are cut on
 * the threads that check signatures, in the writer and in queries, each
 * with its own (libstemmer's are not shared).  Returns 0 and *out (owned
 * by the thread), or GL_ECONFIG (libstemmer lacks Dutch or English).
 */
int text_thread_stemmers(struct text_stemmers **out, struct gl_error *err);

#endif
