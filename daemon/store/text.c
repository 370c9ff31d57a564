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
	bool nl_plural;          /* -es loses its s before stemming (text.h, step 5) */
};

static struct lang_rules rules_for(const struct text_stemmers *st, const char *lang)
{
	struct lang_rules r = { NULL, NULL, NULL, false };
	if (!lang)
		return r;
	if (!strcmp(lang, "nl"))
		r = (struct lang_rules){ stop_nl, st->nl, st->memo ? st->memo->nl : NULL, true };
	else if (!strcmp(lang, "en"))
		r = (struct lang_rules){ stop_en, st->en, st->memo ? st->memo->en : NULL, false };
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

/* slen of a remembered stop word */
#define MEMO_STOP UINT8_MAX
_Static_assert(TEXT_TERM_MAX < MEMO_STOP, "a stem length must not read as a stop word");

/* The stem of a token that is no stop word, into *out (n bytes). */
static void stem(const struct lang_rules *lr, const char *tok, size_t len, const char **out,
                 size_t *n)
{
	*out = tok;
	*n = len;
	if (!lr->stem)
		return;
	/* Snowball's Dutch stemmer keeps an -s after a vowel: "ruimtes" and
	 * "ruimte" would not meet (text.h, step 5) */
	if (lr->nl_plural && len >= TEXT_NL_PLURAL_MIN && tok[len - 1] == 's' &&
	    tok[len - 2] == 'e' && tok[len - 3] != 'e')
		len--;
	const sb_symbol *s = sb_stemmer_stem(lr->stem, (const sb_symbol *)tok, (int)len);
	if (!s) {
		fputs("gilde: out of memory in the stemmer\n", stderr);
		abort();
	}
	int sl = sb_stemmer_length(lr->stem);
	if (sl >= 1 && sl <= TEXT_TERM_MAX) {
		*out = (const char *)s;
		*n = (size_t)sl;
	}
}

/*
 * One cut of a text: the rules, where the terms go, and the hyphenated
 * compound being read (text.h, step 3).  A compound's parts run together
 * in buf while they fit; a query holds its parts back (their places in
 * buf) until it knows whether the compound is joined.
 */
struct cut {
	struct lang_rules lr;
	text_term_fn fn;
	void *ctx;
	bool query;
	unsigned pos;    /* the next token's */
	unsigned parts;  /* of the compound being read; 0: none */
	unsigned first;  /* its first part's pos */
	size_t len;      /* its parts' bytes; over TEXT_TERM_MAX: too long to join */
	bool letter;     /* a part holds a letter */
	char buf[TEXT_TERM_MAX];
	uint8_t off[TEXT_TERM_MAX], plen[TEXT_TERM_MAX]; /* a query's held parts */
};

/* One token of the normalised text: filter, stem, hand on.  A remembered
 * word skips both the stop list and the stemmer. */
static int emit(struct cut *c, const char *tok, size_t len, unsigned pos, unsigned flags)
{
	const struct lang_rules *lr = &c->lr;
	if (len < TEXT_TERM_MIN || len > TEXT_TERM_MAX)
		return 0;
	if (len < TEXT_STRONG_MIN)
		flags |= TEXT_WEAK;
	struct memo_slot *m = NULL;
	if (lr->stem && lr->memo) {
		uint32_t h = 2166136261u; /* FNV-1a */
		for (size_t i = 0; i < len; i++)
			h = (h ^ (uint8_t)tok[i]) * 16777619u;
		m = &lr->memo[h % TEXT_MEMO_SLOTS];
		if (m->len == len && !memcmp(m->word, tok, len))
			return m->slen == MEMO_STOP ? 0
			       : m->slen ? c->fn(c->ctx, m->stem, m->slen, pos, flags)
			                 : c->fn(c->ctx, tok, len, pos, flags);
	}
	bool stop = is_stop(lr->stop, tok, len);
	if (m) {
		m->len = (uint8_t)len;
		memcpy(m->word, tok, len);
		m->slen = stop ? MEMO_STOP : 0; /* 0: the word is its own term */
	}
	if (stop)
		return 0;
	const char *out;
	size_t n;
	stem(lr, tok, len, &out, &n);
	if (m && out != tok) {
		m->slen = (uint8_t)n;
		memcpy(m->stem, out, n);
	}
	return c->fn(c->ctx, out, n, pos, flags);
}

/* A query's held parts, as terms of their own: the compound is not joined. */
static int release(struct cut *c)
{
	int rc = 0;
	for (unsigned i = 0; i < c->parts && rc == 0; i++)
		rc = emit(c, c->buf + c->off[i], c->plen[i], c->first + i, 0);
	return rc;
}

/*
 * The next token (normalised; len may pass TEXT_TERM_MAX, when only the
 * first TEXT_TERM_MAX bytes are at tok): letter if it holds a letter, more
 * if a hyphen links it to the next one.
 */
static int token(struct cut *c, const char *tok, size_t len, bool letter, bool more)
{
	unsigned pos = c->pos++;
	if (!more && c->parts == 0)
		return emit(c, tok, len, pos, 0);
	int rc = 0;
	if (c->parts == 0) {
		c->first = pos;
		c->len = 0;
		c->letter = false;
	}
	bool was_over = c->len > TEXT_TERM_MAX;
	if (!was_over && c->len + len <= TEXT_TERM_MAX) {
		memcpy(c->buf + c->len, tok, len);
		c->off[c->parts] = (uint8_t)c->len;
		c->plen[c->parts] = (uint8_t)len;
	}
	c->len += len;
	c->letter |= letter;
	bool over = c->len > TEXT_TERM_MAX;
	if (!c->query || was_over)
		rc = emit(c, tok, len, pos, 0); /* every part is a term, and nothing is held */
	else if (over && (rc = release(c)) == 0)
		rc = emit(c, tok, len, pos, 0); /* too long to join: hand on what was held */
	c->parts++;
	if (more || rc)
		return rc;
	if (!over && c->letter)
		rc = emit(c, c->buf, c->len, c->first, TEXT_JOINED);
	else if (!over && c->query)
		rc = release(c);
	c->parts = 0;
	return rc;
}

static bool ascii_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * The terms of ASCII text.  Normalising ASCII (step 1 of text.h) only
 * folds A-Z to a-z: it holds no compatibility forms, marks or ignorables;
 * its letters and digits are A-Z, a-z and 0-9, and its hyphen "-".  So
 * this gives what the general path gives, without utf8proc's copy of the
 * text and its lookup of every character (tests/unit/test_search.c
 * compares the two).
 */
static int terms_ascii(struct cut *c, const char *s, size_t len)
{
	char tok[TEXT_TERM_MAX];
	size_t i = 0;
	int rc = 0;
	while (rc == 0) {
		while (i < len && !ascii_word((unsigned char)s[i]))
			i++;
		if (i == len)
			break;
		size_t n = 0;
		bool letter = false;
		for (; i < len && ascii_word((unsigned char)s[i]); i++, n++) {
			char ch = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
			letter |= ch >= 'a';
			if (n < sizeof tok)
				tok[n] = ch;
		}
		bool more = i + 1 < len && s[i] == '-' && ascii_word((unsigned char)s[i + 1]);
		/* a token over TEXT_TERM_MAX is dropped by emit() unread, and counted */
		rc = token(c, tok, n, letter, more);
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

/* Whether code point cp is a letter (*letter) or digit: a word's. */
static bool word_char(utf8proc_int32_t cp, bool *letter)
{
	utf8proc_category_t c = utf8proc_category(cp);
	*letter = c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
	return *letter || (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

/* Whether a word's character starts at norm[i] (of n bytes). */
static bool word_at(const utf8proc_uint8_t *norm, utf8proc_ssize_t n, utf8proc_ssize_t i)
{
	utf8proc_int32_t cp;
	bool letter;
	return i < n && utf8proc_iterate(norm + i, n - i, &cp) > 0 && word_char(cp, &letter);
}

/* The terms of normalised text norm (n bytes). */
static int terms_norm(struct cut *c, const utf8proc_uint8_t *norm, utf8proc_ssize_t n)
{
	const char *p = (const char *)norm;
	utf8proc_ssize_t i = 0, start = -1;
	bool letter = false;
	int rc = 0;
	while (i <= n && rc == 0) {
		utf8proc_int32_t cp = -1;
		utf8proc_ssize_t step = 1;
		bool l = false;
		if (i < n && (step = utf8proc_iterate(norm + i, n - i, &cp)) < 1)
			step = 1; /* cannot happen after utf8proc_map; never loop forever */
		bool w = i < n && cp >= 0 && word_char(cp, &l);
		if (w && start < 0) {
			start = i;
			letter = l;
		} else if (w) {
			letter |= l;
		} else if (start >= 0) {
			/* NFKC made U+2011 (non-breaking hyphen) U+2010 */
			bool more = (cp == '-' || cp == 0x2010) && word_at(norm, n, i + step);
			rc = token(c, p + start, (size_t)(i - start), letter, more);
			start = -1;
		}
		i += step;
	}
	return rc;
}

int text_terms(struct text_stemmers *st, const char *s, size_t len, const char *lang,
               unsigned flags, text_term_fn fn, void *ctx, struct gl_error *err)
{
	if (len == 0)
		return 0;
	if (len > TEXT_INPUT_MAX)
		return gl_errorf(err, GL_ELIMIT, "a text of %zu bytes; at most %u (TEXT_INPUT_MAX)",
		                 len, TEXT_INPUT_MAX);
	struct cut c = { .lr = rules_for(st, lang), .fn = fn, .ctx = ctx,
	                 .query = flags & TEXT_QUERY };
	if (is_ascii(s, len))
		return terms_ascii(&c, s, len);
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
	int rc = terms_norm(&c, norm, n);
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
