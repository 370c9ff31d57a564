#include "flood.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "proto/record.h"

static int buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_append(data, buf, len);
	return 0;
}

static void pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

/* A news body with these texts: title and summary, each in Dutch and English. */
static void pack_news(struct gl_buf *b, const char *const text[2][2])
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, b, buf_write);
	msgpack_pack_map(&pk, 4);
	static const char *const maps[] = { "title", "summary" };
	for (int f = 0; f < 2; f++) {
		pack_str(&pk, maps[f]);
		msgpack_pack_map(&pk, 2);
		pack_str(&pk, "nl");
		pack_str(&pk, text[f][0]);
		pack_str(&pk, "en");
		pack_str(&pk, text[f][1]);
	}
	pack_str(&pk, "published");
	pack_str(&pk, "2026-01-01T00:00:00Z");
	pack_str(&pk, "url");
	pack_str(&pk, "https://example.org/");
}

void flood_body(struct gl_buf *b)
{
	static const char *const x[2][2] = { { "x", "x" }, { "x", "x" } };
	pack_news(b, x);
}

/* Words of the texts of flood_body_text(): what news for starters says. */
static const char *const words_en[] = {
	"startup", "founders", "funding", "grant", "loan", "investors", "pitch", "coaching",
	"workshop", "students", "research", "university", "incubator", "accelerator", "city",
	"province", "bank", "innovation", "market", "customers", "product", "prototype", "patent",
	"export", "growth", "team", "hiring", "mentors", "network", "event", "program", "deadline",
	"application", "subsidy", "sustainable", "digital", "health", "energy", "circular", "food",
	"creative", "industry", "technology", "software", "hardware", "biotech", "legal", "advice",
	"financing", "seed", "capital", "office", "space", "lab", "testing", "launch", "scale",
	"partners", "ghent", "region", "support", "training", "masterclass", "community",
};
static const char *const words_nl[] = {
	"starters", "oprichters", "financiering", "subsidie", "lening", "investeerders", "pitch",
	"begeleiding", "werkwinkel", "studenten", "onderzoek", "universiteit", "broedplaats",
	"versneller", "stad", "provincie", "bank", "innovatie", "markt", "klanten", "product",
	"prototype", "octrooi", "uitvoer", "groei", "ploeg", "aanwerving", "mentoren", "netwerk",
	"evenement", "programma", "termijn", "aanvraag", "steun", "duurzame", "digitale",
	"gezondheid", "energie", "circulaire", "voeding", "creatieve", "industrie", "technologie",
	"software", "hardware", "biotechnologie", "juridisch", "advies", "kapitaal", "kantoor",
	"ruimte", "labo", "testen", "lancering", "opschalen", "partners", "gent", "regio",
	"ondersteuning", "opleiding", "masterklas", "gemeenschap", "ondernemen", "zaakvoerders",
};

/* Under the schemas' 300 characters of a short text (common.json). */
#define TEXT_MAX 290

/* n words of list (of len words) into out, picked by the generator at *x;
 * fewer if they would not fit in cap bytes. */
static void words(char *out, size_t cap, const char *const *list, size_t len, unsigned n,
                  uint64_t *x)
{
	size_t at = 0;
	out[0] = '\0';
	for (unsigned k = 0; k < n; k++) {
		*x = *x * 6364136223846793005ull + 1442695040888963407ull;
		const char *w = list[(*x >> 33) % len];
		int m = snprintf(out + at, cap - at, "%s%s", k ? " " : "", w);
		if (m < 0 || (size_t)m >= cap - at)
			break;
		at += (size_t)m;
	}
}

