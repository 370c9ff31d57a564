/* text.c — terms from text: utf8proc normalisation, tokens, stop words, Snowball stems. */
#include "store/text.h"

#include <libstemmer.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "proto/alloc.h"

/*
 * Stop words, compared with tokens after normalisation (so without
 * accents).  Small on purpose: words that carry no meaning in a directory
 * of offers and would otherwise match nearly every record.
 */
static const char *const stop_nl[] = {
	"aan", "al", "als", "bij", "dan", "dat", "de", "deze", "die", "dit", "door", "een",
	"en", "er", "het", "hij", "hun", "je", "jouw", "jij", "maar", "met", "na", "naar",
	"niet", "of", "om", "ook", "op", "over", "te", "tot", "u", "uit", "uw", "van", "voor",
	"wat", "we", "wie", "wij", "wordt", "worden", "ze", "zij", "zijn", NULL,
};
static const char *const stop_en[] = {
	"a", "about", "an", "and", "are", "as", "at", "be", "by", "can", "for", "from", "how",
	"in", "into", "is", "it", "its", "of", "on", "or", "our", "that", "the", "their",
	"these", "this", "those", "to", "was", "we", "what", "who", "will", "with", "you",
	"your", NULL,
};
static const char *const stop_fr[] = {
	"au", "aux", "avec", "ce", "ces", "dans", "de", "des", "du", "en", "est", "et", "la",
	"le", "les", "ou", "par", "pour", "sur", "un", "une", "vos", "votre", "vous", NULL,
};
static const char *const stop_de[] = {
	"das", "dem", "den", "der", "des", "die", "ein", "eine", "einen", "fur", "ihr", "im",
	"in", "ist", "mit", "oder", "sie", "und", "von", "zu", "zum", "zur", NULL,
};

int text_stemmers_init(struct text_stemmers *st, struct gl_error *err)
{
	st->nl = sb_stemmer_new("dutch", NULL);
	st->en = sb_stemmer_new("english", NULL);
	if (st->nl && st->en)
		return 0;
	text_stemmers_free(st);
	return gl_errorf(err, GL_ECONFIG,
	                 "libstemmer has no Dutch or no English stemmer (or memory ran out); "
	                 "install a complete libstemmer");
}

/* A word and its stem; direct-mapped by a hash of the word. */
struct memo_slot {
	uint8_t len, slen; /* len 0: empty */
	char word[TEXT_TERM_MAX], stem[TEXT_TERM_MAX];
};

struct text_stem_memo {
	struct memo_slot nl[TEXT_MEMO_SLOTS], en[TEXT_MEMO_SLOTS];
};

void text_stemmers_remember(struct text_stemmers *st)
{
	if (!st->memo)
		st->memo = gl_xcalloc(1, sizeof *st->memo);
}

void text_stemmers_free(struct text_stemmers *st)
{
	if (st->nl)
		sb_stemmer_delete(st->nl);
	if (st->en)
		sb_stemmer_delete(st->en);
	free(st->memo);
	st->nl = st->en = NULL;
	st->memo = NULL;
}

/* What one language does to a token: which stop words, which stemmer. */
struct lang_rules {
	const char *const *stop; /* NULL: none */
	struct sb_stemmer *stem; /* NULL: none */
	struct memo_slot *memo;  /* TEXT_MEMO_SLOTS of them, or NULL */
};

static struct lang_rules rules_for(const struct text_stemmers *st, const char *lang)
{
	struct lang_rules r = { NULL, NULL, NULL };
	if (!lang)
		return r;
	if (!strcmp(lang, "nl"))
		r = (struct lang_rules){ stop_nl, st->nl, st->memo ? st->memo->nl : NULL };
	else if (!strcmp(lang, "en"))
		r = (struct lang_rules){ stop_en, st->en, st->memo ? st->memo->en : NULL };
	else if (!strcmp(lang, "fr"))
		r.stop = stop_fr;
	else if (!strcmp(lang, "de"))
		r.stop = stop_de;
	return r;
}

static bool is_stop(const char *const *list, const char *tok, size_t len)
{
	/* the first byte first: it rules out nearly every stop word unmeasured */
	for (; list && *list; list++)
		if ((*list)[0] == tok[0] && strlen(*list) == len && !memcmp(*list, tok, len))
			return true;
	return false;
}

