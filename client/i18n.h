/*
 * i18n.h — gilde's own words in the language of --lang.
 *
 * The source says everything in English; the Dutch is in the message
 * catalogue client/po/nl.po, compiled by msgfmt and read with GNU gettext
 * (glibc's libintl).  Mark a string with _() where it is printed, with N_()
 * where it sits in a table and is translated later with _(), and a count's
 * two forms with P_().  `xgettext` finds the marks (client/po/POTFILES);
 * the test `i18n` fails if a marked string has no Dutch.
 *
 * English never goes through gettext: the source's text is printed as it
 * is, whatever the environment says.  Dutch is asked of gettext in a
 * locale of its own for messages (C.UTF-8, which glibc always has), so
 * the user's LANG and LC_ALL do not decide the language: --lang does.
 *
 * Where the catalogue lies: beside the program in a build tree
 * (build/client/po/nl/LC_MESSAGES/gilde.mo, which meson makes), else the
 * installed one under the locale directory of the prefix.  Without a
 * catalogue Dutch falls back to English, and `gilde doctor` says so.
 */
#ifndef GILDE_I18N_H
#define GILDE_I18N_H

#include <stdbool.h>

#define _(s) i18n_text(s)
#define N_(s) (s)
#define P_(one, many, n) i18n_plural(one, many, (unsigned long)(n))

/* Speak lang from now on: "nl" or "en" (anything else: en).  Call it
 * before printing, and again if a command learns the language later (a
 * plan's profile). */
void i18n_set(const char *lang);
/* The language set ("en" until i18n_set). */
const char *i18n_lang(void);
/* msgid in the language set; msgid itself for English or if the
 * catalogue has no translation.  The result lives as long as the process. */
const char *i18n_text(const char *msgid);
/* one or many, by n, in the language set. */
const char *i18n_plural(const char *one, const char *many, unsigned long n);
/* Whether Dutch can be spoken: the catalogue was found and gettext uses
 * it; *where receives its directory (or NULL). */
bool i18n_catalogue(const char **where);

#endif
