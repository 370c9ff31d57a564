/* gilde events — [being written] */
#include "cmd.h"

int cmd_events(struct cli *cli, int argc, char **argv)
{
	(void)cli; (void)argc; (void)argv;
	cli_error("events: not written yet");
	return EXIT_FAIL;
}
