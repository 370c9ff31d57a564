#include "client/i18n.h"

#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gilde_config.h"

#define DOMAIN "gilde"

static bool dutch;
static bool bound;
static const char *catalogue; /* the directory bound, or NULL */

/* The catalogue beside the program (a build tree), else the installed one. */
static const char *find_catalogue(void)
{
	static char dir[PATH_MAX + 8];
	char exe[PATH_MAX], mo[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(dir, sizeof dir, "%s/po", exe);
			snprintf(mo, sizeof mo, "%s/nl/LC_MESSAGES/" DOMAIN ".mo", dir);
			if (access(mo, R_OK) == 0)
				return dir;
		}
	}
	snprintf(mo, sizeof mo, "%s/nl/LC_MESSAGES/" DOMAIN ".mo", GILDE_LOCALEDIR);
	return access(mo, R_OK) == 0 ? GILDE_LOCALEDIR : NULL;
}

/* A locale for LC_MESSAGES that is not "C" (gettext translates nothing in
 * C): C.UTF-8 is built into glibc since 2.35; the others are fallbacks. */
static bool message_locale(void)
{
	static const char *const names[] = { "C.UTF-8", "C.utf8", "nl_BE.UTF-8", "nl_NL.UTF-8",
		                             "en_US.UTF-8" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (setlocale(LC_MESSAGES, names[i]))
			return true;
	return false;
}

/* Find and bind the catalogue, once. */
static void bind(void)
{
	if (bound)
		return;
	bound = true;
	catalogue = find_catalogue();
	if (catalogue) {
		bindtextdomain(DOMAIN, catalogue);
		bind_textdomain_codeset(DOMAIN, "UTF-8");
	}
}

void i18n_set(const char *lang)
{
	dutch = lang && !strcmp(lang, "nl");
	if (!dutch)
		return;
	bind();
	/* LANGUAGE picks the catalogue; setting the locale again also makes
	 * gettext forget what it looked up before (glibc counts the change) */
	setenv("LANGUAGE", "nl", 1);
	if (!message_locale())
		catalogue = NULL;
}

const char *i18n_lang(void)
{
	return dutch ? "nl" : "en";
}

const char *i18n_text(const char *msgid)
{
	return dutch && catalogue && *msgid ? dgettext(DOMAIN, msgid) : msgid;
}

const char *i18n_plural(const char *one, const char *many, unsigned long n)
{
	if (dutch && catalogue)
		return dngettext(DOMAIN, one, many, n);
	return n == 1 ? one : many;
}

bool i18n_catalogue(const char **where)
{
	bind();
	if (where)
		*where = catalogue;
	return catalogue != NULL;
}
