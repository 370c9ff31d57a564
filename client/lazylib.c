/*
 * lazylib.c — libical and libxml2, loaded by gilde when first called.
 *
 * Both libraries bring ICU and libstdc++ with them, and binding those
 * takes about half of a gilde process's start (6 of 12 ms on the
 * benchmark machine, tests/bench/README.md), paid by every command,
 * although only calendars, event listings, feeds, maps and the reading of
 * an event's RRULE call them.  So gilde is linked without them: each
 * function of theirs that gilde's code calls is defined here, under its
 * own name and with its library header's prototype (the compiler checks
 * the definition against the header), and passes the call on to the
 * library's own function, found by dlopen() and dlsym() on the first call.
 * gilded and the tests link both libraries as usual.
 *
 * A function called that is not in this list fails gilde's link, naming
 * the function: add it here with the prototype from the header.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#include "client/i18n.h"
#include "gilde_config.h"

enum lazylib { LAZYLIB_ICAL, LAZYLIB_XML2, LAZYLIB_COUNT };

static const char *const lazylib_soname[LAZYLIB_COUNT] = {
	GILDE_LIBICAL_SONAME, GILDE_LIBXML2_SONAME,
};

/* gilde is one thread: the handles and the functions found are kept in
 * plain statics. */
static void *lazylib_handle[LAZYLIB_COUNT];

/*
 * The address of function name in lib, loading lib on the first call.  A
 * library or a function that cannot be found ends gilde with a message
 * naming both: it is an installation that lacks a package gilde depends
 * on, not something a command can go on without.
 */
static void *lazylib_sym(enum lazylib lib, const char *name)
{
	if (!lazylib_handle[lib]) {
		lazylib_handle[lib] = dlopen(lazylib_soname[lib], RTLD_NOW | RTLD_LOCAL);
		if (!lazylib_handle[lib]) {
			fprintf(stderr, _("gilde: cannot load %s (%s); install it: contrib/deps.sh "
			                  "lists the packages gilde needs\n"), lazylib_soname[lib],
			        dlerror());
			exit(EXIT_FAILURE);
		}
	}
	void *p = dlsym(lazylib_handle[lib], name);
	if (!p) {
		fprintf(stderr, _("gilde: %s has no function %s; gilde was built against "
		                  "another version of it\n"), lazylib_soname[lib], name);
		exit(EXIT_FAILURE);
	}
	return p;
}

/* f_, the library's function name, found once (POSIX: a function's address
 * comes back from dlsym as a void *; memcpy gives it its type). */