static bool word_char(utf8proc_int32_t cp)
{
	utf8proc_category_t c = utf8proc_category(cp);
	return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
	       (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

/* slen of a remembered stop word */
#define MEMO_STOP UINT8_MAX
_Static_assert(TEXT_TERM_MAX < MEMO_STOP, "a stem length must not read as a stop word");

/* One token of the normalised text: filter, stem, hand on.  A remembered
 * word skips both the stop list and the stemmer. */
static int emit(const struct lang_rules *lr, const char *tok, size_t len, unsigned pos,
                text_term_fn fn, void *ctx)
{
	if (len < TEXT_TERM_MIN || len > TEXT_TERM_MAX)
		return 0;
	struct memo_slot *m = NULL;
	if (lr->stem && lr->memo) {
		uint32_t h = 2166136261u; /* FNV-1a */
		for (size_t i = 0; i < len; i++)
			h = (h ^ (uint8_t)tok[i]) * 16777619u;
		m = &lr->memo[h % TEXT_MEMO_SLOTS];
		if (m->len == len && !memcmp(m->word, tok, len))
			return m->slen == MEMO_STOP ? 0
			       : m->slen ? fn(ctx, m->stem, m->slen, pos) : fn(ctx, tok, len, pos);
	}
	bool stop = is_stop(lr->stop, tok, len);
	if (m) {
		m->len = (uint8_t)len;
		memcpy(m->word, tok, len);
		m->slen = stop ? MEMO_STOP : 0; /* 0: the word is its own term */
	}
	if (stop)
		return 0;
	if (lr->stem) {
		const sb_symbol *out = sb_stemmer_stem(lr->stem, (const sb_symbol *)tok, (int)len);
		if (!out) {
			fputs("gilde: out of memory in the stemmer\n", stderr);
			abort();
		}
		int n = sb_stemmer_length(lr->stem);
		if (n >= 1 && n <= TEXT_TERM_MAX) {
			if (m) {
				m->slen = (uint8_t)n;
				memcpy(m->stem, out, (size_t)n);
			}
			return fn(ctx, (const char *)out, (size_t)n, pos);
		}
	}
	return fn(ctx, tok, len, pos);
}

static bool ascii_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * The terms of ASCII text.  Normalising ASCII (step 1 of text.h) only
 * folds A-Z to a-z: it holds no compatibility forms, marks or ignorables;
 * and its letters and digits are A-Z, a-z and 0-9.  So this gives what
 * the general path gives, without utf8proc's copy of the text and its
 * lookup of every character (tests/unit/test_search.c compares the two).
 */
static int terms_ascii(const struct lang_rules *lr, const char *s, size_t len,
                       text_term_fn fn, void *ctx)
{
	char tok[TEXT_TERM_MAX];
	unsigned pos = 0;
	size_t i = 0;
	int rc = 0;
	while (rc == 0) {
		while (i < len && !ascii_word((unsigned char)s[i]))
			i++;
		if (i == len)
			break;
		size_t n = 0;
		for (; i < len && ascii_word((unsigned char)s[i]); i++, n++)
			if (n < sizeof tok)
				tok[n] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
		/* a token over TEXT_TERM_MAX is dropped by emit() unread, and counted */
		rc = emit(lr, tok, n, pos++, fn, ctx);
	}
	return rc;
}

static bool is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

int text_terms(struct text_stemmers *st, const char *s, size_t len, const char *lang,
               text_term_fn fn, void *ctx, struct gl_error *err)
{
	if (len == 0)
		return 0;
	if (len > TEXT_INPUT_MAX)
		return gl_errorf(err, GL_ELIMIT, "a text of %zu bytes; at most %u (TEXT_INPUT_MAX)",
		                 len, TEXT_INPUT_MAX);
	struct lang_rules lr = rules_for(st, lang);
	if (is_ascii(s, len))
		return terms_ascii(&lr, s, len, fn, ctx);
	utf8proc_uint8_t *norm = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &norm,
	                                  UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
	                                          UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK |
	                                          UTF8PROC_IGNORE);
	if (n == UTF8PROC_ERROR_NOMEM) {
		fputs("gilde: out of memory normalising text\n", stderr);
		abort();
	}
	if (n < 0)
		return gl_errorf(err, GL_EFORMAT, "text is not valid UTF-8 (%s)", utf8proc_errmsg(n));
	const char *p = (const char *)norm;
	utf8proc_ssize_t i = 0, start = -1;
	unsigned pos = 0;
	int rc = 0;
	while (i <= n && rc == 0) {
		utf8proc_int32_t cp = -1;
		utf8proc_ssize_t step = 1;
		if (i < n && (step = utf8proc_iterate(norm + i, n - i, &cp)) < 1)
			step = 1; /* cannot happen after utf8proc_map; never loop forever */
		bool w = i < n && cp >= 0 && word_char(cp);
		if (w && start < 0) {
			start = i;
		} else if (!w && start >= 0) {
			rc = emit(&lr, p + start, (size_t)(i - start), pos++, fn, ctx);
			start = -1;
		}
		i += step;
	}
	free(norm);
	return rc;
}

/* The calling thread's stemmers (text.h), freed by a thread-specific
 * destructor when it ends. */
static pthread_key_t stem_key;
static pthread_once_t stem_once = PTHREAD_ONCE_INIT;

static void stem_free(void *p)
{
	text_stemmers_free(p);
	free(p);
}

static void stem_key_make(void)
{
	if (pthread_key_create(&stem_key, stem_free) != 0)
		abort(); /* only for want of keys, which this process does not use up */
}

int text_thread_stemmers(struct text_stemmers **out, struct gl_error *err)
{
	pthread_once(&stem_once, stem_key_make);
	struct text_stemmers *st = pthread_getspecific(stem_key);
	if (!st) {
		st = gl_xcalloc(1, sizeof *st);
		int rc = text_stemmers_init(st, err);
		if (rc) {
			free(st);
			return rc;
		}
		text_stemmers_remember(st);
		if (pthread_setspecific(stem_key, st) != 0)
			abort();
	}
	*out = st;
	return 0;
}
