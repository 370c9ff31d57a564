/* gilde match — [being written] */
#include "cmd.h"

int cmd_match(struct cli *cli, int argc, char **argv)
{
	(void)cli; (void)argc; (void)argv;
	cli_error("match: not written yet");
	return EXIT_FAIL;
}