#define LAZYLIB_FIND(lib, name)                                        \
	static __typeof__(&name) f_;                                   \
	if (!f_) {                                                     \
		void *p_ = lazylib_sym(lib, #name);                    \
		memcpy(&f_, &p_, sizeof f_);                           \
	}

/* A function that returns a value, and one that returns none. */
#define LAZYLIB_FN(lib, type, name, params, args)                      \
	type name params                                               \
	{                                                              \
		LAZYLIB_FIND(lib, name)                                \
		return f_ args;                                        \
	}
#define LAZYLIB_VOID(lib, name, params, args)                          \
	void name params                                               \
	{                                                              \
		LAZYLIB_FIND(lib, name)                                \
		f_ args;                                               \
	}

#define ICAL_FN(type, name, params, args) LAZYLIB_FN(LAZYLIB_ICAL, type, name, params, args)
#define ICAL_VOID(name, params, args) LAZYLIB_VOID(LAZYLIB_ICAL, name, params, args)
#define XML_FN(type, name, params, args) LAZYLIB_FN(LAZYLIB_XML2, type, name, params, args)
#define XML_VOID(name, params, args) LAZYLIB_VOID(LAZYLIB_XML2, name, params, args)

/* libical: components and properties (query/ics.c) */
ICAL_VOID(icalcomponent_add_component, (icalcomponent *a, icalcomponent *b), (a, b))
ICAL_VOID(icalcomponent_add_property, (icalcomponent *a, icalproperty *b), (a, b))
ICAL_FN(char *, icalcomponent_as_ical_string_r, (icalcomponent *a), (a))
ICAL_VOID(icalcomponent_free, (icalcomponent *a), (a))
ICAL_FN(icalcomponent *, icalcomponent_get_first_component,
        (icalcomponent *a, icalcomponent_kind k), (a, k))
ICAL_FN(icalproperty *, icalcomponent_get_first_property,
        (icalcomponent *a, icalproperty_kind k), (a, k))
ICAL_FN(icalcomponent *, icalcomponent_get_next_component,
        (icalcomponent *a, icalcomponent_kind k), (a, k))
ICAL_FN(icalcomponent *, icalcomponent_new, (icalcomponent_kind k), (k))
ICAL_FN(icalcomponent *, icalcomponent_new_clone, (icalcomponent *a), (a))
ICAL_VOID(icalcomponent_remove_property, (icalcomponent *a, icalproperty *b), (a, b))
ICAL_VOID(icalcomponent_set_description, (icalcomponent *a, const char *v), (a, v))
ICAL_VOID(icalcomponent_set_dtend, (icalcomponent *a, struct icaltimetype v), (a, v))
ICAL_VOID(icalcomponent_set_dtstamp, (icalcomponent *a, struct icaltimetype v), (a, v))
ICAL_VOID(icalcomponent_set_dtstart, (icalcomponent *a, struct icaltimetype v), (a, v))
ICAL_VOID(icalcomponent_set_location, (icalcomponent *a, const char *v), (a, v))
ICAL_VOID(icalcomponent_set_sequence, (icalcomponent *a, int v), (a, v))
ICAL_VOID(icalcomponent_set_status, (icalcomponent *a, enum icalproperty_status v), (a, v))
ICAL_VOID(icalcomponent_set_summary, (icalcomponent *a, const char *v), (a, v))
ICAL_VOID(icalcomponent_set_uid, (icalcomponent *a, const char *v), (a, v))
ICAL_FN(icalparameter *, icalparameter_new_tzid, (const char *v), (v))
ICAL_VOID(icalproperty_add_parameter, (icalproperty *a, icalparameter *b), (a, b))
ICAL_VOID(icalproperty_free, (icalproperty *a), (a))
ICAL_FN(icalproperty *, icalproperty_new_calscale, (const char *v), (v))
ICAL_FN(icalproperty *, icalproperty_new_exdate, (struct icaltimetype v), (v))
ICAL_FN(icalproperty *, icalproperty_new_method, (enum icalproperty_method v), (v))
ICAL_FN(icalproperty *, icalproperty_new_prodid, (const char *v), (v))
ICAL_FN(icalproperty *, icalproperty_new_rrule, (struct icalrecurrencetype v), (v))
ICAL_FN(icalproperty *, icalproperty_new_tzid, (const char *v), (v))
ICAL_FN(icalproperty *, icalproperty_new_url, (const char *v), (v))
ICAL_FN(icalproperty *, icalproperty_new_version, (const char *v), (v))
ICAL_VOID(icalproperty_set_tzid, (icalproperty *a, const char *v), (a, v))
ICAL_VOID(icalmemory_free_buffer, (void *b), (b))

/* libical: errors, times, zones and rules (schemas/recurrence.c, query/ics.c) */
ICAL_FN(icalerrorenum *, icalerrno_return, (void), ())
ICAL_VOID(icalerror_clear_errno, (void), ())
ICAL_VOID(icalerror_set_errors_are_fatal, (int fatal), (fatal))
ICAL_FN(const char *, icalerror_strerror, (icalerrorenum e), (e))
ICAL_VOID(icalrecur_iterator_free, (icalrecur_iterator *i), (i))
ICAL_FN(icalrecur_iterator *, icalrecur_iterator_new,
        (struct icalrecurrencetype r, struct icaltimetype t), (r, t))
ICAL_FN(struct icaltimetype, icalrecur_iterator_next, (icalrecur_iterator *i), (i))
ICAL_FN(int, icalrecur_iterator_set_start, (icalrecur_iterator *i, struct icaltimetype t),
        (i, t))
ICAL_FN(int, icalrecurrencetype_day_position, (short day), (day))
ICAL_FN(struct icalrecurrencetype, icalrecurrencetype_from_string, (const char *s), (s))
ICAL_FN(time_t, icaltime_as_timet, (const struct icaltimetype t), (t))
ICAL_FN(struct icaltimetype, icaltime_from_timet_with_zone,
        (const time_t tm, const int is_date, const icaltimezone *z), (tm, is_date, z))
ICAL_FN(int, icaltime_is_null_time, (const struct icaltimetype t), (t))
ICAL_FN(struct icaltimetype, icaltime_null_time, (void), ())
ICAL_FN(struct icaltimetype, icaltime_set_timezone,
        (struct icaltimetype *t, const icaltimezone *z), (t, z))
ICAL_VOID(icaltimezone_free, (icaltimezone *z, int free_struct), (z, free_struct))
ICAL_FN(icaltimezone *, icaltimezone_get_builtin_timezone, (const char *location), (location))
ICAL_FN(icalcomponent *, icaltimezone_get_component, (icaltimezone *z), (z))
ICAL_FN(int, icaltimezone_get_utc_offset_of_utc_time,
        (icaltimezone *z, struct icaltimetype *tt, int *is_daylight), (z, tt, is_daylight))
ICAL_FN(icaltimezone *, icaltimezone_get_utc_timezone, (void), ())
ICAL_FN(icaltimezone *, icaltimezone_new, (void), ())
ICAL_FN(int, icaltimezone_set_component, (icaltimezone *z, icalcomponent *c), (z, c))
ICAL_VOID(icaltimezone_truncate_vtimezone,
          (icalcomponent *vtz, icaltimetype start, icaltimetype end, int ms_compatible),
          (vtz, start, end, ms_compatible))

/* libxml2: the text writer (query/news.c's Atom, query/ecomap_out.c's SVG) */
XML_FN(const xmlChar *, xmlBufferContent, (const xmlBuffer *b), (b))
XML_FN(xmlBufferPtr, xmlBufferCreate, (void), ())
XML_VOID(xmlBufferFree, (xmlBufferPtr b), (b))
XML_FN(int, xmlBufferLength, (const xmlBuffer *b), (b))
XML_VOID(xmlFreeTextWriter, (xmlTextWriterPtr w), (w))
XML_VOID(xmlInitParser, (void), ())
XML_FN(xmlTextWriterPtr, xmlNewTextWriterMemory, (xmlBufferPtr b, int compression),
       (b, compression))
XML_FN(int, xmlTextWriterEndDocument, (xmlTextWriterPtr w), (w))
XML_FN(int, xmlTextWriterEndElement, (xmlTextWriterPtr w), (w))
XML_FN(int, xmlTextWriterSetIndent, (xmlTextWriterPtr w, int indent), (w, indent))
XML_FN(int, xmlTextWriterSetIndentString, (xmlTextWriterPtr w, const xmlChar *s), (w, s))
XML_FN(int, xmlTextWriterStartDocument,
       (xmlTextWriterPtr w, const char *version, const char *encoding, const char *standalone),
       (w, version, encoding, standalone))
XML_FN(int, xmlTextWriterStartElement, (xmlTextWriterPtr w, const xmlChar *name), (w, name))
XML_FN(int, xmlTextWriterWriteAttribute,
       (xmlTextWriterPtr w, const xmlChar *name, const xmlChar *content), (w, name, content))
XML_FN(int, xmlTextWriterWriteElement,
       (xmlTextWriterPtr w, const xmlChar *name, const xmlChar *content), (w, name, content))
XML_FN(int, xmlTextWriterWriteString, (xmlTextWriterPtr w, const xmlChar *content),
       (w, content))
