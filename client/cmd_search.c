/* gilde search — [being written] */
#include "cmd.h"

int cmd_search(struct cli *cli, int argc, char **argv)
{
	(void)cli; (void)argc; (void)argv;
	cli_error("search: not written yet");
	return EXIT_FAIL;
}
