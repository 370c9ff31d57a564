/* gilde plan — [being written] */
#include "cmd.h"

int cmd_plan(struct cli *cli, int argc, char **argv)
{
	(void)cli; (void)argc; (void)argv;
	cli_error("plan: not written yet");
	return EXIT_FAIL;
}
