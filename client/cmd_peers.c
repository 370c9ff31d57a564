/* gilde peers */
#include <string.h>

#include "proto/clock.h"
#include "client/cmd.h"

static void age(uint64_t then_ms, char *out, size_t n)
{
	if (!then_ms) {
		snprintf(out, n, "%s", _("never"));
		return;
	}
	uint64_t now = clock_now_ms(), s = now > then_ms ? (now - then_ms) / 1000 : 0;
	if (s < 120)
		snprintf(out, n, _("%llus ago"), (unsigned long long)s);
	else if (s < 7200)
		snprintf(out, n, _("%llum ago"), (unsigned long long)s / 60);
	else
		snprintf(out, n, _("%lluh ago"), (unsigned long long)s / 3600);
}

static long long geti(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static const char *gets(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s && *s ? s : "-";
}

int cmd_peers(struct cli *cli, int argc, char **argv)
{
	if (cli_common_only(cli, cmd_find("peers"), argc, argv, 0))
		return EXIT_USAGE;
	struct gl_error err = { 0 };
	json_t *answer = cli_ask(cli, "peers", &err);
	if (!answer)
		return cli_fail(&err);
	json_t *j = json_object_get(answer, "peers");
	int rc = EXIT_OK;
	if (!json_is_object(j)) {
		cli_error("%s", _("the daemon's answer has no peers"));
		rc = EXIT_FAIL;
		goto out;
	}
	if (cli->json) {
		cli_print_json(j);
	} else {
		json_t *shown = cli_json_lines(j); /* peers' names and errors, one line each */
		json_t *conns = json_object_get(shown, "connections");
		json_t *addrs = json_object_get(shown, "addresses");
		size_t i;
		json_t *p;
		printf(P_("%zu connection\n", "%zu connections\n", json_array_size(conns)),
		       json_array_size(conns));
		json_array_foreach(conns, i, p) {
			char when[32];
			age((uint64_t)geti(p, "last_recon_ms"), when, sizeof when);
			printf("  %s %s %-4s %s %s\n", gets(p, "state"), gets(p, "key"), gets(p, "direction"),
			       gets(p, "address"), gets(p, "name"));
			printf(_("      records in %lld (duplicates %lld), out %lld; bytes in %lld, out %lld; "
			         "last reconciliation %s (%lld rounds, %lld bytes)\n"),
			       geti(p, "records_in"), geti(p, "duplicates_in"), geti(p, "records_out"),
			       geti(p, "bytes_in"), geti(p, "bytes_out"), when, geti(p, "last_recon_rounds"),
			       geti(p, "last_recon_bytes"));
			printf(_("      reconciliation version %lld (last by %lld); %lld by coded symbols, "
			         "%lld fell back to v1\n"),
			       geti(p, "recon_version"), geti(p, "last_recon_version"),
			       geti(p, "reconciliations_coded"), geti(p, "coded_fallbacks"));
		}
		printf(P_("%zu known address\n", "%zu known addresses\n", json_array_size(addrs)),
		       json_array_size(addrs));
		json_array_foreach(addrs, i, p) {
			printf("  %-22s %-10s %-10s %s", gets(p, "address"), gets(p, "source"), gets(p, "state"),
			       gets(p, "key"));
			if (geti(p, "failures"))
				printf(_(" (%lld failures, next try in %llds: %s)"), geti(p, "failures"),
				       geti(p, "next_attempt_ms") / 1000, gets(p, "last_error"));
			printf("\n");
		}
		json_decref(shown);
	}
out:
	json_decref(answer);
	return rc;
}