void flood_body_text(struct gl_buf *b, long i)
{
	static const unsigned count[] = { 7, 35 }; /* words of the title, of the summary */
	uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ull + 1;
	char buf[2][2][TEXT_MAX];
	const char *text[2][2];
	for (int f = 0; f < 2; f++) {
		words(buf[f][0], TEXT_MAX, words_nl, sizeof words_nl / sizeof *words_nl, count[f], &x);
		words(buf[f][1], TEXT_MAX, words_en, sizeof words_en / sizeof *words_en, count[f], &x);
		text[f][0] = buf[f][0];
		text[f][1] = buf[f][1];
	}
	pack_news(b, text);
}

static void pick(msgpack_packer *pk, const char *const *v, unsigned n, unsigned k, uint64_t seed)
{
	msgpack_pack_array(pk, k);
	for (unsigned j = 0; j < k; j++)
		pack_str(pk, v[(seed + j * 3) % n]); /* 3: prime to every n here */
}

void flood_body_offer(struct gl_buf *b, long i)
{
	static const char *const needs[] = { "administration", "legal", "legal-ip", "financing",
		"financing-loan", "financing-grant", "financing-equity", "location", "location-office",
		"coaching", "networking", "talent", "research-valorisation", "internationalisation" };
	static const char *const phases[] = { "idea", "prestart", "start", "restart", "growth" };
	static const char *const sectors[] = { "biotech", "cleantech", "healthtech", "digital",
		"agrofood", "photonics", "creative", "retail" };
	static const char *const langs[] = { "nl", "en" };
	uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ull + 7;
	char t[4][TEXT_MAX];
	words(t[0], TEXT_MAX, words_nl, sizeof words_nl / sizeof *words_nl, 6, &x);
	words(t[1], TEXT_MAX, words_en, sizeof words_en / sizeof *words_en, 6, &x);
	words(t[2], TEXT_MAX, words_nl, sizeof words_nl / sizeof *words_nl, 35, &x);
	words(t[3], TEXT_MAX, words_en, sizeof words_en / sizeof *words_en, 35, &x);
	bool elig = i % 3 != 0;
	msgpack_packer pk;
	msgpack_packer_init(&pk, b, buf_write);
	msgpack_pack_map(&pk, elig ? 6 : 5);
	static const char *const maps[] = { "name", "description" };
	for (int f = 0; f < 2; f++) {
		pack_str(&pk, maps[f]);
		msgpack_pack_map(&pk, 2);
		pack_str(&pk, "nl");
		pack_str(&pk, t[2 * f]);
		pack_str(&pk, "en");
		pack_str(&pk, t[2 * f + 1]);
	}
	pack_str(&pk, "url");
	pack_str(&pk, "https://example.org/");
	pack_str(&pk, "needs");
	pick(&pk, needs, 14, 1 + (unsigned)(i % 3), (uint64_t)i);
	pack_str(&pk, "languages");
	pick(&pk, langs, 2, 1 + (unsigned)(i % 2), (uint64_t)i);
	if (elig) {
		pack_str(&pk, "eligibility");
		msgpack_pack_map(&pk, 2);
		pack_str(&pk, "phases");
		pick(&pk, phases, 5, 1 + (unsigned)(i % 4), (uint64_t)i);
		pack_str(&pk, "sectors");
		pick(&pk, sectors, 8, 1 + (unsigned)(i % 3), (uint64_t)i / 2);
	}
}

int flood_sign(long i, uint64_t now, unsigned spread, const struct gl_buf *body,
               const uint8_t sk[64], struct gl_buf *envs)
{
	return flood_sign_kind(i, RK_NEWS, now, spread, body, sk, envs);
}

int flood_sign_kind(long i, int kind, uint64_t now, unsigned spread, const struct gl_buf *body,
                    const uint8_t sk[64], struct gl_buf *envs)
{
	char id[32];
	snprintf(id, sizeof id, "flood-%ld", i);
	struct record_draft d = { .kind = kind, .id = id, .id_len = strlen(id), .version = 1,
	                          .issued = now,
	                          .expires = now + 86400 + (uint64_t)i % (spread ? spread : 1),
	                          .body = body->data, .body_len = body->len };
	return record_sign(&d, sk, envs, NULL);
}
